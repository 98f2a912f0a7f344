"""Each optimizer: one exact step on a known gradient, then convergence on a parabola and
on Rosenbrock.  New optimizers in OPTIMIZERS are picked up automatically."""

import numpy as np
import pytest

from fitcli.core.lm import levenberg_marquardt
from fitcli.core.loop import Tolerances, descend
from fitcli.core.manifold import Euclidean
from fitcli.core.optimizers import OPTIMIZERS, StepContext, adam, gd, momentum
from fitcli.core.result import CONVERGED

from .kernels import parabola, rosenbrock

IDENTITY = lambda p: p  # noqa: E731
G = np.array([0.5, -2.0])
CTX = StepContext(np.zeros(2), 1.0, lambda p: 0.0, IDENTITY)


def test_fixed_step_gd_is_the_tutorials_update():
    opt = gd(0.1)
    step, _ = opt.update(G, opt.init(np.zeros(2)), CTX)
    np.testing.assert_array_equal(step, -0.1 * G)


def test_momentum_two_steps_exactly():
    opt = momentum(0.1, beta=0.9)
    state = opt.init(np.zeros(2))
    step1, state = opt.update(G, state, CTX)
    step2, state = opt.update(G, state, CTX)
    np.testing.assert_allclose(step1, -0.1 * G)
    np.testing.assert_allclose(step2, -0.1 * (0.9 * G + G))


def test_adam_first_step_is_lr_times_sign():
    opt = adam(0.01)
    step, state = opt.update(G, opt.init(np.zeros(2)), CTX)
    np.testing.assert_allclose(step, -0.01 * np.sign(G), rtol=1e-9)
    assert state.count == 1


def test_line_search_gd_takes_a_sufficient_decrease_step():
    kernel = parabola()
    p = np.zeros(3)
    cost, grad = kernel.cost_grad(p)
    opt = gd()
    step, state = opt.update(grad, opt.init(p), StepContext(p, cost, kernel.cost, IDENTITY))
    alpha = state.step_size
    assert kernel.cost(p + step) <= cost - 1e-4 * alpha * grad @ grad
    np.testing.assert_allclose(step, -alpha * grad)


# residuals below 1e-8 (these problems' optimum is 0): a set step is not judged stalled
FLOOR = 1e-16
SETTINGS = {"gd": {}, "momentum": {"learning_rate": 0.02}, "adam": {"learning_rate": 0.05}}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_converges_on_a_parabola(name):
    opt = OPTIMIZERS[name](**SETTINGS[name])
    out = descend(parabola(), np.zeros(3), opt, IDENTITY, 20000, Tolerances(1e-14, 1e-14, 1e-8),
                  floor=FLOOR)
    assert out.status in CONVERGED
    np.testing.assert_allclose(out.params, 1.0, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_converges_on_rosenbrock(name):
    opt = OPTIMIZERS[name](**{"gd": {}, "momentum": {"learning_rate": 2e-4}, "adam": {"learning_rate": 2e-3}}[name])
    out = descend(rosenbrock(), np.array([-1.2, 1.0]), opt, IDENTITY, 200000,
                  Tolerances(1e-16, 1e-16, 1e-7), floor=FLOOR)
    assert out.status in CONVERGED, out.status
    np.testing.assert_allclose(out.params, [1.0, 1.0], atol=1e-3)


def test_levenberg_marquardt_on_rosenbrock():
    out = levenberg_marquardt(rosenbrock(), np.array([-1.2, 1.0]), Euclidean(2), 200, Tolerances())
    assert out.status in CONVERGED
    np.testing.assert_allclose(out.params, [1.0, 1.0], atol=1e-8)
    assert out.n_iter < 40
