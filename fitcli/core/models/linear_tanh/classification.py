"""How well a fitted linear-tanh line classifies: per-point columns and the report.

Margin: a point's signed vertical distance to the line, in y's units, positive on its
own class's side (tutorial form: l z with z = k x + b - y).  The minimum margin is the
smallest margin among correctly classified points: for separated classes, how far the
nearest point is from the line.  Distance: the same measured perpendicular to the line
(meaningful when x and y share units).  For a vertical line both are horizontal.
"""

from __future__ import annotations

import math

import numpy as np

from ...activations import sigmoid
from .separator import log_loss, losses

FIRST = 10  # misclassified rows listed in the report
STEEP = 1e6  # |slope| in standardised units beyond which a tutorial line is vertical
STEEP_LIMIT = 100.0  # ... or beyond which it is heading for a vertical line that scores lower
WRONG_AT_INFINITY = {"squared": {"tanh": 4.0, "sigmoid": 1.0}}  # (act(-/+inf) - target)^2


def line(model, params) -> dict:
    """The boundary z = 0 as y = k x + b, with the side that is +1; or x = c if vertical."""
    if model.form == "tutorial":
        return {"k": float(params[0]), "b": float(params[1]), "positive_side": "below"}
    w1, w2, w0 = (float(v) for v in params)
    if abs(w2) <= 1e-12 * math.hypot(w1, w2):
        side = "right" if w1 > 0 else "left"
        return {"k": None, "b": None, "x": -w0 / w1 if w1 else None, "positive_side": side}
    return {"k": -w1 / w2, "b": -w0 / w2, "positive_side": "below" if w2 < 0 else "above"}


def _lengths(model, params) -> tuple[float, float]:
    """(z per unit of vertical offset, z per unit of perpendicular distance)."""
    if model.form == "tutorial":
        return 1.0, math.hypot(1.0, params[0])
    w1, w2 = float(params[0]), float(params[1])
    return (abs(w2) or abs(w1) or 1.0), (math.hypot(w1, w2) or 1.0)


def point_columns(model, params, data, z_scale: float = 1.0) -> dict[str, np.ndarray]:
    """Per point (n,): z (the score: k x + b - y in y's units, or w1 x + w2 y + w0),
    activation (of z / z_scale), label_hat (predicted) and label (+1/-1), correct, margin,
    distance, and loss (the fit's per-point loss)."""
    x, y, l = data
    z = model.scores(params, x, y)
    u = z / z_scale
    activation = np.tanh(u) if model.activation == "tanh" else sigmoid(u)
    predicted = np.where(z >= 0, 1.0, -1.0)
    vertical, perpendicular = _lengths(model, params)
    return {
        "z": z, "activation": activation, "label_hat": predicted, "label": l,
        "correct": predicted == l, "margin": l * z / vertical, "distance": l * z / perpendicular,
        "loss": losses(model.activation, model.loss_function, u, l),
    }


def confusion(l: np.ndarray, predicted: np.ndarray) -> list[list[int]]:
    """[[true +1 predicted +1, true +1 predicted -1], [true -1 ..., ...]]."""
    pos, hit = l > 0, predicted > 0
    return [[int(np.sum(pos & hit)), int(np.sum(pos & ~hit))],
            [int(np.sum(~pos & hit)), int(np.sum(~pos & ~hit))]]


def vertical_limit(model, x: np.ndarray, l: np.ndarray) -> dict:
    """The tutorial loss of lines tending to a vertical x = c (k -> +/-inf): every point
    then scores +/-inf, so a correct one loses 0 and a wrong one L(-/+inf).  The best c
    and side over all splits between distinct x, in O(n log n)."""
    order = np.argsort(x, kind="stable")
    xs, pos = x[order], l[order] > 0
    n, n_pos = len(xs), int(pos.sum())
    pos_left = np.concatenate([[0], np.cumsum(pos)])
    neg_left = np.arange(n + 1) - pos_left
    right = pos_left + (n - n_pos - neg_left)  # +1 to the right of c
    left = neg_left + (n_pos - pos_left)
    valid = np.ones(n + 1, bool)
    valid[1:n] = xs[1:] > xs[:-1]
    errors = np.where(valid, np.minimum(right, left), n + 1)
    i = int(np.argmin(errors))
    gap = (xs[-1] - xs[0]) / max(n - 1, 1) or 1.0  # c outside the data: all on one side
    c = xs[0] - gap / 2 if i == 0 else xs[-1] + gap / 2 if i == n else 0.5 * (xs[i - 1] + xs[i])
    wrong = WRONG_AT_INFINITY.get(model.loss_function, {}).get(model.activation, math.inf)
    loss = 0.0 if errors[i] == 0 else wrong * errors[i] / n
    return {"x": float(c), "positive_side": "right" if right[i] <= left[i] else "left",
            "errors": int(errors[i]), "loss": loss}


