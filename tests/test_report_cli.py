"""The fit report on the command line: --sigma, --residuals, --robust, gates and --plot."""

import csv
import json
import math

import numpy as np
import pytest
from typer.testing import CliRunner

from fitcli.cli import app
from fitcli.io.csv_out import format_csv
from fitcli.core.camera import camera_figures
from fitcli.core.synth import synthesize

from .conftest import DATA, ROOT

ENV = {"NO_COLOR": "1", "TERMINAL_WIDTH": "100"}
P3D = ("project3d", str(DATA / "project3d.csv"))
CHESSBOARD = str(ROOT / "tests" / "fixtures" / "chessboard_left03_u.csv")


def run(*args, input=None):
    return CliRunner().invoke(app, [str(a) for a in args], input=input, env=ENV)


def run_json(*args, code=0):
    result = run(*args, "--json")
    assert result.exit_code == code, result.stderr
    return json.loads(result.stdout), result.stderr


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], np.array(rows[1:], float)


def outlier_sample(tmp_path, name="project3d", seed=7):
    sample = synthesize(name, seed=seed, n=300, noise=0.5, outliers=0.2)
    path = tmp_path / f"{name}_outliers.csv"
    path.write_text(format_csv(sample.columns, sample.table))
    return str(path), sample


def test_noisy_project3d_sample_report_with_known_sigma():
    doc, stderr = run_json(*P3D, "--sigma", "0.5")
    d, n = doc["diagnostics"], 300
    assert d["n"] == n and d["dof"] == 2 * n - 11
    assert d["sum_squares"] == pytest.approx(n * doc["loss"], rel=1e-10)
    assert d["rms"] == pytest.approx(math.sqrt(doc["loss"]), rel=1e-10)
    assert d["sigma"] == 0.5 and d["sigma_source"] == "given"
    test = d["noise_test"]
    assert test["expected_rms"] == pytest.approx(0.5 * math.sqrt(2 - 11 / n))  # docs/math.md s.3
    assert test["chi2"] == pytest.approx(d["sum_squares"] / 0.25)
    assert test["verdict"] == "the residual is what the noise explains"
    assert 0.001 < test["p_value"] < 0.999
    assert d["sigma_estimate"] == pytest.approx(0.5, rel=0.1)
    assert set(doc["standard_errors"]) == set(doc["params"])
    assert np.array(doc["correlation"]).shape == (12, 12)
    assert doc["warnings"] == [] and "warning" not in stderr


def test_camera_of_the_noisy_sample_matches_its_truth_file():
    doc, _ = run_json(*P3D, "--sigma", "0.5")
    truth = json.loads((DATA / "project3d.truth.json").read_text())
    M = np.array(truth["matrix"])
    expected = dict(zip(doc["camera"]["figures"], camera_figures(M)))
    for key, value in doc["camera"]["figures"].items():
        assert abs(value - expected[key]) < 4 * doc["camera"]["standard_errors"][key], key
    K = np.array(doc["camera"]["K"])
    assert K[0, 0] == pytest.approx(1500, abs=4) and K[2, 2] == 1.0
    assert doc["camera"]["handedness"] == "right"
    assert doc["behind_camera"] == {"count": 0, "lines": []}


def test_table_report_leads_with_the_camera_and_its_quality():
    """The default report: the camera, then the fit's status, RMS and noise verdict, then
    the matrix; the parameters, correlations and residual figures come with --verbose."""
    out = run(*P3D, "--sigma", "0.5").stdout
    order = ["focal length x (px)", "principal point x (px)", "skew (px)", "rotation rx (deg)",
             "camera centre Z", "points behind the camera", "converged:", "RMS point error",
             "the residual is what the noise explains", "camera matrix M", "--verbose adds"]
    assert [out.index(text) for text in order] == sorted(out.index(text) for text in order)
    for text in ("degrees of freedom", "chi-square", "correlation of the parameters", "│ t3 "):
        assert text not in out, text
    verbose = run(*P3D, "--sigma", "0.5", "--verbose").stdout
    for text in ("std. error", "degrees of freedom", "589", "chi-square", "verdict",
                 "correlation of the parameters", "│ t3 ", "R, world to camera"):
        assert text in verbose, text
    assert "--verbose adds" not in verbose


