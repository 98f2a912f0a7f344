"""linear-tanh on the command line: labels of any two values, the classification report in
tables and JSON, --residuals, and the exit codes of lines the form cannot express."""

import csv
import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from fitcli.cli import app

from .conftest import DATA

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}


def run(*args):
    return CliRunner().invoke(app, ["linear-tanh", *map(str, args)], env=ENV)


@pytest.fixture
def pets(tmp_path):
    """Dogs below the line y = 0.5 x + 1, cats above; two dogs among the cats."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-3, 3, (2, 60))
    names = np.where(y < 0.5 * x + 1, "dog", "cat")
    names[[3, 7]] = np.where(names[[3, 7]] == "cat", "dog", "cat")
    path = tmp_path / "pets.csv"
    rows = [f"{a!r},{b!r},{c}" for a, b, c in zip(x.tolist(), y.tolist(), names)]
    path.write_text("# pets\nx,y,label\n" + "\n".join(rows) + "\n")
    return path


def test_text_labels_say_which_is_plus_one(pets):
    result = run(pets, "--json")
    assert result.exit_code == 0, result.stderr
    assert ("note: labels 'cat'/'dog': 'dog' is +1 (the second in sorted order; --positive "
            "chooses), 'cat' is -1") in result.stderr
    c = json.loads(result.stdout)["classification"]
    assert c["labels"] == {"positive": "dog", "negative": "cat"}
    assert c["rows_are"] == "input lines"
    assert {r["label"] for r in c["misclassified"]} <= {"dog", "cat"}


def test_misclassified_rows_are_named_by_their_input_line(pets):
    c = json.loads(run(pets, "--json", "-q").stdout)["classification"]
    lines = pets.read_text().split("\n")
    assert 1 <= c["n_misclassified"] == len(c["misclassified"])
    for row in c["misclassified"]:
        x, y, label = lines[row["line"] - 1].split(",")
        assert (float(x), float(y), label) == (row["x"], row["y"], row["label"])
        assert row["line"] == row["row"] + 2  # a comment and the header come first


def test_positive_chooses_the_class_and_must_be_one_of_them(pets):
    result = run(pets, "--json", "--positive", "cat")
    assert json.loads(result.stdout)["classification"]["labels"]["positive"] == "cat"
    assert "'cat' is +1 (--positive)" in result.stderr
    assert "+1 class lies mostly above" in result.stderr  # cats are above the line
    result = run(pets, "--positive", "bird")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == f"error: {pets}: --positive bird is not one of the labels (cat, dog)"


def test_three_classes_are_a_one_line_error(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("x,y,label\n1,2,cat\n2,3,dog\n3,1,bird\n")
    result = run(path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.strip() == (f"error: {path}: linear-tanh separates two classes; the labels "
                                     "take 3 values: 'bird', 'cat', 'dog'")


def test_report_tables_on_the_overlapping_sample():
    result = run(DATA / "linear_tanh.csv", "--verbose")
    assert result.exit_code == 0
    for text in ("classification", "confusion matrix", "misclassified points (first 10 of",
                 "min margin", "min distance", "accuracy", "z units", "std(y) = "):
        assert text in result.stdout
    assert "misclassified points (" not in run(DATA / "linear_tanh.csv").stdout  # --verbose
    assert "note: z = k x + b - y is measured in units of std(y)" in result.stderr


def test_json_report_on_the_overlapping_sample():
    doc = json.loads(run(DATA / "linear_tanh.csv", "--json", "-q").stdout)
    c = doc["classification"]
    assert sum(map(sum, c["confusion"])) == doc["n_points"] == 300
    assert c["n_correct"] == c["confusion"][0][0] + c["confusion"][1][1]
    assert c["accuracy"] == doc["accuracy"] == c["n_correct"] / 300
    assert len(c["misclassified"]) == 10 and c["worst_margin"] < 0 < c["min_margin"]
    assert c["log_loss"] is None and c["degenerate"] is None and doc["warnings"] == []
    # the RMS of the residuals the fit minimised, tanh(z / std(y)) - label, in both tables
    assert doc["rmse"] == pytest.approx(doc["loss"] ** 0.5) == doc["diagnostics"]["rms"]


def test_cross_entropy_reports_the_log_loss():
    doc = json.loads(run(DATA / "linear_tanh.csv", "--json", "-q", "--activation", "sigmoid",
                         "--loss", "cross-entropy", "--form", "general").stdout)
    assert doc["params"].keys() == {"w1", "w2", "w0"}
    assert doc["classification"]["log_loss"] == pytest.approx(doc["loss"], rel=1e-12)
    assert doc["classification"]["line"]["positive_side"] == "below"


def test_residuals_file_has_every_point(tmp_path):
    out = tmp_path / "points.csv"
    result = run(DATA / "linear_tanh.csv", "--json", "-q", "--residuals", out)
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 300 and rows[0]["line"] == "2"
    assert list(rows[0]) == ["line", "z", "label_hat", "residual", "standardized", "activation",
                             "label", "correct", "margin", "distance", "loss", "inlier"]
    assert sum(r["correct"] == "1" for r in rows) == doc["classification"]["n_correct"]
    wrong = [int(r["line"]) for r in rows if r["correct"] == "0"]
    assert wrong[:10] == [r["line"] for r in doc["classification"]["misclassified"]]
    assert np.mean([float(r["loss"]) for r in rows]) == pytest.approx(doc["loss"], rel=1e-12)
    assert np.mean([float(r["residual"]) ** 2 for r in rows]) == pytest.approx(doc["loss"], rel=1e-12)
    assert os.listdir(tmp_path) == ["points.csv"]  # written through a temporary file


def test_cross_entropy_has_likelihood_standard_errors():
    """The inverse of the total Hessian X^T W X, W = p (1 - p), not sigma^2 (J^T J)^-1."""
    doc = json.loads(run(DATA / "linear_tanh.csv", "--json", "-q", "--activation", "sigmoid",
                         "--loss", "cross-entropy", "--form", "general").stdout)
    x, y, _ = np.loadtxt(DATA / "linear_tanh.csv", delimiter=",", skiprows=1).T
    X = np.column_stack([x, y, np.ones_like(x)])
    p = 1 / (1 + np.exp(-X @ [doc["params"][k] for k in ("w1", "w2", "w0")]))
    expected = np.sqrt(np.diag(np.linalg.inv(X.T @ (X * (p * (1 - p))[:, None]))))
    got = [doc["standard_errors"][k] for k in ("w1", "w2", "w0")]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert doc["diagnostics"]["sigma"] is None and "inverse Hessian" in doc["diagnostics"]["sigma_source"]


def test_a_saved_general_model_predicts_with_its_own_form(tmp_path):
    model = tmp_path / "m.json"
    fitted = run(DATA / "linear_tanh.csv", "-q", "--form", "general", "--activation", "sigmoid",
                 "--loss", "cross-entropy", "-o", model)
    assert fitted.exit_code == 0, fitted.stderr
    options = json.loads(model.read_text())["options"]
    assert options["form"] == "general" and options["loss_function"] == "cross-entropy"
    result = CliRunner().invoke(app, ["predict", str(model), str(DATA / "linear_tanh.csv")], env=ENV)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert lines[0] == "label,z" and len(lines) == 301
    assert "accuracy" in result.stderr and "0.92666" in result.stderr


def test_a_line_the_data_do_not_determine_is_not_saved(tmp_path):
    model = tmp_path / "m.json"
    result = run(DATA / "linear_tanh_separated.csv", "-q", "--form", "general", "-o", model)
    assert result.exit_code == 3 and not model.exists()
    assert "model not saved" in result.stderr and "do not determine the line" in result.stderr


def test_separable_classes_in_the_general_form_exit_3_with_the_result():
    result = run(DATA / "linear_tanh_separated.csv", "--form", "general", "--json")
    assert result.exit_code == 3
    doc = json.loads(result.stdout)
    assert doc["classification"]["separable"] is True and doc["classification"]["accuracy"] == 1.0
    assert "warning: the classes are linearly separable" in result.stderr


def test_vertical_separator_exits_3_and_points_to_the_general_form(tmp_path):
    path = tmp_path / "vertical.csv"
    x, y = np.random.default_rng(1).uniform(-1, 1, (2, 80))
    path.write_text("x,y,label\n" + "".join(f"{a},{b},{int(a > 0.3)}\n" for a, b in zip(x, y)))
    result = run(path)
    assert result.exit_code == 3
    assert "warning: the best separator is vertical" in result.stderr
    assert "--form general" in result.stderr and "vertical limit" in result.stdout
    assert run(path, "--form", "general", "--loss", "cross-entropy").exit_code == 3  # separable


def test_units_notes():
    raw = run(DATA / "linear_tanh.csv", "--no-standardize", "--json")
    assert "note: z = k x + b - y is in y's units (--no-standardize)" in raw.stderr
    assert json.loads(raw.stdout)["z_scale"] == 1.0
    general = run(DATA / "linear_tanh.csv", "--form", "general", "--standardize", "-q", "--json")
    assert json.loads(general.stdout)["classification"]["form"] == "general"
    general = run(DATA / "linear_tanh.csv", "--form", "general", "--standardize", "--json")
    assert "--standardize and --no-standardize change nothing" in general.stderr
    tanh_ce = run(DATA / "linear_tanh.csv", "--loss", "cross-entropy", "--json")
    assert "P(+1) = (tanh z + 1)/2" in tanh_ce.stderr and tanh_ce.exit_code == 0


def test_saturation_is_pointed_out_without_standardisation(tmp_path):
    rows = (DATA / "linear_tanh.csv").read_text().split("\n")
    scaled = [rows[0]] + [f"{float(a) * 100},{float(b) * 100},{c}" for a, b, c in
                          (r.split(",") for r in rows[1:] if r)]
    path = tmp_path / "scaled.csv"
    path.write_text("\n".join(scaled) + "\n")
    result = run(path, "--no-standardize", "--json")
    assert "saturates and its gradient vanishes" in result.stderr


def test_help_names_the_new_options():
    text = run("--help").stdout
    for option in ("--activation", "--loss", "--form", "--positive", "--residuals", "--standardize"):
        assert option in text
