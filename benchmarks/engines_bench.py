"""fitcli's engines side by side, in one run: memory, stream and dask on the same camera
points (CSV and Parquet), and the slow paths of a million points against the fit.

    python benchmarks/engines_bench.py            # 10^6, 10^7 and 5 x 10^7 points
    python benchmarks/engines_bench.py --quick    # 10^5 and 10^6 only (writes no results)

Every fit is `fitcli project3d FILE --json --quiet --engine E` in a fresh process, as a
user runs it: its wall time and its peak resident memory (the kernel's count for that
child process).  The dask rows run against a local cluster of two single-threaded
worker processes started once by this script (its start-up is not in their times);
their memory is the client's, with the workers' resident memory after the fit beside
it.  A full run writes what it prints to benchmarks/engines_results.md.  The data are
written to a temporary folder (about 7 GB at 5 x 10^7 points) and removed at the end.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import compiled, machine, table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FITCLI = [sys.executable, "-m", "fitcli"]
ROW_GROUP = 1_000_000
BLOCK = 1_000_000


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^5 and 10^6 points only")
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (median)")
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=None,
                        help="a folder for the data, kept (files already there are reused); "
                        "default: a temporary folder, removed at the end")
    return parser.parse_args()


# -- data: one camera, points in blocks (memory flat in n) ---------------------------------

def camera_blocks(n: int, seed: int = 7):
    """(X (m, 3), uv (m, 2)) blocks of n camera points with 0.5 px noise."""
    from fitcli.core import camera
    from fitcli.core.models.project3d.model import project_points

    rng = np.random.default_rng(seed)
    _, _, _, M = camera.random_camera(rng, 1500.0, 1920.0, 1080.0, 5.0)
    for s in range(0, n, BLOCK):
        m = min(BLOCK, n - s)
        X = rng.uniform(-1.5, 1.5, (m, 3))
        yield X, project_points(M, X) + rng.normal(0.0, 0.5, (m, 2))


def write_data(folder: Path, n: int, csv: bool) -> tuple[Path, Path | None]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    import pyarrow.csv as pv

    parquet = folder / f"points_{n}.parquet"
    csv_path = folder / f"points_{n}.csv" if csv else None
    if parquet.exists() and (csv_path is None or csv_path.exists()):
        return parquet, csv_path
    schema = pa.schema([(c, pa.float64()) for c in ("X", "Y", "Z", "u", "v")])
    text = pv.CSVWriter(str(csv_path), schema) if csv else None  # every digit, as synth
    with pq.ParquetWriter(parquet, schema, compression="none", use_dictionary=False) as w:
        for X, uv in camera_blocks(n):
            block = pa.table({c: a for c, a in zip(schema.names, [*X.T, *uv.T])}, schema)
            w.write_table(block, row_group_size=ROW_GROUP)
            if text:
                text.write_table(block)
    if text:
        text.close()
    return parquet, csv_path


# -- one command in a fresh process: wall time and peak memory ------------------------------

TIME = "/usr/bin/time"  # its child's peak memory is the command's own


def run(args: list[str]) -> tuple[float, int, str, str]:
    """(wall seconds, peak resident KB, stdout, stderr) of `fitcli args`.  The peak is
    GNU time's %M of its child: a child forked from this process would count this
    process's pages in its own peak (the peak survives the exec)."""
    command = [*FITCLI, *map(str, args)]
    if os.path.exists(TIME):
        command = [TIME, "-f", "%M", *command]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    stderr = proc.stderr
    peak = 0
    if os.path.exists(TIME):
        stderr, _, last = stderr.rstrip("\n").rpartition("\n")
        peak = int(last) if last.isdigit() else 0
    if proc.returncode != 0:
        raise SystemExit(f"fitcli {' '.join(map(str, args))} failed ({proc.returncode}): {stderr}")
    return wall, peak, proc.stdout, stderr


# -- the sections ---------------------------------------------------------------------------