def test_a_too_small_sigma_and_a_real_misfit_are_called_out():
    doc, stderr = run_json(*P3D, "--sigma", "0.3")
    assert doc["diagnostics"]["noise_test"]["verdict_code"] == "too_large"
    assert "has not reached the optimum or the model does not fit" in stderr
    # real chessboard corners: lens distortion a 2D projective map cannot follow
    doc, _ = run_json("ratio2d", CHESSBOARD, "--sigma", "0.2")
    assert doc["diagnostics"]["dof"] == 54 - 5
    assert doc["diagnostics"]["rms"] == pytest.approx(1.4561, abs=1e-4)  # the reference fit
    assert doc["diagnostics"]["noise_test"]["verdict_code"] == "too_large"


def test_a_fit_stopped_early_is_not_what_the_noise_explains():
    doc, _ = run_json(*P3D, "--sigma", "0.5", "--optimizer", "gd", "--max-iter", "2",
                      "--init", "identity", code=4)
    assert doc["diagnostics"]["noise_test"]["verdict_code"] == "too_large"


def test_estimated_sigma_is_said_to_be_estimated():
    doc, _ = run_json("ratio2d", DATA / "ratio2d.csv")
    d = doc["diagnostics"]
    assert d["dof"] == 300 - 5 and d["sigma"] == d["sigma_estimate"]
    assert d["sigma_source"] == "estimated from the residual" and "noise_test" not in d


def test_linear_tanh_gets_the_generic_report_but_no_sigma_or_robust():
    doc, _ = run_json("linear-tanh", DATA / "linear_tanh.csv")
    assert doc["diagnostics"]["dof"] == 298 and set(doc["standard_errors"]) == {"k", "b"}
    assert doc["diagnostics"]["sum_squares"] == pytest.approx(300 * doc["loss"], rel=1e-10)
    for flags in (["--sigma", "1"], ["--robust", "huber", "--threshold", "1"]):
        result = run("linear-tanh", DATA / "linear_tanh.csv", *flags)
        assert result.exit_code == 2 and "applies to ratio2d and project3d" in result.stderr


def test_residuals_file_project3d(tmp_path):
    out = tmp_path / "res.csv"
    doc, _ = run_json(*P3D, "--sigma", "0.5", "--residuals", out)
    header, rows = read_csv(out)
    assert header == ["line", "u_hat", "v_hat", "ru", "rv", "error", "standardized", "depth", "inlier"]
    data = np.loadtxt(P3D[1], delimiter=",", skiprows=1)
    assert rows.shape == (300, 9) and doc["residuals_file"] == str(out)
    np.testing.assert_array_equal(rows[:, 0], np.arange(2, 302))  # header is line 1
    np.testing.assert_allclose(rows[:, 1] - data[:, 3], rows[:, 3], atol=1e-9)
    np.testing.assert_allclose(rows[:, 5], np.hypot(rows[:, 3], rows[:, 4]))
    np.testing.assert_allclose(rows[:, 6], rows[:, 5] / 0.5)
    assert np.all(rows[:, 7] > 0) and np.all(rows[:, 8] == 1)
    assert np.sqrt(np.mean(rows[:, 5] ** 2)) == pytest.approx(doc["diagnostics"]["rms"])


def test_residuals_file_ratio2d_and_linear_tanh_columns(tmp_path):
    out = tmp_path / "r.csv"
    run_json("ratio2d", DATA / "ratio2d.csv", "--residuals", out)
    header, rows = read_csv(out)
    assert header == ["line", "ratio_hat", "residual", "standardized", "inlier"]
    ratio = np.loadtxt(DATA / "ratio2d.csv", delimiter=",", skiprows=1)[:, 2]
    np.testing.assert_allclose(rows[:, 1] - ratio, rows[:, 2], atol=1e-9)
    run_json("linear-tanh", DATA / "linear_tanh.csv", "--residuals", out)
    header, rows = read_csv(out)
    assert header[:4] == ["line", "z", "label_hat", "residual"] and header[-1] == "inlier"
    assert set(np.unique(rows[:, 2])) <= {-1.0, 1.0}


def test_residuals_name_file_lines_past_comments_and_rows_for_stdin(tmp_path):
    text = (DATA / "ratio2d.csv").read_text().splitlines()
    src = tmp_path / "commented.csv"
    src.write_text("# a comment\n" + text[0] + "\n\n" + "\n".join(text[1:]) + "\n")
    out = tmp_path / "res.csv"
    run_json("ratio2d", src, "--residuals", out)
    _, rows = read_csv(out)
    assert rows[0, 0] == 4 and rows[-1, 0] == 303
    result = run("ratio2d", "-", "--residuals", out, "--quiet", input=src.read_text())
    assert result.exit_code == 0
    header, rows = read_csv(out)
    assert header[0] == "row" and rows[0, 0] == 1 and rows[-1, 0] == 300


