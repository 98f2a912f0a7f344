"""Atomic writes, the checks every output path passes before any work is done, and the
staging that puts a run's files in place together, at its end.

Nothing the user had is lost: an output path is refused before any work when it is one
of the run's inputs (compared by file identity: a symlink, a hard link or the file behind
standard input is the same file), when two outputs of the run are one file, and when an
existing file has no write permission for its owner (as cp refuses it).  Inside
staged(), files are written to temporary files next to their targets and renamed into
place only when the run ends normally; an error or an interrupt (Ctrl-C, SIGTERM) before
that removes the temporary files and leaves every old file as it was.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from typing import Any, Iterator, Sequence

from ..errors import OutputError

# the files staged by staged(): (temporary file, or "" for a stream; the content of a
# stream; the path; the option)
_staged: list[tuple[str, str | bytes | None, str, str]] | None = None
_state = {"depth": 0, "pending": False, "done": False}


def interrupt_now() -> bool:
    """For a signal handler (Ctrl-C, SIGTERM): whether to interrupt the run now.  False
    while a temporary file is being created, renamed or removed (the interrupt then
    takes effect when that is done), and once the run's files are all in place (the
    run then ends as if the signal had come a moment later)."""
    if _state["done"]:
        return False
    if _state["depth"]:
        _state["pending"] = True
        return False
    return True


def new_run() -> None:
    """Forget the interrupts and the files of a previous run (in one process)."""
    _state.update(depth=0, pending=False, done=False)


@contextmanager
def _deferred(resume: bool = True) -> Iterator[None]:
    """Interrupts wait until the block ends; then, if `resume`, one that came is raised."""
    _state["depth"] += 1
    try:
        yield
    finally:
        _state["depth"] -= 1
    if resume and not _state["depth"] and _state["pending"] and not _state["done"]:
        _state["pending"] = False
        raise KeyboardInterrupt


def _write(fh, text) -> None:
    """A str or bytes, an iterable of str pieces (written as they come), or a Binary."""
    if isinstance(text, (str, bytes)):
        fh.write(text)
        return
    if isinstance(text, Binary):
        text.write(fh)
        return
    for piece in text:
        fh.write(piece)


class Binary:
    """Content written by a function of the open binary file (e.g. a Parquet writer)."""

    def __init__(self, write):
        self.write = write


def _binary(text) -> bool:
    return isinstance(text, (bytes, Binary))


def write_atomic(path: str, text) -> None:
    """Write `text` (str as UTF-8, bytes, an iterable of str pieces, or a Binary) to `path`
    through a temporary file in the same folder and a rename: readers see the old file or
    the new one, never a part; on failure the old file stays.  A symlink is followed (the
    link stays); a stream or device is written in place."""
    if _in_place(path):
        _write_in_place(path, text)
        return
    target = os.path.realpath(path)
    tmp = _write_temporary(target, text)
    try:
        with _deferred(resume=False):
            os.replace(tmp, target)
            _state["done"] = True
    except BaseException:
        _unlink(tmp)
        raise


def _write_in_place(path: str, text) -> None:
    binary = _binary(text)
    with open(path, "ab" if binary else "a", **_text_args(binary)) as fh:
        _write(fh, text)


def _write_temporary(target: str, text: str | bytes, created=lambda tmp: None) -> str:
    """A temporary file next to `target` holding `text`, flushed to disk, with the mode
    the target has (or would get); removed again if anything fails or is interrupted.
    `created(tmp)` is called as soon as it exists, before an interrupt can come."""
    import tempfile  # on the first write, not at start-up

    binary, fd, tmp = _binary(text), None, None
    try:
        with _deferred():  # no interrupt between creating the file and knowing its name
            fd, tmp = tempfile.mkstemp(prefix=".fitcli-", suffix=".tmp",
                                       dir=os.path.dirname(target))
            created(tmp)
        with os.fdopen(fd, "wb" if binary else "w", **_text_args(binary)) as fh:
            fd = None  # closed with fh
            _write(fh, text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(target):
            os.chmod(tmp, os.stat(target).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
    except BaseException:
        if fd is not None:
            os.close(fd)
        if tmp is not None:
            _unlink(tmp)
        raise
    return tmp


def _unlink(tmp: str) -> None:
    with _deferred(resume=False):
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def _text_args(binary: bool) -> dict[str, Any]:
    return {} if binary else {"encoding": "utf-8", "newline": ""}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- the checks before any work ------------------------------------------------------------

def _identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file `path` names (symlinks followed), or None if none."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _stream_identity(fd: int) -> tuple[int, int] | None:
    """(device, inode) of the regular file behind standard input (0) or output (1), if
    it is one."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _key(path: str) -> Any:
    """What makes two output paths the same file: its identity if it exists, else the
    path with every symlink resolved."""
    return _identity(path) or os.path.realpath(path)


