"""linear-tanh: a separating line y = k x + b trained through tanh (docs/math.md s.1).

    z = k x + b - y,   loss_i = (tanh(z) - l)^2,   l in {+1, -1}

z > 0 (the point lies below the line) predicts +1.  params = (k, b).

The fit may measure z in units of s (z = (k x + b - y) / s): s = 1 is the tutorial's
loss; s = std(y) is the standardised fit, well-conditioned whatever y's units.

Variants (LinearTanh(...) or MODEL.variant(...)): activation tanh or sigmoid, loss squared
or cross-entropy (separator.py), and the general form z = w1 x + w2 y + w0, whose three
weights are all free, as in logistic regression.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ...manifold import Euclidean
from ...normalize import DegenerateDataError, PointGroup
from ...samples import Synthetic, draw_until, pick_outliers
from ..base import Frame, Model, OptionError, Section
from . import CARD, OPTIONS, classification
from .kernel import LinearTanhKernel  # noqa: F401  (public here)
from .labels import Labels, encode_labels, label_classes  # noqa: F401  (public here)
from .separator import (
    ACTIVATIONS,
    FORMS,
    LOSSES,
    SeparatorKernel,
    losses,
    point_residuals,
    terms,
)

PARAM_NAMES = ("k", "b")
GENERAL_NAMES = ("w1", "w2", "w0")

def scores(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """z (n,) = k x + b - y."""
    k, b = params
    return k * x + b - y


def classify(params: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Labels (n,) in {+1, -1}: +1 where z >= 0."""
    return np.where(scores(params, x, y) >= 0, 1.0, -1.0)


def residuals(params, x, y, l):
    """r (n,) = tanh(z) - l with z = k x + b - y."""
    return np.tanh(scores(params, x, y)) - l


def jacobian(params, x, y, l):
    """dr/dk = (1 - tanh^2 z) x,  dr/db = 1 - tanh^2 z.  Shape (n, 2)."""
    dz = 1.0 - np.tanh(scores(params, x, y)) ** 2
    return np.column_stack([dz * x, dz])


