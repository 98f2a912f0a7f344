"""The result contract, shared by gradient descent and Levenberg-Marquardt: every Status
is reachable on a tiny problem, and a one-iteration fit is pinned by hand."""

import json

import numpy as np
import pytest

from fitcli.core import fit
from fitcli.core.lm import levenberg_marquardt
from fitcli.core.loop import Tolerances, descend
from fitcli.core.manifold import Euclidean
from fitcli.core.optimizers import gd
from fitcli.core.result import CONVERGED, DIVERGE_AFTER, MESSAGES, FitResult, Status

from .kernels import parabola

IDENTITY = lambda p: p  # noqa: E731


def test_every_status_has_a_message():
    assert set(MESSAGES) == set(Status)


def test_gtol_at_the_minimum():
    out = descend(parabola(), np.ones(3), gd(), IDENTITY, 100, Tolerances())
    assert out.status is Status.GTOL and out.n_iter == 0


def test_ftol_on_a_noisy_problem(rng):
    from fitcli.core.models import MODELS

    data, _ = MODELS["project3d"].example(rng, n=50)
    assert fit("project3d", data).status is Status.FTOL


def test_xtol_on_an_exact_problem():
    from fitcli.core.synth import synthesize

    s = synthesize("ratio2d", seed=1, n=50, noise=0.0)
    result = fit("ratio2d", tuple(s.table.T))
    assert result.status in (Status.XTOL, Status.GTOL)


def test_max_iter():
    out = descend(parabola(), np.zeros(3), gd(1e-3), IDENTITY, 3, Tolerances())
    assert out.status is Status.MAX_ITER and out.n_iter == 3


def test_non_finite_keeps_the_best_parameters():
    out = descend(parabola(), np.zeros(3), gd(1e3), IDENTITY, 10000, Tolerances())
    assert out.status is Status.NON_FINITE
    np.testing.assert_array_equal(out.params, np.zeros(3))  # the start was the best point
    assert np.isfinite(out.cost)


def test_a_step_too_large_for_a_bounded_loss_is_divergence():
    """Steps that overshoot (kept within |p| <= 10, as the unit-norm models keep theirs)
    leave the loss above its start for good: diverged, with the start reported."""
    def clip(p):
        return p * min(1.0, 10.0 / np.linalg.norm(p))

    start = np.full(3, 0.9)
    out = descend(parabola(), start, gd(1e3), clip, 100000, Tolerances())
    # a 2-cycle from the first step: its low is the second iterate, then no progress
    assert out.status is Status.DIVERGED and out.n_iter == DIVERGE_AFTER + 1
    np.testing.assert_array_equal(out.params, start)


def test_a_loss_falling_back_from_above_its_start_is_not_divergence():
    """Adam's first steps may overshoot; while the loss keeps setting new lows it goes on."""
    from fitcli.core.optimizers import adam

    out = descend(parabola(), np.full(3, 0.999), adam(0.05), IDENTITY, 20000, Tolerances(gtol=1e-6),
                  floor=1e-16)  # residuals of 1e-8: adam's set step cannot resolve finer
    assert out.history[1] > out.history[0]  # it did overshoot
    assert out.status in CONVERGED


def test_a_set_step_too_small_to_move_is_stalled_not_converged():
    """ftol fires because each step is tiny, yet a longer step would still lower the loss."""
    out = descend(parabola(), np.zeros(3), gd(1e-12), IDENTITY, 100, Tolerances(), floor=1e-16)
    assert out.status is Status.STALLED and out.n_iter == 1
    out = descend(parabola(), np.zeros(3), gd(0.1), IDENTITY, 100000, Tolerances(), floor=1e-16)
    assert out.status in CONVERGED  # the same stop at the optimum is convergence


@pytest.mark.parametrize("method", ["gd", "lm"])
def test_interrupt_returns_the_best_so_far(method):
    def stop(info):
        raise KeyboardInterrupt

    kernel = parabola()
    start = np.zeros(3)
    if method == "lm":
        out = levenberg_marquardt(kernel, start, Euclidean(3), 100, Tolerances(), callback=stop)
    else:
        out = descend(kernel, start, gd(), IDENTITY, 100, Tolerances(), callback=stop)
    assert out.status is Status.INTERRUPTED
    assert out.cost < kernel.cost(start)  # the accepted first step is kept


def test_one_fixed_step_is_pinned_by_hand():
    x = np.array([0.0, 1.0, 2.0, 3.0])
    y = np.array([1.0, -1.0, 0.5, 2.0])
    l = np.array([1.0, -1.0, 1.0, -1.0])
    lr = 0.1
    result = fit("linear-tanh", (x, y, l), optimizer="gd", learning_rate=lr, init="zero",
                 normalize=False, standardize=False, max_iter=1)
    # At k = b = 0: z = -y, and dL/dk = mean 2 (tanh z - l)(1 - tanh^2 z) x (docs/math.md s.1).
    t = np.tanh(-y)
    common = 2 * (t - l) * (1 - t * t)
    k, b = -lr * np.mean(common * x), -lr * np.mean(common)
    np.testing.assert_allclose(result.params, [k, b], rtol=1e-14)
    z = k * x + b - y
    assert result.cost == pytest.approx(np.mean((np.tanh(z) - l) ** 2), rel=1e-14)
    assert (result.n_iter, result.n_eval, result.status) == (1, 2, Status.MAX_ITER)
    assert result.model == "linear-tanh" and result.optimizer == "gd"
    assert result.param_names == ("k", "b") and result.n_points == 4
    assert not result.success and result.message == MESSAGES[Status.MAX_ITER]
    assert result.extra["accuracy"] == pytest.approx(np.mean(np.where(z >= 0, 1, -1) == l))
    assert len(result.history) == 2


def test_to_dict_is_plain_json_with_stable_keys():
    r = FitResult("ratio2d", "lm", ("a", "b"), np.array([1.0, np.nan]), np.inf, 0.0, 3, 4,
                  Status.FTOL, 10, extra={"matrix": np.eye(2)})
    d = r.to_dict()
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text)["params"] == {"a": 1.0, "b": None}
    assert d["loss"] is None and d["converged"] is True and d["status"] == "ftol"
    for key in ("model", "optimizer", "params", "loss", "n_points", "iterations", "converged",
                "status", "message", "seconds"):
        assert key in d
    assert r.success == (r.status in CONVERGED)
