"""fitcli gradcheck: passes on the real gradients, fails (exit 6) on a wrong partial."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from fitcli.cli import app
from fitcli.core.check import check_gradients
from fitcli.core.gradcheck import gradient_with_error
from fitcli.core.models import MODELS
from fitcli.core.models.project3d.model import Project3dKernel
from fitcli.core.models.ratio2d.model import Ratio2dKernel
from fitcli.core.synth import synthesize
from fitcli.errors import EXIT_GRADCHECK

from .conftest import DATA

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}
NAMES = sorted(MODELS)


def run(*args, input=None):
    return CliRunner().invoke(app, ["gradcheck", *args], input=input, env=ENV)


def test_richardson_differences_and_their_error_bound_on_a_known_function():
    p = np.array([0.3, -1.2, 2.0])
    g, err = gradient_with_error(lambda q: float(np.sum(np.sin(q) * q)), p, np.full(3, 1e-4))
    exact = np.sin(p) + p * np.cos(p)
    assert np.all(np.abs(g - exact) <= err)
    assert np.max(np.abs(g - exact)) < 1e-10


@pytest.mark.parametrize("noise", [None, 0.0])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("name", NAMES)
def test_the_real_gradients_pass_on_noisy_and_exact_data(name, normalize, noise):
    """Exact data puts the start at the minimum, where the gradient vanishes: that must
    not fail (the partials are rounding noise there); the random points still check."""
    settings = {} if noise is None else {"noise": noise}
    model = MODELS[name]
    data, _ = model.split(synthesize(name, seed=2, n=60, **settings).table)
    report = check_gradients(model, data, points=3, seed=1, normalize=normalize)
    assert report.failed() == []
    assert max(report.worst_counted(f) for f in ("cost_grad", "normal", "jacobian")) < 1e-6
    assert len(report.points) == 4


def _perturbed(cls, index, factor, monkeypatch):
    """Multiply one partial of the kernel's gradient pass by `factor`."""
    original = cls._cost_grad

    def wrong(self, params):
        cost, grad = original(self, params)
        grad = grad.copy()
        grad[index] *= factor
        return cost, grad

    monkeypatch.setattr(cls, "_cost_grad", wrong)


def test_one_wrong_partial_exits_6_and_the_table_names_it(monkeypatch):
    _perturbed(Ratio2dKernel, 4, 1.001, monkeypatch)  # d: off by 0.1 %
    result = run("ratio2d", "--points", "2")
    assert result.exit_code == EXIT_GRADCHECK
    rows = {line.split()[1]: line for line in result.stdout.splitlines() if line.startswith("│")}
    assert rows["d"].rstrip(" │").endswith("FAIL")
    assert all(rows[p].rstrip(" │").endswith("ok") for p in ("a", "b", "t1", "c", "t2"))
    assert "gradient check failed for d " in result.stderr


def test_the_tutorials_slip_is_caught(monkeypatch):
    """docs/math.md s.3: the tutorial's second constant uses l[0] (u) where l[1] (v) belongs."""
    original = Project3dKernel._cost_grad

    def slipped(self, params):
        cost = self._cost(params)
        v, self.v = self.v, self.u
        try:
            return cost, original(self, params)[1]
        finally:
            self.v = v

    monkeypatch.setattr(Project3dKernel, "_cost_grad", slipped)
    result = run("project3d", "--json")
    assert result.exit_code == EXIT_GRADCHECK
    doc = json.loads(result.stdout)
    assert doc["passed"] is False
    assert {"e", "f", "g", "t2"} <= set(doc["failed"]) and "a" not in doc["failed"]
    assert doc["worst_relative_error"]["normal"] < 1e-6  # LM's pass is still right


def test_a_wrong_jacobian_is_caught_even_when_the_kernels_are_right(monkeypatch):
    model = MODELS["linear-tanh"]
    original = type(model).jacobian
    monkeypatch.setattr(type(model), "jacobian", lambda self, p, x, y, l: original(self, p, x, y, l) * [1.0, 1.05])
    result = run("linear-tanh", "--json", "--quiet")
    assert result.exit_code == EXIT_GRADCHECK
    doc = json.loads(result.stdout)
    assert doc["failed"] == ["b"]
    assert doc["worst_relative_error"]["cost_grad"] < 1e-6


@pytest.mark.parametrize("name,sample", [("project3d", "project3d.csv"), ("ratio2d", "ratio2d_exact.csv"),
                                         ("linear-tanh", "linear_tanh.csv")])
def test_passes_on_the_sample_files_with_a_table(name, sample):
    result = run(name, str(DATA / sample))
    assert result.exit_code == 0, result.stderr
    assert "passed" in result.stdout and "FAIL" not in result.stdout
    assert result.stderr == ""


def test_reads_standard_input_and_quiet_prints_nothing():
    text = (DATA / "project3d.csv").read_text()
    result = run("project3d", "-", "--quiet", "--points", "1", input=text)
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""


def test_json_reports_every_point_and_form():
    result = run("ratio2d", "--json", "--points", "2", "--seed", "5", "--n", "30")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0 and doc["passed"] is True
    assert [p["point"] for p in doc["points"]] == ["start", "random 1", "random 2"]
    assert set(doc["points"][0]["analytic"]) == {"cost_grad", "normal", "jacobian"}
    assert doc["input"].startswith("synthetic")


def test_degenerate_and_bad_input_are_one_line_errors(tmp_path):
    flat = tmp_path / "flat.csv"
    flat.write_text("X,Y,Z,u,v\n" + "".join(f"{x},{y},0,{x},{y}\n" for x in range(4) for y in range(3)))
    result = run("project3d", str(flat))
    assert result.exit_code == 3 and "lie on one plane" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y,label\n1,2,7\n3,4,1\n5,6,0\n")  # any two label values, not three
    result = run("linear-tanh", str(bad))
    assert result.exit_code == 2
    assert result.stderr.strip() == (f"error: {bad}: linear-tanh separates two classes; the labels "
                                     "take 3 values: 0, 1, 7")
