"""`fitcli convert IN.csv OUT.parquet`: parse a CSV file once, with the careful reader
(every error named by line and column, as a fit would), and write its columns as
Parquet in row groups of about a million rows: the input the stream and dask engines
read fastest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import typer

from ..errors import DataError, UsageError
from ..report import console
from .options import argument, column_list, command, learn, option
from .shared import reported_errors

DOC = """Convert a CSV file of points to Parquet (row groups of --row-group rows).

    Every column of the header is written, as float64 (or the columns --columns names);
    the CSV is read as a fit reads it, so an error names its line and column.  The
    Parquet file is read by every command that reads CSV, and fastest by --engine stream
    and dask, whose partitions are its row groups.
    """


@dataclass(frozen=True)
class ConvertOptions:
    """The options of `fitcli convert`."""

    input: str = argument("IN.csv", "CSV file of points (with a header row); - reads standard input.")
    output: str = argument("OUT.parquet", "The Parquet file to write (atomically).")
    columns: Optional[str] = option(
        None, metavar="NAMES", show_default=False,
        help="Comma-separated columns to keep (names; positions for a file without a "
        "header row, which then also name the columns) [default: every column].")
    row_group: int = option(1_000_000, "--row-group", min=1, help="Rows per row group.")
    quiet: bool = option(False, "--quiet", "-q", help="No note on stderr of what was written.")

    def validate(self) -> "ConvertOptions":
        from ..io.atomic import check_output

        if self.output == "-":
            raise UsageError("OUT.parquet must be a file: Parquet is not written to stdout")
        check_output(self.output, "OUT.parquet", (self.input,))
        return self


learn(ConvertOptions)


def register(app: typer.Typer, cards) -> None:
    function = command(ConvertOptions, lambda **v: convert(ConvertOptions(**v)), DOC,
                       name="convert")
    app.command("convert", short_help="Convert a CSV file of points to Parquet")(function)


def convert(o: ConvertOptions) -> None:
    with reported_errors():
        o = o.validate()
        from ..io.parquet_out import write_parquet
        from ..io.points import read_points

        names = _names(o.input, column_list(o.columns))
        table = read_points(o.input, names, model="convert")
        write_parquet(o.output, table.names, table.values, "OUT.parquet", o.row_group)
        groups = -(-table.n_rows // o.row_group)
        console.note(f"{table.n_rows} rows of {', '.join(table.names)} written to {o.output} "
                     f"({groups} row group{'s' if groups > 1 else ''})", o.quiet)


def _names(source: str, wanted):
    """The columns to read: the header's (or those named), or for a file without a
    header row, the names given by --columns as positions."""
    from ..io import csv_in
    from ..io.csv_chunks import HEAD_READ

    if source == "-":
        if wanted is None:
            raise UsageError("convert - reads standard input once: give --columns NAMES")
        return wanted
    try:
        with open(source, "rb") as fh:
            head = fh.read(HEAD_READ + 1)
    except OSError:
        return wanted or ["?"]  # read_table names the problem
    bom = 3 if head[:3] == b"\xef\xbb\xbf" else 0
    layout = csv_in._sniff(source, csv_in._head(source, head, bom))
    if layout.header is None:
        if wanted is None:
            raise DataError(f"{source}: has no header row to name the columns; give --columns "
                            "NAMES (one per field)")
        return wanted
    return wanted if wanted is not None else [h for h in layout.header]
