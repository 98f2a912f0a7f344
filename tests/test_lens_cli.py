"""The camera models and the homography on the command line: --distortion, --skew,
--intrinsics, the saved model through predict, synth through a lens, gradcheck of the
variants, the plots; on the real views in data/realdata and tests/fixtures."""

import csv
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from fitcli.cli import app

from .conftest import DATA, ROOT

FIXTURES = ROOT / "tests" / "fixtures"
HOUSE = DATA / "realdata" / "oxford_house_view000.csv"


def run(*args, code=0):
    result = CliRunner().invoke(app, [str(a) for a in args], env={"NO_COLOR": "1"},
                                catch_exceptions=False)
    assert result.exit_code == code, result.stderr
    return result


def fit_json(*args, code=0):
    return json.loads(run(*args, "--json", "--quiet", code=code).stdout)


@pytest.fixture
def lens_points(tmp_path):
    """Points drawn through a lens (k1, k2, p1) and the true model."""
    points, truth = tmp_path / "lens.csv", tmp_path / "truth.json"
    run("synth", "project3d", "--n", 300, "--seed", 3, "--k1", -0.3, "--k2", 0.1, "--p1", 0.001,
        "-o", points, "--truth", truth)
    return points, truth


def test_a_distortion_fit_reports_the_camera_the_choice_and_the_variant(lens_points):
    points, _ = lens_points
    doc = fit_json("project3d", points, "--distortion", "k1, k2,p1", "--sigma", "0.5")
    assert doc["distortion"] == ["k1", "k2", "p1"] and doc["skew"] == "free"
    assert doc["mirror"] == "none" and doc["intrinsics"] is None
    camera = doc["camera"]
    assert np.shape(camera["K"]) == (3, 3) and np.shape(camera["R"]) == (3, 3) and len(camera["t"]) == 3
    assert camera["distortion"]["k1"] == pytest.approx(-0.3, abs=0.01)
    assert camera["distortion"]["k3"] == 0.0 and camera["standard_errors"]["k3"] is None
    assert camera["model"]["n_params"] == 14
    choice = doc["model_choice"]
    assert [m["n_params"] for m in choice["models"]] == [11, 14]
    assert choice["test"]["supported"] and choice["models"][1]["rms"] < choice["models"][0]["rms"]
    assert doc["diagnostics"]["dof"] == 600 - 14
    assert doc["diagnostics"]["noise_test"]["verdict_code"] == "ok"


def test_the_saved_camera_predicts_through_the_whole_lens(lens_points, tmp_path):
    points, truth = lens_points
    model, residuals = tmp_path / "m.json", tmp_path / "r.csv"
    run("project3d", points, "--distortion", "k1,k2,p1", "-o", model, "--residuals", residuals, "-q")
    saved = json.loads(model.read_text())
    assert saved["options"]["distortion"] == ["k1", "k2", "p1"]
    predicted = list(csv.DictReader(run("predict", model, points).stdout.splitlines()))
    rows = list(csv.DictReader(residuals.read_text().splitlines()))
    np.testing.assert_allclose([float(p["u"]) for p in predicted], [float(r["u_hat"]) for r in rows],
                               rtol=1e-12)
    assert "RMS error" in run("predict", truth, points).stderr  # the truth file predicts too


def test_a_left_handed_real_view_is_fitted_mirrored_and_predicted(tmp_path):
    """The Oxford house (data/realdata): a left-handed world, fitted with its Z mirrored;
    the saved model predicts its own fit's points."""
    model = tmp_path / "house.json"
    doc = fit_json("project3d", HOUSE, "--distortion", "k1", "--skew", "zero", "-o", model)
    assert doc["mirror"] == "Z" and doc["camera"]["handedness"] == "left"
    assert any("left-handed" in w for w in doc["warnings"])
    assert doc["rmse"] == pytest.approx(0.64, abs=0.02)
    metrics = tmp_path / "metrics.json"
    run("predict", model, HOUSE, "-o", tmp_path / "p.csv", "--metrics", metrics, "-q")
    assert json.loads(metrics.read_text())["rmse"] == pytest.approx(doc["rmse"], rel=1e-9)


