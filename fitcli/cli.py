"""The composition root: builds the Typer app and registers every command; imported by no
module.  The commands are built from the model cards, so `fitcli --help` starts without
importing numpy; the numerical modules are imported inside the commands."""

from __future__ import annotations

import errno
import os
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Annotated

import typer

from . import __version__
from .commands import completion, convert, fit, gradcheck, predict, synth
from .commands.examples import exit_codes
from .commands.options import learn_model_options
from .core.models import CARDS
from .errors import (
    EXIT_BROKEN_PIPE,
    EXIT_CRASH,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    BrokenPipe,
    FitcliError,
)
from .io import atomic
from .report import console

app = typer.Typer(
    name="fitcli",
    help="Fit a tanh separator, a 2D ratio map or a 3x4 camera matrix to CSV points by "
    "hand-derived gradients.  Results go to stdout (a table, or JSON with --json); "
    "progress and messages go to stderr.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,  # help texts are plain: brackets such as [a, b, t1] stay as written
    epilog=exit_codes(),
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        console.write_text(f"fitcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True,
                           help="Print the version.")
    ] = False,
) -> None:
    """Fit models to CSV points by hand-derived gradients."""


learn_model_options(CARDS.values())
fit.register(app, CARDS.values())
synth.register(app, CARDS.values())
predict.register(app, CARDS.values())
gradcheck.register(app, CARDS.values())
completion.register(app)
convert.register(app, CARDS.values())


def main() -> None:
    """The console script: exit with the code of run().  A signal after the run is over
    changes nothing (its files are in place, its code decided): it is not the default
    action, which would kill the process with a code that says nothing was done.  So
    SIGINT and SIGTERM are then ignored (SIG_IGN, which the interpreter's shutdown keeps;
    a Python handler it would replace by the default action for its last milliseconds)."""
    sys.exit(run(sys.argv[1:], after=signal.SIG_IGN))


# typer's usage errors derive from click's ClickException (vendored by newer typer)
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def run(args: list[str], after=None) -> int:
    """Run the app on args and return its exit code.  Every failure is one line on
    stderr: a usage error as "error: <what>", a crash (a bug) as "error: internal error"
    with exit 1, its traceback shown only with FITCLI_DEBUG=1.  Ctrl-C and SIGTERM
    interrupt the run (exit 130 and 143, nothing saved); a broken pipe on stdout ends it
    quietly (exit 141).  `after`: the handler of SIGINT and SIGTERM once the run is
    over (None: the ones before it)."""
    completion.prepare(os.environ)
    atomic.new_run()
    with _interrupts(after) as received:
        code = _run(args)
        if not console.flush_stdout():
            code = EXIT_BROKEN_PIPE
    if code == EXIT_INTERRUPTED and received:
        code = 128 + received[-1]  # 130 for SIGINT, 143 for SIGTERM
    return code


@contextmanager
def _interrupts(after=None):
    """SIGINT and SIGTERM as KeyboardInterrupt (a fit then reports its best point so
    far), deferred while a file is being put in place; yields the signals received.
    Then `after` handles them (None: the handlers before)."""
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def interrupt(signum, frame):
        received.append(signum)
        if atomic.interrupt_now():
            raise KeyboardInterrupt

    previous = {s: signal.signal(s, interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, after or handler)


def _run(args: list[str]) -> int:
    try:
        code = app(args, prog_name="fitcli", standalone_mode=False)
    except _CLICK_ERROR as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `fitcli`: the help is the message
            console.usage(exc.format_message())
        else:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see {ctx.command_path} -h)" if ctx is not None else ""
            console.error(_first_lower(exc.format_message().rstrip(".")) + hint)
        return exc.exit_code
    except KeyboardInterrupt:  # outside a fit, e.g. while reading standard input
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except (BrokenPipeError, BrokenPipe):  # the help, or the version, into a closed pipe
        console.silence_stdout()
        return EXIT_BROKEN_PIPE
    except FitcliError as exc:  # outside a command, e.g. --version on a closed stdout
        console.error(str(exc))
        return exc.exit_code
    except SystemExit:  # typer's own exit 1 on a broken pipe: quiet, 141
        if console.recover_broken_pipe():
            return EXIT_BROKEN_PIPE
        raise
    except typer.Abort:  # end of input at a prompt
        console.error("aborted")
        return EXIT_CRASH
    except OSError as exc:  # the help into a full or failing stdout (every file fitcli
        # writes goes through io.atomic, which says which); anything else is a bug
        if exc.errno not in (errno.ENOSPC, errno.EIO, errno.EBADF, errno.EDQUOT, errno.EFBIG):
            return _crash(exc)
        console.error(f"cannot write to standard output ({exc.strerror})")
        return EXIT_USAGE
    except Exception as exc:  # noqa: BLE001  (a bug: one line, unless debugging)
        return _crash(exc)
    return code if isinstance(code, int) else 0


def _crash(exc: Exception) -> int:
    """A bug: one line and exit 1, unless debugging."""
    if os.environ.get("FITCLI_DEBUG"):
        raise exc
    detail = " ".join(str(exc).split())[:200]
    console.error(f"internal error ({type(exc).__name__}: {detail}); this is a bug in fitcli, "
                  "please report it with the command you ran (FITCLI_DEBUG=1 shows the traceback)")
    return EXIT_CRASH


def _first_lower(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
