"""First-order optimizers as (init, update) pairs with explicit state.

`update(grad, state, ctx)` returns (step, new_state); the loop applies
params = retract(params + step).  `ctx` gives what a line search needs: the current
params and loss, a loss function and the retraction onto the parameters.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np


class StepContext(NamedTuple):
    params: np.ndarray
    value: float
    value_fn: Callable[[np.ndarray], float]
    retract: Callable[[np.ndarray], np.ndarray]


class Optimizer(NamedTuple):
    init: Callable[[np.ndarray], NamedTuple]
    update: Callable[[np.ndarray, NamedTuple, StepContext], tuple[np.ndarray, NamedTuple]]
    line_search: bool = False  # each step lowers the loss as far as it can (else a set step)


class GdState(NamedTuple):
    pass


class LineSearchState(NamedTuple):
    step_size: float


class MomentumState(NamedTuple):
    velocity: np.ndarray


class AdamState(NamedTuple):
    count: int
    mu: np.ndarray
    nu: np.ndarray


def gd(learning_rate: float | None = None) -> Optimizer:
    """Gradient descent: the tutorial's fixed step if learning_rate is given, else an
    Armijo backtracking line search whose trial step grows after each success."""
    if learning_rate is not None:
        return Optimizer(lambda params: GdState(), lambda g, s, ctx: (-learning_rate * g, s))

    def init(params):
        return LineSearchState(1.0)

    def update(grad, state, ctx):
        gg = float(grad @ grad)
        alpha = 2.0 * state.step_size
        for _ in range(60):
            trial = ctx.retract(ctx.params - alpha * grad)
            value = ctx.value_fn(trial)
            if np.isfinite(value) and value <= ctx.value - 1e-4 * alpha * gg:
                return trial - ctx.params, LineSearchState(alpha)
            alpha *= 0.5
        return np.zeros_like(grad), LineSearchState(alpha)

    return Optimizer(init, update, line_search=True)


def momentum(learning_rate: float | None = None, beta: float = 0.9) -> Optimizer:
    lr = 0.1 if learning_rate is None else learning_rate

    def init(params):
        return MomentumState(np.zeros_like(params))

    def update(grad, state, ctx):
        velocity = beta * state.velocity + grad
        return -lr * velocity, MomentumState(velocity)

    return Optimizer(init, update)


def adam(
    learning_rate: float | None = None, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-12
) -> Optimizer:
    lr = 1e-2 if learning_rate is None else learning_rate

    def init(params):
        return AdamState(0, np.zeros_like(params), np.zeros_like(params))

    def update(grad, state, ctx):
        count = state.count + 1
        mu = b1 * state.mu + (1 - b1) * grad
        nu = b2 * state.nu + (1 - b2) * grad * grad
        mu_hat = mu / (1 - b1**count)
        nu_hat = nu / (1 - b2**count)
        return -lr * mu_hat / (np.sqrt(nu_hat) + eps), AdamState(count, mu, nu)

    return Optimizer(init, update)


OPTIMIZERS: dict[str, Callable[..., Optimizer]] = {"gd": gd, "momentum": momentum, "adam": adam}
