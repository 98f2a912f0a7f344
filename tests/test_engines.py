"""The stream and dask engines against the memory engine: the same optimum and the same
report, for every model, from CSV and Parquet, over unequal, one-row and empty
partitions; and the errors a partition meets named by file and line (docs/design.md,
"Engines")."""

import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from fitcli.cli import app
from fitcli.core import MODELS, fit
from fitcli.core.diagnostics import diagnose
from fitcli.core.engines.base import StreamEngine, split_rows
from fitcli.core.engines.fit import engine_fit
from fitcli.core.engines.report import engine_report
from fitcli.core.synth import synthesize
from fitcli.io.csv_out import format_csv

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}
N = 2500
SIZES = [900, 0, 1, 1599]  # unequal, empty and one-row partitions
SIGMA = {"project3d": 0.5, "ratio2d": 0.5, "homography": 0.5, "linear-tanh": None}


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env=ENV)


def sample(name, n=N, seed=3):
    s = synthesize(name, seed=seed, n=n, **({"noise": 1.0} if name == "linear-tanh" else {}))
    return s.table, MODELS[name].columns


def write_csv(path, table, columns):
    path.write_text(format_csv(columns, table))
    return path


def write_parquet(path, table, columns, sizes=SIZES):
    """Row groups of the given sizes (an empty one among them)."""
    schema = pa.schema([(c, pa.float64()) for c in columns])
    with pq.ParquetWriter(path, schema) as writer:
        start = 0
        for size in sizes:
            part = table[start : start + size]
            writer.write_table(pa.table({c: part[:, j] for j, c in enumerate(columns)}, schema))
            start += size
    return path


@pytest.fixture(scope="module")
def client():
    """A local cluster of two single-threaded workers in this process (threads)."""
    distributed = pytest.importorskip("distributed")
    from fitcli.core.engines.cluster import local_cluster

    cluster = local_cluster(processes=False, n_workers=2)
    with distributed.Client(cluster, set_as_default=False) as c:
        yield c
    cluster.close()


def close(a, b, rtol):
    return abs(a - b) <= rtol * max(abs(a), abs(b), 1e-300)


def check_same(memory, engine_result, report=None, figures=None):
    """Loss within 1e-12 relative, parameters within 1e-9, report figures alike."""
    assert close(engine_result.cost, memory.cost, 1e-12), (engine_result.cost, memory.cost)
    scale = np.max(np.abs(memory.params))
    assert np.max(np.abs(engine_result.params - memory.params)) <= 1e-9 * scale
    if report is not None:
        for key in ("n", "dof", "sum_squares", "median_error", "max_error", "sigma_estimate"):
            assert close(report[key], figures[key], 1e-9), key
        assert np.allclose(report["standard_errors"], figures["standard_errors"], rtol=1e-6)


def test_residuals_and_predictions_as_parquet_hold_the_csv_values(tmp_path):
    """A .parquet name gets a Parquet file (not CSV text under that name): the same
    columns and values as the CSV, the line and the inlier flag as integers; on the
    memory and the stream engine, and from predict and synth."""
    pa = pytest.importorskip("pyarrow.parquet")
    table, columns = sample("project3d", n=900)
    csv = write_csv(tmp_path / "points.csv", table, columns)
    run("project3d", csv, "--residuals", tmp_path / "r.csv", "-o", tmp_path / "m.json", "--quiet")
    run("project3d", csv, "--residuals", tmp_path / "r.parquet", "--quiet")
    run("project3d", csv, "--residuals", tmp_path / "s.parquet", "--quiet", "--engine", "stream",
        "--partition-bytes", 7000)
    text = np.genfromtxt(tmp_path / "r.csv", delimiter=",", names=True)
    for name, rtol in (("r.parquet", 0), ("s.parquet", 1e-9)):
        got = pa.read_table(tmp_path / name)
        assert got.column_names == list(text.dtype.names)
        assert str(got.schema.field("line").type) == "int64" == str(got.schema.field("inlier").type)
        for key in got.column_names:
            assert np.allclose(np.asarray(got[key]), text[key], rtol=rtol, atol=rtol), (name, key)
    run("predict", tmp_path / "m.json", csv, "-o", tmp_path / "p.parquet", "-q")
    run("predict", tmp_path / "m.json", csv, "-o", tmp_path / "p.csv", "-q")
    predicted = pa.read_table(tmp_path / "p.parquet")
    assert np.array_equal(np.column_stack([np.asarray(c) for c in predicted.columns]),
                          np.loadtxt(tmp_path / "p.csv", delimiter=",", skiprows=1))
    run("synth", "ratio2d", "--n", 50, "-o", tmp_path / "s2.parquet")
    assert pa.read_table(tmp_path / "s2.parquet").column_names == ["x", "y", "ratio"]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("engine", ["stream", "dask"])
