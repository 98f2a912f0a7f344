"""Awkward but reasonable inputs, each with default options, must reach the optimum:
no worse than the true model, and no worse than a reference (LM started from the true
parameters, or from many starts for the non-convex tanh loss) times (1 + 1e-6).
scipy's least_squares is a second reference where it is installed."""

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.lm import levenberg_marquardt
from fitcli.core.loop import Tolerances
from fitcli.core.models import MODELS
from fitcli.core.manifold import unit
from fitcli.core.models.project3d.model import project_points
from fitcli.core.synth import synthesize

TIGHT = Tolerances(1e-15, 1e-15, 1e-15)


def mean_loss(name, params, data):
    r = MODELS[name].residuals(params, *data)
    return r @ r / len(data[0])


def internal(frame, params):
    """Invert the frame's (linear) map to the input's units: params (p,) -> internal."""
    p = len(params)
    A = np.column_stack([frame.to_original(e) for e in np.eye(p)])
    return unit(np.linalg.solve(A, params))


def reference_from_truth(name, data, truth):
    """LM on the normalised data started at the true model: the loss of its minimum."""
    model = MODELS[name]
    frame = model.frame(data, True)
    kernel = model.kernel(*frame.data)
    out = levenberg_marquardt(kernel, internal(frame, truth), model.manifold, 500, TIGHT)
    return out.cost * frame.cost_scale


def scipy_from_truth(name, data, truth):
    """scipy least_squares on the normalised data from the truth (None without scipy)."""
    try:
        from scipy.optimize import least_squares
    except ImportError:
        return None
    model = MODELS[name]
    frame = model.frame(data, True)
    f = lambda p: model.residuals(p, *frame.data)  # noqa: E731
    J = lambda p: model.jacobian(p, *frame.data)  # noqa: E731
    start = internal(frame, truth)
    method = "lm" if len(f(start)) >= len(start) else "trf"
    sol = least_squares(f, start, jac=J, method=method, ftol=1e-15, xtol=1e-15, gtol=1e-15)
    return 2 * sol.cost / len(data[0]) * frame.cost_scale


def assert_at_optimum(name, data, truth):
    result = fit(name, data)
    assert result.success, result.message
    loss = mean_loss(name, result.params, data)
    assert loss == pytest.approx(result.cost, rel=1e-7)  # what it reports, in input units
    assert result.cost <= mean_loss(name, truth, data)
    assert result.cost <= reference_from_truth(name, data, truth) * (1 + 1e-6)
    peer = scipy_from_truth(name, data, truth)
    if peer is not None:
        assert result.cost <= peer * (1 + 1e-6)
    return result


def camera(seed, **settings):
    sample = synthesize("project3d", seed=seed, **settings)
    return (sample.table[:, :3], sample.table[:, 3:]), sample.params


@pytest.mark.parametrize("seed", range(3))
def test_survey_coordinates_offset_by_1e5(seed):
    data, truth = camera(seed, n=200, noise=0.5, offset=1e5)
    assert np.abs(data[0]).min() > 9e4 and data[1].max() > 100  # metres far away, pixels
    assert_at_optimum("project3d", data, truth)


@pytest.mark.parametrize("n", [6, 7, 10])
@pytest.mark.parametrize("seed", range(3))
def test_few_points(n, seed):
    data, truth = camera(seed, n=n, noise=0.5)
    result = assert_at_optimum("project3d", data, truth)
    assert result.n_eval <= 20


@pytest.mark.parametrize("seed", range(3))
def test_nearly_coplanar_points(seed):
    """World points squashed to 1 mm of depth in a 3 m scene: still a unique camera."""
    (X, _), truth = camera(seed, n=200, noise=0.5)
    X = X * [1.0, 1.0, 1e-3]
    uv = project_points(truth.reshape(3, 4), X)
    uv += np.random.default_rng(seed).normal(0.0, 0.5, uv.shape)
    result = assert_at_optimum("project3d", (X, uv), truth)
    assert result.n_eval <= 20


@pytest.mark.parametrize("offset", [1e3, 1e5])
@pytest.mark.parametrize("seed", range(3))
def test_ratio2d_with_large_offsets(offset, seed):
    sample = synthesize("ratio2d", seed=seed, n=200, noise=0.5, offset=offset)
    assert_at_optimum("ratio2d", tuple(sample.table.T), sample.params)


@pytest.mark.parametrize("n", [6, 8])
def test_ratio2d_with_few_points(n):
    sample = synthesize("ratio2d", seed=n, n=n, noise=0.5)
    assert_at_optimum("ratio2d", tuple(sample.table.T), sample.params)


def tanh_reference(data, grid=40, top=5):
    """The tanh loss minimised from the `top` best lines of a grid (internal units)."""
    model = MODELS["linear-tanh"]
    frame = model.frame(data, True)
    kernel = model.kernel(*frame.data)
    x, y, _ = frame.data
    cells = []
    for k in np.tan(np.linspace(-np.pi / 2, np.pi / 2, grid + 2)[1:-1]):
        for b in np.quantile(y - k * x, np.linspace(0.0, 1.0, grid)):
            cells.append((kernel.cost(np.array([k, b])), k, b))
    cells.sort()
    return min(levenberg_marquardt(kernel, np.array([k, b]), model.manifold, 500,
                                   TIGHT).cost for _, k, b in cells[:top])


@pytest.mark.parametrize("settings", [
    dict(noise=1.0, scale=1000.0),
    dict(noise=0.5, k=-3.0, b=2.0, scale=1000.0),
    dict(outliers=0.3, scale=1000.0),
    dict(gap=2.0, scale=1000.0),
])
def test_linear_tanh_with_x_and_y_in_the_thousands(settings):
    sample = synthesize("linear-tanh", seed=4, n=600, **settings)
    data = tuple(np.ascontiguousarray(c) for c in sample.table.T)
    assert np.abs(data[1]).max() > 1000
    result = fit("linear-tanh", data)
    assert result.success
    assert result.cost <= tanh_reference(data) * (1 + 1e-6)
    z = result.extra["z_scale"]
    k, b = sample.params
    x, y, l = data
    assert result.cost <= np.mean((np.tanh((k * x + b - y) / z) - l) ** 2)
    unscaled = tuple(np.ascontiguousarray(c) for c in (x / 1000, y / 1000, l))
    assert result.cost == pytest.approx(fit("linear-tanh", unscaled).cost, rel=1e-8)
