"""The model contract.

A fit needs of a model only this (the narrow contract): its parameter names and
columns, its parameter space (`manifold`), residuals and their hand-derived Jacobian
side by side, a Kernel of additive sums over the points (core.objective), a frame that
normalises the data and maps the parameters back, a start, and the checks that the data
can determine it.  The fit minimises the mean per-point loss cost = |r|^2 / n
(docs/math.md), whose gradient is 2 J^T r / n and whose Gauss-Newton matrix is
2 J^T J / n.

Everything else a model offers (predictions, the report's sections, sample data) is an
optional hook below with a default, written in the model's own module; what its command
shows (name, columns, starts, options, help) is its card (card.py), which loads without
numpy.  So a new model is one package (its card and its module) plus a line in the
registry (core/models/__init__.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, ClassVar

import numpy as np

from ..manifold import Euclidean, Sphere, unit  # noqa: F401  (unit: public here)
from ..normalize import DegenerateDataError
from ..objective import CHUNK, Kernel  # noqa: F401  (public here)
from .card import ModelCard, ModelOption, SynthSetting  # noqa: F401  (public here)

OVERFLOW = ("the linear estimate overflows double precision at the scale of these coordinates "
            "(`normalize=False`: without it they are centred and scaled first)")


def dlt_solution(AtA: np.ndarray, what: str) -> np.ndarray:
    """The direct linear transform's estimate: the unit eigenvector of the smallest
    eigenvalue of A^T A (the moments of the linear system A q = 0).

    Raises:
        DegenerateDataError: A^T A overflows (coordinates of 1e300 with normalize=False),
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


def thinness(points: np.ndarray) -> float:
    """The smallest spread of points (n, d) over their largest: the square root of the
    smallest over the largest eigenvalue of their scatter matrix (0 when they span fewer
    than d dimensions, 1 for a round cloud)."""
    ev = np.linalg.eigvalsh(np.atleast_2d(np.cov(np.asarray(points, dtype=float).T)))
    return float(np.sqrt(max(ev[0], 0.0) / ev[-1])) if ev[-1] > 0 else 0.0


class OptionError(ValueError):
    """A model option (e.g. read from a model file) that the model cannot take."""