def test_engine_fit_and_report_match_memory(name, engine, request):
    table, _ = sample(name)
    model = MODELS[name]
    data = model.split(table)[0]
    memory = fit(name, data)
    figures = diagnose(model, memory.params, data, sigma=SIGMA[name], frame=memory.frame)
    parts = split_rows(table, SIZES)
    if engine == "stream":
        eng = StreamEngine(parts)
    else:
        from fitcli.core.engines.cluster import DaskEngine

        eng = DaskEngine(parts, client=request.getfixturevalue("client"))
    fitted = engine_fit(name, eng)
    report = engine_report(eng, fitted, sigma=SIGMA[name]).figures
    check_same(memory, fitted.result, report, figures)
    assert fitted.result.n_eval == memory.n_eval and fitted.result.status == memory.status
    if name == "linear-tanh":
        assert fitted.result.extra["accuracy"] == memory.extra["accuracy"]


class _Written:
    """A partition that writes its values into the engine's buffer, slowly (a read that
    is still under way while the pass works on the chunk before it)."""

    def __init__(self, values, first, fail=False):
        self.values, self.first, self.fail, self.loads = values, first, fail, 0

    def load(self, check=True, into=None):
        import time

        from fitcli.core.engines.base import Chunk
        from fitcli.errors import DataError

        self.loads += 1
        time.sleep(0.005)
        if self.fail:
            raise DataError(f"part.csv, line {self.first + 2}: a bad field")
        out = into(*self.values.shape)
        for j in range(len(out)):  # row by row, with the interpreter let go between
            out[j] = self.values[j]
            time.sleep(0.001)
        return Chunk(out, 0)


def _slow_sums(chunk):
    """The chunk's column sums, taken before and after a pause (while the next
    partition is read): the values a task reads must not change under it."""
    import time

    from fitcli.core.engines.base import Partial

    before = chunk.values.sum(axis=1)
    time.sleep(0.01)
    assert np.array_equal(chunk.values.sum(axis=1), before)
    return Partial(before, items=np.array([[chunk.first, chunk.n]]))


def test_the_stream_engine_reads_ahead_into_the_other_buffer():
    """Six partitions of unequal sizes through two buffers, pass after pass: every task
    sees its own rows whole, in order, with its global first row."""
    rng = np.random.default_rng(5)
    sizes = [300, 1, 0, 700, 2, 450]
    table = rng.normal(size=(sum(sizes), 3))
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    parts = [_Written(table[a : a + m].T.copy(), a) for a, m in zip(starts, sizes)]
    engine = StreamEngine(parts)
    engine.renumber(starts)
    for _ in range(3):
        out = engine.reduce(_slow_sums)
        np.testing.assert_allclose(out.sums, table.sum(axis=0), rtol=1e-12)
        assert out.items.tolist() == [[a, m] for a, m in zip(starts, sizes)]
    engine.close()
    assert [p.loads for p in parts] == [3] * len(parts)


def test_a_stream_read_error_is_raised_in_order_and_the_engine_still_works():
    from fitcli.errors import DataError

    rng = np.random.default_rng(6)
    table = rng.normal(size=(400, 3))
    parts = [_Written(table[a : a + 100].T.copy(), a, fail=(a == 200)) for a in range(0, 400, 100)]
    engine = StreamEngine(parts)
    engine.renumber(np.arange(0, 400, 100))
    seen = []

    def task(chunk):
        seen.append(chunk.first)
        return _slow_sums(chunk)

    with pytest.raises(DataError, match="line 202"):
        engine.reduce(task)
    assert seen == [0, 100]  # the partitions before the bad one, and no later one
    parts[2].fail = False
    out = engine.reduce(_slow_sums)
    np.testing.assert_allclose(out.sums, table.sum(axis=0), rtol=1e-12)
    engine.close()


def _doc(*args):
    out = run(*args, "--json", "--quiet")
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)


