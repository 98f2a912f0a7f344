"""The only printer: results to stdout (rich tables, JSON or data), progress and messages
to stderr.

Rich honours NO_COLOR and never colours or animates what is not a terminal; progress is
animated only on a terminal without NO_COLOR, and is a plain throttled log line otherwise.

The core speaks of its parameters by name, in backquotes (`max_iter`, `form='general'`);
what is printed says them in the words the user typed them in, through a vocabulary the
shell installs (set_vocabulary): e.g. --max-iter and --form general on the command line.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from functools import cache

LOG_EVERY_SECONDS = 1.0
REFRESH_SECONDS = 0.1
_NAMED = re.compile(r"`([a-z_]+)(?:=([^`]*))?`")
_vocabulary: Callable[[str, str | None], str | None] = lambda name, value: None


@cache
def _console_type():
    """rich's Console, but a broken pipe is not its SystemExit(1): on stdout it is an
    error the commands report (BrokenPipe), on stderr messages nobody reads any more."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            if not self.stderr:
                raise BrokenPipeError(32, "Broken pipe")

    return _Console


@cache
def _stderr():
    """The console on stderr (rich is imported on the first message, not at start-up)."""
    return _console_type()(stderr=True, soft_wrap=True, highlight=False)


def _say(text: str) -> None:
    """One line for people on stderr; if stderr cannot be written there is no one to
    tell, and the run goes on."""
    try:
        _stderr().print(text, markup=False, highlight=False)
    except OSError:
        pass


def set_vocabulary(say: Callable[[str, str | None], str | None]) -> None:
    """How to say a parameter: say(name, value or None) -> the words, or None to keep
    it as written (the core's backquoted form)."""
    global _vocabulary
    _vocabulary = say


def speak(text: str) -> str:
    """`text` with the core's backquoted parameter names said in the user's words."""
    if "`" not in text:
        return text

    def said(match: re.Match) -> str:
        name, value = match.group(1), match.group(2)
        words = _vocabulary(name, None if value is None else value.strip("'\""))
        return match.group(0) if words is None else words

    return _NAMED.sub(said, text)


def one_line(message: str) -> str:
    """The message as one printable line: what a field or a file name brings in that a
    terminal would act on or hide (a line break, a carriage return, ESC, U+2028) is
    written as Python writes it in a string, e.g. \\r or \\x1b."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def error(message: str) -> None:
    _say(f"error: {one_line(speak(message))}")


def note(message: str, quiet: bool = False) -> None:
    if not quiet:
        _say(f"note: {one_line(speak(message))}")


def warn(message: str) -> None:
    _say(f"warning: {one_line(speak(message))}")


def usage(text: str) -> None:
    """Text for people that is itself the message (the bare command's help), on stderr."""
    print(text, file=sys.stderr)


def _animated() -> bool:
    stderr = _stderr()
    return stderr.is_terminal and not stderr.is_dumb_terminal and "NO_COLOR" not in os.environ


def _progress_text(info, figures: Callable[[Any], dict]) -> str:
    parts = [f"iter {info.iteration:>5d}", f"loss {info.cost:.9g}"]
    parts += [f"{k} {v:.6g}" for k, v in figures(info).items()]
    return "  ".join(parts)


@contextmanager
def progress(label: str, quiet: bool, figures: Callable[[Any], dict]) -> Iterator[Callable]:
    """A callback for the fit loop: a transient rich status line on a terminal, else a
    log line to stderr at most once a second.  `figures(info)` adds the model's error
    measure; it is evaluated only when something is printed."""
    if quiet:
        yield lambda info: None
        return
    last = [0.0]
    if not _animated():

        def log(info):
            now = time.monotonic()
            if info.iteration == 1 or now - last[0] >= LOG_EVERY_SECONDS:
                last[0] = now
                _say(f"{label}: {_progress_text(info, figures)}")

        yield log
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=_stderr(), transient=True, redirect_stdout=False, redirect_stderr=False,
    ) as bar:
        task = bar.add_task(label, total=None)

        def update(info):
            now = time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:
                last[0] = now
                bar.update(task, description=f"{label}: {_progress_text(info, figures)}")

        yield update


def write_json(document: dict[str, Any]) -> None:
    """One JSON document on stdout; NaN/inf must already be None."""
    write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")


@contextmanager
def _stdout() -> Iterator[Any]:
    """Standard output, its failures said as the shell's errors.

    Raises:
        BrokenPipe: its reader went away (`| head -1`).
        StreamError: it is closed, or a write failed (a full disk behind it).
    """
    from ..errors import BrokenPipe, StreamError

    if sys.stdout is None:
        raise StreamError("standard output is closed: there is nowhere to write the results")
    try:
        yield sys.stdout
        sys.stdout.flush()
    except BrokenPipeError:
        raise BrokenPipe("standard output: broken pipe") from None
    except OSError as exc:
        raise StreamError(f"cannot write to standard output ({exc.strerror or exc})") from None


def write_text(text: str) -> None:
    """Data on stdout (CSV, a model file), as it is.  Written through the byte layer
    until all of it is out: a write the reader's exit cuts short returns a part, which
    the text layer would drop without an error."""
    with _stdout() as out:
        raw = getattr(out, "buffer", None)
        if raw is None:
            out.write(text)
            return
        out.flush()
        view = memoryview(text.encode(out.encoding or "utf-8", out.errors or "strict"))
        while len(view):
            written = raw.write(view)
            if not written:
                raise OSError(11, "standard output accepts no more data")
            view = view[written:]


def flush_stdout() -> bool:
    """At the end of a run: flush stdout; False if its pipe broke (it is then silenced)."""
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        return False
    except OSError:
        pass  # a failed write was reported where it happened
    return True


def recover_broken_pipe() -> bool:
    """Whether typer ended the run for a broken pipe (it then wraps stdout and stderr to
    hide their errors and exits 1); if so, its wrappers are undone and stdout silenced."""
    if type(sys.stdout).__name__ != "PacifyFlushWrapper":
        return False
    sys.stdout = getattr(sys.stdout, "wrapped", sys.stdout)
    if type(sys.stderr).__name__ == "PacifyFlushWrapper":
        sys.stderr = getattr(sys.stderr, "wrapped", sys.stderr)
    silence_stdout()
    return True


def silence_stdout() -> None:
    """After a broken pipe: standard output's descriptor to /dev/null, so that nothing
    more (not even the interpreter's last flush at exit) fails writing to it."""
    try:
        fd = sys.stdout.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no descriptor (a test's stream): nothing to do
        pass


def output(path: str, content: str | bytes, option: str) -> None:
    """Data to the file `path` (atomically; see io.atomic.save), or to stdout for "-"."""
    if path == "-":
        write_text(content)
    else:
        from ..io.atomic import save

        save(path, content, option)


def print_tables(renderables) -> None:
    """Tables for people on stdout, where they are the result."""
    with _stdout() as out:
        console = _console_type()(file=out, soft_wrap=True, highlight=False)
        for item in renderables:
            console.print(item)


def print_stderr(renderables) -> None:
    """Tables for people on stderr, where stdout carries data (fitcli predict)."""
    for item in renderables:
        _stderr().print(item)
