"""Fits against known answers: data drawn from a known model (data/*.truth.json) or by
the generator in the tests, never against what the code printed last time."""

import json

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.models import MODELS
from fitcli.core.stats import chi2_cdf
from fitcli.io.csv_in import read_table

from ..conftest import DATA


def load(name, model):
    table = read_table(str(DATA / f"{name}.csv"), MODELS[model].columns, model=model)
    truth = json.loads((DATA / f"{name}.truth.json").read_text())
    params = np.array([truth["params"][p] for p in MODELS[model].param_names])
    return MODELS[model].split(table.values)[0], params, truth


def same_up_to_scale(a, b):
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    return min(np.max(np.abs(a - b)), np.max(np.abs(a + b)))


@pytest.mark.parametrize("name,model", [("project3d_exact", "project3d"), ("ratio2d_exact", "ratio2d")])
def test_noise_free_sample_recovers_the_true_matrix(name, model):
    data, truth, _ = load(name, model)
    result = fit(model, data)
    assert result.success
    assert same_up_to_scale(result.params, truth) < 1e-6
    assert result.rmse < 1e-6


def test_project3d_report_normalisation_is_unit_third_row_and_positive_depth():
    data, truth, _ = load("project3d_exact", "project3d")
    M = fit("project3d", data).params.reshape(3, 4)
    assert np.linalg.norm(M[2, :3]) == pytest.approx(1.0, abs=1e-14)
    assert np.all(data[0] @ M[2, :3] + M[2, 3] > 0)
    np.testing.assert_allclose(M.ravel(), truth, rtol=1e-6, atol=1e-6 * np.abs(truth).max())


def test_separated_classes_are_all_classified_correctly():
    data, _, truth = load("linear_tanh_separated", "linear-tanh")
    assert truth["truth"]["gap"] >= 2
    result = fit("linear-tanh", data)
    assert result.success
    assert result.extra["accuracy"] == 1.0


def test_noisy_project3d_fit_is_at_the_maximum_likelihood_optimum():
    (X, uv), truth, doc = load("project3d", "project3d")
    sigma, n = doc["truth"]["noise"], len(X)
    result = fit("project3d", (X, uv))
    r_true = MODELS["project3d"].residuals(truth, X, uv)
    assert result.success
    assert result.cost <= r_true @ r_true / n  # the optimum can only be lower than the truth
    statistic = n * result.cost / sigma**2  # sum of squares / sigma^2 ~ chi2(2n - 11)
    assert 0.0005 < chi2_cdf(statistic, 2 * n - 11) < 0.9995
    expected = sigma * np.sqrt(2 - 11 / n)
    assert result.rmse == pytest.approx(expected, rel=0.1)


@pytest.mark.parametrize("seed", range(3))
def test_generated_cameras_reach_the_optimum(seed):
    from fitcli.core.synth import synthesize

    sample = synthesize("project3d", seed=seed, n=150, noise=0.5)
    X, uv = sample.table[:, :3], sample.table[:, 3:]
    result = fit("project3d", (X, uv))
    r_true = MODELS["project3d"].residuals(sample.params, X, uv)
    assert result.success and result.cost <= r_true @ r_true / 150


def test_chi_square_distribution_against_reference_values():
    # Reference values from scipy.stats.chi2 (1.17.1).
    assert chi2_cdf(3.0, 2) == pytest.approx(0.7768698398515702, rel=1e-13)
    assert chi2_cdf(650.0, 589) == pytest.approx(0.9589520561956495, rel=1e-12)
    assert chi2_cdf(10.0, 30) == pytest.approx(0.00022625367617675488, rel=1e-12)
