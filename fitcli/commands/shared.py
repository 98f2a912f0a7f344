"""What the commands share: errors as one line and an exit code, and the core's
exceptions said as the shell's errors."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

import typer

from ..errors import (
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    BrokenPipe,
    DataError,
    DegenerateError,
    FitcliError,
)
from ..report import console


@contextmanager
def reported_errors(debug: bool = False):
    """FitcliError -> one line on stderr and its exit code; never a traceback.  A broken
    pipe on stdout ends the run quietly (exit 141); running out of memory is one line
    (exit 2).  numpy's floating-point warnings (overflow, 0/0) stay off stderr unless
    --debug: what became non-finite is reported in the result (a diverged fit, a
    standard error of null)."""
    import numpy as np

    try:
        with np.errstate(all="ignore") if not debug else nullcontext():
            yield
    except BrokenPipe as exc:
        console.silence_stdout()
        raise typer.Exit(exc.exit_code) from None
    except FitcliError as exc:
        if debug:
            raise
        console.error(str(exc))
        raise typer.Exit(exc.exit_code) from None
    except MemoryError:
        if debug:
            raise
        console.error("out of memory: this run needs more memory than the machine has "
                      "(fewer points, or a machine with more memory)")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        if debug:
            raise
        console.error("interrupted")
        raise typer.Exit(EXIT_INTERRUPTED) from None


@contextmanager
def about(source: str, invalid: type[FitcliError] | None = DataError):
    """The core's DegenerateDataError as DegenerateError, and its ValueError (values the
    model cannot take) as `invalid` (None: left alone, a bug), each naming `source` (a
    file, or a model file)."""
    from ..core.normalize import DegenerateDataError

    try:
        yield
    except DegenerateDataError as exc:
        raise DegenerateError(f"{source}: {exc}") from None
    except ValueError as exc:
        if invalid is None:
            raise
        raise invalid(f"{source}: {exc}") from None