def engine_rows(files: dict, sizes, repeat: int, scheduler: str, workers_rss) -> tuple[list, dict]:
    """Each engine on each size: wall, passes, per pass, peak memory, loss and params
    against the memory engine's fit of the same points.  The runs of one size are taken
    in turn (every engine once, then again), so that a slow spell of the machine slows
    all of them, not the one that ran through it; the wall is the median."""
    rows, found = [], {}
    for n in sizes:
        parquet, csv = files[n]
        runs = [("memory", "csv", csv, []), ("memory", "parquet", parquet, []),
                ("stream", "parquet", parquet, [])]
        if n <= 10_000_000:  # CSV re-parsed on every pass; the cluster holds 2x the data
            runs += [("stream", "csv", csv, []), ("dask", "parquet", parquet, ["--scheduler", scheduler])]
        runs = [r for r in runs if r[2] is not None]
        walls = {r[:2]: [] for r in runs}
        peaks = {r[:2]: 0 for r in runs}
        docs: dict = {}
        for _ in range(1 if n > 10_000_000 else repeat):
            for engine, kind, path, extra in runs:
                wall, peak, stdout, _ = run(["project3d", path, "--json", "--quiet", "--engine",
                                             engine, *extra])
                walls[engine, kind].append(wall)
                peaks[engine, kind] = max(peaks[engine, kind], peak)
                docs[engine, kind] = json.loads(stdout)
        ref = docs[runs[0][:2]]
        for engine, kind, _, _ in runs:
            wall, peak, doc = statistics.median(walls[engine, kind]), peaks[engine, kind], docs[engine, kind]
            passes = doc.get("engine", {}).get("passes", doc["evaluations"] + 1)
            rel = abs(doc["loss"] / ref["loss"] - 1)
            p = np.array(list(doc["params"].values()))
            p0 = np.array(list(ref["params"].values()))
            dparams = float(np.max(np.abs(p - p0)) / np.max(np.abs(p0)))
            memory = f"{peak / 1024:.0f}"
            if engine == "dask":
                memory += f" (+ workers {workers_rss() / 2**20:.0f})"
            rows.append([engine, kind, n, wall, passes, doc["seconds"] / passes, memory,
                         peak * 1024 / n, rel, dparams])
            found[(engine, kind, n)] = {"wall": wall, "peak": peak * 1024, "rel": rel,
                                        "dparams": dparams, "fit": doc["seconds"]}
            print(f"... {engine} {kind} n={n} {wall:.2f} s", file=sys.stderr, flush=True)
    return rows, found


def dask_overhead(client, parquet: Path, repeat: int) -> dict:
    """A pass of the kernel on the cluster against the same arithmetic timed on the
    workers themselves, and a pass of a task that does nothing."""
    from fitcli.core.engines.cluster import DaskEngine
    from fitcli.core.engines.fit import engine_fit
    from fitcli.core.engines.tasks import kernel_sums
    from fitcli.core.objective import NORMAL
    from fitcli.io.points import open_points

    def timed_sums(states, params, level):  # a worker's run of partitions, as a pass has it
        started = time.perf_counter()
        out = [kernel_sums(state, params, level) for state in states]
        return (out, time.perf_counter() - started, os.getpid())

    def nothing(state):
        return None

    points = open_points(str(parquet), ("X", "Y", "Z", "u", "v"), model="project3d")
    engine = DaskEngine(points.partitions, client=client)
    fitted = engine_fit("project3d", engine)
    walls, busiest, empty = [], [], []
    for _ in range(repeat * 3):
        started = time.perf_counter()
        futures = engine._map(timed_sums, fitted.handle, (fitted.q, NORMAL))
        results = client.gather(futures)
        walls.append(time.perf_counter() - started)
        per_worker = {}
        for _, seconds, pid in results:
            per_worker[pid] = per_worker.get(pid, 0.0) + seconds
        busiest.append(max(per_worker.values()))
        started = time.perf_counter()
        engine.reduce(nothing)
        empty.append(time.perf_counter() - started)
    engine.close()
    wall, work = statistics.median(walls), statistics.median(busiest)
    return {"partitions": len(points.partitions), "pass": wall, "arithmetic": work,
            "overhead": wall - work, "empty": statistics.median(empty)}


def scipy_against_cli(csv: Path, repeat: int) -> tuple[float, float]:
    """(scipy's least_squares Gold Standard fit alone, on the points read once, in
    process; the fit command end to end): medians of samples taken in turn."""
    from peers import gold_standard

    from fitcli.io.points import read_points

    table_ = read_points(str(csv), ("X", "Y", "Z", "u", "v"), model="project3d")
    data = (table_.values[:, 0:3], table_.values[:, 3:5])
    peer, cli = [], []
    for _ in range(repeat):
        peer.append(gold_standard("project3d", data).seconds)
        cli.append(run(["project3d", csv, "--json", "--quiet"])[0])
    return statistics.median(peer), statistics.median(cli)


