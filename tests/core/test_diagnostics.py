"""Residual figures, the noise test and standard errors, against known answers and
against Monte Carlo: refit many noisy copies of one problem and compare the spread."""

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.camera import CAMERA_FIGURES, camera_figures
from fitcli.core.diagnostics import (
    VERDICTS, correlation, covariance, diagnose, dof, fitted_residuals, noise_test,
)
from fitcli.core.gradcheck import numeric_jacobian
from fitcli.core.models import MODELS
from fitcli.core.models.ratio2d.model import predict
from fitcli.core.synth import synthesize

SIGMA = 0.5


def test_degrees_of_freedom_remove_the_free_parameters():
    assert dof(MODELS["project3d"], 300) == 2 * 300 - 11
    assert dof(MODELS["ratio2d"], 300) == 300 - 5
    assert dof(MODELS["linear-tanh"], 300) == 300 - 2


def test_residual_figures_of_a_hand_example():
    model = MODELS["ratio2d"]
    x = np.array([0.0, 1.0, 0.0, 1.0, 2.0, 3.0, 5.0])
    y = np.array([0.0, 0.0, 1.0, 1.0, 2.0, 0.5, 1.0])
    theta = np.array([1.0, 2.0, 3.0, 0.0, 0.0, 1.0])  # ny = 1: ratio = x + 2y + 3
    r = np.array([0.0, 3.0, -4.0, 0.0, 1.0, -1.0, 0.0])
    l = x + 2 * y + 3 - r
    out = diagnose(model, theta, (x, y, l), sigma=2.0)
    assert out["n"] == 7 and out["dof"] == 2
    assert out["sum_squares"] == pytest.approx(27.0)
    assert out["rms"] == pytest.approx(np.sqrt(27 / 7))
    assert out["median_error"] == pytest.approx(1.0) and out["max_error"] == pytest.approx(4.0)
    assert out["sigma_estimate"] == pytest.approx(np.sqrt(27 / 2))
    assert out["sigma"] == 2.0 and out["sigma_source"] == "given"
    assert out["noise_test"]["chi2"] == pytest.approx(27 / 4)
    assert out["noise_test"]["expected_rms"] == pytest.approx(2.0 * np.sqrt(2 / 7))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10, 1000, 1001])
def test_median_is_numpys(n):
    """stats.median (one partition, no numpy.ma) gives np.median's value to the bit, with
    ties, a NaN (NaN) and values over many orders of magnitude; overwriting or not."""
    from fitcli.core.stats import median

    rng = np.random.default_rng(n)
    for trial in range(40):
        a = rng.standard_normal(n) * 10.0 ** rng.uniform(-8, 8, n)
        if trial % 3 == 0:
            a = np.round(a, 1)  # ties
        if trial % 5 == 0:
            a[rng.integers(n)] = np.nan
        expected = np.median(a)
        for overwrite in (False, True):
            got = median(a.copy(), overwrite=overwrite)
            assert got == expected or (np.isnan(expected) and np.isnan(got))
    assert np.isnan(median(np.empty(0)))


def test_inlier_mask_restricts_the_figures():
    model = MODELS["ratio2d"]
    x, y = np.random.default_rng(0).uniform(-1, 1, (2, 20))
    theta = np.array([1.0, 2.0, 3.0, 0.0, 0.0, 1.0])
    l = predict(theta, x, y)
    l[:3] += 100.0
    out = diagnose(model, theta, (x, y, l), inlier=np.arange(20) >= 3)
    assert out["n"] == 17 and out["max_error"] == pytest.approx(0.0, abs=1e-12)
    assert out["rms_all"] == pytest.approx(100 * np.sqrt(3 / 20))


@pytest.mark.parametrize("factor,code", [(1.0, "ok"), (1.5, "too_large"), (0.6, "too_small")])
def test_noise_test_verdicts(factor, code):
    d, n = 589, 300
    out = noise_test(factor * d * SIGMA**2, SIGMA, d, n)
    assert out["verdict_code"] == code and out["verdict"] == VERDICTS[code]
    assert out["expected_rms"] == pytest.approx(SIGMA * np.sqrt(2 - 11 / n))  # docs/math.md s.3


def test_fitted_residuals_of_linear_tanh_are_the_standardised_loss():
    sample = synthesize("linear-tanh", seed=5, n=200, noise=1.0, scale=100.0)
    model = MODELS["linear-tanh"]
    data = model.split(sample.table)[0]
    result = fit(model, data)
    r = fitted_residuals(model, result.params, data)
    assert float(np.sum(r**2)) == pytest.approx(result.cost * 200, rel=1e-10)


@pytest.mark.parametrize("name", ["project3d", "ratio2d", "homography"])
def test_canonical_jacobian_matches_central_differences(name, rng):
    model = MODELS[name]
    data, params = model.example(rng, n=30)
    x = 3.7 * model.canonical(params, data)  # off the normalisation, as covariance() uses it
    numeric = numeric_jacobian(lambda p: model.canonical(p, data), x, rel_step=1e-7)
    np.testing.assert_allclose(model.canonical_jacobian(x), numeric, atol=1e-7 * np.abs(numeric).max())