def _same_docs(memory, other):
    assert close(other["loss"], memory["loss"], 1e-12)
    for key, value in memory["params"].items():
        assert math.isclose(other["params"][key], value, rel_tol=1e-9, abs_tol=1e-12), key
    for key in ("sum_squares", "median_error", "max_error", "rms"):
        assert close(other["diagnostics"][key], memory["diagnostics"][key], 1e-9), key
    assert other["n_points"] == memory["n_points"] and other["converged"]


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_stream_command_matches_memory(name, kind, tmp_path):
    table, columns = sample(name)
    csv = write_csv(tmp_path / "points.csv", table, columns)
    path = csv if kind == "csv" else write_parquet(tmp_path / "points.parquet", table, columns)
    memory = _doc(name, csv)
    stream = _doc(name, path, "--engine", "stream", "--partition-bytes", 20000)
    _same_docs(memory, stream)


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_dask_command_matches_memory(name, kind, tmp_path, client):
    table, columns = sample(name)
    csv = write_csv(tmp_path / "points.csv", table, columns)
    path = csv if kind == "csv" else write_parquet(tmp_path / "points.parquet", table, columns)
    memory = _doc(name, csv)
    other = _doc(name, path, "--engine", "dask", "--scheduler", client.scheduler.address,
                 "--partition-bytes", 30000)
    _same_docs(memory, other)


def test_dask_on_worker_processes_pickles_everything(tmp_path):
    """Two worker processes: the partitions, tasks, model and kernels cross by pickle."""
    distributed = pytest.importorskip("distributed")
    from fitcli.core.engines.cluster import DaskEngine, local_cluster

    table, _ = sample("project3d", n=1200)
    memory = fit("project3d", MODELS["project3d"].split(table)[0])
    cluster = local_cluster(processes=True, n_workers=2)
    try:
        with distributed.Client(cluster, set_as_default=False) as c:
            eng = DaskEngine(split_rows(table, [500, 0, 1, 699]), client=c)
            fitted = engine_fit("project3d", eng)
            engine_report(eng, fitted)
    finally:
        cluster.close()
    check_same(memory, fitted.result)


def test_robust_m_estimates_are_refused_on_the_stream_engine_and_say_why(tmp_path):
    """Huber and Cauchy start from least squares on a RANSAC consensus set and are checked
    against least squares on their inliers: both draw from the points in memory."""
    table, columns = sample("ratio2d")
    csv = write_csv(tmp_path / "points.csv", table, columns)
    for method in ("huber", "cauchy"):
        out = CliRunner().invoke(app, ["ratio2d", str(csv), "--robust", method, "--threshold",
                                       "1.5", "--engine", "stream"], env={"NO_COLOR": "1"})
        assert out.exit_code == 2 and "runs on --engine memory only" in out.stderr
        assert "consensus set" in out.stderr