def slow_paths(folder: Path, csv: Path, repeat: int) -> dict:
    """Each slow path at a million points and the fit command, as commands, in turn
    (fit, path, fit, path...): each path's ratio is to the fit samples taken beside it."""
    model = folder / "model.json"
    run(["project3d", csv, "--quiet", "-o", model])
    fit = ["project3d", csv, "--json", "--quiet"]
    commands = {
        "--residuals FILE": ["project3d", csv, "--quiet", "--residuals", folder / "r.csv"],
        "predict MODEL FILE -o FILE": ["predict", model, csv, "-o", folder / "p.csv", "-q"],
        "--robust ransac --threshold 2": ["project3d", csv, "--quiet", "--robust", "ransac",
                                          "--threshold", "2"],
        "synth project3d --n 1e6 -o FILE.csv": ["synth", "project3d", "--n", "1000000",
                                                "-o", folder / "s.csv"],
        "synth project3d --n 1e6 -o FILE.parquet": ["synth", "project3d", "--n", "1000000",
                                                    "-o", folder / "s.parquet"],
    }
    out = {}
    for name, args in commands.items():
        fits, walls, peaks = [], [], []
        for _ in range(repeat):
            fits.append(run(fit)[0])
            wall, peak, _, _ = run(args)
            walls.append(wall)
            peaks.append(peak)
        out[name] = (statistics.median(walls), max(peaks) * 1024, statistics.median(fits))
        print(f"... {name} {out[name][0]:.2f} s", file=sys.stderr, flush=True)
    sizes = {"csv": (folder / "s.csv").stat().st_size, "parquet": (folder / "s.parquet").stat().st_size}
    return out, sizes


# -- the run ----------------------------------------------------------------------------------

def main() -> None:
    args = arguments()
    compiled()
    from distributed import Client

    from fitcli.core.engines.cluster import local_cluster

    sizes = [100_000, 1_000_000] if args.quick else [1_000_000, 10_000_000, 50_000_000]
    printed: list[str] = []

    def emit(text: str) -> None:
        print(text, flush=True)
        printed.append(text)

    folder = args.data or Path(tempfile.mkdtemp(prefix="fitcli-engines-"))
    folder.mkdir(parents=True, exist_ok=True)
    cluster = local_cluster(processes=True, n_workers=2)
    client = Client(cluster)
    try:
        emit(machine())
        emit(f"{datetime.date.today().isoformat()}; dask {__import__('dask').__version__}, "
             "local cluster of 2 worker processes x 1 thread")
        files = {n: write_data(folder, n, csv=True) for n in sizes}
        print("... data written", file=sys.stderr, flush=True)

        def workers_rss():
            return sum(client.run(lambda: __import__("psutil").Process().memory_info().rss).values())

        rows, found = engine_rows(files, sizes, args.repeat, cluster.scheduler_address, workers_rss)
        emit("\n" + table(["engine", "input", "n", "wall s", "passes", "fit s/pass", "peak MB",
                           "bytes/point", "loss vs memory", "params vs memory"], rows,
                          "Engines: fitcli project3d FILE --json --quiet --engine E (fresh process; "
                          f"median of {args.repeat} taken in turn, 1 run at 5e7; 'vs memory': relative to the "
                          "memory engine's fit of the CSV)"))
        mid = sizes[-2] if len(sizes) > 2 else sizes[-1]
        over = dask_overhead(client, files[mid][0], args.repeat)
        emit(f"\nDask per pass, n = {mid} in {over['partitions']} partitions on 2 workers: "
             f"{over['pass'] * 1e3:.1f} ms a NORMAL pass, of which the busiest worker's "
             f"arithmetic {over['arithmetic'] * 1e3:.1f} ms: overhead {over['overhead'] * 1e3:.1f} ms; "
             f"a pass of a task that does nothing: {over['empty'] * 1e3:.1f} ms")
        client.close()  # the million-point runs need no cluster: its idle workers' event
        cluster.close()  # loops would share the two cores with fitcli and scipy
        million = files[1_000_000][1]
        t_scipy, fit_wall = scipy_against_cli(million, args.repeat)
        paths, synth_bytes = slow_paths(folder, million, args.repeat)
        emit("\nA million points (CSV): fitcli project3d FILE --json end to end "
             f"{fit_wall:.3f} s against scipy's least_squares fit alone {t_scipy:.2f} s "
             "(in process; taken in turn, medians); each slow path against the fit command "
             "timed beside it")
        emit(table(["command", "wall s", "peak MB", "fit command s", "x fit command"],
                   [[k, w, f"{p / 2**20:.0f}", f, w / f] for k, (w, p, f) in paths.items()], ""))
        emit(f"synth's bytes per row: CSV {synth_bytes['csv'] / 1e6:.1f}, "
             f"Parquet {synth_bytes['parquet'] / 1e6:.1f}")
        emit("\n" + targets(found, sizes, over, t_scipy, paths, fit_wall))
    finally:
        client.close()
        cluster.close()
        if args.data is None:
            shutil.rmtree(folder, ignore_errors=True)
    if not args.quick or args.results:
        path = args.results or ROOT / "benchmarks" / "engines_results.md"
        command = "python benchmarks/engines_bench.py" + (" --quick" if args.quick else "")
        path.write_text("# Engine benchmark results\n\nThe output of the latest "
                        f"`{command}`, written by the benchmark itself.  How it measures: "
                        "[README.md](README.md#the-engines).\n\n```text\n"
                        + "\n".join(printed).rstrip("\n") + "\n```\n")