class LazyData:
    """A frame's internal data made only when something reads it (a tuple's protocol):
    a kernel that normalises its blocks as it reads them (Model.kernel_for) needs no
    normalised copy of the points."""

    def __init__(self, make: Callable[[], tuple], n: int):
        self._make, self._data, self.n = make, None, n

    @property
    def data(self) -> tuple:
        if self._data is None:
            self._data = self._make()
        return self._data

    def __iter__(self):
        return iter(self.data)

    def __getitem__(self, i):
        return self.data[i]

    def __len__(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class Frame:
    """The data as the optimiser sees it, and the way back to the input's units.

    Parameters map back as params = linear @ q + offset (`to_original(q)` computes the
    same with the model's own products; `affine()` gives the pair, built only when the
    report asks); `cost_scale` turns an internal mean loss into the input's units.
    """

    data: tuple[np.ndarray, ...]
    to_original: Callable[[np.ndarray], np.ndarray]
    affine: Callable[[], tuple[np.ndarray, np.ndarray]]
    cost_scale: float = 1.0
    notes: dict[str, Any] = field(default_factory=dict)
    normalized: bool = True
    # the engines' form (Model.frame_of): column j of a chunk of points in the input's
    # units maps to (value - shift[j]) * scale[j]; `data` is then None
    chunk_map: tuple[np.ndarray, np.ndarray] | None = None

    raw: tuple[np.ndarray, ...] | None = None  # the points in the input's units

    @property
    def n(self) -> int:
        """The number of points (without making lazy data)."""
        return self.data.n if isinstance(self.data, LazyData) else len(self.data[0])

    def apply(self, values: np.ndarray) -> np.ndarray:
        """The internal values (k, m) of points (k, m) in the input's units."""
        shift, scale = self.chunk_map
        out = values - shift[:, None]
        out *= scale[:, None]
        return out

    @cached_property
    def _map(self) -> tuple[np.ndarray, np.ndarray]:
        return self.affine()

    @property
    def linear(self) -> np.ndarray:
        return self._map[0]

    @property
    def offset(self) -> np.ndarray:
        return self._map[1]


def identity_frame(data: tuple[np.ndarray, ...] | None, p: int, k: int = 0, **notes: Any) -> Frame:
    """The frame of a fit in the input's own units (k > 0: for chunks of k columns)."""
    chunk_map = (np.zeros(k), np.ones(k)) if k else None
    return Frame(data, lambda q: q, lambda: (np.eye(p), np.zeros(p)), notes=notes,
                 normalized=False, chunk_map=chunk_map)


@dataclass(frozen=True)
class Section:
    """A part of the report only some models have (e.g. the camera of a 3x4 matrix):
    its JSON content, its warnings and, if the result cannot be used, why not."""

    key: str
    content: dict[str, Any]
    warnings: tuple[str, ...] = ()
    refusal: str | None = None  # why the fitted model is not usable
    degenerate: bool = False  # the refusal is that the data do not determine the model


class Model:
    """Base class; one subclass per model module, one instance in MODELS."""

    # -- the contract a fit needs -----------------------------------------------------
    card: ClassVar[ModelCard]  # name, columns, starts, options (see card.py)
    param_names: ClassVar[tuple[str, ...]]
    n_targets: ClassVar[int]
    min_points: ClassVar[int]
    min_points_why: ClassVar[str]

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def columns(self) -> tuple[str, ...]:
        """CSV columns, inputs first, then targets."""
        return self.card.columns

    @property
    def inits(self) -> tuple[str, ...]:
        return self.card.inits

    @property
    def measured(self) -> bool:
        """Targets are measurements with noise (not class labels)."""
        return self.card.measured

    @property
    def manifold(self) -> Euclidean:
        """The parameter space: Euclidean(p), or Sphere(p) for a scale gauge."""
        return Euclidean(len(self.param_names))

    def residuals(self, params: np.ndarray, *data: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def jacobian(self, params: np.ndarray, *data: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def point_squares(self, params: np.ndarray, data: tuple, scale: float = 1.0) -> np.ndarray:
        """s (n,): each point's |r_i * scale|^2, r_i its residuals (n_targets of them)."""
        r = self.residuals(params, *data).reshape(len(data[0]), self.n_targets)
        if scale != 1.0:
            r = r * scale
        return np.einsum("ij,ij->i", r, r)

    def kernel(self, *data: np.ndarray) -> Kernel:
        raise NotImplementedError

    def kernel_for(self, frame: Frame) -> Kernel:
        """The kernel on the frame's internal data (a model may read frame.raw and
        normalise block by block instead, holding the points once)."""
        return self.kernel(*frame.data)

    def frame(self, data: tuple[np.ndarray, ...], normalize: bool, **options: Any) -> Frame:
        raise NotImplementedError

    def start(self, kernel: Kernel, data: tuple, init: str, rng: np.random.Generator):
        raise NotImplementedError

    def check(self, data: tuple[np.ndarray, ...]) -> None:
        """Raise DegenerateDataError if the data cannot determine the model."""
        n = len(data[0])
        if n < self.min_points:
            raise DegenerateDataError(
                f"{self.name} needs at least {self.min_points} points "
                f"({self.min_points_why}); got {n}"
            )

    def canonical(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> np.ndarray:
        """The stated normalisation used in every report."""
        return params

    def canonical_jacobian(self, params: np.ndarray) -> np.ndarray:
        """d canonical(x) / dx (p, p) at x = params, up to the sign canonical() fixes.
        For a gauge model canonical() is unit norm: (I - x x^T / |x|^2) / |x|."""
        p = len(self.param_names)
        if not self.manifold.gauge:
            return np.eye(p)
        norm = np.linalg.norm(params)
        return (np.eye(p) - np.outer(params, params) / norm**2) / norm

    # -- optional hooks: the report, predictions, sample data --------------------------
    default_optimizer: ClassVar[str] = "lm"
    saved_options: ClassVar[tuple[str, ...]] = ()  # FitResult.extra keys predict needs
    text_columns: ClassVar[tuple[str, ...]] = ()  # columns that may hold text (class names)
    likelihood: bool = False  # the loss is a mean -log P: errors from the inverse Hessian
    start_reads_data: ClassVar[bool] = False  # a start may pass over the data: report its passes
    view: ClassVar[str] = "scalar"  # the plot of the fit: "scalar", "image" or "classes"
    loss_label: str = "mean squared error"  # what the loss curve's axis shows

    @property
    def n_params(self) -> int:
        return len(self.param_names)

    @property
    def n_inputs(self) -> int:
        return len(self.columns) - self.n_targets

    def variant(self, **options: Any) -> "Model":
        """The model configured by its options (card.options); self for a model
        without variants (it ignores the options)."""
        return self

    def split(self, table: np.ndarray, levels: dict | None = None):
        """(n, len(columns)) table -> (the model's data tuple, notes for the user).

        Raises:
            ValueError: values the model cannot take (e.g. unknown labels).
        """
        return tuple(np.ascontiguousarray(table[:, j]) for j in range(table.shape[1])), []

    def fit_notes(self, data: tuple[np.ndarray, ...]) -> list[str]:
        """Sentences for the user on how a fit reads `data` (e.g. the units it measures in)."""
        return []

    def describe(self, params: np.ndarray) -> dict[str, Any]:
        """Report fields beyond the parameters, e.g. the matrix and its normalisation."""
        return {}

    def figures(self, params: np.ndarray, data: tuple, cost: float) -> dict[str, Any]:
        """The model's natural error measures, for progress and the report."""
        return {"rmse": float(np.sqrt(cost))}

    def geometry(self, data: tuple[np.ndarray, ...]) -> str | None:
        """How the data nearly fail to determine the model, with its figure (e.g. world
        points nearly on one plane), for the warning of an ill-conditioned fit; None if
        nothing in particular."""
        return None

    def fit_warnings(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> list[str]:
        """What the user should know of the fit `params` to `data` that its figures do
        not show (e.g. a loss decided by a few points at a ratio's pole)."""
        return []

    def depths(self, params: np.ndarray, data: tuple[np.ndarray, ...]) -> np.ndarray | None:
        """Per point, the depth in front of a camera model (n,); None for other models."""
        return None

    def derived(self, params: np.ndarray, factor: np.ndarray | None) -> list[Section]:
        """What the model derives from its parameters, with standard errors from
        `factor` (p, k), cov(params) = factor factor^T (None: not determined): e.g. a
        camera's K, R and C."""
        return []

    def sections(self, result, data: tuple[np.ndarray, ...], context) -> list[Section]:
        """The model's own parts of the report of `result` (a FitResult) beyond its
        statistics, e.g. a classification; `context` is a PointContext."""
        return []

    def point_table(self, params: np.ndarray, data: tuple[np.ndarray, ...],
                    **notes: Any) -> dict[str, np.ndarray]:
        """Per-point columns for a residuals file (each (n,)): predictions and residuals.
        `notes` are the fit's frame notes (FitResult.extra), e.g. linear-tanh's z_scale."""
        r = self.residuals(params, *data).reshape(len(data[0]), self.n_targets)
        targets = self.columns[-self.n_targets:]
        return {f"r_{name}": r[:, j] for j, name in enumerate(targets)}

    def example(self, rng: np.random.Generator, n: int = 12):
        """A tiny random problem: (data tuple, params), for tests."""
        raise NotImplementedError

    def predict(self, params: np.ndarray, inputs: np.ndarray, **options: Any) -> dict[str, np.ndarray]:
        """Output columns for input rows (n, n_inputs): name -> (n,), targets first."""
        raise NotImplementedError

    def evaluate(self, params: np.ndarray, table: np.ndarray, **options: Any) -> dict[str, float]:
        """Error measures of `params` on rows (n, len(columns)) that carry their targets:
        the fit's mean loss and the model's figures (e.g. RMS error)."""
        data, _ = self.split(table)
        with np.errstate(all="ignore"):
            cost = self.kernel(*data).cost(params)
        return {"loss": cost, **self.figures(params, data, cost)}

    def synthesize(self, rng: np.random.Generator, **settings: Any):
        """Sample points from a known model of this kind: a core.synth.Synthetic."""
        raise NotImplementedError

    # -- the engines' hooks (core.engines): the same steps as reductions over chunks ----
    # A model without point_groups fits on the memory engine only.
    point_groups: ClassVar[tuple] = ()  # normalize.PointGroup: the columns normalised together

    def chunk_data(self, values: np.ndarray) -> tuple[np.ndarray, ...]:
        """The model's data tuple of a chunk of points, values (k, m) column-major
        (views where the layout allows: the kernel reads the rows in place)."""
        return self.split(values.T)[0]

    def check_stats(self, stats) -> None:
        """check() from an engines.stats.PointStats (counts, ranks from the scatters)."""
        if stats.n < self.min_points:
            raise DegenerateDataError(
                f"{self.name} needs at least {self.min_points} points "
                f"({self.min_points_why}); got {stats.n}"
            )

    def frame_of(self, stats, normalize: bool, **options: Any) -> Frame:
        """frame() from the statistics: a Frame with `chunk_map` and no data."""
        raise NotImplementedError

    def start_sample(self, init: str) -> int:
        """Points the start `init` needs as a sample in memory (0: none)."""
        return 0

    def votes(self, params: np.ndarray, data: tuple) -> int:
        """Points (of `data`) that keep the sign of `params` in canonical(); the
        engines add them up over the chunks."""
        return len(data[0])

    def canonical_of(self, params: np.ndarray, votes: int, n: int) -> np.ndarray:
        """canonical() from the votes of all n points."""
        return self.canonical(params, None)

    def figure_sums(self, params: np.ndarray, data: tuple) -> np.ndarray:
        """figures() as sums over the points (internal params and data)."""
        return np.zeros(0)

    def figures_of(self, total: np.ndarray, n: int, cost: float) -> dict[str, Any]:
        """figures() from the summed figure_sums."""
        return self.figures(None, None, cost)


@dataclass(frozen=True)
class PointContext:
    """What the report knows of the rows the points came from: their input line
    numbers (a callable, since finding them costs a pass; it returns None for standard
    input), the table as read (values (n, len(columns)), levels of text columns), and
    the points the report counts ((n,) bool, the inliers of a robust fit; None: all)."""

    lines: Callable[[], np.ndarray | None]
    table: tuple[np.ndarray, dict]
    counted: np.ndarray | None = None


__all__ = ["CHUNK", "DegenerateDataError", "Frame", "Kernel", "LazyData", "Model", "ModelCard",
           "ModelOption", "OptionError", "PointContext", "Section", "SynthSetting",
           "dlt_solution", "identity_frame", "thinness", "unit"]