def test_residuals_file_matches_memory(tmp_path):
    table, columns = sample("project3d", n=900)
    csv = write_csv(tmp_path / "points.csv", table, columns)
    run("project3d", csv, "--residuals", tmp_path / "a.csv", "--quiet")
    run("project3d", csv, "--residuals", tmp_path / "b.csv", "--quiet", "--engine", "stream",
        "--partition-bytes", 7000)
    a = np.loadtxt(tmp_path / "a.csv", delimiter=",", skiprows=1)
    b = np.loadtxt(tmp_path / "b.csv", delimiter=",", skiprows=1)
    assert (tmp_path / "a.csv").read_text().splitlines()[0] == (tmp_path / "b.csv").read_text().splitlines()[0]
    assert np.array_equal(a[:, 0], b[:, 0])  # the same input lines
    assert np.allclose(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("engine", ["stream", "dask"])
def test_an_error_in_a_late_partition_names_file_and_line(engine, tmp_path, request):
    table, columns = sample("project3d", n=3000)
    lines = format_csv(columns, table).splitlines()
    lines[2900] = lines[2900].replace(",", ",abc,", 1).rsplit(",", 1)[0]  # line 2901
    path = tmp_path / "points.csv"
    path.write_text("\n".join(lines) + "\n")
    memory = run("project3d", path)
    extra = ("--scheduler", request.getfixturevalue("client").scheduler.address) \
        if engine == "dask" else ()
    other = run("project3d", path, "--engine", engine, "--partition-bytes", 8000, *extra)
    assert memory.exit_code == other.exit_code == 2
    assert other.stderr == memory.stderr and "line 2901, column" in other.stderr


def test_a_parquet_error_names_file_row_and_column(tmp_path):
    table, columns = sample("ratio2d", n=50)
    table[37, 1] = np.nan
    path = write_parquet(tmp_path / "p.parquet", table, columns, sizes=[20, 30])
    for engine in ("memory", "stream"):
        out = run("ratio2d", path, "--engine", engine)
        assert out.exit_code == 2
        assert out.stderr.strip() == f"error: {path}, row 38, column 'y': 'nan' is not a finite number"


@pytest.mark.parametrize("args,says", [
    (("--optimizer", "gd"), "thousands of passes"),
    (("--lr", "0.1"), "thousands of passes"),
    (("--robust", "ransac", "--threshold", "1"), "--engine memory only"),
    (("--scheduler", "tcp://127.0.0.1:1"), "--scheduler is the Dask scheduler of --engine dask"),
])
def test_what_the_engines_refuse_says_why(args, says, tmp_path):
    table, columns = sample("ratio2d", n=50)
    csv = write_csv(tmp_path / "points.csv", table, columns)
    engine = () if args[0] == "--scheduler" else ("--engine", "stream")
    out = run("ratio2d", csv, *engine, *args)
    assert out.exit_code == 2 and says in out.stderr, out.stderr


def test_standard_input_is_refused_by_the_stream_engine():
    out = run("ratio2d", "-", "--engine", "stream")
    assert out.exit_code == 2 and "standard input" in out.stderr


def test_no_rows_on_the_stream_engine(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("x,y,ratio\n")
    out = run("ratio2d", path, "--engine", "stream")
    assert out.exit_code == 2 and "no data rows" in out.stderr


def test_convert_then_fit_the_parquet(tmp_path):
    table, columns = sample("linear-tanh", n=3000)
    csv = write_csv(tmp_path / "points.csv", table, columns)
    out = run("convert", csv, tmp_path / "p.parquet", "--row-group", 1000)
    assert out.exit_code == 0, out.output
    assert pq.ParquetFile(tmp_path / "p.parquet").metadata.num_row_groups == 3
    _same_docs(_doc("linear-tanh", csv), _doc("linear-tanh", tmp_path / "p.parquet"))


def test_convert_names_the_bad_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x,y,ratio\n1,2,3\n4,five,6\n")
    out = run("convert", path, tmp_path / "p.parquet")
    assert out.exit_code == 2
    assert out.stderr.strip() == f"error: {path}, line 3, column 'y': expected a number, got 'five'"
    assert not (tmp_path / "p.parquet").exists()


def test_a_directory_and_a_glob_of_parquet_files(tmp_path):
    table, columns = sample("ratio2d", n=600)
    folder = tmp_path / "parts"
    folder.mkdir()
    write_parquet(folder / "a.parquet", table[:250], columns, sizes=[250])
    write_parquet(folder / "b.parquet", table[250:], columns, sizes=[100, 250])
    csv = write_csv(tmp_path / "points.csv", table, columns)
    memory = _doc("ratio2d", csv)
    for source in (folder, f"{folder}/*.parquet"):
        _same_docs(memory, _doc("ratio2d", source))
        _same_docs(memory, _doc("ratio2d", source, "--engine", "stream"))


def test_a_large_csv_read_in_partitions_is_the_same_table(tmp_path, monkeypatch):
    """read_points of a file above BLOCKED_MIN_BYTES: partition by partition into the
    columns; values, lines and errors as read_table's."""
    from fitcli.io import csv_chunks, points
    from fitcli.io.csv_in import read_table

    table, columns = sample("project3d", n=2000)
    lines = format_csv(columns, table).splitlines()
    lines[700:700] = ["", "# a comment", "   "]
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(points, "BLOCKED_MIN_BYTES", 1)
    monkeypatch.setattr(csv_chunks, "WHOLE_PART_BYTES", 5000)
    whole = read_table(str(path), columns, model="project3d")
    parts = points.read_points(str(path), columns, model="project3d")
    assert np.array_equal(whole.values, parts.values) and parts.values.flags.f_contiguous
    assert np.array_equal(whole.line_numbers(), parts.line_numbers())
    lines[1500] = lines[1500].replace(",", ",,", 1)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(Exception) as classic:
        read_table(str(path), columns, model="project3d")
    with pytest.raises(Exception) as blocked:
        points.read_points(str(path), columns, model="project3d")
    assert str(blocked.value) == str(classic.value) and "line 1501" in str(blocked.value)


def test_points_behind_the_camera_named_alike(tmp_path):
    """The last pass counts the points on both sides of the camera before the sign is
    fixed: the rows behind are the memory engine's, from CSV (lines) and Parquet (rows)."""
    table, columns = sample("project3d", n=1500)
    table[[10, 700, 1400], 0:3] *= -40.0  # three world points far behind the camera
    csv = write_csv(tmp_path / "p.csv", table, columns)
    pq_path = write_parquet(tmp_path / "p.parquet", table, columns, sizes=[600, 0, 900])
    memory = run(name := "project3d", csv, "--json", "--quiet")
    assert memory.exit_code == 4
    expected = json.loads(memory.stdout)["behind_camera"]
    for path, key in ((csv, "lines"), (pq_path, "rows")):
        out = run(name, path, "--json", "--quiet", "--engine", "stream", "--partition-bytes", 20000)
        assert out.exit_code == 4
        got = json.loads(out.stdout)["behind_camera"]
        assert got["count"] == expected["count"] > 0
        assert got[key] == [n - (key == "rows") for n in expected["lines"]]  # row = line - 1


def test_the_scheduler_from_dask_configuration(client):
    import dask

    from fitcli.core.engines.cluster import DaskEngine

    table, _ = sample("ratio2d", n=400)
    with dask.config.set({"scheduler-address": client.scheduler.address}):
        engine = DaskEngine(split_rows(table, [150, 250]))
    try:
        fitted = engine_fit("ratio2d", engine)
    finally:
        engine.close()
    check_same(fit("ratio2d", MODELS["ratio2d"].split(table)[0]), fitted.result)


def test_runs_deal_the_partitions_in_consecutive_runs():
    from fitcli.core.engines.cluster import runs

    for count in range(0, 23):
        for parts in range(1, 6):
            got = runs(count, parts)
            assert [i for run in got for i in run] == list(range(count))
            assert len(got) == max(1, min(parts, count))
            sizes = [len(run) for run in got]
            assert max(sizes) - min(sizes) <= 1


def test_a_dask_pass_is_one_task_per_worker(client):
    """Seven partitions on two workers: two runs, one on each worker, and the rows keep
    their global order (the residuals' items come back in partition order)."""
    from fitcli.core.engines.cluster import DaskEngine

    table, _ = sample("project3d", n=700)
    engine = DaskEngine(split_rows(table, [100, 0, 150, 1, 200, 49, 200]), client=client)
    try:
        fitted = engine_fit("project3d", engine)
        assert [len(run) for run in engine.runs] == [3, 4]
        homes = client.who_has(engine.states)
        assert len({tuple(where) for where in homes.values()}) == 2
        assert engine.offsets.tolist() == [0, 100, 100, 250, 251, 451, 500]
    finally:
        engine.close()
    check_same(fit("project3d", MODELS["project3d"].split(table)[0]), fitted.result)


def test_parquet_columns_of_other_number_types_read_as_their_values(tmp_path):
    """int32, int64, float32 and decimal columns (and the null check on them) are read by
    their values, as float64, on the memory and the stream engine."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    import decimal

    table, columns = sample("project3d", n=300)
    X = np.round(table[:, 0] * 100).astype(np.int32)
    cols = {"X": pa.array(X), "Y": pa.array(np.round(table[:, 1] * 100).astype(np.int64)),
            "Z": pa.array(table[:, 2].astype(np.float32)),
            "u": pa.array([decimal.Decimal(f"{v:.3f}") for v in table[:, 3]]),
            "v": pa.array(table[:, 4])}
    path = tmp_path / "typed.parquet"
    pq.write_table(pa.table(cols), path)
    expected = np.column_stack([X, np.round(table[:, 1] * 100), table[:, 2].astype(np.float32),
                                np.round(table[:, 3], 3), table[:, 4]])
    csv = write_csv(tmp_path / "typed.csv", expected, columns)
    want = _doc("project3d", csv)
    for extra in ((), ("--engine", "stream")):
        got = _doc("project3d", path, *extra)
        assert close(got["loss"], want["loss"], 1e-12), extra
    cols["v"] = pa.array([None, *table[1:, 4]], pa.float64())
    pq.write_table(pa.table(cols), tmp_path / "nulls.parquet")
    out = run("project3d", tmp_path / "nulls.parquet")
    assert out.exit_code == 2 and "row 1, column 'v': empty field" in out.stderr
