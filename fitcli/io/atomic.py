"""Atomic writes, and the checks an output path passes before any work is done."""

from __future__ import annotations

import os
import stat
import tempfile
from typing import Any

from ..errors import OutputError


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


def write_atomic(path: str, text) -> None:
    """Write `text` (str as UTF-8, bytes, or an iterable of str pieces) to `path` through
    a temporary file in the same folder and a rename: readers see the old file or the
    new one, never a part; on failure the old file stays.  A symlink is followed (the
    link stays); a stream or device is written in place."""
    binary = isinstance(text, (bytes, Binary))
    if _in_place(path):
        with open(path, "ab" if binary else "a", **_text_args(binary)) as fh:
            _write(fh, text)
        return
    path = os.path.realpath(path)
    folder = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".fitcli-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", **_text_args(binary)) as fh:
            _write(fh, text)
            fh.flush()
            os.fsync(fh.fileno())
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _text_args(binary: bool) -> dict[str, Any]:
    return {} if binary else {"encoding": "utf-8", "newline": ""}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(path: str, option: str, inputs: tuple[str, ...] = ()) -> None:
    """Fail before any work if `path` cannot be written (no such folder, a directory)
    or is one of the `inputs`.

    Raises:
        OutputError: naming `option` and the path.
    """
    if path == "-":
        return
    for source in inputs:
        if source != "-" and os.path.exists(source) and os.path.exists(path) \
                and os.path.samefile(source, path):
            raise OutputError(f"{option} {path}: is the input file; it would be overwritten")
    if os.path.isdir(path):
        raise OutputError(f"{option} {path}: is a directory")
    if _in_place(path):
        if not os.access(path, os.W_OK):
            raise OutputError(f"{option} {path}: permission denied")
        return
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


def save(path: str, content: str | bytes, option: str) -> None:
    """write_atomic(), with an OSError turned into a one-line error naming the option.

    Raises:
        OutputError: the write failed; the old file, if any, is untouched.
    """
    try:
        write_atomic(path, content)
    except OSError as exc:
        raise OutputError(f"{option} {path}: cannot write ({exc.strerror or exc})") from None