def _noisy_copies(name, n, count, rng):
    """The generating params, clean data, and `count` fits to noisy copies of it."""
    sample = synthesize(name, seed=11, n=n, noise=0.0)
    model = MODELS[name]
    clean = model.split(sample.table)[0]
    fits = []
    for _ in range(count):
        noisy = [a.copy() for a in clean]
        noisy[-1] = noisy[-1] + rng.normal(0, SIGMA, noisy[-1].shape)
        fits.append(fit(model, tuple(noisy)))
    return sample.params, clean, fits


@pytest.mark.parametrize("name", ["project3d", "ratio2d", "homography"])
def test_standard_errors_agree_with_monte_carlo(name, rng):
    """200 refits of a 50-point problem: the spread of each parameter matches its standard
    error (sampling error of a standard deviation from 200 draws: 5%), the Mahalanobis
    distances have the mean of chi2(p - 1), and SS / dof estimates sigma^2 without bias."""
    model = MODELS[name]
    truth, clean, fits = _noisy_copies(name, 50, 200, rng)
    P = np.array([f.params for f in fits])
    cov = covariance(model, truth, clean, SIGMA)
    ratio = P.std(axis=0, ddof=1) / np.sqrt(np.diag(cov))
    assert np.all((ratio > 0.8) & (ratio < 1.2)), ratio
    d = P - P.mean(axis=0)
    scale = np.sqrt(np.diag(cov))  # whiten per parameter before the rank-deficient inverse
    inv = np.linalg.pinv(cov / np.outer(scale, scale), hermitian=True, rcond=1e-10)
    mahalanobis = np.einsum("ij,jk,ik->i", d / scale, inv, d / scale)
    free = model.n_params - 1
    assert abs(mahalanobis.mean() - free) < 4 * np.sqrt(2 * free / len(P))
    sigma2 = np.array([f.cost * 50 / dof(model, 50) for f in fits])
    assert abs(sigma2.mean() / SIGMA**2 - 1) < 4 * np.sqrt(2 / (dof(model, 50) * len(P)))


def test_camera_standard_errors_agree_with_monte_carlo(rng):
    truth, clean, fits = _noisy_copies("project3d", 50, 200, rng)
    report = diagnose(MODELS["project3d"], truth, clean, sigma=SIGMA)["camera"]
    F = np.array([camera_figures(f.params.reshape(3, 4)) for f in fits])
    se = np.array([report["standard_errors"][k] for k in CAMERA_FIGURES])
    ratio = F.std(axis=0, ddof=1) / se
    assert np.all((ratio > 0.8) & (ratio < 1.2)), dict(zip(CAMERA_FIGURES, ratio))


def test_linear_tanh_standard_errors_agree_with_monte_carlo():
    """Labels are not Gaussian noise, so sigma^2 (J^T J)^-1 is an approximation here:
    the spread of refits on freshly drawn labels agrees within 25%."""
    model = MODELS["linear-tanh"]
    P, SE = [], []
    for seed in range(150):
        data = model.split(synthesize("linear-tanh", seed=seed, n=200, noise=1.0).table)[0]
        result = fit(model, data)
        P.append(result.params)
        SE.append(diagnose(model, result.params, data)["standard_errors"])
    ratio = np.std(P, axis=0, ddof=1) / np.mean(SE, axis=0)
    assert np.all((ratio > 0.75) & (ratio < 1.33)), ratio


def test_standard_errors_do_not_depend_on_where_the_world_origin_is():
    """Survey coordinates (origin 1e5 away) give the same camera errors: the covariance is
    computed in the Hartley frame, not from the badly conditioned raw J^T J."""
    out = []
    for offset in (0.0, 1e5):
        sample = synthesize("project3d", seed=4, n=80, noise=0.5, offset=offset)
        data = (sample.table[:, :3], sample.table[:, 3:])
        result = fit("project3d", data)
        out.append(diagnose(MODELS["project3d"], result.params, data, sigma=SIGMA)["camera"])
    for key in CAMERA_FIGURES:
        assert out[1]["standard_errors"][key] == pytest.approx(out[0]["standard_errors"][key], rel=1e-4)


def test_correlation_has_unit_diagonal_and_the_gauge_shows_as_rank(rng):
    model = MODELS["project3d"]
    sample = synthesize("project3d", seed=3, n=60, noise=0.5)
    data = (sample.table[:, :3], sample.table[:, 3:])
    result = fit(model, data)
    cov = covariance(model, result.params, data, SIGMA)
    np.testing.assert_allclose(np.diag(correlation(cov)), 1.0, rtol=1e-12)
    # |(i, j, k)| = 1 is a constraint: the covariance has rank 11 and m3 . d m3 = 0
    m3 = np.zeros(12)
    m3[8:11] = result.params[8:11]
    assert np.linalg.norm(cov @ m3) < 1e-8 * np.linalg.norm(cov) * np.linalg.norm(m3)
    np.testing.assert_allclose(cov, cov.T, atol=1e-12 * np.abs(cov).max())


def test_exact_clean_data_have_zero_residual_and_zero_standard_errors():
    sample = synthesize("project3d", seed=2, n=40, noise=0.0)
    data = (sample.table[:, :3], sample.table[:, 3:])
    out = diagnose(MODELS["project3d"], fit("project3d", data).params, data)
    assert out["rms"] < 1e-8 and np.all(out["standard_errors"] < 1e-6 * np.abs(sample.params).max())
