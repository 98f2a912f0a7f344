"""fitcli against the tools a user would otherwise write, on the same data, in one run.

    python benchmarks/bench.py           # the full run: a few minutes on 2 cores
    python benchmarks/bench.py --quick   # small sizes only, to check the script

Needs the `bench` extra (scipy, scikit-learn; pandas and polars are measured when
installed).  Every time is a median of repeated runs, and every ratio compares two
numbers measured in this run on the same data.  The real data is read from
../shared/realdata when it is there (--realdata to point elsewhere).  A full run also
writes what it prints to benchmarks/results.md (--results to choose the file).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import compiled, machine, split, write_csv  # noqa: E402
from fits import (conditioning, fit_row, fit_table, optimizer_table,  # noqa: E402
                  stage_profile)
from io_bench import cli_section, parse_section, pass_section  # noqa: E402
from realdata import realdata_section  # noqa: E402

from fitcli.core.models import MODELS  # noqa: E402
from fitcli.core.synth import synthesize  # noqa: E402
from fitcli.io.csv_in import read_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {"project3d": {"noise": 0.5}, "ratio2d": {"noise": 0.5}, "linear-tanh": {"noise": 1.0}}


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n up to 20,000 only")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (median)")
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--results", type=Path, default=None,
                        help="where to write the output as markdown (default: "
                        "benchmarks/results.md for a full run, nothing with --quick)")
    return parser.parse_args()


def shown(path: Path) -> str:
    """A path as the output may print it: relative to the repository when it lies beside
    it (../shared/realdata), else its name alone, so no machine's folders appear."""
    path = path.resolve()
    if path.is_relative_to(ROOT.parent):
        return os.path.relpath(path, ROOT)
    return path.name


def write_results(path: Path, text: str, quick: bool) -> None:
    """The run's output, as printed, in a markdown file with the date and the command."""
    command = "python benchmarks/bench.py" + (" --quick" if quick else "")
    path.write_text(
        "# Benchmark results\n\n"
        f"The output of the latest `{command}`, written by the benchmark itself on "
        f"{datetime.date.today().isoformat()}.  How it measures: "
        "[README.md](README.md).\n\n```text\n" + text.rstrip("\n") + "\n```\n")


def sample(name: str, n: int) -> tuple:
    return split(name, synthesize(name, seed=7, n=n, **SETTINGS[name]).table)


def main() -> None:
    args = arguments()
    compiled()
    printed: list[str] = []

    def emit(text: str) -> None:  # print, and keep it for the results file
        print(text, flush=True)
        printed.append(text)

    big = 20_000 if args.quick else 1_000_000
    sizes = {"project3d": (100, 10_000, big), "ratio2d": (100, 10_000, big),
             "linear-tanh": (1_000, big)}
    emit(machine())
    with tempfile.TemporaryDirectory() as tmp:
        csv = str(Path(tmp) / f"project3d_{big}.csv")
        write_csv(csv, synthesize("project3d", seed=7, n=big, **SETTINGS["project3d"]).table,
                  MODELS["project3d"].columns)
        parsed = read_table(csv, MODELS["project3d"].columns, model="project3d").values
        rows, data = [], {}
        for name, ns in sizes.items():
            for n in ns:
                data[name, n] = split(name, parsed) if (name, n) == ("project3d", big) \
                    else sample(name, n)
                rows.append(fit_row(name, data[name, n], 3 if n == big else args.repeat))
                print(f"  ... {name} n={n} done", file=sys.stderr, flush=True)
        emit("\n" + fit_table(rows))
        mid = {name: data[name, 10_000 if name != "linear-tanh" else 1_000] for name in sizes}
        refs = {r.model: r.reference_loss for r in rows if (r.model, r.n) in
                {(name, len(d[0])) for name, d in mid.items()}}
        emit("\n" + optimizer_table(mid, refs, 3))
        for name in ("ratio2d", "project3d"):
            emit("\n" + stage_profile(name, data[name, 100]))
        emit("\n" + conditioning(data["project3d", 10_000], refs["project3d"], 2000))
        parse_text, parse = parse_section(csv, 7)
        emit("\n" + parse_text)
        pass_text, _ = pass_section(data["project3d", big], args.repeat)
        emit("\n" + pass_text)
        cli_text, cli = cli_section(csv, args.repeat)
        emit("\n" + cli_text)
    real_text, worst_real = realdata_section(args.realdata, shown(args.realdata))
    emit("\n" + real_text)
    emit("\n" + targets(rows, parse, cli, worst_real, big))
    results = args.results or (None if args.quick else ROOT / "benchmarks" / "results.md")
    if results is not None:
        write_results(results, "\n".join(printed), args.quick)
        print(f"wrote {args.results or 'benchmarks/results.md'}", file=sys.stderr)


def targets(rows, parse, cli, worst_real, big) -> str:
    """Each target of the issue, the number this run measured for it, and met or not."""
    homog = [r for r in rows if r.model != "linear-tanh"]
    small = max(r.fitcli_s / r.peer_s for r in homog if r.n < big)
    large = min(r.speedup for r in homog if r.n == big)
    scipy_big = next(r.peer_s for r in homog if (r.model, r.n) == ("project3d", big))
    tanh = next(r for r in rows if (r.model, r.n) == ("linear-tanh", big))
    worst = max(max(r.loss_ratio for r in rows), worst_real)
    fastest = min(parse.values())
    passes = max(int(r.fitcli_iter.split("/")[1]) for r in rows)
    checks = [
        ("loss <= (1 + 1e-6) x reference, every row and real file", f"worst ratio - 1 = "
         f"{worst - 1:+.1e}", worst <= 1 + 1e-6),
        ("fit time <= 0.5 x scipy at n = 100 and 10,000", f"worst fitcli/scipy = {small:.2f}",
         small <= 0.5),
        (f">= 10x faster than scipy at n = {big}", f"slowest speed-up {large:.1f}x", large >= 10),
        ("CLI end to end <= 1/5 of scipy's fit time", f"{cli['cli']:.3f} s vs {scipy_big:.3f} s"
         f" = 1/{scipy_big / cli['cli']:.1f}", cli["cli"] <= scipy_big / 5),
        ("CSV parsing within 2x of the fastest parser", f"{parse['fitcli read_table'] / fastest:.2f}x",
         parse["fitcli read_table"] <= 2 * fastest),
        ("passes over the data after the start <= ~20", f"most: {passes}", passes <= 20),
        (f"linear-tanh n = {big}: at the optimum, time <= sklearn",
         f"loss ratio - 1 = {tanh.loss_ratio - 1:+.1e}, {tanh.fitcli_s:.3f} s vs "
         f"{tanh.peer_s:.3f} s", tanh.loss_ratio <= 1 + 1e-6 and tanh.fitcli_s <= tanh.peer_s),
        ("fitcli --help < 0.3 s wall", f"{cli['help']:.3f} s", cli["help"] < 0.3),
    ]
    width = max(len(c[0]) for c in checks)
    lines = ["Targets"] + [f"  {'met ' if ok else 'MISS'}  {what.ljust(width)}  {got}"
                           for what, got, ok in checks]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
