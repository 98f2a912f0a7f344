"""Check a model's hand-derived gradients on real data against central differences.

The gradient of the MEAN loss is computed three ways and each is compared with the
central-difference gradient of the kernel's loss (docs/math.md s.5):

    cost_grad  the kernel's gradient pass, used by gd, momentum and adam
    normal     the gradient of the kernel's Gauss-Newton pass, used by lm
    jacobian   2 J^T r / n from the model's residuals() and jacobian() (the formulas)

at the fit's starting point and at random points near it, in the coordinates the
optimiser sees (after the fit's normalisation, unless normalize=False).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .gradcheck import disagrees, gradient_with_error, relative_errors
from .models.base import CHUNK, Model

FORMS = ("cost_grad", "normal", "jacobian")
SPREAD = 0.2  # random points: the start moved by this fraction of its norm


@dataclass(frozen=True)
class PointCheck:
    """The analytic gradients (form -> (p,)) and the numeric one (p,) at `params` (p,)."""

    label: str
    params: np.ndarray
    cost: float
    numeric: np.ndarray
    noise: np.ndarray  # what the comparison itself may be off by, per parameter
    analytic: dict[str, np.ndarray]

    def rel_errors(self, form: str) -> np.ndarray:
        return relative_errors(self.analytic[form], self.numeric)

    def failed(self, form: str, tol: float) -> np.ndarray:
        return disagrees(self.analytic[form], self.numeric, self.noise, tol)

    def excused(self, form: str, tol: float) -> np.ndarray:
        """(p,) bool: above tol, but within what the comparison may be off by."""
        return (self.rel_errors(form) > tol) & ~self.failed(form, tol)


@dataclass(frozen=True)
class GradientReport:
    model: str
    param_names: tuple[str, ...]
    coordinates: str
    tol: float
    rel_step: float
    points: tuple[PointCheck, ...]

    def failed(self) -> list[str]:
        """Names of the parameters whose partial fails in some form at some point."""
        bad = np.zeros(len(self.param_names), bool)
        for point in self.points:
            for form in FORMS:
                bad |= point.failed(form, self.tol)
        return [n for n, b in zip(self.param_names, bad) if b]

    def worst(self, form: str = "cost_grad", start: int = 0) -> np.ndarray:
        """Largest relative error (p,) of `form` over points[start:]."""
        return np.max([p.rel_errors(form) for p in self.points[start:]], axis=0)

    def worst_counted(self, form: str) -> float:
        """Largest relative error of `form` over all points and parameters, leaving out
        the excused ones (within the finite differences' own error)."""
        return max(float(np.max(np.where(p.excused(form, self.tol), 0.0, p.rel_errors(form))))
                   for p in self.points)

    def excused(self) -> bool:
        return any(p.excused(f, self.tol).any() for p in self.points for f in FORMS)

    def to_dict(self) -> dict[str, Any]:
        names = self.param_names

        def named(values):
            return {n: float(v) for n, v in zip(names, values)}

        points = [{
            "point": p.label, "params": named(p.params), "loss": p.cost,
            "numeric": named(p.numeric), "noise": named(p.noise),
            "analytic": {f: named(p.analytic[f]) for f in FORMS},
            "relative_error": {f: named(p.rel_errors(f)) for f in FORMS},
        } for p in self.points]
        failed = self.failed()
        return {"model": self.model, "coordinates": self.coordinates, "tol": self.tol,
                "rel_step": self.rel_step, "passed": not failed, "failed": failed,
                "worst_relative_error": {f: self.worst_counted(f) for f in FORMS},
                "points": points}


def jacobian_gradient(model: Model, data: tuple[np.ndarray, ...], params: np.ndarray) -> np.ndarray:
    """2 J^T r / n (p,) from model.residuals and model.jacobian, chunk by chunk."""
    n, g = len(data[0]), np.zeros(model.n_params)
    for s in range(0, n, CHUNK):
        part = tuple(a[s : s + CHUNK] for a in data)
        g += model.jacobian(params, *part).T @ model.residuals(params, *part)
    return 2.0 * g / n


def target_size(data: tuple[np.ndarray, ...]) -> float:
    """RMS of the targets (the last array of the data tuple): the size of a residual."""
    return max(float(np.sqrt(np.mean(np.square(data[-1])))), 1e-300)


def natural_scale(data, params: np.ndarray, H: np.ndarray) -> np.ndarray:
    """(p,) the change of each parameter that moves the predictions by about the targets'
    size V: V / rms(dr/dp_j), with rms(dr/dp_j)^2 = H_jj / 2 (H = 2 J^T J / n); at least
    |p_j|.  Steps and random points in these units suit any scaling of the data."""
    rms = np.sqrt(np.abs(np.diag(H)) / 2)
    with np.errstate(divide="ignore"):
        scale = np.where(rms > 0, target_size(data) / rms, np.maximum(np.abs(params), 1.0))
    return np.maximum(scale, np.abs(params))


def rounding_noise(data: tuple[np.ndarray, ...], H: np.ndarray) -> np.ndarray:
    """(p,) how far rounding alone moves each partial: residuals carry errors of about
    eps x the targets' size V, so 2 J^T r / n moves by about eps V sqrt(2 H_jj).  It
    matters where the residuals vanish (a start that fits exact data)."""
    return 16 * np.finfo(float).eps * target_size(data) * np.sqrt(2 * np.abs(np.diag(H)))


def check_point(model: Model, data, params: np.ndarray, label: str, steps: np.ndarray) -> PointCheck:
    kernel = model.kernel(*data)
    with np.errstate(all="ignore"):
        cost, grad = kernel.cost_grad(params)
        _, normal_grad, H = kernel.normal(params)
        numeric, fd_error = gradient_with_error(kernel.cost, params, steps)
        analytic = {"cost_grad": grad, "normal": normal_grad,
                    "jacobian": jacobian_gradient(model, data, params)}
        noise = fd_error + rounding_noise(data, H)
    return PointCheck(label, params, cost, numeric, noise, analytic)


def check_gradients(model: Model, data: tuple[np.ndarray, ...], *, points: int = 3, seed: int = 0,
                    rel_step: float = 1e-6, tol: float = 1e-6, normalize: bool = True,
                    **options: Any) -> GradientReport:
    """Check at the fit's start (model.inits[0]) and at `points` random points near it.

    Steps are rel_step x each parameter's natural scale s_j (see natural_scale); random
    points move each parameter at random by about SPREAD x min(s_j, |p_j| + s_j / 10).

    Raises:
        DegenerateDataError: data that cannot determine the model.
    """
    model.check(data)
    frame = model.frame(data, normalize, **options)
    rng = np.random.default_rng(seed)
    kernel = model.kernel(*frame.data)
    start = model.manifold.retract(model.start(kernel, frame.data, model.inits[0], rng))
    with np.errstate(all="ignore"):
        scale = natural_scale(frame.data, start, kernel.normal(start)[2])
    where = [("start", start)]
    spread = SPREAD * np.minimum(scale, np.abs(start) + 0.1 * scale)
    for j in range(points):
        moved = start + spread * rng.standard_normal(len(start))
        where.append((f"random {j + 1}", model.manifold.retract(moved)))
    steps = rel_step * scale
    checks = tuple(check_point(model, frame.data, p, label, steps) for label, p in where)
    coordinates = "normalised (as the optimiser sees them)" if normalize else "the input's units"
    return GradientReport(model.name, model.param_names, coordinates, tol, rel_step, checks)
