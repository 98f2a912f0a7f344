"""What every model provides: residuals, their hand-derived Jacobian, and a fast kernel.

A model's parameters are one flat float64 vector labelled by `param_names`.  The fit
minimises the mean per-point loss  cost = |r|^2 / n  (MATH.md), whose gradient is
2 J^T r / n and whose Gauss-Newton matrix is 2 J^T J / n.  The kernel computes these in
chunks without ever forming the (n*m, p) Jacobian.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np

from ..normalize import DegenerateDataError

CHUNK = 8192  # points per chunk: the temporaries of one chunk stay in cache


OVERFLOW = ("the linear estimate overflows double precision at the scale of these coordinates "
            "(--no-normalize: without it they are centred and scaled first)")


def dlt_solution(AtA: np.ndarray, what: str) -> np.ndarray:
    """The direct linear transform's estimate: the unit eigenvector of the smallest
    eigenvalue of A^T A (the moments of the linear system A q = 0).

    Raises:
        DegenerateDataError: A^T A overflows (coordinates of 1e300 with --no-normalize),
            or has more than one (near-)null direction: `what` is not unique.
    """
    if not np.all(np.isfinite(AtA)):
        raise DegenerateDataError(OVERFLOW)
    evals, evecs = np.linalg.eigh(AtA)
    if evals[1] <= 1e-13 * evals[-1]:
        raise DegenerateDataError(
            f"the points do not determine a unique {what} "
            "(the linear system has more than one solution)"
        )
    return evecs[:, 0]


class OptionError(ValueError):
    """A model option (e.g. read from a model file) that the model cannot take."""


class Kernel:
    """Mean loss, gradient and Gauss-Newton matrix of one model over fixed data.

    Subclasses implement `_cost(params)`, `_cost_grad(params)` and `_normal(params)`.
    Every call is one pass over the data and is counted in `n_eval`.
    """

    def __init__(self, n: int):
        self.n = n
        self.n_eval = 0

    def cost(self, params: np.ndarray) -> float:
        self.n_eval += 1
        return self._cost(params)

    def cost_grad(self, params: np.ndarray) -> tuple[float, np.ndarray]:
        self.n_eval += 1
        return self._cost_grad(params)

    def normal(self, params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """cost, grad = 2 J^T r / n (p,), H = 2 J^T J / n (p, p)."""
        self.n_eval += 1
        return self._normal(params)

    def chunks(self):
        for start in range(0, self.n, CHUNK):
            yield start, min(self.n, start + CHUNK)


@dataclass(frozen=True)
class Frame:
    """The data as the optimiser sees it, and the way back to the input's units.

    `cost_scale` turns an internal mean loss into the input's units; `to_original`
    maps internal parameters to parameters in the input's units.
    """

    data: tuple[np.ndarray, ...]
    to_original: Callable[[np.ndarray], np.ndarray]
    cost_scale: float = 1.0
    notes: dict[str, Any] = field(default_factory=dict)


def unit(params: np.ndarray) -> np.ndarray:
    """Scale to unit Euclidean norm (the gauge of a homogeneous model); hypot's norm
    neither overflows nor underflows for entries of 1e200 or 1e-200."""
    return params / math.hypot(*params)


class Model:
    """Base class; one subclass per model module, one instance in MODELS."""

    name: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]
    columns: ClassVar[tuple[str, ...]]  # CSV columns, inputs first, then targets
    n_targets: ClassVar[int]
    min_points: ClassVar[int]
    min_points_why: ClassVar[str]
    gauge: ClassVar[bool]  # True: params and s*params are the same model
    inits: ClassVar[tuple[str, ...]]
    default_optimizer: ClassVar[str] = "lm"
    saved_options: ClassVar[tuple[str, ...]] = ()  # FitResult.extra keys predict needs
    text_columns: ClassVar[tuple[str, ...]] = ()  # columns that may hold text (class names)
    variant_options: ClassVar[tuple[str, ...]] = ()  # the options variant() takes
    likelihood: bool = False  # the loss is a mean -log P: errors from the inverse Hessian

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def n_inputs(self) -> int:
        return len(self.columns) - self.n_targets

    def variant(self, **options: Any) -> "Model":
        """The model configured by fit()'s model options (e.g. linear-tanh's activation);
        self for a model without variants (it ignores the options)."""
        return self

    def split(self, table: np.ndarray) -> tuple[tuple[np.ndarray, ...], list[str]]:
        """(n, len(columns)) table -> (the model's data tuple, notes for the user).

        Raises:
            ValueError: values the model cannot take (e.g. unknown labels).
        """
        return tuple(np.ascontiguousarray(table[:, j]) for j in range(table.shape[1])), []

    def fit_notes(self, data: tuple[np.ndarray, ...]) -> list[str]:
        """Sentences for the user on how a fit reads `data` (e.g. the units it measures in)."""
        return []

    def residuals(self, params: np.ndarray, *data: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def jacobian(self, params: np.ndarray, *data: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def kernel(self, *data: np.ndarray) -> Kernel:
        raise NotImplementedError

    def frame(self, data: tuple[np.ndarray, ...], normalize: bool, **options: Any) -> Frame:
        raise NotImplementedError

    def start(self, kernel: Kernel, data: tuple, init: str, rng: np.random.Generator):
        raise NotImplementedError

    def normalize(self, params: np.ndarray) -> np.ndarray:
        """Fix the scale gauge after every step; the identity for gauge-free models."""
        return unit(params) if self.gauge else params

    def canonical(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> np.ndarray:
        """The stated normalisation used in every report."""
        return params

    def check(self, data: tuple[np.ndarray, ...]) -> None:
        """Raise DegenerateDataError if the data cannot determine the model."""
        n = len(data[0])
        if n < self.min_points:
            raise DegenerateDataError(
                f"{self.name} needs at least {self.min_points} points "
                f"({self.min_points_why}); got {n}"
            )

    def describe(self, params: np.ndarray) -> dict[str, Any]:
        """Report fields beyond the parameters, e.g. the matrix and its normalisation."""
        return {}

    def figures(self, params: np.ndarray, data: tuple, cost: float) -> dict[str, Any]:
        """The model's natural error measures, for progress and the report."""
        return {"rmse": float(np.sqrt(cost))}

    def example(self, rng: np.random.Generator, n: int = 12):
        """A tiny random problem: (data tuple, params), for tests."""
        raise NotImplementedError

    def predict(self, params: np.ndarray, inputs: np.ndarray, **options: Any) -> dict[str, np.ndarray]:
        """Output columns for input rows (n, n_inputs): name -> (n,), targets first."""
        raise NotImplementedError

    def canonical_jacobian(self, params: np.ndarray) -> np.ndarray:
        """d canonical(x) / dx (p, p) at x = params, up to the sign canonical() fixes.

        For a gauge model canonical() is unit norm: (I - x x^T / |x|^2) / |x|.
        """
        if not self.gauge:
            return np.eye(self.n_params)
        norm = np.linalg.norm(params)
        return (np.eye(self.n_params) - np.outer(params, params) / norm**2) / norm

    def depths(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> np.ndarray | None:
        """Per point, the depth in front of a camera model (n,); None for other models."""
        return None

    def point_table(self, params: np.ndarray, data: tuple[np.ndarray, ...],
                    **notes: Any) -> dict[str, np.ndarray]:
        """Per-point columns for --residuals (each (n,)): predictions and residuals.

        `notes` are the fit's frame notes (FitResult.extra), e.g. linear-tanh's z_scale.
        """
        r = self.residuals(params, *data).reshape(len(data[0]), self.n_targets)
        targets = self.columns[-self.n_targets:]
        return {f"r_{name}": r[:, j] for j, name in enumerate(targets)}


    def evaluate(self, params: np.ndarray, table: np.ndarray, **options: Any) -> dict[str, float]:
        """Error measures of `params` on rows (n, len(columns)) that carry their targets:
        the fit's mean loss and the model's figures (e.g. RMS error)."""
        data, _ = self.split(table)
        with np.errstate(all="ignore"):
            cost = self.kernel(*data).cost(params)
        return {"loss": cost, **self.figures(params, data, cost)}


__all__ = ["CHUNK", "DegenerateDataError", "Frame", "Kernel", "Model", "OptionError", "dlt_solution",
           "unit"]
