"""The one record a fit returns, and the table of what its status means."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class Status(enum.Enum):
    GTOL = "gtol"  # first-order optimality measure below gtol
    FTOL = "ftol"  # relative loss decrease below ftol
    XTOL = "xtol"  # relative step below xtol
    MAX_ITER = "max_iter"
    NON_FINITE = "non_finite"  # loss or gradient became NaN/inf
    STALLED = "stalled"  # a set step too small: the loss barely moves, yet can still fall
    DIVERGED = "diverged"  # the loss stayed above its starting value (the step is too large)
    INTERRUPTED = "interrupted"


DIVERGE_AFTER = 500  # iterations above the starting loss without a new low: divergence

CONVERGED = frozenset({Status.GTOL, Status.FTOL, Status.XTOL})

MESSAGES = {
    Status.GTOL: "converged: the gradient is orthogonal to the residuals to within `gtol`",
    Status.FTOL: "converged: the relative decrease of the loss fell below `tol`",
    Status.XTOL: "converged: the relative step size fell below `xtol`",
    Status.MAX_ITER: "not converged: stopped at the iteration limit (`max_iter`)",
    Status.NON_FINITE: (
        "diverged: the loss became non-finite; the best finite parameters seen are reported"
    ),
    Status.STALLED: (
        "not converged: the set step (`learning_rate`) changes the loss by less than `tol` per "
        "iteration, but a longer step along the gradient still lowers it: raise "
        "`learning_rate`, or leave it out for the line search"
    ),
    Status.DIVERGED: (
        f"diverged: the loss rose above its starting value and then made no progress for "
        f"{DIVERGE_AFTER} iterations "
        "(the step is too large: lower `learning_rate`, or leave it out for the line search); "
        "the best parameters seen are reported"
    ),
    Status.INTERRUPTED: "interrupted: the best parameters so far are reported",
}


def plain(value: Any) -> Any:
    """Convert numpy scalars/arrays to plain Python; NaN and inf become None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


@dataclass(frozen=True)
class FitResult:
    """What a fit found, in the input's units and the model's stated normalisation.

    `cost` is the mean per-point loss (docs/math.md); `grad_norm` is the norm of its
    gradient in the fit's internal (normalised) coordinates.  `history` holds the
    loss after every iteration, `extra` the model's own figures (its describe(),
    figures() and frame notes, e.g. the matrix or the z scale).  `frame` is the frame
    the fit ran in (its normalised data and the map back), kept for the report.
    """

    model: str
    optimizer: str
    param_names: tuple[str, ...]
    params: np.ndarray
    cost: float
    grad_norm: float
    n_iter: int
    n_eval: int  # passes over the data by the optimizer, after the start
    status: Status
    n_points: int
    seconds: float = 0.0
    history: tuple[float, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    frame: Any = field(default=None, repr=False, compare=False)

    @property
    def success(self) -> bool:
        return self.status in CONVERGED

    @property
    def message(self) -> str:
        return MESSAGES[self.status]

    @property
    def rmse(self) -> float:
        return math.sqrt(self.cost) if self.cost >= 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        """Plain Python types with stable keys; non-finite numbers become None."""
        return plain(
            {
                "model": self.model,
                "optimizer": self.optimizer,
                "params": dict(zip(self.param_names, self.params)),
                "loss": self.cost,
                "n_points": self.n_points,
                "iterations": self.n_iter,
                "evaluations": self.n_eval,
                "converged": self.success,
                "status": self.status,
                "message": self.message,
                "grad_norm": self.grad_norm,
                "seconds": self.seconds,
                **self.extra,
            }
        )