def test_points_behind_the_camera_are_counted_and_listed(tmp_path):
    sample = synthesize("project3d", seed=3, n=60, noise=0.0)
    M = sample.params.reshape(3, 4)
    C = sample.settings["C"]
    behind = C + (C - sample.table[:5, :3]) * 0.5  # mirrored through the camera centre
    N = np.column_stack([behind, np.ones(5)]) @ M.T
    rows = np.vstack([sample.table, np.column_stack([behind, N[:, :2] / N[:, 2:]])])
    path = tmp_path / "behind.csv"
    path.write_text(format_csv(sample.columns, rows))
    doc, stderr = run_json("project3d", path, "-o", tmp_path / "model.json", code=4)
    assert doc["converged"] is True  # the optimum, but not a camera that sees its points
    assert doc["behind_camera"] == {"count": 5, "lines": [62, 63, 64, 65, 66]}
    assert "5 points are behind the fitted camera" in stderr and "lines 62, 63" in stderr
    assert "model not saved" in stderr and not (tmp_path / "model.json").exists()


def test_ransac_report_inliers_in_json_and_residuals(tmp_path):
    path, sample = outlier_sample(tmp_path)
    out = tmp_path / "res.csv"
    doc, stderr = run_json("project3d", path, "--robust", "ransac", "--threshold", "1.5",
                           "--residuals", out)
    robust = doc["robust"]
    assert robust["method"] == "ransac" and robust["seed"] == 0 and robust["trials"] >= 1
    assert len(robust["inlier"]) == 300 and robust["n_inliers"] == sum(robust["inlier"])
    assert robust["n_inliers"] / 300 == pytest.approx(0.8, abs=0.02)
    assert np.all(~np.array(robust["inlier"])[sample.outlier])
    assert robust["outlier_lines"] == [i + 2 for i in np.flatnonzero(~np.array(robust["inlier"]))]
    _, rows = read_csv(out)
    np.testing.assert_array_equal(rows[:, -1], np.array(robust["inlier"], float))
    assert doc["diagnostics"]["points"].startswith("inliers")
    assert doc["diagnostics"]["rms"] < 0.8 < doc["diagnostics"]["rms_all"]


@pytest.mark.parametrize("method,code", [("huber", 4), ("cauchy", 0)])
def test_m_estimators_state_the_loss_they_minimise_and_are_checked(tmp_path, method, code):
    """20% gross outliers pull Huber away from its inliers: exit 4, said, not saved."""
    path, _ = outlier_sample(tmp_path, "ratio2d", seed=8)
    model = tmp_path / "m.json"
    doc, stderr = run_json("ratio2d", path, "--robust", method, "--threshold", "1.5", "-o", model,
                           code=code)
    assert doc["robust"]["loss"].startswith("mean over the points of rho(s)")
    assert "rho(s) = " in doc["robust"]["loss"]
    assert doc["loss"] < doc["rmse"] ** 2  # mean rho(s) < mean s: outliers are damped
    assert doc["robust"]["check"]["passed"] is (code == 0) and model.exists() is (code == 0)
    if code:
        assert f"model not saved to {model}: the mean squared error of its" in stderr


def test_robust_threshold_defaults_to_three_sigma_or_is_estimated(tmp_path):
    path, _ = outlier_sample(tmp_path, "ratio2d", seed=8)
    doc, stderr = run_json("ratio2d", path, "--robust", "cauchy")
    robust = doc["robust"]
    assert robust["threshold_source"] == "estimated" and robust["check"]["passed"]
    assert robust["threshold"] == pytest.approx(3 * robust["sigma_estimate"])
    assert robust["sigma_estimate"] == pytest.approx(0.5, rel=0.15)
    doc, stderr = run_json("ratio2d", path, "--robust", "cauchy", "--sigma", "0.5")
    assert doc["robust"]["threshold"] == 1.5 and "3 x --sigma" in stderr
    doc, stderr = run_json("ratio2d", path, "--robust", "cauchy", "--threshold", "2")
    assert doc["robust"]["threshold"] == 2 and doc["robust"]["threshold_source"] == "given"


def test_ransac_is_deterministic_and_the_seed_is_an_option(tmp_path):
    path, _ = outlier_sample(tmp_path)
    a, _ = run_json("project3d", path, "--robust", "ransac", "--threshold", "1.5", "--seed", "3")
    b, _ = run_json("project3d", path, "--robust", "ransac", "--threshold", "1.5", "--seed", "3")
    assert a["params"] == b["params"] and a["robust"]["seed"] == 3
    assert a["robust"]["trials"] == b["robust"]["trials"]


