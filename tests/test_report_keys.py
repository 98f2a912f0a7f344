"""Every JSON key a fit prints is declared (report.document.KEYS) and documented in
docs/report.md, whose reference tables name each key path in their first column
(`diagnostics.noise_test.p_value`; a list of objects as `gates[].gate`)."""

import json
import re

import pytest
from typer.testing import CliRunner

from fitcli.cli import app
from fitcli.report.document import KEYS

from .conftest import DATA, ROOT

DOCUMENTED = {path for cell in re.findall(r"^\| (`[^|]*`) \|", (ROOT / "docs" / "report.md").read_text(), re.M)
              for path in re.findall(r"`([^`]+)`", cell)}
NAMED_BY_MODEL = ("params", "standard_errors", "camera.figures", "camera.standard_errors")
RUNS = [
    ("project3d", "project3d.csv", ["--sigma", "0.5", "--max-rms", "1"]),
    ("project3d", "project3d.csv", ["--robust", "ransac", "--threshold", "2", "--min-inliers", "0.5"]),
    ("project3d", "project3d.csv", ["--robust", "huber", "--threshold", "2"]),
    ("project3d", "project3d_lens.csv", ["--distortion", "k1,k2,p1,p2", "--sigma", "0.5"]),
    ("project3d", "project3d_lens.csv", ["--distortion", "k1", "--skew", "zero", "--robust",
                                         "huber", "--threshold", "2"]),
    ("project3d", "project3d.csv", ["--intrinsics", str(DATA / "project3d.truth.json")]),
    ("homography", "homography.csv", ["--sigma", "0.5"]),
    ("ratio2d", "ratio2d.csv", ["--threshold", "1", "--require-converged"]),
    ("linear-tanh", "linear_tanh.csv", []),
    ("project3d", "project3d.csv", ["--engine", "stream", "--sigma", "0.5", "--threshold", "2"]),
    ("linear-tanh", "linear_tanh.csv", ["--engine", "stream"]),
    ("linear-tanh", "linear_tanh.csv", ["--loss", "cross-entropy", "--activation", "sigmoid",
                                        "--form", "general"]),
]


def paths(value, prefix=""):
    """The key paths of a JSON value (lists of objects as `name[]`)."""
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            if path not in NAMED_BY_MODEL:
                yield from paths(item, path)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for item in value:
            yield from paths(item, prefix + "[]")


@pytest.mark.parametrize("model,file,options", RUNS)
def test_every_key_printed_is_declared_and_documented(model, file, options, tmp_path):
    out = tmp_path / "residuals.csv"
    result = CliRunner().invoke(app, [model, str(DATA / file), "--json", "--quiet",
                                      "--residuals", str(out), *options],
                                env={"NO_COLOR": "1"}, catch_exceptions=False)
    doc = json.loads(result.stdout)
    assert set(doc) <= set(KEYS), set(doc) - set(KEYS)
    missing = sorted({p for p in paths(doc) if p not in DOCUMENTED})
    assert not missing, f"not in docs/report.md: {missing}"


def test_every_declared_key_is_documented():
    assert not sorted(set(KEYS) - DOCUMENTED)


def test_every_key_of_a_several_files_run_is_declared_and_documented():
    """JSON Lines: a fitted file's line and an unreadable file's line."""
    result = CliRunner().invoke(app, ["project3d", str(DATA / "project3d.csv"), str(DATA / "ratio2d.csv"),
                                      "--json", "--quiet"], env={"NO_COLOR": "1"})
    for line in result.stdout.splitlines():
        doc = json.loads(line)
        assert set(doc) <= set(KEYS), set(doc) - set(KEYS)
        missing = sorted({p for p in paths(doc) if p not in DOCUMENTED})
        assert not missing, f"not in docs/report.md: {missing}"


def _at(doc, path):
    """The value at a key path without lists (None if a list is on the way)."""
    for key in path.split("."):
        if not isinstance(doc, dict) or key.endswith("[]"):
            return None
        doc = doc.get(key)
    return doc


def _doc(model, path, options):
    result = CliRunner().invoke(app, [model, str(path), "--json", "--quiet", *options],
                                env={"NO_COLOR": "1"}, catch_exceptions=False)
    assert result.exit_code in (0, 4), result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("model,file,n,options", [
    ("ratio2d", "ratio2d.csv", 5, ["--sigma", "0.5"]),  # as many points as the map needs
    ("project3d", "project3d.csv", 6, ["--sigma", "0.5"]),
    ("project3d", "project3d_exact.csv", 7, ["--robust", "ransac", "--threshold", "1"]),
    ("linear-tanh", "linear_tanh.csv", 3, ["--init", "zero"]),
])
def test_keys_do_not_depend_on_the_data(model, file, n, options, tmp_path):
    """A figure that cannot be computed is null, never a missing key: a fit through as
    many points as it needs (no degree of freedom: no standard errors, no noise test)
    prints the keys of an ordinary fit with the same options."""
    lines = (DATA / file).read_text().splitlines()
    small = tmp_path / "small.csv"
    small.write_text("\n".join(lines[: n + 1]) + "\n")
    ordinary, minimal = _doc(model, DATA / file, options), _doc(model, small, options)
    nulls = [p for p in paths(minimal) if _at(minimal, p) is None]  # an object that is null
    expected = {p for p in paths(ordinary) if not any(p.startswith(f"{n}.") for n in nulls)}
    rows = {p for p in expected | set(paths(minimal)) if "[]" in p}  # lists of rows: maybe empty
    assert set(paths(minimal)) - rows == expected - rows
    if minimal["diagnostics"]["dof"] <= 0:
        assert all(v is None for v in minimal["standard_errors"].values())
        assert all(v is None for row in minimal["correlation"] for v in row)
        if "--sigma" in options:
            assert minimal["diagnostics"]["noise_test"] is None