def targets(found, sizes, over, t_scipy, paths, fit_wall) -> str:
    big = [n for n in sizes if n >= 10_000_000] or [sizes[-1]]
    ten = 10_000_000 if 10_000_000 in sizes else sizes[-1]
    worst_rel = max(v["rel"] for v in found.values())
    worst_p = max(v["dparams"] for v in found.values())
    stream_peaks = [found[("stream", "parquet", n)]["peak"] for n in big]
    s_wall = found[("stream", "parquet", ten)]["wall"]
    m_csv = found[("memory", "csv", ten)]["wall"]
    m_pq = found[("memory", "parquet", ten)]["wall"]
    per_point = max(found[("memory", k, sizes[-1])]["peak"] / sizes[-1] for k in ("csv", "parquet"))
    d_wall = found.get(("dask", "parquet", ten), {}).get("wall", float("nan"))
    slow = {k: w / f for k, (w, _, f) in paths.items()}
    rows = [
        ("loss within 1e-12 of the memory engine's, every engine", f"worst {worst_rel:.1e}",
         worst_rel <= 1e-12),
        ("parameters within 1e-9 (relative to the largest)", f"worst {worst_p:.1e}", worst_p <= 1e-9),
        ("stream on Parquet: peak memory <= 600 MB at 1e7 and 5e7",
         ", ".join(f"{p / 2**20:.0f} MB" for p in stream_peaks), max(stream_peaks) <= 600 * 2**20),
        (f"stream on Parquet <= 1.5 x the memory engine on CSV at n = {ten}",
         f"{s_wall:.2f} s vs {m_csv:.2f} s = {s_wall / m_csv:.2f} x", s_wall <= 1.5 * m_csv),
        (f"stream on Parquet <= 1.5 x the memory engine on Parquet at n = {ten}",
         f"{s_wall:.2f} s vs {m_pq:.2f} s = {s_wall / m_pq:.2f} x", s_wall <= 1.5 * m_pq),
        (f"memory engine <= 64 bytes per point at n = {sizes[-1]}", f"{per_point:.0f}",
         per_point <= 64),
        ("fitcli project3d FILE --json at 1e6 >= 10x faster than scipy's fit alone",
         f"{fit_wall:.3f} s vs {t_scipy:.2f} s = 1/{t_scipy / fit_wall:.1f}", t_scipy >= 10 * fit_wall),
        ("dask: per-pass overhead beyond the arithmetic < 50 ms", f"{over['overhead'] * 1e3:.1f} ms",
         over["overhead"] < 0.05),
        (f"dask fit at n = {ten} within 2x the memory engine (on Parquet, the harder)",
         f"{d_wall / m_pq:.2f} x memory on Parquet, {d_wall / m_csv:.2f} x on CSV", d_wall <= 2 * m_pq),
        ("slow paths within 3x of the fit command at 1e6",
         ", ".join(f"{k.split()[0]} {v:.1f}x" for k, v in slow.items()), max(slow.values()) <= 3),
    ]
    width = max(len(r[0]) for r in rows)
    return "Targets\n" + "\n".join(f"  {'met ' if ok else 'MISS'}  {name.ljust(width)}  {value}"
                                   for name, value, ok in rows)


if __name__ == "__main__":
    main()
