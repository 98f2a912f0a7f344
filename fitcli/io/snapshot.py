"""A file's bytes, read once, that nothing can change while fitcli reads them.

A large file is memory-mapped (the fast CSV engines parse it in place, and it costs no
memory of its own), under a read lease (Linux's F_SETLEASE): a process that opens the
file for writing, or truncates it, waits until fitcli has copied the bytes and let the
file go, so the map never shrinks under a reader (which would kill it with SIGBUS).
Where a lease cannot be had (another user's file, a file open for writing, a file
system or platform without leases) and for small files, the file is read into memory,
and refused if it changed while it was read.
"""

from __future__ import annotations

import mmap
import os
import signal
import stat
import sys
import threading
import weakref
from contextlib import contextmanager
from typing import Iterator

from ..errors import DataError

POPULATE = getattr(mmap, "MAP_POPULATE", 0)  # Linux: the pages mapped in one call
F_SETLEASE = 1024 if sys.platform.startswith("linux") else None  # fcntl.h
_LEASED: "weakref.WeakSet[Snapshot]" = weakref.WeakSet()
_HANDLER = [False]  # the lease-break handler is installed


class Snapshot:
    """The bytes of one input: read them inside `with snapshot.reading() as raw:`."""

    def __init__(self, name: str, data: bytes | None = None, fh=None, mapped=None):
        self.name, self._data, self._fh, self._map = name, data, fh, mapped
        self._readers, self._wanted = 0, False

    @property
    def mapped(self) -> bool:
        """Whether the bytes are a map of the file (not a copy in memory)."""
        return self._map is not None

    @contextmanager
    def reading(self) -> Iterator[bytes | mmap.mmap]:
        """The bytes, which stay valid inside the block: a writer that wants the file
        meanwhile waits until the block ends."""
        self._readers += 1
        try:
            yield self._map if self._map is not None else self._data
        finally:
            self._readers -= 1
            if self._wanted and not self._readers:
                self.release()

    def release(self) -> None:
        """Copy a mapped file's bytes and let the file go (end the lease, unmap)."""
        if self._map is None:
            return
        if self._readers:
            self._wanted = True  # at the end of the read
            return
        self._data, mapped, fh = bytes(self._map), self._map, self._fh
        self._map = self._fh = None
        _LEASED.discard(self)
        try:
            import fcntl

            fcntl.fcntl(fh.fileno(), F_SETLEASE, fcntl.F_UNLCK)
        except OSError:
            pass
        try:
            mapped.close()
        except BufferError:  # a view of it still exists; the lease is gone all the same
            pass
        fh.close()

    def __del__(self):
        if self._fh is not None:
            try:
                self._fh.close()  # ends the lease with the file
            except Exception:  # noqa: BLE001  (at interpreter exit)
                pass


def _on_lease_break(signum, frame) -> None:
    for held in list(_LEASED):
        held.release()


def _leased_map(fh, size: int):
    """A read-only map of the open file `fh` under a read lease, or None if either
    cannot be had."""
    if F_SETLEASE is None or threading.current_thread() is not threading.main_thread():
        return None
    import fcntl

    if not _HANDLER[0]:
        if signal.getsignal(signal.SIGIO) not in (signal.SIG_DFL, None):
            return None  # someone else's SIGIO: leave it alone
        signal.signal(signal.SIGIO, _on_lease_break)
        _HANDLER[0] = True
    try:
        fcntl.fcntl(fh.fileno(), F_SETLEASE, fcntl.F_RDLCK)
    except OSError:  # not the owner, open for writing elsewhere, no lease on this file system
        return None
    try:
        if POPULATE:
            return mmap.mmap(fh.fileno(), size, flags=mmap.MAP_SHARED | POPULATE,
                             prot=mmap.PROT_READ)
        return mmap.mmap(fh.fileno(), size, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        fcntl.fcntl(fh.fileno(), F_SETLEASE, fcntl.F_UNLCK)
        return None


def load(source: str, map_from: int) -> Snapshot:
    """The bytes of `source` (a path, or "-" for standard input); a regular file of at
    least `map_from` bytes is mapped under a lease where it can be.

    Raises:
        DataError: no such file, a directory, no permission, closed standard input, or
            a file that changed while it was read.
    """
    if source == "-":
        return Snapshot("<stdin>", _read_stdin())
    try:
        fh = open(source, "rb")
    except FileNotFoundError:
        raise DataError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{source}: is a directory, not a CSV file") from None
    except PermissionError:
        raise DataError(f"{source}: permission denied") from None
    except OSError as exc:
        raise DataError(f"{source}: cannot read ({exc.strerror or exc})") from None
    try:
        before = os.fstat(fh.fileno())
        if before.st_size >= map_from:
            mapped = _leased_map(fh, before.st_size)
            if mapped is not None:
                snapshot = Snapshot(source, fh=fh, mapped=mapped)
                _LEASED.add(snapshot)
                fh = None  # the snapshot holds it (and with it the lease)
                return snapshot
        return Snapshot(source, _read_unchanged(source, fh, before))
    finally:
        if fh is not None:
            fh.close()


def _read_unchanged(source: str, fh, before: os.stat_result) -> bytes:
    try:
        data = fh.read()
        after = os.fstat(fh.fileno())
    except IsADirectoryError:
        raise DataError(f"{source}: is a directory, not a CSV file") from None
    except OSError as exc:
        raise DataError(f"{source}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(before.st_mode):  # a pipe or a device: read as it comes
        return data
    if not unchanged(before, after) or len(data) != after.st_size:
        raise changed(source)
    return data


def unchanged(before: os.stat_result, after: os.stat_result) -> bool:
    """Whether two stats of a file show the same content (inode, size, modification)."""
    return (before.st_ino, before.st_size, before.st_mtime_ns) == \
        (after.st_ino, after.st_size, after.st_mtime_ns)


def changed(source: str) -> DataError:
    return DataError(f"{source}: the file changed while it was read (is it still being "
                     "written?); read it again when it is complete")


def _read_stdin() -> bytes:
    stream = sys.stdin
    if stream is None:
        raise DataError("<stdin>: standard input is closed: there is nothing to read")
    try:
        return stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()
    except OSError as exc:
        raise DataError(f"<stdin>: cannot read ({exc.strerror or exc})") from None