def test_known_intrinsics_fit_the_pose_of_a_real_chessboard(tmp_path):
    """OpenCV's calibration of the left camera (tests/fixtures) and left01's corners on
    the board's plane Z = 0: the pose alone, its residual that of the lens (~0.2 px)."""
    points = tmp_path / "board.csv"
    rows = list(csv.reader((FIXTURES / "chessboard_left01_uv.csv").read_text().splitlines()))
    points.write_text("X,Y,Z,u,v\n" + "".join(f"{x},{y},0,{u},{v}\n" for x, y, u, v in rows[1:]))
    doc = fit_json("project3d", points, "--intrinsics", FIXTURES / "chessboard_left_intrinsics.json")
    assert list(doc["params"]) == ["wx", "wy", "wz", "Cx", "Cy", "Cz"]
    assert doc["rmse"] < 0.3 and doc["camera"]["model"]["intrinsics"] == "given"
    assert doc["intrinsics"]["k1"] == pytest.approx(-0.26509078325313196)


def test_intrinsics_from_a_saved_fit(tmp_path, lens_points):
    points, _ = lens_points
    model = tmp_path / "m.json"
    run("project3d", points, "--distortion", "k1,k2,p1", "-o", model, "-q")
    doc = fit_json("project3d", points, "--intrinsics", model)
    assert doc["rmse"] == pytest.approx(fit_json("project3d", points, "--distortion", "k1,k2,p1")["rmse"], rel=1e-6)


@pytest.mark.parametrize("options", [["--distortion", "k1,k2,k3,p1,p2"], ["--skew", "zero"],
                                     ["--distortion", "p1,p2", "--skew", "zero"]])
def test_gradcheck_checks_the_variants(options):
    doc = json.loads(run("gradcheck", "project3d", *options, "--json").stdout)
    assert doc["passed"] and len(doc["points"][0]["params"]) > 6


def test_gradcheck_of_the_variant_on_a_real_view():
    run("gradcheck", "project3d", HOUSE, "--distortion", "k1,k2,p1,p2", "--quiet")


def test_the_homography_command(tmp_path):
    points, truth = tmp_path / "h.csv", tmp_path / "h_truth.json"
    run("synth", "homography", "--n", 100, "--seed", 2, "--outliers", 0.1, "-o", points, "--truth", truth)
    doc = fit_json("homography", points, "--robust", "ransac", "--threshold", 2)
    assert np.shape(doc["matrix"]) == (3, 3) and "unit norm" in doc["normalization"]
    assert doc["robust"]["n_inliers"] == 90 and doc["diagnostics"]["dof"] == 2 * 90 - 8
    saved = tmp_path / "h.json"
    run("homography", points, "--robust", "huber", "--threshold", 2, "-o", saved, "-q")
    assert "RMS error" in run("predict", saved, points).stderr
    run("gradcheck", "homography", points, "--quiet")


def test_the_homography_of_a_real_chessboard():
    doc = fit_json("homography", FIXTURES / "chessboard_left01_uv.csv")
    peer = json.loads((FIXTURES / "chessboard_left01_findhomography.json").read_text())
    assert doc["rmse"] <= np.hypot(peer["H_rms_u"], peer["H_rms_v"]) * (1 + 1e-9)


def test_the_plot_shows_the_distortion_field(lens_points, tmp_path):
    pytest.importorskip("matplotlib")
    points, _ = lens_points
    plot = tmp_path / "lens.png"
    run("project3d", points, "--distortion", "k1,k2,p1", "--plot", plot, "-q")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("method", ["ransac", "huber"])
def test_the_model_choice_of_a_robust_fit_is_on_its_inliers(tmp_path, method):
    """10% gross outliers: the comparison refits both models on the inliers, where the
    lens that is there is supported (on all points the outliers would decide it)."""
    points = tmp_path / "o.csv"
    run("synth", "project3d", "--n", 300, "--seed", 5, "--k1", -0.2, "--outliers", 0.1, "-o", points)
    doc = fit_json("project3d", points, "--distortion", "k1", "--robust", method, "--threshold", 2)
    choice = doc["model_choice"]
    assert choice["points"].startswith("the inliers") and choice["test"]["supported"]
    assert choice["models"][1]["rms"] == pytest.approx(doc["diagnostics"]["rms"], rel=0.02)