def check_outputs(outputs: Sequence[tuple[str, str | None]], inputs: Sequence[str] = (),
                  stdout: bool = False) -> None:
    """Fail before any work if an output of the run cannot be written, or would replace
    one of its inputs, another of its outputs or a file its owner may not write.

    Args:
        outputs: (option, path) of each output; a path of None is not given, "-" is stdout.
        inputs: the paths the run reads ("-": standard input, as the file behind it).
        stdout: the run writes to standard output, which counts as one of its outputs
            when it is redirected to a file.

    Raises:
        OutputError: naming the option and the path.
    """
    inputs = [(source, _stream_identity(0) if source == "-" else _identity(source))
              for source in inputs]
    seen: dict[Any, str] = {}
    if stdout and _stream_identity(1) is not None:
        seen[_stream_identity(1)] = "standard output"
    for option, path in outputs:
        if path is None or path == "-":
            continue
        check_output(path, option)
        mine = _identity(path)
        for source, theirs in inputs:
            if mine is not None and mine == theirs:
                what = "the file on standard input" if source == "-" else (
                    "the input file" if source == path else f"the input file {source}")
                raise OutputError(f"{option} {path}: is {what}; it would be overwritten")
        key = _key(path)
        if key in seen:
            raise OutputError(f"{option} {path}: is also the file of {seen[key]}; give each "
                              "output its own file")
        seen[key] = option


def check_output(path: str, option: str, inputs: tuple[str, ...] = ()) -> None:
    """Fail before any work if `path` cannot be written (an empty name, no such folder, a
    directory, a file without write permission for its owner) or is one of `inputs`.

    Raises:
        OutputError: naming `option` and the path.
    """
    if path == "-":
        return
    if inputs:
        check_outputs([(option, path)], inputs)
        return
    if not path:
        raise OutputError(f"{option} '': needs a file name")
    if os.path.isdir(path):
        raise OutputError(f"{option} {path}: is a directory")
    if _in_place(path):
        if not os.access(path, os.W_OK):
            raise OutputError(f"{option} {path}: permission denied")
        return
    if os.path.exists(path):
        mode = os.stat(path).st_mode
        if not mode & stat.S_IWUSR or not os.access(path, os.W_OK):
            raise OutputError(f"{option} {path}: is read-only (no write permission for its "
                              "owner); it is not replaced")
    folder = os.path.dirname(os.path.realpath(path))
    if not os.path.isdir(folder):
        raise OutputError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {path}: cannot write in folder {folder} (permission denied)")


def _in_place(path: str) -> bool:
    """Outputs written where they are, never renamed over: what is not a regular file
    (/dev/null, a named pipe) and what leads through /proc (/dev/stdout, /proc/self/fd/1),
    since a rename would replace the link or the device itself."""
    p = os.path.abspath(path)
    for _ in range(40):
        p = os.path.join(os.path.realpath(os.path.dirname(p)), os.path.basename(p))
        if p.startswith("/proc/"):
            return True
        if not os.path.islink(p):
            break
        p = os.path.join(os.path.dirname(p), os.readlink(p))
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


# -- writing, and the staging of a run's files -----------------------------------------------

def save(path: str, content: str | bytes, option: str) -> None:
    """write_atomic(), with an OSError turned into a one-line error naming the option;
    inside staged(), the file is only staged (see there).

    Raises:
        OutputError: the write failed; the old file, if any, is untouched.
    """
    try:
        if _staged is None:
            write_atomic(path, content)
        elif _in_place(path):  # a stream: written at the end, with the other files
            _staged.append(("", content, path, option))
        else:
            target = os.path.realpath(path)
            _write_temporary(target, content,
                             lambda tmp: _staged.append((tmp, None, target, option)))
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None


@contextmanager
def staged() -> Iterator[None]:
    """Files saved inside (save()) are written to temporary files and put in place
    together when the block ends without an exception; an exception or an interrupt
    removes the temporary files, and every old file stays.  The renames run with
    interrupts deferred: a run is interrupted before its files are in place, or not."""
    global _staged
    if _staged is not None:  # inside another: its end puts these in place too
        yield
        return
    mine: list = []
    _staged = mine
    try:
        yield
    except BaseException:
        with _deferred(resume=False):
            for tmp, *_ in mine:
                if tmp:
                    _unlink(tmp)
        raise
    finally:
        _staged = None
    _commit(mine)


def _commit(files: list) -> None:
    """Rename the staged files into place (write the streams), interrupts deferred; an
    interrupt that comes meanwhile or later no longer stops the run."""
    with _deferred(resume=False):
        for i, (tmp, content, path, option) in enumerate(files):
            try:
                if tmp:
                    os.replace(tmp, path)
                else:
                    _write_in_place(path, content)
            except BaseException as exc:
                for rest, *_ in files[i + 1 :]:
                    if rest:
                        _unlink(rest)
                if tmp:
                    _unlink(tmp)
                if isinstance(exc, OSError):
                    why = exc.strerror or exc
                    raise OutputError(f"{option} {path}: cannot write ({why})") from None
                raise
        _state["done"] = bool(files)
