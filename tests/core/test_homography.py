"""The whole plane homography (docs/math.md s.8): a known H recovered, the real
chessboard's corners fitted at least as well as cv2.findHomography fits them."""

import json

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.diagnostics import diagnose, dof
from fitcli.core.models import MODELS
from fitcli.core.models.homography.model import homography_dlt, project
from fitcli.core.normalize import DegenerateDataError
from fitcli.core.synth import synthesize
from fitcli.io.csv_in import read_table

from ..conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
MODEL = MODELS["homography"]


def data_of(sample):
    return MODEL.split(sample.table)[0]


def unit_h(H):
    H = np.asarray(H, float).ravel()
    return H / np.linalg.norm(H)


def test_noise_free_sample_recovers_the_true_homography():
    sample = synthesize("homography", seed=3, n=100, noise=0.0)
    result = fit(MODEL, data_of(sample))
    assert result.success and result.cost < 1e-18
    np.testing.assert_allclose(result.params, sample.params, rtol=1e-9, atol=1e-12)
    assert dof(MODEL, 100) == 200 - 8


@pytest.mark.parametrize("offset", [0.0, 1e4])
def test_the_dlt_start_is_exact_on_exact_points(offset):
    sample = synthesize("homography", seed=4, n=30, noise=0.0, offset=offset)
    (xy, uv) = data_of(sample)
    H = homography_dlt(xy[:, 0], xy[:, 1], uv[:, 0], uv[:, 1])
    np.testing.assert_allclose(project(H, xy), uv, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_noisy_homography_within_its_standard_errors(seed):
    sample = synthesize("homography", seed=seed, n=200, noise=0.5)
    data = data_of(sample)
    result = fit(MODEL, data)
    se = diagnose(MODEL, result.params, data, sigma=0.5, frame=result.frame)["standard_errors"]
    assert np.all(np.abs(result.params - sample.params) < 4 * se + 1e-15)


def test_both_coordinates_share_one_denominator():
    """The residual of a point is its distance under one H: u and v over the same w."""
    (xy, uv), params = MODEL.example(np.random.default_rng(0), n=20)
    H = params.reshape(3, 3)
    w = xy @ H[2, :2] + H[2, 2]
    r = MODEL.residuals(params, xy, uv).reshape(-1, 2)
    np.testing.assert_allclose(r[:, 1], (xy @ H[1, :2] + H[1, 2]) / w - uv[:, 1])


def test_collinear_plane_points_are_degenerate():
    x = np.linspace(0, 1, 10)
    with pytest.raises(DegenerateDataError, match="one line"):
        fit(MODEL, (np.column_stack([x, 2 * x]), np.column_stack([x, x * x])))


def test_chessboard_corners_fitted_at_least_as_well_as_opencv():
    """left01's 54 corners (tests/fixtures, from the shared real data): the geometric
    error of fitcli's H is at most that of cv2.findHomography's on the same corners."""
    table = read_table(str(FIXTURES / "chessboard_left01_uv.csv"), MODEL.columns, model="homography")
    data = MODEL.split(table.values)[0]
    peer = json.loads((FIXTURES / "chessboard_left01_findhomography.json").read_text())
    H_cv = np.array(peer["H_findHomography_method0"])
    r_cv = MODEL.residuals(unit_h(H_cv), *data)
    assert np.sqrt(np.mean(r_cv.reshape(-1, 2) ** 2, axis=0)) == pytest.approx(
        [peer["H_rms_u"], peer["H_rms_v"]], rel=1e-6)
    result = fit(MODEL, data)
    assert result.success
    assert result.cost * 54 <= r_cv @ r_cv * (1 + 1e-9)
    np.testing.assert_allclose(unit_h(result.params) * np.sign(result.params[8]),
                               unit_h(H_cv), atol=1e-4)
