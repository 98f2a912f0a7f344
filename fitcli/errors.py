"""fitcli's errors and exit codes.

| code | meaning                                                        |
|------|----------------------------------------------------------------|
| 0    | the fit converged (or the command succeeded)                   |
| 1    | an unexpected crash (a bug: please report it)                  |
| 2    | usage error, or input that cannot be read or parsed            |
| 3    | degenerate input: the data cannot determine the model          |
| 4    | the fit did not converge or diverged (the result is printed)   |
| 5    | a quality gate failed (the result is printed)                  |
| 6    | gradcheck: a hand-derived gradient failed the check            |
| 130  | interrupted (Ctrl-C); the best parameters so far are printed   |
| 141  | standard output was closed by its reader (a broken pipe)       |
| 143  | terminated (SIGTERM), as 130                                    |

An interrupted or terminated run, and one whose output pipe broke, saves no file.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CRASH = 1
EXIT_USAGE = 2
EXIT_DEGENERATE = 3
EXIT_NOT_CONVERGED = 4
EXIT_GATE = 5
EXIT_GRADCHECK = 6
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a writer its pipe's reader left
EXIT_TERMINATED = 143  # 128 + SIGTERM


class FitcliError(Exception):
    """An error the user can act on: printed as one line, exits with `exit_code`."""

    exit_code = EXIT_USAGE


class UsageError(FitcliError):
    exit_code = EXIT_USAGE


class DataError(FitcliError):
    """Input that cannot be read or parsed; the message names file, line and column."""

    exit_code = EXIT_USAGE


class DegenerateError(FitcliError):
    """Data that parses but cannot determine the model."""

    exit_code = EXIT_DEGENERATE


class ModelFileError(FitcliError):
    """A saved model file that is missing, truncated or of the wrong kind."""

    exit_code = EXIT_USAGE


class OutputError(FitcliError):
    """An output file that cannot be written (no such folder, permission, disk full)."""

    exit_code = EXIT_USAGE


class StreamError(FitcliError):
    """Standard input or output that cannot be used (closed, a full disk, an I/O error)."""

    exit_code = EXIT_USAGE


class BrokenPipe(FitcliError):
    """The reader of standard output went away (`fitcli ... | head -1`): the run ends
    quietly, saving nothing, as the signal SIGPIPE would end it."""

    exit_code = EXIT_BROKEN_PIPE