def report(model, params, data, cost: float, z_scale: float = 1.0, first: int = FIRST) -> dict:
    """The classification report of a fit (JSON-ready; rows are 1-based indices).

    Args:
        model: the LinearTanh variant that was fitted; params: its parameters (input units).
        data: (x, y, l) as fitted, l in {+1, -1}; cost: the fit's mean loss.
        z_scale: the unit of z in the loss (FitResult.extra["z_scale"]).
    """
    cols = point_columns(model, params, data, z_scale)
    l, correct = data[2], cols["correct"]
    n, n_correct = len(l), int(np.sum(correct))
    matrix = confusion(l, cols["label_hat"])
    out = {
        "activation": model.activation, "loss_function": model.loss_function, "form": model.form,
        "line": line(model, params), "accuracy": n_correct / n, "n_correct": n_correct,
        "n_misclassified": n - n_correct,
        "baseline_accuracy": max(float(np.mean(l > 0)), float(np.mean(l < 0))),
        "confusion": matrix, **_margins(cols), **_rates(matrix),
        "log_loss": _log_loss(model, cols["z"] / z_scale, l),
        "misclassified": _rows(data, cols, np.flatnonzero(~correct)[:first]),
    }
    out["separable"] = bool(n_correct == n and out["worst_margin"] > 0)
    out.update(_verdict(model, params, data, cost, out))
    return out


def _margins(cols) -> dict:
    correct = cols["correct"]
    good = cols["margin"][correct]
    return {
        "min_margin": float(good.min()) if good.size else None,
        "min_distance": float(cols["distance"][correct].min()) if good.size else None,
        "worst_margin": float(cols["margin"].min()),
    }


def _rates(matrix) -> dict:
    (tp, fn), (fp, _) = matrix
    return {"precision": tp / (tp + fp) if tp + fp else None,
            "recall": tp / (tp + fn) if tp + fn else None}


def _log_loss(model, u, l) -> float | None:
    """Mean -log P(label), the cross-entropy's own figure (None for squared losses)."""
    if model.loss_function != "cross-entropy":
        return None
    return float(np.mean(log_loss(model.activation, u, l)))


def _rows(data, cols, index) -> list[dict]:
    x, y, l = data
    return [{"row": int(i) + 1, "x": float(x[i]), "y": float(y[i]), "label": int(l[i]),
             "z": float(cols["z"][i]), "margin": float(cols["margin"][i])} for i in index]


def _above(x, y, l) -> bool:
    """Whether the labels grow with y at fixed x (+1 above, which the tutorial form cannot
    fit), clearly: the least-squares boundary is no steeper than 2 in standardised units
    (a near-vertical one says nothing about above and below)."""
    A = np.column_stack([x, y, np.ones_like(x)])
    w = np.linalg.lstsq(A, l, rcond=None)[0]
    return bool(w[1] * np.std(y) > 0.5 * abs(w[0]) * np.std(x))


def _verdict(model, params, data, cost, out) -> dict:
    """Whether the loss has a minimum the line can express; warnings for the user."""
    if model.form == "general":
        degenerate = None if not out["separable"] else (
            "the classes are linearly separable: in the general form the loss falls towards 0 "
            "as |w| grows, so it has no minimum and the line shown is one of many that separate "
            "them (the tutorial form fixes the scale of z and has a finite minimum)")
        vertical, warnings = None, []
    else:
        vertical, degenerate, warnings = _tutorial_verdict(model, params, data, cost)
    warnings = ([degenerate] if degenerate else []) + warnings
    return {"vertical": vertical, "degenerate": degenerate, "warnings": warnings}


def _tutorial_verdict(model, params, data, cost):
    """(vertical limit or None, why the line is not determined or None, warnings)."""
    x, y, l = data
    limit, vertical, degenerate, warnings = vertical_limit(model, x, l), None, None, []
    slope = abs(params[0]) * float(np.std(x)) / max(float(np.std(y)), 1e-300)  # std units
    where = f"x = {limit['x']:.6g}, +1 to the {limit['positive_side']}"
    if slope > STEEP or (limit["loss"] < cost and slope > STEEP_LIMIT):
        vertical, degenerate = limit, (
            f"the best separator is vertical ({where}; loss {limit['loss']:.6g} in the limit): "
            "y = k x + b cannot express it; use the general form (`form='general'`)")
    elif limit["loss"] < cost:
        warnings.append(
            f"a vertical line ({where}) has a lower loss in the limit ({limit['loss']:.6g}) "
            f"than the line found ({cost:.6g}), which is therefore not the best: try several "
            "starts (`init='auto'`) or the general form (`form='general'`)")
    if _above(x, y, l):
        warnings.append(
            "the +1 class lies mostly above the other (least squares of the labels on x "
            "and y says so), but in the tutorial form +1 lies below the line: pick the "
            "other class with `positive`, or use `form='general'`")
    return vertical, degenerate, warnings
