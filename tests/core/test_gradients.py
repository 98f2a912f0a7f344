"""Every hand-derived derivative against central finite differences (docs/math.md s.5)."""

import numpy as np
import pytest

from fitcli.core.gradcheck import numeric_gradient, numeric_jacobian, relative_errors
from fitcli.core.models import MODELS

NAMES = sorted(MODELS)


def _problem(name, seed):
    rng = np.random.default_rng(seed)
    return MODELS[name].example(rng, n=40)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", NAMES)
def test_jacobian_matches_central_differences(name, seed):
    model = MODELS[name]
    data, params = _problem(name, seed)
    numeric = numeric_jacobian(lambda p: model.residuals(p, *data), params)
    analytic = model.jacobian(params, *data)
    assert analytic.shape == (len(model.residuals(params, *data)), model.n_params)
    assert np.max(relative_errors(analytic, numeric)) < 1e-6


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("name", NAMES)
def test_kernel_gradient_matches_central_differences_of_the_mean_loss(name, seed):
    model = MODELS[name]
    data, params = _problem(name, seed)
    kernel = model.kernel(*data)
    cost, grad = kernel.cost_grad(params)
    numeric = numeric_gradient(kernel.cost, params)
    assert np.max(relative_errors(grad, numeric)) < 1e-6
    r = model.residuals(params, *data)
    assert cost == pytest.approx(r @ r / len(data[0]), rel=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_kernel_normal_equations_equal_the_jacobian_products(name):
    model = MODELS[name]
    data, params = _problem(name, 7)
    n = len(data[0])
    r, J = model.residuals(params, *data), model.jacobian(params, *data)
    cost, grad, H = model.kernel(*data).normal(params)
    np.testing.assert_allclose(grad, 2 * J.T @ r / n, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(H, 2 * J.T @ J / n, rtol=1e-12, atol=1e-14)
    assert cost == pytest.approx(r @ r / n, rel=1e-13)


@pytest.mark.parametrize("name", NAMES)
def test_chunked_kernel_equals_one_chunk(name, monkeypatch):
    """Chunk boundaries must not change the sums (n not a multiple of the chunk)."""
    import fitcli.core.objective as base

    model = MODELS[name]
    data, params = MODELS[name].example(np.random.default_rng(3), n=1001)
    whole = model.kernel(*data).normal(params)
    monkeypatch.setattr(base, "CHUNK", 64)
    chunked = model.kernel(*data).normal(params)
    for a, b in zip(whole, chunked):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def test_a_wrong_partial_fails_the_check():
    """The check has teeth: the tutorial's l[0]-for-l[1] slip (u in place of v) is caught."""
    model = MODELS["project3d"]
    (X, uv), params = _problem("project3d", 1)
    slipped = uv.copy()
    slipped[:, 1] = uv[:, 0]

    def wrong_jacobian(p):
        J = model.jacobian(p, X, uv)
        J_slip = model.jacobian(p, X, slipped)
        J[1::2] = J_slip[1::2] + 0.1  # a v-row derived with the wrong target and an offset
        return J

    numeric = numeric_jacobian(lambda p: model.residuals(p, X, uv), params)
    assert np.max(relative_errors(wrong_jacobian(params), numeric)) > 1e-3


@pytest.mark.parametrize("name", ["ratio2d", "project3d"])
def test_residuals_are_scale_invariant_so_the_jacobian_annihilates_params(name):
    model = MODELS[name]
    data, params = _problem(name, 2)
    J = model.jacobian(params, *data)
    np.testing.assert_allclose(J @ params, 0.0, atol=1e-10 * np.abs(J).max())
    np.testing.assert_allclose(model.residuals(-3.5 * params, *data), model.residuals(params, *data), rtol=1e-12)
