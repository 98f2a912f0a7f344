"""The command line: exit codes, JSON on stdout only, errors on stderr only."""

import json
import os
import pathlib
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from fitcli.cli import app

from .conftest import DATA

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}
SCRIPT = pathlib.Path(sys.executable).parent / "fitcli"
SAMPLES = [
    ("project3d", "project3d.csv"), ("project3d", "project3d_exact.csv"),
    ("ratio2d", "ratio2d.csv"), ("ratio2d", "ratio2d_exact.csv"),
    ("linear-tanh", "linear_tanh.csv"), ("linear-tanh", "linear_tanh_separated.csv"),
]
KEYS = {"model", "params", "loss", "n_points", "iterations", "converged", "status", "seconds"}


def run(*args, input=None):
    return CliRunner().invoke(app, list(args), input=input, env=ENV)


@pytest.mark.parametrize("model,name", SAMPLES)
def test_installed_script_on_each_sample(model, name):
    out = subprocess.run([str(SCRIPT), model, str(DATA / name), "--json"], capture_output=True,
                         text=True, env={**os.environ, **ENV}, timeout=120)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)  # stdout holds nothing but the JSON
    assert KEYS <= set(doc) and doc["model"] == model and doc["converged"] is True
    if model == "linear-tanh":
        assert 0.5 < doc["accuracy"] <= 1.0
    else:
        assert doc["rmse"] == pytest.approx(doc["loss"] ** 0.5)
        assert len(doc["matrix"]) == (3 if model == "project3d" else 2)
    assert "Traceback" not in out.stderr


def test_python_dash_m_runs_the_app():
    out = subprocess.run([sys.executable, "-m", "fitcli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("fitcli ")


def test_table_output_names_every_parameter():
    result = run("project3d", str(DATA / "project3d.csv"), "--verbose")
    assert result.exit_code == 0
    for name in ("a", "b", "c", "t1", "e", "f", "g", "t2", "i", "j", "k", "t3"):
        assert f"│ {name} " in result.stdout
    assert "RMS error" in result.stdout


def test_standard_input_and_quiet():
    text = (DATA / "ratio2d.csv").read_text()
    result = run("ratio2d", "-", "--json", "--quiet", input=text)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["input"] == "<stdin>"
    assert result.stderr == ""


def test_a_short_fit_logs_no_progress_that_could_read_like_its_result():
    for extra in ([], ["--robust", "ransac", "--threshold", "2"]):  # RANSAC refits
        result = run("project3d", str(DATA / "project3d.csv"), "--json", *extra)
        assert result.exit_code == 0
        json.loads(result.stdout)
        assert "iter" not in result.stderr and "\x1b[" not in result.stderr


def test_progress_of_a_long_fit_is_a_plain_line_a_second_naming_each_refit(monkeypatch):
    from fitcli.report import console

    clock = iter(range(0, 1000, 2))  # two seconds between calls
    monkeypatch.setattr(console.time, "monotonic", lambda: next(clock))
    lines = []
    monkeypatch.setattr(console, "_stderr", lambda: type("E", (), {
        "print": lambda self, text, **k: lines.append(text), "is_terminal": False,
        "is_dumb_terminal": False})())
    info = type("Info", (), {})
    with console.progress("project3d", False, lambda i: {"rmse": 0.5}) as callback:
        for iteration in (1, 2, 1, 2):  # a second fit starts again at iteration 1
            info.iteration, info.cost = iteration, 0.25
            callback(info)
    assert lines[0].startswith("project3d: running (2 s), iter     1  loss 0.25  rmse 0.5")
    assert lines[2].startswith("project3d (fit 2): running")


def test_data_error_exit_2_on_stderr_only(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("X,Y,Z,u,v\n1,2,3,4,x\n")
    result = run("project3d", str(bad), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip() == f"error: {bad}, line 2, column 'v': expected a number, got 'x'"


def test_degenerate_input_exit_3(tmp_path):
    flat = tmp_path / "flat.csv"
    rows = [f"{x},{y},0,{x * 10},{y * 10}" for x in range(4) for y in range(3)]
    flat.write_text("X,Y,Z,u,v\n" + "\n".join(rows) + "\n")
    result = run("project3d", str(flat))
    assert result.exit_code == 3
    assert "lie on one plane" in result.stderr and result.stdout == ""


def test_not_converged_exit_4_still_prints_the_result():
    result = run("project3d", str(DATA / "project3d.csv"), "--max-iter", "1", "--json")
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert doc["status"] == "max_iter" and doc["converged"] is False
    assert "not converged" in result.stderr


def test_bad_option_is_a_usage_error():
    result = run("project3d", str(DATA / "project3d.csv"), "--lr", "-0.1")
    assert result.exit_code == 2
    assert "must be > 0" in result.stderr


def test_lr_alone_selects_fixed_step_gradient_descent():
    result = run("linear-tanh", str(DATA / "linear_tanh_separated.csv"), "--lr", "0.05", "--json")
    doc = json.loads(result.stdout)
    assert doc["optimizer"] == "gd"
    assert "fixed-step gradient descent" in result.stderr


@pytest.mark.parametrize("command", ["linear-tanh", "ratio2d", "project3d", "synth"])
def test_each_subcommand_has_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0 and "Usage" in result.stdout


def test_cli_choices_match_the_core_registries():
    """The choices each command offers are the core's: its models, their starts and
    options, the optimizers and the robust methods (read off the built click commands)."""
    import typer.main

    from fitcli.core import MODELS
    from fitcli.core.optimizers import OPTIMIZERS
    from fitcli.core.robust_fit import METHODS

    group = typer.main.get_command(app)
    def choices(command, option):
        param = next(p for p in group.commands[command].params if p.name == option)
        return tuple(param.type.choices)

    assert set(MODELS) <= set(group.commands)
    for name, model in MODELS.items():
        assert choices(name, "optimizer") == ("lm", *OPTIMIZERS)
        assert choices(name, "robust") == METHODS
        assert choices(name, "init") == model.inits
        for o in model.card.options:
            if o.choices and o.type is list:  # a comma-separated subset: checked by model_values
                assert all(c in o.help for c in o.choices)
            elif o.choices:
                assert choices(name, o.name) == o.choices
    for command in ("synth", "gradcheck"):
        assert choices(command, "kind") == tuple(MODELS)
