"""The separator family of linear-tanh: every activation/loss pair, per point, and the
kernel that sums them (docs/math.md s.1).

A point's score z (the tutorial's z = k x + b - y, or w1 x + w2 y + w0) and its label
l in {+1, -1} (t = (l + 1)/2 in {0, 1}) give the loss L(z, l):

    tanh,    squared:        (tanh z - l)^2
    sigmoid, squared:        (s(z) - t)^2
    sigmoid, cross-entropy:  -[t log s + (1-t) log(1-s)] = softplus(-l z),  dL/dz = s - t
    tanh,    cross-entropy:  the same with p = (tanh z + 1)/2 = s(2z): softplus(-2 l z),
                             dL/dz = tanh z - l

Squared losses keep the residual r = act(z) - target, so Gauss-Newton (LM) works on
J = dr/dz D; cross-entropy has the exact second derivative, used as Newton's matrix.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ...activations import dsigmoid, dtanh, sigmoid, softplus
from ...objective import COST, GRADIENT, NORMAL, Kernel
from . import ACTIVATIONS, FORMS, LOSSES  # noqa: E402  (the card's choices)


class Terms(NamedTuple):
    """Per point (n,): the loss, dL/dz, and the curvature weight of the kernel's matrix
    (2 (dr/dz)^2 for squared losses: Gauss-Newton; d2L/dz2 for cross-entropy: exact)."""

    loss: np.ndarray
    dloss: np.ndarray
    curvature: np.ndarray


def _residual(activation: str, z, l):
    """r of the squared losses; r = -l s(-l z) is s(z) - t without cancellation."""
    return np.tanh(z) - l if activation == "tanh" else -l * sigmoid(-l * z)


def _squared_residual(activation: str, z, l):
    """r, dr/dz of the squared losses."""
    return _residual(activation, z, l), (dtanh(z) if activation == "tanh" else dsigmoid(z))


def _steepness(activation: str) -> float:
    """Cross-entropy through tanh is that of the sigmoid at 2z."""
    return 2.0 if activation == "tanh" else 1.0


def losses(activation: str, loss: str, z: np.ndarray, l: np.ndarray) -> np.ndarray:
    """The loss of every point alone (terms(...).loss, without the derivatives that
    cost three times as much): what the loss-only pass and scoring candidates need."""
    if loss == "squared":
        r = _residual(activation, z, l)
        return r * r
    return log_loss(activation, z, l)


def terms(activation: str, loss: str, z: np.ndarray, l: np.ndarray) -> Terms:
    """Loss, dL/dz and curvature of every point; z, l shape (n,)."""
    if loss == "squared":
        r, dr = _squared_residual(activation, z, l)
        return Terms(r * r, 2.0 * r * dr, 2.0 * dr * dr)
    c = _steepness(activation)
    u = -l * (c * z)
    return Terms(softplus(u), -l * c * sigmoid(u), c * c * dsigmoid(c * z))


def point_residuals(activation: str, loss: str, z, l) -> tuple[np.ndarray, np.ndarray]:
    """r (n,) with r^2 = L, and dr/dz (n,).

    Squared: r = act(z) - target.  Cross-entropy: the signed root r = -l sqrt(L) (the
    deviance residual over sqrt 2), dr/dz = |dL/dz| / (2 sqrt L), which tends to 0 as L does.
    """
    if loss == "squared":
        return _squared_residual(activation, z, l)
    t = terms(activation, loss, z, l)
    root = np.sqrt(t.loss)
    dr = np.divide(np.abs(t.dloss), 2.0 * root, out=np.zeros_like(root), where=root > 0)
    return -l * root, dr


def log_loss(activation: str, z: np.ndarray, l: np.ndarray) -> np.ndarray:
    """-log P(label) (n,) with P(+1) = s(z) (sigmoid) or (tanh z + 1)/2, from z directly."""
    return softplus(-l * (_steepness(activation) * z))


def probability(activation: str, z: np.ndarray) -> np.ndarray:
    """P(+1) (n,): s(z), or (tanh z + 1)/2 = s(2z)."""
    return sigmoid(_steepness(activation) * z)


class SeparatorKernel(Kernel):
    """z = theta . D_i + offset_i over points stored as columns of D (p, n).

    cost = mean L, grad = D L' / n, H = D diag(curvature) D^T / n (p x p).
    """

    def __init__(self, D: np.ndarray, offset: np.ndarray | None, l: np.ndarray,
                 point_terms: Callable[[np.ndarray, np.ndarray], Terms],
                 point_losses: Callable[[np.ndarray, np.ndarray], np.ndarray]):
        super().__init__(D.shape[1])
        self.D, self.offset, self.l = D, offset, l
        self.terms, self.losses = point_terms, point_losses

    def _scores(self, params, s, e):
        z = params @ self.D[:, s:e]
        return z if self.offset is None else z + self.offset[s:e]

    def sums(self, params, level):
        """(sum L) for the cost, then sum L' D (p,) for the gradient, then
        sum curvature D D^T (p, p) for the matrix."""
        p = len(params)
        if level == COST:
            total = 0.0
            for s, e in self.chunks():
                total += float(np.sum(self.losses(self._scores(params, s, e), self.l[s:e])))
            return np.array([total])
        out = np.zeros(1 + p + (p * p if level == NORMAL else 0))
        g, H, total = out[1 : 1 + p], out[1 + p :].reshape(-1, p), 0.0
        for s, e in self.chunks():
            t = self.terms(self._scores(params, s, e), self.l[s:e])
            D = self.D[:, s:e]
            total += float(np.sum(t.loss))
            g += D @ t.dloss
            if level == NORMAL:
                H += (D * t.curvature) @ D.T
        out[0] = total
        return out

    def finish(self, total, n, level):
        if level == COST:
            return float(total[0]) / n
        p = self.D.shape[0]
        grad = total[1 : 1 + p] / n
        if level == GRADIENT:
            return float(total[0]) / n, grad
        return float(total[0]) / n, grad, total[1 + p :].reshape(p, p) / n


__all__ = ["ACTIVATIONS", "FORMS", "LOSSES", "SeparatorKernel", "Terms", "log_loss", "losses",
           "point_residuals", "probability", "terms"]