class LinearTanh(Model):
    """One separator variant: activation, loss, form (tutorial or general), z units and the
    label read as +1.  MODEL is the tutorial's tanh + squared loss."""

    param_names = PARAM_NAMES
    text_columns = ("label",)
    n_targets = 1
    min_points = 2
    min_points_why = "one of each class"
    card = CARD
    saved_options = ("z_scale", "activation", "loss_function", "form")
    view = "classes"
    start_reads_data = True  # the multistart polishes candidates on the data

    def __init__(self, activation: str = "tanh", loss_function: str = "squared",
                 form: str = "tutorial", standardize: bool | None = None,
                 positive: str | None = None):
        for value, choices, what in ((activation, ACTIVATIONS, "activation"),
                                     (loss_function, LOSSES, "loss"), (form, FORMS, "form")):
            if value not in choices:
                raise ValueError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")
        self.activation, self.loss_function, self.form = activation, loss_function, form
        self.standardize, self.positive = standardize, positive
        self.param_names = GENERAL_NAMES if form == "general" else PARAM_NAMES

    @property
    def settings(self) -> dict:
        """The variant's options by name (see OPTIONS)."""
        return {o.name: getattr(self, o.name) for o in OPTIONS}

    @property
    def manifold(self) -> Euclidean:
        return Euclidean(len(self.param_names))

    @property
    def loss_label(self) -> str:
        return f"mean {self.loss_function} loss through {self.activation}"

    @property
    def likelihood(self) -> bool:
        """Cross-entropy is the mean -log P(label): a likelihood, with no noise scale."""
        return self.loss_function == "cross-entropy"

    @property
    def standardized(self) -> bool:
        """z measured in units of std(y) (tutorial form; the default)."""
        return self.form == "tutorial" and self.standardize is not False

    def variant(self, **options):
        unknown = sorted(set(options) - set(self.settings))
        if unknown:
            raise ValueError(f"linear-tanh has no option {unknown[0]!r}; it takes "
                             f"{', '.join(self.settings)}")
        merged = {**self.settings, **{k: v for k, v in options.items() if v is not None}}
        return self if merged == self.settings else LinearTanh(**merged)

    def split(self, table, levels=None):
        """Labels of any two values (text ones as level indices into levels["label"])
        to +1/-1; the note says which value is +1."""
        l, labels = label_classes(table[:, 2], (levels or {}).get("label"), self.positive)
        notes = [] if labels.how == "labels +1/-1" else [labels.how]
        return (np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1]), l), notes

    def fit_notes(self, data) -> list[str]:
        """The units of z, and how the variant reads them."""
        y, notes = data[1], []
        if self.activation == "tanh" and self.loss_function == "cross-entropy":
            notes.append("tanh with cross-entropy: P(+1) = (tanh z + 1)/2, the sigmoid of 2z")
        if self.form == "general":
            if self.standardize is not None:
                notes.append("the general form learns the scale of z: `standardize=True` and "
                             "`standardize=False` change nothing")
            return notes
        return notes + [z_units(self, float(np.std(y)), float(np.max(np.abs(y - np.mean(y)))))]

    def fit_warnings(self, params, data) -> list[str]:
        """A start that could not scan every line that matters on a saturated loss."""
        from .start import PAIR_POINTS, saturated

        y, n = data[1], len(data[0])
        if not saturated(self, y) or n <= PAIR_POINTS:
            return []
        return [f"in y's units (std(y) = {float(np.std(y)):.3g}) tanh saturates and the loss "
                f"is flat plateaus, about 4 / n per misclassified point: the start scanned the "
                f"lines through pairs of {PAIR_POINTS} of the {n} points, so the fit may sit on "
                "a plateau above the lowest (`standardize=True` avoids this)"]

    def check(self, data):
        super().check(data)
        if not np.all(np.abs(data[2]) == 1.0):
            raise ValueError("labels must be +1/-1 here (encode_labels maps any two classes)")
        self._scales(*data[:2])

    def _scales(self, x, y) -> tuple[float, float]:
        """(sx, s): x's spread and the scale of z (see frame()); raises for a constant."""
        sx = float(x.std())
        s = float(y.std()) if self.standardized or self.form == "general" else 1.0
        return self._checked_scales(sx, s)

    def _checked_scales(self, sx: float, s: float) -> tuple[float, float]:
        if not sx > 0 or not s > 0:
            raise DegenerateDataError(_constant_message(sx, s, self.form))
        return sx, s

    def scores(self, params, x, y):
        """z (n,): k x + b - y (tutorial) or w1 x + w2 y + w0 (general)."""
        if self.form == "general":
            return params[0] * x + params[1] * y + params[2]
        return scores(params, x, y)

    def residuals(self, params, x, y, l):
        return point_residuals(self.activation, self.loss_function, self.scores(params, x, y), l)[0]

    def jacobian(self, params, x, y, l):
        """dr/dz times dz/dparams: (x, 1) or (x, y, 1).  Shape (n, p)."""
        dr = point_residuals(self.activation, self.loss_function, self.scores(params, x, y), l)[1]
        if self.form == "general":
            return np.column_stack([dr * x, dr * y, dr])
        return np.column_stack([dr * x, dr])

    def kernel(self, x, y, l):
        if self.form == "tutorial" and (self.activation, self.loss_function) == ("tanh", "squared"):
            return LinearTanhKernel(x, y, l)
        one = np.ones_like(x)
        D = np.stack([x, y, one] if self.form == "general" else [x, one])
        offset = None if self.form == "general" else -np.asarray(y, dtype=float)
        return SeparatorKernel(D, offset, np.ascontiguousarray(l),
                               partial(terms, self.activation, self.loss_function),
                               partial(losses, self.activation, self.loss_function))

    def frame(self, data, normalize, **options):
        """Internal x' = (x - mx)/sx and y' = (y - my)/s.  Tutorial form: s = std(y)
        (standardised) or 1 (the tutorial's z); only s changes the loss, the rest is
        reparametrisation.  General form: s = std(y), an exact reparametrisation."""
        x, y, l = data
        mx, my = float(x.mean()), float(y.mean())
        sx, s = self._scales(x, y)
        return self._frame(mx, sx, my, s, normalize, data)

    def _frame(self, mx, sx, my, s, normalize, data, labels=(0.0, 1.0)) -> Frame:
        """The frame of means mx, my and scales sx, s; with data None, a chunk_map
        (the label column mapped by labels = (shift, scale) so that +1 is positive)."""
        general = self.form == "general"
        if not normalize:
            mx, sx, my, s = 0.0, 1.0, 0.0, 1.0 if general else s
        notes = {"z_scale": 1.0 if general else s, "standardized": self.standardized,
                 "activation": self.activation, "loss_function": self.loss_function, "form": self.form}
        if data is None:
            data_int = None
            chunk_map = (np.array([mx, my, labels[0]]), np.array([1.0 / sx, 1.0 / s, labels[1]]))
        else:
            x, y, l = data
            data_int, chunk_map = ((x - mx) / sx, (y - my) / s, l), None
        if general:
            def affine():
                return (np.array([[1.0 / sx, 0.0, 0.0], [0.0, 1.0 / s, 0.0],
                                  [-mx / sx, -my / s, 1.0]]), np.zeros(3))

            return Frame(data_int, partial(_general_to_original, mx, sx, my, s), affine,
                         notes=notes, normalized=normalize, chunk_map=chunk_map)

        def to_original(p):
            k, b = p
            return np.array([s * k / sx, s * b + my - s * k * mx / sx])

        def affine():
            return np.array([[s / sx, 0.0], [-s * mx / sx, s]]), np.array([0.0, my])

        return Frame(data_int, to_original, affine, notes=notes, normalized=normalize,
                     chunk_map=chunk_map)

    # -- the engines' hooks ----------------------------------------------------------
    point_groups = (PointGroup("x values", (0,), "rms"), PointGroup("y values", (1,), "rms"),
                    PointGroup("labels", (2,), "labels"))

    def chunk_data(self, values):
        """x, y and the labels as +1/-1 (the frame maps the positive class above 0)."""
        return values[0], values[1], np.where(values[2] > 0, 1.0, -1.0)

    def check_stats(self, stats):
        super().check_stats(stats)
        low, high, (at_low, at_high) = stats.low[2], stats.high[2], stats.label_counts[2]
        if at_low + at_high < stats.n:
            raise ValueError("linear-tanh separates two classes; the labels take more than "
                             f"two values (between {low:g} and {high:g})")
        if low == high:
            raise DegenerateDataError(
                f"only one class is present (every label is {low:g}): no line separates it")

    def frame_of(self, stats, normalize, **options):
        low, high = float(stats.low[2]), float(stats.high[2])
        positive = high if self.positive is None else _label_value(self.positive, low, high)
        labels = (0.5 * (low + high), 1.0 if positive == high else -1.0)
        general = self.form == "general"
        s = stats.spread[1] if self.standardized or general else 1.0
        sx, s = self._checked_scales(stats.spread[0], s)
        return self._frame(float(stats.mean[0]), sx, float(stats.mean[1]), s, normalize,
                           None, labels)

    def start_sample(self, init):
        from .start import SAMPLE

        return SAMPLE if init == "auto" else 0

    def figure_sums(self, params, data):
        x, y, l = data
        return np.array([np.count_nonzero(np.where(self.scores(params, x, y) >= 0, 1.0, -1.0) == l)],
                        dtype=float)

    def figures_of(self, total, n, cost):
        return {"accuracy": float(total[0]) / n}

    def start(self, kernel, data, init, rng):
        if init == "zero":
            return np.zeros(self.n_params)
        if init == "random":
            return rng.standard_normal(self.n_params)
        from .start import multistart

        return multistart(self, kernel, data, rng)

    def figures(self, params, data, cost):
        x, y, l = data
        return {"accuracy": float(np.mean(np.where(self.scores(params, x, y) >= 0, 1.0, -1.0) == l))}

    def point_table(self, params, data, z_scale=1.0, **notes):
        """Per point: z (k x + b - y in y's units, or w1 x + w2 y + w0), label_hat, the
        fit's residual r (r^2 is the loss of act(z / z_scale), z_scale = std(y) for the
        standardised fit), and core.classify's activation, label, correct, margin,
        distance and loss."""
        cols = classification.point_columns(self, params, data, z_scale)
        x, y, l = data
        residual = self.residuals(np.asarray(params, float) / z_scale, x, y / z_scale, l)
        return {"z": cols.pop("z"), "label_hat": cols.pop("label_hat"), "residual": residual, **cols}

    def sections(self, result, data, context):
        """The classification report: rows named by input line, labels as the input
        wrote them; a line the data do not determine makes the result unusable."""
        values, levels = context.table
        names = label_classes(values[:, 2], (levels or {}).get("label"), self.positive)[1]
        z_scale = result.extra.get("z_scale", 1.0)
        section = classification.report(self, result.params, data, result.cost, z_scale)
        lines = context.lines()
        for row in section["misclassified"]:
            if lines is not None:
                row["line"] = int(lines[row["row"] - 1])
            row["label"] = names.positive if row["label"] > 0 else names.negative
        section["labels"] = {"positive": names.positive, "negative": names.negative}
        section["rows_are"] = "input lines" if lines is not None else "data rows (1-based)"
        section["z_scale"], section["standardized"] = z_scale, self.standardized
        warnings = tuple(section.pop("warnings"))
        blocked = "the data do not determine the line" if section["degenerate"] else None
        return [Section("classification", section, warnings, blocked, degenerate=True)]

    def synthesize(self, rng, n=200, noise=0.0, outliers=0.0, k=0.5, b=1.0, gap=0.0,
                   scale=1.0) -> Synthetic:
        """Points around the line y = k x + b; label +1 below it.  `gap` empties a band
        of that height (in y) around the line; `noise` blurs the boundary (sign of
        z + N(0, noise)); `outliers` flips that fraction of labels; `scale` multiplies
        x, y (and b)."""
        def draw(m):  # (x, z) outside the empty band |z| < gap / 2
            xz = np.column_stack([rng.uniform(-5, 5, m), rng.uniform(-5, 5, m)])
            return xz[np.abs(xz[:, 1]) >= gap / 2]

        x, z = draw_until(n, draw, f"lie outside the empty band `gap` {gap:g} (z is drawn from "
                          "[-5, 5]: the gap must stay below 10)").T
        y = k * x + b - z
        label = np.where(z + rng.normal(0.0, noise, n) * (noise > 0) >= 0, 1.0, -1.0)
        bad = pick_outliers(rng, n, outliers)
        label[bad] = -label[bad]
        params = np.array([k, b * scale])
        settings = dict(n=n, noise=noise, outliers=outliers, k=k, b=b, gap=gap, scale=scale)
        return Synthetic(self.name, self.columns, np.column_stack([x * scale, y * scale, label]),
                         params, settings, bad)

    def example(self, rng, n=12):
        x, y = rng.normal(0, 1, (2, n))
        l = np.where(rng.random(n) < 0.5, 1.0, -1.0)
        return (x, y, l), rng.normal(0, 1, self.n_params)

    def predict(self, params, inputs, **options):
        """{"label": +1/-1, "z": k x + b - y in the units of y (or w1 x + w2 y + w0)}, (n,)."""
        z = self.scores(params, inputs[:, 0], inputs[:, 1])
        return {"label": np.where(z >= 0, 1.0, -1.0), "z": z}

    def evaluate(self, params, table, z_scale=1.0, **options):
        """Mean loss with z measured in units of z_scale (the fit's), and the accuracy;
        one class alone is fine here (held-out rows)."""
        if isinstance(z_scale, bool) or not (isinstance(z_scale, (int, float)) and z_scale > 0):
            raise OptionError(f"option z_scale must be a number > 0; got {z_scale!r}")
        x, y, l = table[:, 0], table[:, 1], held_out_labels(table[:, 2])
        z = self.scores(np.asarray(params, float), x, y)
        loss = losses(self.activation, self.loss_function, z / z_scale, l)
        correct = np.where(z >= 0, 1.0, -1.0) == l
        return {"loss": float(np.mean(loss)), "accuracy": float(np.mean(correct))}


