"""A CSV file as partitions of whole lines, for the stream and dask engines: each is
parsed on its own by csv_in's engines (the fast one, then the careful line-by-line pass
on anything it refuses), so an error in a late partition names the file and its line
as read_table would.

Planning reads the file once: it finds the header and the separator (csv_in's sniffer),
cuts the body at line ends about every `size` bytes and counts the lines before each cut.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

import numpy as np

from ..errors import DataError
from . import csv_in
from .snapshot import changed, unchanged
from .text_columns import row_lines

PART_BYTES = 64 << 20  # bytes of CSV per partition (about 700,000 camera points)
SCAN = 16 << 20  # bytes read at a time while planning
WHOLE_PART_BYTES = 16 << 20  # read_whole's partitions: what one holds beside the result

HEAD_READ = 1 << 22  # bytes read for a file's header and first rows (a line may be long)


@dataclass(frozen=True)
class CsvPartition:
    """Bytes [start, stop) of a CSV file: whole data lines, the first of them `line`."""

    path: str
    name: str  # the file as messages name it
    layout: object  # csv_in._Layout
    used: tuple  # ((field index, column display name), ...)
    start: int
    stop: int
    line: int
    end_line: int  # the line after the partition's last (counting its newlines)

    def _raw(self) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.start)
                raw = fh.read(self.stop - self.start)
        except OSError as exc:
            raise DataError(f"{self.name}: cannot read ({exc.strerror or exc})") from None
        if len(raw) != self.stop - self.start:
            raise changed(self.name)
        return raw

    def load(self, check: bool = True, into=None):
        """The partition's values (k, m), column-major; raises DataError naming the line
        (text is parsed and checked on every read: `check` changes nothing).  `into` is
        not used: the parser's own array is already the chunk (no copy to save)."""
        from ..core.engines.base import Chunk

        raw = self._raw()
        values = _parse(self, raw)
        table = csv_in.Table(self.name, tuple(label for _, label in self.used), values.T,
                             True, self.layout.delimiter,
                             _lines=lambda: self.lines(raw, values.shape[1]))
        csv_in._check_magnitude(table, tiny=False)
        return Chunk(values, 0)

    def lines(self, raw: bytes | None = None, n: int | None = None) -> np.ndarray:
        """The input line (m,) of each of the partition's rows."""
        raw = self._raw() if raw is None else raw
        n = _parse(self, raw).shape[1] if n is None else n
        found = row_lines(raw, 0, self.line, n)
        if found is None:  # comment lines: only the careful pass knows the lines
            body = _decode(self, raw)
            found = csv_in._careful_parse(self.name, body, self._careful_layout(), self.used)[2]()
        return found

    def _careful_layout(self):
        return replace(self.layout, body_line=self.line)