def test_gates_fail_with_exit_5_and_still_report():
    doc, stderr = run_json(*P3D, "--max-rms", "0.5", code=5)
    assert doc["gates"] == [{"gate": "max-rms", "limit": 0.5, "value": doc["diagnostics"]["rms"],
                             "passed": False, "text": doc["gates"][0]["text"]}]
    assert "quality gate failed" in stderr and "--max-rms 0.5" in stderr
    doc, _ = run_json(*P3D, "--max-rms", "0.8", "--require-converged")
    assert all(g["passed"] for g in doc["gates"])


def test_min_inliers_gate(tmp_path):
    path, _ = outlier_sample(tmp_path)
    common = ("project3d", path, "--robust", "ransac", "--threshold", "1.5")
    run_json(*common, "--min-inliers", "0.75")
    doc, _ = run_json(*common, "--min-inliers", "0.9", code=5)
    assert doc["gates"][0]["gate"] == "min-inliers" and doc["gates"][0]["passed"] is False
    result = run(*P3D, "--min-inliers", "0.5")
    assert result.exit_code == 2 and "needs --threshold" in result.stderr


def test_not_converged_is_exit_4_unless_required_then_a_gate():
    doc, _ = run_json(*P3D, "--max-iter", "1", "--max-rms", "1e-9", code=4)
    assert doc["converged"] is False
    doc, stderr = run_json(*P3D, "--max-iter", "1", "--require-converged", code=5)
    assert doc["gates"][-1]["gate"] == "require-converged" and not doc["gates"][-1]["passed"]
    assert "quality gate failed" in stderr


def test_output_files_are_checked_before_fitting(tmp_path):
    for flag in ("--residuals", "--plot"):
        result = run(*P3D, flag, tmp_path / "no" / "such" / "x.png")
        assert result.exit_code == 2 and "does not exist" in result.stderr and result.stdout == ""
    result = run(*P3D, "--plot", tmp_path / "x.jpg")
    assert result.exit_code == 2 and ".png, .pdf or .svg" in result.stderr


def test_plot_without_matplotlib_is_a_usage_error(monkeypatch, tmp_path):
    import fitcli.report.plot

    monkeypatch.setattr(fitcli.report.plot, "available", lambda: False)
    result = run(*P3D, "--plot", tmp_path / "x.png")
    assert result.exit_code == 2 and "fitcli[plot]" in result.stderr


@pytest.mark.parametrize("model,name,extra", [
    ("project3d", "project3d.csv", ()), ("ratio2d", "ratio2d.csv", ()),
    ("linear-tanh", "linear_tanh.csv", ()), ("project3d", None, ("--robust", "ransac", "--threshold", "1.5")),
])
def test_plot_writes_a_png_for_each_model(tmp_path, model, name, extra):
    pytest.importorskip("matplotlib")
    source = DATA / name if name else outlier_sample(tmp_path)[0]
    out = tmp_path / "fit.png"
    doc, _ = run_json(model, source, "--plot", out, *extra)
    image = out.read_bytes()
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 20000
    assert doc["plot_file"] == str(out)
    assert not list(tmp_path.glob(".fitcli-*"))  # the atomic write left no temporary file


def test_a_threshold_alone_labels_points_but_the_figures_describe_the_whole_fit(tmp_path):
    path, _ = outlier_sample(tmp_path)
    doc, _ = run_json("project3d", path, "--threshold", "1.5")
    assert doc["diagnostics"]["n"] == 300 and doc["diagnostics"]["points"] == "all points"
    assert doc["diagnostics"]["rms"] == pytest.approx(doc["rmse"])
    assert 0 < doc["robust"]["n_inliers"] < 300 and len(doc["robust"]["outlier_lines"]) > 0


def test_a_likelihood_fit_writes_residuals_without_a_noise_scale(tmp_path):
    """Cross-entropy is a likelihood: no sigma, so no standardized column (it was a crash)."""
    out = tmp_path / "res.csv"
    result = run("linear-tanh", str(DATA / "linear_tanh.csv"), "--loss", "cross-entropy",
                 "--residuals", out, "--quiet")
    header = out.read_text().splitlines()[0].split(",")
    assert result.exit_code == 0 and "residual" in header and "standardized" not in header


