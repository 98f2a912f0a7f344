"""Sections of the benchmark about the data path: parsing, one pass, the CLI end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from fitcli.core.lm import levenberg_marquardt
from fitcli.core.loop import Tolerances
from fitcli.core.models import MODELS
from fitcli.io.csv_in import read_table

from common import median_of, table, timed
from peers import streaming_read, vectorised_pass

COLUMNS = MODELS["project3d"].columns


def parsers(path: str) -> dict:
    """Each parser's call returning the five columns as floats (imports done beforehand)."""
    out = {"fitcli read_table": lambda: read_table(path, COLUMNS, model="project3d").values,
           "numpy.loadtxt": lambda: np.loadtxt(path, delimiter=",", skiprows=1)}
    try:
        import pyarrow.csv as pv

        out["pyarrow.csv (raw table)"] = lambda: pv.read_csv(path)
    except ImportError:
        pass
    try:
        import pandas as pd

        out["pandas.read_csv (C engine)"] = lambda: pd.read_csv(path, engine="c").to_numpy()
    except ImportError:
        pass
    try:
        import polars as pl

        out["polars.read_csv"] = lambda: pl.read_csv(path).to_numpy()
    except ImportError:
        pass
    return out


def parse_section(path: str, repeat: int) -> tuple[str, dict]:
    """Median parse time of every parser on the same file; ratio to the fastest.  The
    parsers take turns (after one untimed round), so a busy machine slows all alike."""
    calls = parsers(path)
    samples = {name: [] for name in calls}
    for round_ in range(repeat + 1):
        for name, f in calls.items():
            t = timed(f, 1)[0]
            if round_:
                samples[name].append(t)
    times = {name: median_of(values) for name, values in samples.items()}
    fastest = min(times.values())
    size = os.path.getsize(path) / 1e6
    rows = [[name, f"{t * 1e3:.1f}", f"{t / fastest:.2f}x"] for name, t in times.items()]
    title = f"CSV parsing ({size:.0f} MB, {_rows(path)} rows, in-process, imports excluded)"
    return table(["parser", "ms", "vs fastest"], rows, title), times


def _rows(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh) - 1


def pass_section(data: tuple, repeat: int) -> tuple[str, dict]:
    """One pass of the project3d loss (+gradient, +J^T J) against reading the same arrays."""
    model = MODELS["project3d"]
    frame = model.frame(data, True)
    kernel = model.kernel(*frame.data)
    start = model.start(kernel, frame.data, "dlt", None)
    p = levenberg_marquardt(kernel, start, model.manifold, 200, Tolerances()).params
    Xn, uvn = frame.data
    arrays = [kernel.P[0], kernel.P[1], kernel.P[2], kernel.u, kernel.v]
    times = {
        "streaming read of X, Y, Z, u, v (floor)": timed(lambda: streaming_read(arrays), repeat)[0],
        "fitcli loss + gradient (cost_grad)": timed(lambda: kernel.cost_grad(p), repeat)[0],
        "fitcli loss + gradient + J^T J (normal)": timed(lambda: kernel.normal(p), repeat)[0],
        "whole-array numpy loss + gradient": timed(
            lambda: vectorised_pass(Xn, uvn, p.reshape(3, 4)), repeat)[0],
    }
    floor = times["streaming read of X, Y, Z, u, v (floor)"]
    rows = [[name, f"{t * 1e3:.2f}", f"{t / floor:.1f}x"] for name, t in times.items()]
    title = f"One pass over {len(data[0])} project3d points (normalised, 8-byte floats)"
    return table(["pass", "ms", "vs floor"], rows, title), times


def fitcli_command() -> list[str]:
    exe = Path(sys.executable).parent / "fitcli"
    return [str(exe)] if exe.exists() else [shutil.which("fitcli") or "fitcli"]


def cli_section(path: str, repeat: int) -> tuple[str, dict]:
    """Wall time of `fitcli project3d FILE --json --quiet` (parse + fit + report) and of
    `fitcli --help`, each a fresh process as a user runs it."""
    command = fitcli_command()
    run = lambda args: subprocess.run(command + args, capture_output=True, text=True)  # noqa: E731
    t_help, _ = timed(lambda: run(["--help"]), max(repeat, 5))
    t_fit, out = timed(lambda: run(["project3d", path, "--json", "--quiet"]), repeat)
    if out.returncode != 0:
        raise SystemExit(f"fitcli failed: {out.stderr}")
    doc = json.loads(out.stdout)
    lines = [f"Command line (fresh process each; median of {repeat})",
             f"  fitcli project3d {Path(path).name} --json --quiet: {t_fit:.3f} s wall "
             f"(of which the fit: {doc['seconds']:.3f} s; status {doc['status']}, "
             f"{doc['evaluations']} passes, loss {doc['loss']:.12g})",
             f"  fitcli --help: {t_help:.3f} s wall"]
    return "\n".join(lines), {"cli": t_fit, "help": t_help, "loss": doc["loss"]}
