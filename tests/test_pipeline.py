"""fitcli in shell pipelines, through the installed script: synth -> fit -o -> predict,
standard input and output, and model files that survive failed or killed fits."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(sys.executable).parent / "fitcli"
ENV = {**os.environ, "NO_COLOR": "1", "TERMINAL_WIDTH": "100"}


def fitcli(*args, input=None, check=True):
    out = subprocess.run([str(SCRIPT), *map(str, args)], input=input, capture_output=True,
                         text=True, env=ENV, timeout=120)
    assert "Traceback" not in out.stderr, out.stderr
    if check:
        assert out.returncode == 0, out.stderr
    return out


def columns(text):
    rows = list(csv.reader(io.StringIO(text)))
    return {name: np.array([float(r[j]) for r in rows[1:]]) for j, name in enumerate(rows[0])}


def split_rows(text, n_fit):
    lines = text.splitlines(keepends=True)
    return "".join(lines[: 1 + n_fit]), lines[0] + "".join(lines[1 + n_fit:])


ROUND_TRIPS = {  # synth options, targets, how close (in units of the noise)
    "project3d": (["--noise", "0.5"], ("u", "v"), 0.5),
    "ratio2d": (["--noise", "0.5"], ("ratio",), 0.5),
    "linear-tanh": (["--noise", "0.5"], ("label",), None),
}


@pytest.mark.parametrize("kind", sorted(ROUND_TRIPS))
def test_round_trip_reproduces_the_truth_on_held_out_points(kind, tmp_path):
    options, targets, sigma = ROUND_TRIPS[kind]
    truth = tmp_path / "truth.json"
    text = fitcli("synth", kind, "--n", 600, "--seed", 11, *options, "--truth", truth).stdout
    train, held = split_rows(text, 300)
    (tmp_path / "held.csv").write_text(held)
    fitcli(kind, "-", "-o", tmp_path / "model.json", "--quiet", input=train)
    got = fitcli("predict", tmp_path / "model.json", tmp_path / "held.csv",
                 "--metrics", tmp_path / "metrics.json")
    want = columns(fitcli("predict", truth, tmp_path / "held.csv", "--quiet").stdout)
    pred, observed = columns(got.stdout), columns(held)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["n_points"] == 300 and "error on the targets" in got.stderr
    if kind == "linear-tanh":
        assert np.mean(pred["label"] == want["label"]) >= 0.97
        assert metrics["accuracy"] >= np.mean(want["label"] == observed["label"]) - 0.03
        return
    diff = np.concatenate([pred[t] - want[t] for t in targets])
    assert np.sqrt(np.mean(diff**2)) < sigma * 0.5 and np.max(np.abs(diff)) < 3 * sigma
    per_point = metrics["rmse"] / np.sqrt(len(targets))  # RMS per coordinate
    assert 0.85 * sigma < per_point < 1.15 * sigma
    resid = np.concatenate([pred[t] - observed[t] for t in targets])
    assert np.sqrt(np.mean(resid**2)) == pytest.approx(per_point, rel=1e-9)


def test_the_readme_pipeline_synth_fit_json(tmp_path):
    """fitcli synth project3d --n 200 | fitcli project3d - --json | python -m json.tool"""
    points = fitcli("synth", "project3d", "--n", 200).stdout
    doc = json.loads(fitcli("project3d", "-", "--json", "--quiet", input=points).stdout)
    assert doc["input"] == "<stdin>" and doc["n_points"] == 200 and doc["converged"]
    model = fitcli("project3d", "-", "-o", "-", "--quiet", input=points).stdout
    (tmp_path / "m.json").write_text(model)
    out = fitcli("predict", tmp_path / "m.json", "-", "--with-inputs", "--quiet",
                 input="X,Y,Z\n0,0,0\n1,0.5,-0.5\n")
    lines = out.stdout.splitlines()
    assert lines[0] == "X,Y,Z,u,v,depth" and len(lines) == 3 and out.stderr == ""


def test_predict_without_targets_prints_no_error_measures(tmp_path):
    fitcli("synth", "ratio2d", "--n", 50, "-o", tmp_path / "p.csv", "--truth", tmp_path / "t.json")
    inputs = "\n".join(",".join(line.split(",")[:2]) for line in (tmp_path / "p.csv").read_text().splitlines())
    out = fitcli("predict", tmp_path / "t.json", "-", "-o", tmp_path / "pred.csv", input=inputs + "\n")
    assert out.stdout == "" and out.stderr == ""
    assert len(columns((tmp_path / "pred.csv").read_text())["ratio"]) == 50
    bad = fitcli("predict", tmp_path / "t.json", "-", "--metrics", tmp_path / "m.json",
                 input=inputs + "\n", check=False)
    assert bad.returncode == 2 and "has no targets" in bad.stderr


def _existing_model(tmp_path):
    path = tmp_path / "model.json"
    fitcli("ratio2d", Path(__file__).parent.parent / "data" / "ratio2d.csv", "-o", path, "--quiet")
    return path, path.read_bytes()


@pytest.mark.parametrize("case,code", [("not converged", 4), ("degenerate", 3), ("bad csv", 2)])
def test_a_failing_fit_leaves_the_existing_model_byte_for_byte(case, code, tmp_path):
    path, before = _existing_model(tmp_path)
    data = Path(__file__).parent.parent / "data" / "ratio2d.csv"
    args = {
        "not converged": [data, "--max-iter", 1],
        "degenerate": ["-"],
        "bad csv": ["-"],
    }[case]
    stdin = {"degenerate": "x,y,ratio\n" + "".join(f"{i},{2 * i},{i}\n" for i in range(9)),
             "bad csv": "x,y,ratio\n1,2,3\n4,5,oops\n"}.get(case)
    out = fitcli("ratio2d", *args, "-o", path, input=stdin, check=False)
    assert out.returncode == code, out.stderr
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_an_interrupted_or_killed_fit_leaves_the_existing_model(how, tmp_path):
    path, before = _existing_model(tmp_path)
    fitcli("synth", "project3d", "--n", 20000, "-o", tmp_path / "big.csv")
    never_stops = ["--optimizer", "gd", "--init", "identity", "--lr", "1e-9",  # a slow descent
                   "--max-iter", 10**9,
                   "--tol", "1e-300", "--xtol", "1e-300", "--gtol", "1e-300"]
    proc = subprocess.Popen([str(SCRIPT), "project3d", str(tmp_path / "big.csv"), "-o", str(path),
                             *map(str, never_stops)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)
    try:
        assert "project3d: running" in proc.stderr.readline()  # the fit is running
        time.sleep(0.3)
        proc.send_signal(how)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["big.csv", "model.json"]
    if how == signal.SIGINT:
        assert proc.returncode == 130
        assert f"warning: model not saved to {path}: the fit was interrupted" in stderr
        assert "interrupted" in stdout  # the best parameters so far are still printed
    else:
        assert proc.returncode == -signal.SIGKILL


def test_a_converged_fit_replaces_the_model_atomically(tmp_path):
    path, before = _existing_model(tmp_path)
    fitcli("synth", "ratio2d", "--seed", 9, "-o", tmp_path / "other.csv")
    fitcli("ratio2d", tmp_path / "other.csv", "-o", path, "--quiet")
    after = json.loads(path.read_bytes())
    # an absolute path outside the current folder is recorded as its file name alone
    assert path.read_bytes() != before and after["input"]["file"] == "other.csv"
    assert sorted(os.listdir(tmp_path)) == ["model.json", "other.csv"]


def test_quiet_leaves_stderr_empty_and_json_keeps_stdout_pure(tmp_path):
    data = Path(__file__).parent.parent / "data" / "project3d.csv"
    out = fitcli("project3d", data, "--quiet", "-o", tmp_path / "m.json")
    assert out.stdout == "" and out.stderr == ""
    out = fitcli("project3d", data, "--json", "-o", tmp_path / "m.json")
    assert json.loads(out.stdout)["converged"] is True
    assert "note: model saved to" in out.stderr


def test_synth_truth_to_stdout_and_stdin_clash_are_usage_errors(tmp_path):
    out = fitcli("synth", "linear-tanh", "--n", 20, "-o", tmp_path / "p.csv", "--truth", "-")
    assert json.loads(out.stdout)["truth"]["n"] == 20
    out = fitcli("synth", "linear-tanh", "--truth", "-", check=False)
    assert out.returncode == 2 and "needs -o FILE" in out.stderr
    out = fitcli("predict", "-", "-", check=False)
    assert out.returncode == 2 and "cannot both be standard input" in out.stderr
    out = fitcli("synth", "ratio2d", "-o", tmp_path / "missing" / "p.csv", check=False)
    assert out.returncode == 2 and "does not exist" in out.stderr


@pytest.mark.parametrize("delay", [0.0, 0.4, 0.9, 1.6])
def test_sigterm_at_any_moment_saves_nothing_or_everything(delay, tmp_path):
    """SIGTERM while the data are read, during RANSAC's draws or refits, the report, or
    while the --residuals file (megabytes) and the model are written: exit 143 with every
    old file as it was, or (once the files are being put in place) exit 0 with all of them
    new; never a temporary file left behind."""
    data = tmp_path / "big.csv"
    fitcli("synth", "project3d", "--n", 30000, "--outliers", "0.2", "-o", data)
    model, res = tmp_path / "model.json", tmp_path / "res.csv"
    model.write_text("old model\n")
    res.write_text("old residuals\n")
    proc = subprocess.Popen([str(SCRIPT), "project3d", str(data), "-o", str(model), "--residuals",
                             str(res), "--robust", "ransac", "--threshold", "2", "--quiet"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr
    # -15: killed before fitcli's handler was installed, while Python started (a shell
    # reports 143 for both)
    assert proc.returncode in (0, 143, -signal.SIGTERM), stderr
    kept = model.read_text() == "old model\n", res.read_text() == "old residuals\n"
    assert kept == ((False, False) if proc.returncode == 0 else (True, True)), stderr
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".fitcli-")]


def test_a_mapped_input_truncated_meanwhile_is_read_as_it_was(tmp_path):
    """A large input is memory-mapped; truncating it under the map killed the run with
    SIGBUS (exit 135) when the report went back to it for line numbers.  Under its read
    lease the truncation waits until fitcli has copied the file, which it then fits as
    it was."""
    data = tmp_path / "big.csv"
    fitcli("synth", "project3d", "--n", 30000, "--outliers", "0.1", "-o", data)
    n = len(data.read_text().splitlines()) - 1
    proc = subprocess.Popen([str(SCRIPT), "project3d", str(data), "--threshold", "1", "--json",
                             "--optimizer", "gd", "--lr", "1e-9", "--max-iter", "4000",
                             "--tol", "1e-300", "--xtol", "1e-300", "--gtol", "1e-300"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    try:  # a set step runs every iteration: a few seconds, progress logged once a second
        assert "project3d: running" in proc.stderr.readline()  # read, and fitting
        started = time.monotonic()
        with open(data, "w"):  # truncates: waits for fitcli to copy the file and let go
            pass
        assert time.monotonic() - started < 30
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert data.stat().st_size == 0
    assert proc.returncode in (0, 4), (proc.returncode, stderr)  # not -SIGBUS
    doc = json.loads(stdout)
    assert doc["n_points"] == n and doc["robust"]["n_points"] == n
    assert all(2 <= line <= n + 1 for line in doc["robust"]["outlier_lines"])


@pytest.mark.skipif(not hasattr(signal, "pthread_sigmask"), reason="POSIX signal masks")
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_after_the_files_are_saved_leaves_the_exit_code(how, tmp_path):
    """The interpreter's shutdown puts the default action back where a Python handler
    was; a signal then (here: sent from an atexit hook after doing what the shutdown
    does) must not kill a run whose model is saved: that would read as 'interrupted,
    nothing saved'."""
    model = tmp_path / "m.json"
    data = Path(__file__).parent.parent / "data" / "ratio2d.csv"
    code = (
        "import atexit, os, signal, sys\n"
        "def late():  # as the shutdown does: a Python handler becomes the default action\n"
        f"    if callable(signal.getsignal({int(how)})):\n"
        f"        signal.signal({int(how)}, signal.SIG_DFL)\n"
        f"    os.kill(os.getpid(), {int(how)})\n"
        "atexit.register(late)\n"
        "from fitcli.cli import main\n"
        f"sys.argv = ['fitcli', 'ratio2d', {str(data)!r}, '-o', {str(model)!r}, '-q']\n"
        "main()\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV,
                         timeout=120)
    assert out.returncode == 0, (out.returncode, out.stderr)
    assert json.loads(model.read_text())["model"] == "ratio2d"