def _figure(tmp_path, monkeypatch, *args, dense=None, code=0):
    """The plot's matplotlib Figure of a fit (with DENSE lowered to `dense`)."""
    pytest.importorskip("matplotlib")
    from fitcli.report import plot

    figures = []
    original = plot.figure
    monkeypatch.setattr(plot, "figure", lambda *a: figures.append(original(*a)) or figures[-1])
    if dense is not None:
        monkeypatch.setattr(plot, "DENSE", dense)
        monkeypatch.setattr(plot, "ARROWS", 40)
    assert run(*args, "--plot", tmp_path / "fit.png", "-q").exit_code == code
    return figures[0]


def test_a_few_iterations_plot_the_residual_against_the_noise_not_a_loss_curve(tmp_path, monkeypatch):
    fig = _figure(tmp_path, monkeypatch, *P3D)  # lm: 2 iterations
    titles = [ax.get_title() for ax in fig.axes]
    assert any("residuals against the noise" in t and "after 2 iterations" in t for t in titles)
    assert not any(ax.get_yscale() == "log" for ax in fig.axes)
    fig = _figure(tmp_path, monkeypatch, *P3D, "--optimizer", "adam", "--lr", "0.05", "--max-iter", "40",
                  code=4)  # stopped at the limit: the curve is still drawn
    curve = next(ax for ax in fig.axes if ax.get_yscale() == "log")
    assert all(float(t).is_integer() for t in curve.get_xticks())  # whole iterations
    assert len(fig.axes) == 3


def test_many_points_are_a_density_with_a_subsample_of_arrows_inside_the_axes(tmp_path, monkeypatch):
    fig = _figure(tmp_path, monkeypatch, *P3D, dense=100)
    image = fig.axes[1]
    assert "300 points as a density" in image.get_title()
    labels = [t.get_text() for t in image.get_legend().get_texts()]
    assert any("40 of 300, chosen at random" in t for t in labels)
    (x0, x1), (y1, y0) = image.get_xlim(), image.get_ylim()
    arrows = next(c for c in image.collections if hasattr(c, "U"))  # the quiver
    tips = arrows.XY + np.column_stack([arrows.U, arrows.V])
    assert np.all((x0 <= tips[:, 0]) & (tips[:, 0] <= x1) & (y0 <= tips[:, 1]) & (tips[:, 1] <= y1))


def _texts(fig):
    """(text, its window extent) of every title, axis label and legend entry, drawn."""
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    out = []
    for ax in fig.axes:
        legend = ax.get_legend()
        for artist in [ax.title, ax.xaxis.label, ax.yaxis.label,
                       *(legend.get_texts() if legend else [])]:
            if artist.get_visible() and artist.get_text().strip():
                out.append((artist.get_text(), artist.get_window_extent(renderer)))
    return out


@pytest.mark.parametrize("extra", [
    ("--optimizer", "adam", "--max-iter", "3000"),  # the loss curve above the histogram
    ("--robust", "ransac", "--optimizer", "adam", "--max-iter", "3000"),  # its long label
])
def test_the_plot_keeps_its_labels_apart_and_inside_the_figure(tmp_path, monkeypatch, extra):
    """No axis label, title or legend entry overlaps another or leaves the figure, and
    the loss's history is said once (the curve's title), not again on the histogram."""
    fig = _figure(tmp_path, monkeypatch, *P3D, *extra)
    texts = _texts(fig)
    whole = fig.bbox
    for text, box in texts:
        assert whole.x0 - 1 <= box.x0 and box.x1 <= whole.x1 + 1, text
        assert whole.y0 - 1 <= box.y0 and box.y1 <= whole.y1 + 1, text
    for i, (a, box_a) in enumerate(texts):
        for b, box_b in texts[i + 1:]:
            assert not box_a.overlaps(box_b), (a, b)
    said = [t for t, _ in texts if "at the start" in t]
    assert len(said) == 1, said


def test_the_lens_plot_keeps_its_labels_apart(tmp_path, monkeypatch):
    """The residual panel and the distortion field side by side: legends clear of the
    axis labels, the field's title clear of its colour bar."""
    points = tmp_path / "lens.csv"
    assert run("synth", "project3d", "--n", 300, "--seed", 2, "--k1", -0.25, "--k2", 0.08,
               "-o", points).exit_code == 0
    fig = _figure(tmp_path, monkeypatch, "project3d", str(points), "--distortion", "k1,k2")
    texts = _texts(fig)
    assert any(t.startswith("Lens distortion") for t, _ in texts)
    bars = [ax.get_window_extent() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert bars
    for i, (a, box_a) in enumerate(texts):
        assert not any(box_a.overlaps(bar) for bar in bars), a
        for b, box_b in texts[i + 1:]:
            assert not box_a.overlaps(box_b), (a, b)
