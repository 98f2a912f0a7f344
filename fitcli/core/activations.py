"""The tutorial's activation functions and their derivatives (docs/math.md s.1), computed stably.

Each `d<name>` is the derivative with respect to the input, as the tutorial writes it:
sigmoid' = s (1 - s), tanh' = 1 - tanh^2, ReLU' = 0 or 1, leaky ReLU' = slope or 1.
At a kink (z = 0) the left-hand value is returned; either one-sided value is a valid
subgradient.  `dsoftmax` is the full Jacobian dp_i/da_j = p_i (delta_ij - p_j).
Inputs are float arrays of any shape (softmax works along the last axis).
"""

from __future__ import annotations

import numpy as np

LEAKY_SLOPE = 0.01


def sigmoid(z):
    """s(z) = 1 / (1 + e^-z), through e^-|z| so that no exponential overflows."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def dsigmoid(z):
    """s'(z) = s (1 - s) = s(z) s(-z): no cancellation when s is near 1."""
    return sigmoid(z) * sigmoid(-np.asarray(z, dtype=float))


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z)."""
    return np.tanh(np.asarray(z, dtype=float))


def dtanh(z):
    """tanh'(z) = 1 - tanh^2(z) = 4 s(2z) s(-2z) (the second form keeps its precision)."""
    z = np.asarray(z, dtype=float)
    return 4.0 * sigmoid(2.0 * z) * sigmoid(-2.0 * z)


def relu(z):
    """max(0, z)."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def drelu(z):
    """0 for z <= 0, 1 for z > 0."""
    return np.where(np.asarray(z, dtype=float) > 0, 1.0, 0.0)


def leaky_relu(z, slope: float = LEAKY_SLOPE):
    """max(slope z, z) (slope < 1): z for z > 0, slope z otherwise."""
    z = np.asarray(z, dtype=float)
    return np.where(z > 0, z, slope * z)


def dleaky_relu(z, slope: float = LEAKY_SLOPE):
    """slope for z <= 0, 1 for z > 0."""
    return np.where(np.asarray(z, dtype=float) > 0, 1.0, slope)


def softmax(a):
    """p_i = e^{a_i} / sum_j e^{a_j} along the last axis; max(a) is subtracted first."""
    a = np.asarray(a, dtype=float)
    e = np.exp(a - np.max(a, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def dsoftmax(a):
    """Jacobian dp_i/da_j = p_i (delta_ij - p_j): shape (..., m, m) for a of shape (..., m)."""
    p = softmax(a)
    return p[..., :, None] * (np.eye(p.shape[-1]) - p[..., None, :])


def softplus(z):
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|): exact for large |z| of either sign."""
    z = np.asarray(z, dtype=float)
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def dsoftplus(z):
    """softplus'(z) = s(z)."""
    return sigmoid(z)


ACTIVATIONS = {
    "sigmoid": (sigmoid, dsigmoid),
    "tanh": (tanh, dtanh),
    "relu": (relu, drelu),
    "leaky_relu": (leaky_relu, dleaky_relu),
    "softplus": (softplus, dsoftplus),
}

__all__ = [
    "ACTIVATIONS", "dleaky_relu", "drelu", "dsigmoid", "dsoftmax", "dsoftplus", "dtanh",
    "leaky_relu", "relu", "sigmoid", "softmax", "softplus", "tanh",
]
