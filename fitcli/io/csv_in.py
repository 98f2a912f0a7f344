"""CSV (a path or "-") -> Table, with file, line and column in every message.

Accepted: an optional header row (columns then found by name, case-insensitive, extra
columns ignored; without one, by position), comma, semicolon, tab or whitespace
separators, a UTF-8 byte-order mark, CRLF line ends, blank lines and '#' comments.

Large files are memory-mapped (not copied into memory; io.snapshot keeps the map valid
while another process rewrites the file) and go through a fast engine (pyarrow if
installed, else numpy.loadtxt); if it refuses the file, or the numbers are not all
finite, or a zero may be a number that underflowed, a careful line-by-line pass finds
the first bad field and names it.  That pass is also the parser of last resort, so the
result never depends on which engine ran.  Numbers are ASCII decimals as CSV writers
write them (optionally in double quotes); digit separators (1_000) and other scripts'
digits are refused, as are values that overflow or underflow double precision.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Callable, Sequence

import numpy as np

from ..errors import DataError
from .arrow import float_values
from .snapshot import Snapshot, load
from .text_columns import arrow_text, encode_tokens, row_lines, unquote

FAST_MIN_BYTES = 1 << 16  # below this the careful pass is fast enough on its own
HEAD_BYTES = 1 << 16  # what the sniffer reads to find the separator and the header
MAX_MAGNITUDE = 1e75  # |value| at and above which fourth powers overflow float64
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
# What may have underflowed to 0 (its value below ~2.5e-324): an exponent of -100 or
# below, or twenty zeros in a row; a fast parse with a zero in it and one of these in
# the file goes to the careful pass, which tells a 0 from an underflow.
MAY_UNDERFLOW = re.compile(rb"[eE]-0*[1-9][0-9][0-9]|0{20}")


@dataclass(frozen=True)
class Table:
    """Columns of finite float64 values, in the order they were asked for.

    A column read as text (see read_table's text_columns) that is not all numbers holds
    level indices 0, 1, ... into `levels[name]`, its sorted distinct values.
    """

    source: str
    names: tuple[str, ...]
    values: np.ndarray  # (n, len(names))
    header: bool
    delimiter: str | None
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _lines: Callable[[], np.ndarray | None] | None = field(default=None, repr=False, compare=False)

    @property
    def n_rows(self) -> int:
        return len(self.values)

    def column(self, name: str) -> np.ndarray:
        return self.values[:, self.names.index(name)]

    @property
    def knows_lines(self) -> bool:
        """Whether line_numbers() can say where rows came from (it costs a pass)."""
        return self._lines is not None

    def line_numbers(self) -> np.ndarray | None:
        """1-based input line (n_rows,) of each row, or None if unknown."""
        return self._lines() if self._lines is not None else None


@dataclass(frozen=True)
class _Layout:
    delimiter: str | None
    header: tuple[str, ...] | None  # file's column names, as written
    n_fields: int
    body_offset: int  # character offset of the first data line
    body_line: int  # its 1-based line number


def read_bytes(source: str) -> tuple[str, bytes]:
    """(display name, content) of a path, or of standard input for "-"."""
    snapshot = load(source, map_from=1 << 62)  # never mapped: a copy
    with snapshot.reading() as raw:
        return snapshot.name, raw


def decode(name: str, raw: bytes) -> str:
    """UTF-8 text without a byte-order mark; binary content is refused."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw[: 1 << 20]:
        raise DataError(f"{name}: not a text file (it contains NUL bytes)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{name}, line {line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None


def read_table(
    source: str,
    columns: Sequence[str],
    *,
    model: str,
    rename: Sequence[str] | None = None,
    optional: Sequence[str] = (),
    text_columns: Sequence[str] = (),
    categories: Sequence[str] = (),
    decimal: str = ".",
) -> Table:
    """Read the columns `columns` (model order) of a CSV file.

    Args:
        source: a path, or "-" for standard input.
        columns: the model's column names, inputs then targets.
        model: the command's name, for messages.
        rename: the user's --columns: file column names (or 1-based positions) to use
            for `columns`, in the same order.
        optional: trailing names of `columns` that may be absent (e.g. targets in predict).
        text_columns: names of `columns` that may hold text (class labels); see Table.
        categories: names of `columns` holding class labels as numbers (text_columns are
            categories too): not held to the coordinates' range.
        decimal: "," reads decimal commas (see decimal_points).

    Raises:
        DataError: unreadable, unparsable or non-finite input, with file, line, column.
    """
    snapshot = load(source, map_from=FAST_MIN_BYTES)
    with snapshot.reading() as raw:
        if decimal == ",":
            raw = decimal_points(snapshot.name, raw)
        table, largest = _parse(snapshot, raw, list(columns), model, rename, list(optional),
                                text_columns)
    _check_magnitude(table, (*text_columns, *categories), largest)
    return table


def _parse(snapshot: Snapshot, raw, columns, model, rename, optional, text_columns):
    """(the Table of the bytes `raw` of `snapshot`, max |value| per column or None)."""
    name = snapshot.name
    bom = 3 if raw[:3] == b"\xef\xbb\xbf" else 0
    head = _head(name, raw, bom)
    layout = _sniff(name, head)
    used, wanted = _select(name, layout, columns, model, rename, optional)
    start = bom + len(head[: layout.body_offset].encode())
    text = [i for i, c in enumerate(wanted) if c in text_columns]
    parsed, largest = None, None
    # A '#' starts a comment for the careful pass; where pyarrow parses every field as a
    # number it refuses one anyway, so the file need not be searched for it.
    numbers_only = not text and len(used) == layout.n_fields and _arrow_reads(layout)
    if len(raw) - start >= FAST_MIN_BYTES and (numbers_only or raw.find(b"#", start) < 0) \
            and not _lone_cr(raw, start):
        parsed = _fast_parse(memoryview(raw)[start:], layout, [j for j, _ in used], text)
        if parsed is not None and len(parsed[0]):
            largest = _largest(parsed[0])
            if not np.all(np.isfinite(largest)):  # NaN or inf: the careful pass names it
                parsed = None
            elif _zero_may_underflow(parsed[0], raw, start, text):
                parsed = None
        if parsed is not None:
            n = len(parsed[0])
            parsed = (*parsed, cache(lambda: _row_lines(snapshot, start, layout.body_line, n)))
    if parsed is None:
        body = decode(name, bytes(raw))[layout.body_offset :]
        parsed, largest = _careful_parse(name, body, layout, used, text), None
    values, levels, lines = parsed
    if len(values) == 0:
        raise DataError(f"{name}: no data rows" + (" after the header" if layout.header else ""))
    levels = {wanted[i]: v for i, v in levels.items()}
    table = Table(name, tuple(wanted), values, layout.header is not None, layout.delimiter,
                  levels, lines)
    return table, largest


def _row_lines(snapshot: Snapshot, start: int, first_line: int, n_rows: int):
    with snapshot.reading() as raw:
        return row_lines(raw, start, first_line, n_rows)


def _zero_may_underflow(values: np.ndarray, raw, start: int, text: list[int]) -> bool:
    """Whether a 0 among the numbers (not the text columns) of a fast parse may be a
    number written too small for double precision, which the careful pass refuses."""
    # column by column: values[:, numeric] == 0 would copy the table and a mask of it
    if all(np.all(values[:, j]) for j in range(values.shape[1]) if j not in text):
        return False  # no zero (NaN counts as nonzero: refused elsewhere)
    return MAY_UNDERFLOW.search(raw, start) is not None


def _largest(values: np.ndarray) -> np.ndarray:
    """max |value| of each column (NaN where a column holds one): two passes, no copy."""
    return np.maximum(values.max(axis=0), -values.min(axis=0))


def _check_magnitude(table: Table, labels: Sequence[str] = (),
                     largest: np.ndarray | None = None, tiny: bool = True) -> None:
    """Refuse columns whose powers leave float64: the fits, their normalisations and
    standard errors take up to fourth powers of coordinates, so a column's values must
    stay below MAX_MAGNITUDE (1e75), and its largest must not be a nonzero below 1e-75.
    Label columns are categories, not coordinates: they are not checked.  `largest`:
    _largest(table.values), when the caller has it."""
    values = table.values
    if not len(values):
        return
    checked = [j for j, name in enumerate(table.names) if name not in labels]  # categories
    largest = _largest(values) if largest is None else largest
    big = [j for j in checked if largest[j] >= MAX_MAGNITUDE]
    if big:
        col = big[0]
        row = int(np.argmax(np.abs(values[:, col]) >= MAX_MAGNITUDE))
        lines = table.line_numbers()
        where = f", line {lines[row]}" if lines is not None else ""
        raise DataError(
            f"{table.source}{where}, column '{table.names[col]}': {values[row, col]:.6g} "
            f"is too large to fit (powers of values beyond {MAX_MAGNITUDE:.0e} overflow double "
            "precision); rescale the column"
        )
    small = [j for j in checked if 0 < largest[j] < 1.0 / MAX_MAGNITUDE] if tiny else []
    if small:  # a part of a file (io.csv_chunks) leaves this to the whole
        col = small[0]
        raise DataError(
            f"{table.source}, column '{table.names[col]}': every value is below "
            f"{1.0 / MAX_MAGNITUDE:.0e} in size (the largest is {largest[col]:.6g}), where powers "
            "of them underflow double precision; rescale the column"
        )


def _lone_cr(raw: bytes, start: int) -> bool:
    """A carriage return in raw[start:] that is not part of a CRLF: the fast engines end a
    line there and the careful pass does not, so such a file goes to the careful pass."""
    first = raw.find(b"\r", start)
    if first < 0:
        return False
    buf = np.frombuffer(raw, dtype=np.uint8)[first:]
    return bool(buf[-1] == 13 or np.any((buf[:-1] == 13) & (buf[1:] != 10)))


def _head(name: str, raw, bom: int, size: int = HEAD_BYTES) -> str:
    """The text of the first whole lines of raw[bom:] for sniffing: at least `size`
    bytes' worth, and enough to hold the first two lines that are not blank or comments
    (a header row may be longer than `size`); all of a small file."""
    while True:
        part = raw[bom : bom + size + 1]
        if len(part) <= size:
            return decode(name, bytes(part))
        cut = part.rfind(b"\n", 0, size) + 1
        try:
            text = part[:cut].decode("utf-8")
        except UnicodeDecodeError:
            return decode(name, bytes(raw[bom:]))  # raises with the line of the bad byte
        if cut and _content_lines(text, 2):
            return text
        size *= 4


def _content_lines(text: str, count: int) -> bool:
    """Whether `text` has `count` lines that are not blank or comments."""
    found = 0
    for *_, line in _lines(text):
        found += not _skip(line)
        if found >= count:
            return True
    return False


def _lines(text: str, start: int = 0):
    """(line number, offset, line) without the newline, from character offset `start`."""
    number, pos, end = 1 + text.count("\n", 0, start), start, len(text)
    while pos < end:
        nl = text.find("\n", pos)
        stop = end if nl < 0 else nl
        yield number, pos, text[pos:stop].rstrip("\r")
        number, pos = number + 1, stop + 1


def _skip(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _split(line: str, delimiter: str | None) -> list[str]:
    return [f.strip() for f in line.split(delimiter)] if delimiter else line.split()


def _is_number(token: str) -> bool:
    """Whether a field of the first line reads as a number (so the line is data, not a
    header); a field that only looks like one is refused later by its line and column."""
    try:
        float(token[1:-1] if len(token) >= 2 and token[0] == token[-1] == '"' else token)
    except ValueError:
        return False
    return True


def _sniff(name: str, text: str) -> _Layout:
    """Find the separator, the header row (if any) and where the data starts."""
    lines = ((n, off, line) for n, off, line in _lines(text) if not _skip(line))
    first = next(lines, None)
    if first is None:
        raise DataError(f"{name}: the file is empty" + (" (only comments)" if text.strip() else ""))
    number, offset, line = first
    delimiter = next((d for d in (",", ";", "\t") if d in line), None)
    fields = _split(line, delimiter)
    if all(_is_number(f) for f in fields):
        return _Layout(delimiter, None, len(fields), offset, number)
    header = tuple(f.strip().strip('"').strip("'") for f in fields)
    nxt = next(lines, None)
    if nxt is None:
        raise DataError(f"{name}: has a header row but no data rows")
    return _Layout(delimiter, header, len(header), nxt[1], nxt[0])


def _select(name, layout, columns, model, rename, optional):
    """[(field index, display name)] of the columns to read, and the names present."""
    if rename is not None and len(rename) != len(columns):
        raise DataError(
            f"--columns needs {len(columns)} names ({', '.join(columns)}); got {len(rename)}"
        )
    targets = rename if rename is not None else columns
    if layout.header is None:
        return _select_by_position(name, layout, columns, rename, optional)
    lower = [h.lower() for h in layout.header]
    for j, h in enumerate(lower):
        if h and h in lower[:j]:
            raise DataError(
                f"{name}: column name '{_shown(layout.header[j])}' appears twice "
                f"(columns {lower.index(h) + 1} and {j + 1})"
            )
    found = {c: lower.index(t.lower()) for c, t in zip(columns, targets) if t.lower() in lower}
    absent = [c for c in columns if c not in found]
    if absent and absent != list(optional):
        missing = [t for c, t in zip(columns, targets) if c not in found]
        if rename is not None:
            raise DataError(f"{name}: --columns names {', '.join(missing)}, not in the header; "
                            f"{_has(layout.header)}")
        raise DataError(
            f"{name}: {model} needs columns {', '.join(columns)}; missing: {', '.join(missing)}; "
            f"{_has(layout.header)}{_hint(name, layout.header, columns, model)}"
        )
    present = [c for c in columns if c in found]
    return [(found[c], layout.header[found[c]]) for c in present], present


def _has(header) -> str:
    shown = [h for h in header[:12] if h] + (["..."] if len(header) > 12 else [])
    return f"the file has {len(header)} column{'s' if len(header) != 1 else ''}: {', '.join(shown)}"


def _hint(name: str, header, columns, model: str) -> str:
    """What to do about missing columns: "; it looks like ratio2d's input (fitcli ratio2d
    FILE)" when another model finds all its columns and more of the file's than this one
    does, or "; --columns names ..." when the file has enough columns, or nothing."""
    from ..core.models import CARDS  # the cards only: no numpy

    lower = {h.lower() for h in header}
    found = sum(c.lower() in lower for c in columns)
    for card in CARDS.values():
        wanted = {c.lower() for c in card.columns}
        if card.name not in model and wanted <= lower and len(wanted) > found:
            source = "-" if name == "<stdin>" else name
            return f"; it looks like {card.name}'s input" + (
                f" (fitcli {card.name} {source})" if model in CARDS else "")
    if len(header) < len(columns):
        return ""
    example = ",".join(header[: len(columns)])
    return (f"; --columns names the file's columns to use, in the order {', '.join(columns)} "
            f"(e.g. --columns {example})")


def _select_by_position(name, layout, columns, rename, optional):
    if rename is not None:
        try:
            index = [int(r) - 1 for r in rename]
        except ValueError:
            raise DataError(f"{name}: has no header row, so --columns must be positions (1, 2, ...)") from None
        bad = [i + 1 for i in index if not 0 <= i < layout.n_fields]
        if bad:
            raise DataError(f"{name}: --columns position {bad[0]} is not in 1..{layout.n_fields}")
        return [(j, f"{j + 1} ({c})") for j, c in zip(index, columns)], list(columns)
    required = columns[: len(columns) - len(optional)]
    for wanted in (columns, required) if optional else (columns,):
        if layout.n_fields == len(wanted):
            return [(j, f"{j + 1} ({c})") for j, c in enumerate(wanted)], list(wanted)
    raise DataError(
        f"{name}, line {layout.body_line}: expected {len(columns)} fields "
        f"({', '.join(columns)}) and found {layout.n_fields}, with no header row "
        "(add a header row naming the columns, or use --columns)"
    )


def _arrow_reads(layout: _Layout) -> bool:
    """Whether the fast pass is pyarrow's (installed, and a delimiter it can split on)."""
    if layout.delimiter is None:
        return False
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _fast_parse(body: memoryview, layout: _Layout, usecols: list[int], text: list[int]):
    """(values, levels) of the whole body at C speed, or None if the engine refuses it
    (the careful pass then finds and names the problem).  `text`: positions in usecols
    of the columns that may hold text; levels maps such a position to its levels."""
    if _arrow_reads(layout):
        return _arrow(body, layout, usecols, text)
    return _loadtxt(body, layout, usecols, text)


def _arrow(body: memoryview, layout: _Layout, usecols: list[int], text: list[int] = ()):
    import pyarrow as pa
    import pyarrow.csv as pv

    names = [f"f{j}" for j in range(layout.n_fields)]
    try:
        table = pv.read_csv(
            pa.BufferReader(pa.py_buffer(body)),
            read_options=pv.ReadOptions(column_names=names),
            parse_options=pv.ParseOptions(delimiter=layout.delimiter),
            convert_options=pv.ConvertOptions(
                include_columns=[names[j] for j in usecols],
                column_types={names[j]: pa.string() if i in text else pa.float64()
                              for i, j in enumerate(usecols)},
            ),
        )
    except pa.ArrowException:
        return None
    out, levels = np.empty((len(usecols), table.num_rows)), {}  # column-major
    for j in range(len(usecols)):
        column, pos = table.column(j), 0
        if column.null_count:
            return None
        if j in text:
            decoded = arrow_text(column)
            if decoded is None:
                return None
            out[j], found = decoded
            levels.update({j: found} if found else {})
            continue
        for chunk in column.chunks:  # the values buffer as is
            out[j, pos : pos + len(chunk)] = float_values(chunk)
            pos += len(chunk)
    return out.T, levels


def _loadtxt(body: memoryview, layout: _Layout, usecols: list[int], text: list[int] = ()):
    """Numbers only: a text column that is not all numbers goes to the careful pass.
    Every field is read, so that a row with more fields than the header is refused (with
    usecols, loadtxt would ignore them); a file with text in a column not used goes to
    the careful pass too, which is rarer than it is slow."""
    try:
        stream = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8")
        values = np.loadtxt(stream, delimiter=layout.delimiter, ndmin=2, dtype=float)
    except (ValueError, UnicodeDecodeError):
        return None
    if values.shape[1] != layout.n_fields:
        return None
    return (values if usecols == list(range(layout.n_fields)) else values[:, usecols]), {}


def _careful_parse(name: str, body: str, layout: _Layout, used, text: list[int] = ()):
    """Line by line; raises at the first bad field with its line and column.

    Returns:
        (values (n, len(used)), levels of the text columns, line numbers (n,) as a callable).
    """
    rows, numbers, tokens = [], [], {i: [] for i in text}
    for number, _, line in _lines(body):
        if _skip(line):
            continue
        fields = _split(line, layout.delimiter)
        line_number = number + layout.body_line - 1
        if len(fields) != layout.n_fields:
            raise DataError(
                f"{name}, line {line_number}: expected {layout.n_fields} fields, got {len(fields)}"
            )
        rows.append([0.0 if i in tokens else _number(name, line_number, label, fields[j])
                     for i, (j, label) in enumerate(used)])
        for i, found in tokens.items():
            found.append(_token(name, line_number, used[i][1], fields[used[i][0]]))
        numbers.append(line_number)
    values, levels = np.array(rows, dtype=float).reshape(len(rows), len(used)), {}
    for i, found in tokens.items():
        if found:
            values[:, i], level = encode_tokens(found)
            levels.update({i: level} if level else {})
    lines = np.array(numbers, dtype=np.int64)
    return values, levels, lambda: lines


def _token(name: str, line: int, column: str, token: str) -> str:
    token = unquote(token)
    if not token:
        raise DataError(f"{name}, line {line}, column '{_shown(column)}': empty field, "
                        "expected a value")
    return token


def _shown(token: str, limit: int = 40) -> str:
    """A field as a message quotes it: cut to `limit` characters."""
    return token if len(token) <= limit else token[: limit - 3] + "..."


def _number(name: str, line: int, column: str, token: str) -> float:
    where = f"{name}, line {line}, column '{_shown(column)}'"
    if len(token) >= 2 and token[0] == token[-1] == '"':  # a quoted number, as pyarrow reads it
        token = token[1:-1].strip()
    if not token:
        raise DataError(f"{where}: empty field, expected a number")
    if NUMBER.fullmatch(token) is None:
        if token.lstrip("+-").lower() in ("nan", "inf", "infinity"):
            raise DataError(f"{where}: '{token}' is not a finite number")
        raise DataError(f"{where}: expected a number, got '{_shown(token)}'")
    value = float(token)
    if not math.isfinite(value):
        raise DataError(f"{where}: '{_shown(token)}' overflows double precision (max ~1.8e308)")
    if value == 0.0 and any(c in "123456789" for c in token.split("e")[0].split("E")[0]):
        raise DataError(f"{where}: '{_shown(token)}' underflows double precision (it is not 0, "
                        "and the smallest is ~4.9e-324)")
    return value


# -- decimal commas (--decimal ,) ---------------------------------------------------------

def decimal_points(name: str, raw: bytes) -> bytes:
    """The file with its decimal commas as points (1,5 -> 1.5); its fields must be
    separated by semicolons, tabs or spaces, since every comma is read as a decimal
    point.

    Raises:
        DataError: the first data or header line separates its fields by commas.
    """
    text = bytes(raw[:HEAD_BYTES])
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(b"#"):
            if b"," in stripped and not any(d in stripped for d in (b";", b"\t", b" ")):
                raise DataError(f"{name}: --decimal , reads every comma as a decimal point, but "
                                "this file separates its fields by commas")
            break
    return bytes(raw).replace(b",", b".")


def decimal_hint(message: str) -> str:
    """A hint for a number written with a decimal comma ("got '1,5'"), or ""."""
    import re

    if re.search(r"got '[-+]?\d*,\d+(?:[eE][-+]?\d+)?'", message):
        return "; the file seems to write decimal commas: --decimal , reads them"
    return ""
