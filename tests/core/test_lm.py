"""The Levenberg-Marquardt step: Marquardt-scaled damping, tangent to the unit sphere."""

import numpy as np

from fitcli.core.lm import DampedSystem, levenberg_marquardt
from fitcli.core.loop import Tolerances
from fitcli.core.models import MODELS


def _solve(H, grad, mu, scale, params, gauge):
    return DampedSystem(len(grad), gauge).step(H, grad, mu, scale, params)


def _at(name, rng):
    data, params = MODELS[name].example(rng, n=40)
    params = params / np.linalg.norm(params)
    return MODELS[name].kernel(*data).normal(params), params


def test_gauge_step_is_tangent_and_solves_the_damped_system(rng):
    (cost, grad, H), params = _at("project3d", rng)
    scale, mu = np.diag(H).copy(), 0.3
    step = _solve(H, grad, mu, scale, params, gauge=True)
    assert abs(params @ step) < 1e-12 * np.linalg.norm(step)
    # KKT: (H + mu D) step + g is a multiple of params (the constraint's normal)
    residual = (H + mu * np.diag(scale)) @ step + grad
    np.testing.assert_allclose(residual, (params @ residual) * params, atol=1e-12 * np.abs(grad).max())


def test_undamped_gauge_step_is_the_gauss_newton_step_in_the_tangent_space(rng):
    (cost, grad, H), params = _at("ratio2d", rng)
    step = _solve(H, grad, 0.0, np.ones(6), params, gauge=True)
    B = np.linalg.svd(params[None, :])[2][1:].T  # orthonormal basis of the tangent space
    expected = B @ np.linalg.solve(B.T @ H @ B, -B.T @ grad)
    np.testing.assert_allclose(step, expected, rtol=1e-8, atol=1e-14)


def test_damping_is_scaled_per_parameter(rng):
    """Rescaling one parameter (and its H row/column) rescales its step: mu D is invariant."""
    (cost, grad, H), params = _at("linear-tanh", rng)
    s = np.array([1e3, 1.0])
    step = _solve(H, grad, 0.5, np.diag(H).copy(), params, gauge=False)
    Hs, gs = H / np.outer(s, s), grad / s
    scaled = _solve(Hs, gs, 0.5, np.diag(Hs).copy(), params * s, gauge=False)
    np.testing.assert_allclose(scaled, step * s, rtol=1e-10)


def test_nearly_coplanar_points_converge_in_few_passes():
    """The case Marquardt scaling is for: a weakly determined depth direction."""
    from fitcli.core import fit
    from fitcli.core.models.project3d.model import project_points
    from fitcli.core.synth import synthesize

    sample = synthesize("project3d", seed=0, n=200, noise=0.5)
    X = sample.table[:, :3] * [1.0, 1.0, 1e-3]
    uv = project_points(sample.params.reshape(3, 4), X)
    uv += np.random.default_rng(0).normal(0, 0.5, uv.shape)
    result = fit("project3d", (X, uv))
    assert result.success and result.n_eval <= 12


def test_lm_from_the_optimum_stops_at_once(rng):
    model = MODELS["ratio2d"]
    data, params = model.example(rng, n=60)
    kernel = model.kernel(*data)
    first = levenberg_marquardt(kernel, params / np.linalg.norm(params), model.manifold,
                                200, Tolerances())
    again = levenberg_marquardt(kernel, first.params, model.manifold, 200, Tolerances())
    assert again.n_iter <= 1 and again.cost <= first.cost
