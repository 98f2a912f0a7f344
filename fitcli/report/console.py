"""The only printer: results to stdout (rich tables, JSON or data), progress and messages
to stderr.

Rich honours NO_COLOR (no colour) and never colours or animates what is not a terminal.
Progress is animated only on a terminal that is not dumb, outside CI (the CI variable
set, as CI services do); otherwise it is a plain log line at most once a second, from the
first second on (a short fit logs nothing).  On a terminal, messages are wrapped at words
to its width; elsewhere each is one line.  A named warning (report.warnings) can be
silenced (silence()).

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
from functools import cache
from typing import Any, Callable, Iterator

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


_subject: list[str] = []  # the input file that notes and warnings are about (several files)


@contextmanager
def about_file(name: str) -> Iterator[None]:
    """Notes and warnings name `name` while it is fitted (one of several files)."""
    _subject.append(name)
    try:
        yield
    finally:
        _subject.pop()


def _say(prefix: str, message: str) -> None:
    """One message on stderr: one line, or on a terminal wrapped at words to its width.
    If stderr cannot be written there is no one to tell, and the run goes on."""
    if _subject and not message.startswith(_subject[-1]):
        message = f"{_subject[-1]}: {message}"
    text, stderr = one_line(speak(message)), _stderr()
    if stderr.is_terminal:
        from .layout import wrap

        text = wrap(text, stderr.width, " " * (min(len(prefix), 10) or 2), prefix)
    else:
        text = prefix + text
    try:
        stderr.print(text, markup=False, highlight=False)
    except OSError:
        pass


def error(message: str) -> None:
    _say("error: ", message)


def note(message: str, quiet: bool = False) -> None:
    if not quiet:
        _say("note: ", message)


_silenced: set[str] = set()


def silence(names) -> None:
    """Leave the warnings with these names (report.warnings.NAMES) off stderr."""
    _silenced.update(names)


def warn(message: str) -> None:
    """A warning on stderr, unless its name (report.warnings) was silenced."""
    if _silenced:
        from .warnings import name_of

        if name_of(message) in _silenced:
            return
    _say("warning: ", message)


def usage(text: str) -> None:
    """Text for people that is itself the message (the bare command's help), on stderr."""
    print(text, file=sys.stderr)


def in_ci() -> bool:
    """Whether a CI service runs this (CI=true, 1 or any value but false/0/empty)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _animated() -> bool:
    stderr = _stderr()
    return stderr.is_terminal and not stderr.is_dumb_terminal and not in_ci()


def _progress_text(info, figures: Callable[[Any], dict]) -> str:
    parts = [f"iter {info.iteration:>5d}", f"loss {info.cost:.9g}"]
    parts += [f"{k} {v:.6g}" for k, v in figures(info).items()]
    return "  ".join(parts)


class _Stages:
    """Counts the fits of one run: a robust fit refits, and each refit counts its
    iterations from 1 again; the progress says which fit it is at."""

    def __init__(self, label: str):
        self.label, self.fits, self.last = label, 1, 0

    def __call__(self, info) -> str:
        if info.iteration < self.last:
            self.fits += 1
        self.last = info.iteration
        return self.label if self.fits == 1 else f"{self.label} (fit {self.fits})"


@contextmanager
def progress(label: str, quiet: bool, figures: Callable[[Any], dict]) -> Iterator[Callable]:
    """A callback for the fit loop: a transient rich status line on a terminal, else a
    log line to stderr once a second from the first second on (a short fit logs
    nothing, so that no line of progress reads like the result).  `figures(info)` adds
    the model's error measure; it is evaluated only when something is printed."""
    if quiet:
        yield lambda info: None
        return
    stage, started = _Stages(label), time.monotonic()
    last = [started]
    if not _animated():

        def log(info):
            name, now = stage(info), time.monotonic()
            if now - last[0] >= LOG_EVERY_SECONDS:
                last[0] = now
                _say("", f"{name}: running ({now - started:.0f} s), {_progress_text(info, figures)}")

        yield log
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.table import Column

    text = TextColumn("{task.description}", table_column=Column(no_wrap=False, overflow="fold"))
    with Progress(
        SpinnerColumn(), text, TimeElapsedColumn(),
        console=_stderr(), transient=True, redirect_stdout=False, redirect_stderr=False,
    ) as bar:
        task = bar.add_task(f"{label}: starting", total=None)

        def update(info):
            name, now = stage(info), time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:
                last[0] = now
                bar.update(task, description=f"{name}: {_progress_text(info, figures)}")

        yield update


@contextmanager
def working(text: str, quiet: bool = False) -> Iterator[None]:
    """A transient spinner saying `text` while a long step runs (reading a large file,
    building the report of many points), on an animated terminal only."""
    if quiet or not _animated():
        yield
        return
    with _stderr().status(text, spinner="dots"):
        yield


def awaiting_input(what: str) -> None:
    """Say that standard input is read, when it is a terminal (else it is silent)."""
    if sys.stdin is not None and sys.stdin.isatty():
        note(f"reading {what} from standard input (the terminal); end with Ctrl-D "
             "(Ctrl-Z Enter on Windows), or give a file name")


def write_json(document: dict[str, Any]) -> None:
    """One JSON document on stdout; NaN/inf must already be None."""
    write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")


def write_json_line(document: dict[str, Any]) -> None:
    """One JSON document as one line (JSON Lines: one per input file)."""
    write_text(json.dumps(document, allow_nan=False) + "\n")


def said(message: str) -> str:
    """A message as the console prints it (parameters as flags, on one line)."""
    return one_line(speak(message))


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


def write_text(text) -> None:
    """Data on stdout (CSV, a model file), as it is: a str, or an io.atomic.Binary.  A
    str is written through the byte layer until all of it is out: a write the reader's
    exit cuts short returns a part, which the text layer would drop without an error."""
    with _stdout() as out:
        raw = getattr(out, "buffer", None)
        if raw is None:
            out.write(text)
            return
        out.flush()
        if not isinstance(text, str):  # a Binary: written by its own writer
            text.write(raw)
            raw.flush()
            return
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


def print_tables(blocks) -> None:
    """Blocks (report.layout) for people on stdout, where they are the result, laid out
    for the terminal's width."""
    with _stdout() as out:
        _print(_console_type()(file=out, soft_wrap=True, highlight=False), blocks)


def print_stderr(blocks) -> None:
    """Blocks for people on stderr, where stdout carries data (fitcli predict)."""
    _print(_stderr(), blocks)


def _print(console, blocks) -> None:
    from .layout import BLOCKS, renderables

    for block in blocks:
        for item in renderables(block, console) if isinstance(block, BLOCKS) else [block]:
            console.print(item)