def test_no_command_makes_pyarrow_load_pandas(tmp_path):
    """pyarrow's object conversions (pa.array, pa.scalar, to_numpy) import pandas when it
    is installed: 0.2-0.4 s a command.  A stand-in pandas on the path records any import
    of it; none of these commands may cause one."""
    pytest.importorskip("pyarrow")
    fake = tmp_path / "site" / "pandas"
    fake.mkdir(parents=True)
    marker = tmp_path / "pandas_imported"
    (fake / "__init__.py").write_text(
        f"open({str(marker)!r}, 'a').write('imported\\n')\nraise ImportError('stand-in')\n")
    env = {**ENV, "PYTHONPATH": str(tmp_path / "site")}
    data = Path(__file__).parent.parent / "data"
    points = tmp_path / "p.csv"
    commands = [
        ["synth", "project3d", "--n", 20000, "-o", points],
        ["synth", "linear-tanh", "--n", 5000, "-o", tmp_path / "l.parquet"],
        ["convert", points, tmp_path / "p.parquet"],
        ["project3d", points, "--residuals", tmp_path / "r.csv", "-o", tmp_path / "m.json", "-q"],
        ["project3d", tmp_path / "p.parquet", "--residuals", tmp_path / "r.parquet", "-q"],
        ["project3d", tmp_path / "p.parquet", "--engine", "stream", "--residuals", tmp_path / "s.csv", "-q"],
        ["predict", tmp_path / "m.json", points, "-o", tmp_path / "pr.csv", "-q"],
        ["linear-tanh", data / "linear_tanh.csv", "--json", "-q"],
        ["linear-tanh", tmp_path / "l.parquet", "--json", "-q"],
    ]
    for args in commands:
        out = subprocess.run([str(SCRIPT), *map(str, args)], capture_output=True, text=True,
                             env=env, timeout=120)
        assert out.returncode == 0, (args, out.stderr)
        assert not marker.exists(), f"fitcli {' '.join(map(str, args))} imported pandas"