def _decode(part: CsvPartition, raw: bytes) -> str:
    if b"\x00" in raw:
        line = part.line + raw.count(b"\n", 0, raw.index(b"\x00"))
        raise DataError(f"{part.name}, line {line}: not a text file (it contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = part.line + raw.count(b"\n", 0, exc.start)
        raise DataError(f"{part.name}, line {line}: not UTF-8 text "
                        f"(byte 0x{raw[exc.start]:02x})") from None


def _parse(part: CsvPartition, raw: bytes) -> np.ndarray:
    """values (k, m): the fast engine if it takes the bytes and every value is finite,
    else the careful pass, which names the first bad field by its line."""
    usecols = [j for j, _ in part.used]
    if raw.find(b"#") < 0 and not csv_in._lone_cr(raw, 0) and not raw.isspace():
        parsed = csv_in._fast_parse(memoryview(raw), part.layout, usecols, [])
        if parsed is not None and (not len(parsed[0]) or np.all(np.isfinite(parsed[0]))):
            return np.ascontiguousarray(parsed[0].T)
    body = _decode(part, raw)
    values = csv_in._careful_parse(part.name, body, part._careful_layout(), part.used)[0]
    return np.ascontiguousarray(values.T)


def csv_partitions(path: str, columns, *, model: str, rename=None, optional=(),
                   size: int = PART_BYTES):
    """(the partitions of a CSV file, the display names of the columns used, the
    model's columns present).

    Raises:
        DataError: unreadable file, no header match, as read_table.
    """
    name = path
    try:
        total = os.path.getsize(path)
        with open(path, "rb") as fh:  # room for a first line longer than HEAD_BYTES
            head_raw = fh.read(HEAD_READ + 1)
    except OSError:
        csv_in.read_bytes(path)  # raises the reader's own message
        raise
    bom = 3 if head_raw[:3] == b"\xef\xbb\xbf" else 0
    head = csv_in._head(name, head_raw, bom)
    layout = csv_in._sniff(name, head)
    used, present = csv_in._select(name, layout, list(columns), model, rename, list(optional))
    start = bom + len(head[: layout.body_offset].encode())
    cuts = _cuts(path, start, total, size, layout.body_line)
    parts = [CsvPartition(path, name, layout, tuple(used), a, b, line, end)
             for (a, line), (b, end) in zip(cuts, cuts[1:])]
    return parts, tuple(label for _, label in used), present


def read_whole(path: str, columns, *, model: str, rename=None, optional=(),
               categories=(), text_columns=()) -> "csv_in.Table":
    """read_table() of a large file, partition by partition straight into the
    column-major array the kernels read: no map of the whole file, no second copy of
    the values (the memory engine's read of a file larger than BLOCKED_MIN_BYTES).

    Raises:
        DataError: as read_table, naming the file, line and column.
    """
    before = os.stat(path)
    parts, labels, present = csv_partitions(path, columns, model=model, rename=rename,
                                            optional=optional, size=WHOLE_PART_BYTES)
    rows = sum(p.end_line - p.line + 1 for p in parts)  # at most (a last line without newline)
    out, at = np.empty((len(labels), rows)), 0
    for part in parts:
        values = part.load().values
        out[:, at : at + values.shape[1]] = values
        at += values.shape[1]
    if not unchanged(before, os.stat(path)):  # rewritten, cut or grown meanwhile
        raise changed(path)
    if not at:
        header = parts[0].layout.header if parts else True
        raise DataError(f"{path}: no data rows" + (" after the header" if header else ""))
    if at < out.shape[1]:  # blank lines (or none after the last line): fewer rows
        out = _compact(out, at)
    layout = parts[0].layout
    table = csv_in.Table(path, tuple(present), out.T, layout.header is not None,
                         layout.delimiter, {}, lambda: np.concatenate([p.lines() for p in parts]))
    csv_in._check_magnitude(table, categories)
    return table


def _newlines(block: bytes, start: int, stop: int) -> int:
    """The newlines in block[start:stop] (numpy's count: a few times bytes.count's pace)."""
    return int(np.count_nonzero(np.frombuffer(block, np.uint8, stop - start, start) == 10))


def _compact(out: np.ndarray, n: int) -> np.ndarray:
    """out[:, :n] as a contiguous array, moved within out's own memory (no copy of the
    values: each row moves left, over the unused tail of the one before)."""
    flat = out.reshape(-1)
    for j in range(1, out.shape[0]):
        flat[j * n : (j + 1) * n] = out[j, :n]  # moves left: overlap is safe row by row
    return flat[: out.shape[0] * n].reshape(out.shape[0], n)


def _cuts(path: str, start: int, total: int, size: int, first_line: int):
    """[(offset, line number)]: the body's start, a line end about every `size` bytes,
    and the end; counting the newlines read on the way."""
    cuts, line, pos = [(start, first_line)], first_line, start
    with open(path, "rb") as fh:
        fh.seek(start)
        target = start + size
        while pos < total:
            block = fh.read(SCAN)
            if not block:
                break
            at = 0
            while target < pos + len(block):
                nl = block.find(b"\n", max(at, target - pos))
                if nl < 0:
                    break
                line += _newlines(block, at, nl + 1)
                at = nl + 1
                cuts.append((pos + at, line))
                target = pos + at + size
            line += _newlines(block, at, len(block))
            pos += len(block)
    if cuts[-1][0] < total:
        cuts.append((total, line))
    return cuts


__all__ = ["CsvPartition", "PART_BYTES", "csv_partitions"]