def held_out_labels(values: np.ndarray) -> np.ndarray:
    """Labels +1/-1 or 0/1 as +1/-1 (n,), without asking for both classes.

    Raises:
        ValueError: other values.
    """
    seen = set(np.unique(values).tolist())
    if seen <= {-1.0, 1.0}:
        return values.astype(float)
    if seen <= {0.0, 1.0}:
        return 2.0 * values - 1.0
    odd = sorted(seen - {-1.0, 0.0, 1.0})[:3]
    raise ValueError(f"labels must be +1/-1 or 0/1; found {', '.join(map(repr, odd))}")


def z_units(model, sy: float, spread: float) -> str:
    """Which units the tutorial form's z = k x + b - y is measured in, said for the user."""
    if model.standardized:
        why = "" if model.standardize else ", the default"
        return (f"z = k x + b - y is measured in units of std(y) = {sy:.6g}{why}: the loss is "
                f"that of {model.activation}(z / {sy:.6g}), the same whatever y's units "
                "(`standardize=False`: the tutorial's raw z)")
    text = "z = k x + b - y is in y's units (`standardize=False`): the loss depends on them"
    if spread > 20:
        text += (f"; |z| reaches about {spread:.3g}, where {model.activation} saturates and its "
                 "gradient vanishes (`standardize=True` avoids this)")
    elif spread < 0.05:
        text += (f"; |z| stays below about {spread:.3g}, where {model.activation} is nearly "
                 "linear (`standardize=True` avoids this)")
    return text


def _label_value(positive: str, low: float, high: float) -> float:
    """The label value `positive` names, one of the two classes low and high."""
    try:
        value = float(positive)
    except ValueError:
        value = None
    if value not in (low, high):
        raise ValueError(f"`positive={positive}` is not one of the labels ({low:g}, {high:g})")
    return value


def _general_to_original(mx, sx, my, sy, w):
    """w' on ((x - mx)/sx, (y - my)/sy, 1) -> w on (x, y, 1): the same z."""
    w1, w2 = w[0] / sx, w[1] / sy
    return np.array([w1, w2, w[2] - w1 * mx - w2 * my])


def _constant_message(sx: float, s: float, form: str = "tutorial") -> str:
    if not sx > 0:
        return "all x values are equal: a line y = k x + b cannot separate the points"
    if form == "general":
        return "all y values are equal: the general form cannot tell w2 from w0"
    return "all y values are equal: standardising y is impossible (try `standardize=False`)"


from .start import best_start  # noqa: E402,F401  (public here)

MODEL = LinearTanh()
