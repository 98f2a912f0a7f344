"""The renderers of the models' own report sections (Model.derived, Model.sections), by
section key: a new section slots in with one `@renders("key")` function, and a section
without one is shown by `generic` (its figures as key/value lists).

A renderer returns the blocks (report.layout) of its section in three places: `answer`
(what the user came for, printed first), `more` (after the fit's quality) and `detail`
(only with --verbose), and names what `detail` holds for the hint printed without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..core.result import plain
from .console import speak
from .formats import number, term, with_error
from .layout import Grid, Pairs


@dataclass
class Rendered:
    answer: list = field(default_factory=list)
    more: list = field(default_factory=list)
    detail: list = field(default_factory=list)
    detail_names: list[str] = field(default_factory=list)  # for the --verbose hint


Renderer = Callable[[Any, Any], Rendered]  # (report.record.Report, Section) -> Rendered
SECTIONS: dict[str, Renderer] = {}


def renders(key: str) -> Callable[[Renderer], Renderer]:
    """Register the renderer of the sections with `key`."""

    def register(function: Renderer) -> Renderer:
        SECTIONS[key] = function
        return function

    return register


def render(report, section) -> Rendered:
    return SECTIONS.get(section.key, generic)(report, section)


# -- the camera (project3d) ----------------------------------------------------------------

CAMERA_LABELS = {"fx": "focal length x (px)", "fy": "focal length y (px)",
                 "cx": "principal point x (px)", "cy": "principal point y (px)",
                 "skew": "skew (px)", "rx": "rotation rx (deg)", "ry": "rotation ry (deg)",
                 "rz": "rotation rz (deg)", "Cx": "camera centre X", "Cy": "camera centre Y",
                 "Cz": "camera centre Z", "tx": "translation x (t = -R C)",
                 "ty": "translation y", "tz": "translation z"}
LENS = ("k1", "k2", "k3", "p1", "p2")
ANGLES = "angles in degrees with R = Rz(rz) Ry(ry) Rx(rx), world to camera"


@renders("camera")
def camera(report, section) -> Rendered:
    """The camera's figures with standard errors first; R and K with --verbose."""
    c = section.content
    if c.get("K") is None:  # null: M's left 3x3 block does not decompose
        return Rendered()
    figures, errors = c["figures"], c.get("standard_errors", {})
    lens = c.get("model", {}).get("kind") == "parametric"
    keys = [k for k in CAMERA_LABELS if k in figures] + [k for k in figures if k not in CAMERA_LABELS]
    rows = tuple((_camera_label(k, c.get("model", {})), *with_error(figures[k], errors.get(k)))
                 for k in keys if not (lens and k in LENS and k not in c["model"]["free"]
                                       and c["model"]["intrinsics"] != "given"))
    behind = len(report.behind or [])
    handed = (f"{ANGLES}; right-handed" if c["handedness"] == "right"
              else "left-handed (a mirrored axis): no angles")
    caption = f"{handed}; {behind} of {report.result.n_points} points behind the camera"
    form = ("K, R, t and lens distortion (OpenCV's)" if lens else "M = K [R | -R C]")
    answer = Pairs(f"camera: {form}", rows, ("", "value", "std. error"), caption)
    R = Grid(f"R, world to camera ({c['handedness']}-handed): rows are the camera's x (right), "
             "y (down) and z (viewing direction) axes", ("", "X", "Y", "Z"),
             tuple((axis, *(f"{v:+.8f}" for v in row)) for axis, row in zip("xyz", c["R"])))
    return Rendered([answer], [], [R], ["the rotation matrix R"])


def _camera_label(key: str, model: dict) -> str:
    """A figure's label; a lens coefficient's says whether it was fitted or given."""
    if key not in LENS:
        return CAMERA_LABELS.get(key, key)
    how = "free" if key in model.get("free", ()) else model.get("intrinsics", "fixed")
    return f"{'radial' if key[0] == 'k' else 'tangential'} {key} ({how})"


# -- the model choice (project3d's parametric camera) ---------------------------------------

@renders("model_choice")
def model_choice(report, section) -> Rendered:
    """Each camera model's fit on the same points, the F-test of the extra terms and the
    verdict, after the fit's quality."""
    c = section.content
    names = ("model", "params", "dof", "RMS point error", "sigma est.", "AIC", "BIC")
    rows = tuple((r["model"], str(r["n_params"]), str(r["dof"]), number(r["rms"], 6),
                  number(r["sigma_estimate"], 6), number(r["aic"], 7), number(r["bic"], 7))
                 for r in c["models"])
    blocks = [Grid(f"model choice (the same points; {c['points']})", names, rows,
                   caption=c["verdict"],
                   justify=tuple("left" if n == "model" else "right" for n in names))]
    test = c["test"]
    if test is not None:
        blocks.append(Pairs("test of the extra terms", (
            ("terms", ", ".join(test["extra_terms"])),
            ("F statistic", f"{number(test['statistic'], 6)} on ({test['df'][0]}, {test['df'][1]}) dof"),
            ("p-value, P(F >= observed)", number(test["p_value"], 4)),
            ("supported (p < alpha)", f"{'yes' if test['supported'] else 'no'} (alpha {test['alpha']:g})"))))
    return Rendered([], blocks)


# -- the classification (linear-tanh) -------------------------------------------------------

@renders("classification")
def classification(report, section) -> Rendered:
    """The line and the accuracy first, the confusion matrix after the fit, the
    misclassified points with --verbose."""
    c = section.content
    answer = Pairs("classification", tuple(classification_rows(c)))
    detail, names = _misclassified(c), []
    if detail:
        names.append("the first misclassified points")
    return Rendered([answer], [_confusion(c)], detail, names)


def classification_rows(c: dict[str, Any]) -> list[tuple[str, str]]:
    pos, neg = c["labels"]["positive"], c["labels"]["negative"]
    n = c["n_correct"] + c["n_misclassified"]
    rows = [
        ("line", _line_text(c["line"])),
        ("model", _separator_text(c)),
        ("labels", f"+1 = {pos}, -1 = {neg}"),
        ("accuracy", f"{c['accuracy']:.6g} ({c['n_correct']} of {n})"),
        ("larger class alone", f"{c['baseline_accuracy']:.6g} (accuracy of always predicting it)"),
        ("precision, recall of +1", f"{number(c['precision'], 6)}, {number(c['recall'], 6)}"),
        ("min margin", f"{number(c['min_margin'], 6)} (nearest correct point, along y)"),
        ("min distance", f"{number(c['min_distance'], 6)} (nearest correct point, perpendicular)"),
        ("z units", _units_text(c)),
    ]
    if c["log_loss"] is not None:
        rows.append(("log-loss", f"{c['log_loss']:.10g} (mean -log P(label))"))
    if c["vertical"]:
        v = c["vertical"]
        loss = "inf" if plain(v["loss"]) is None else number(v["loss"], 6)  # cross-entropy, a point wrong
        rows.append(("vertical limit", f"x = {number(v['x'], 6)}, +1 to the {v['positive_side']}, "
                                       f"loss {loss}"))
    return rows


def _separator_text(c) -> str:
    z = "k x + b - y" if c["form"] == "tutorial" else "w1 x + w2 y + w0"
    return f"{c['activation']}, {c['loss_function']} loss, {c['form']} form: z = {z}"


def _line_text(line: dict[str, Any]) -> str:
    if line["k"] is None:
        return f"x = {number(line.get('x'), 6)} (vertical), +1 to the {line['positive_side']}"
    return f"y = {line['k']:.8g} x {term(line['b'])}, +1 {line['positive_side']} it"


def _units_text(c) -> str:
    if c["form"] == "general":
        return "learned (w sets the scale of z)"
    return f"std(y) = {c['z_scale']:.6g} (standardised)" if c["standardized"] else "y's units"


def _confusion(c) -> Grid:
    pos, neg = c["labels"]["positive"], c["labels"]["negative"]
    (tp, fn), (fp, tn) = c["confusion"]
    return Grid("confusion matrix (rows: true class)",
                ("", f"predicted +1 ({pos})", f"predicted -1 ({neg})"),
                ((f"true +1 ({pos})", str(tp), str(fn)), (f"true -1 ({neg})", str(fp), str(tn))))


def _misclassified(c) -> list:
    rows = c["misclassified"]
    if not rows:
        return []
    key = "line" if "line" in rows[0] else "row"
    shown = f"first {len(rows)} of {c['n_misclassified']}" if len(rows) < c["n_misclassified"] else "all"
    names = (key, "x", "y", "label", "z", "margin")
    return [Grid(speak(f"misclassified points ({shown}; every point: `residuals` FILE)"), names,
                 tuple((str(r[key]), *(number(r[k], 6) for k in ("x", "y")), str(r["label"]),
                        *(number(r[k], 6) for k in ("z", "margin"))) for r in rows),
                 justify=tuple("left" if n == "label" else "right" for n in names))]


# -- any other section: its figures as they are ---------------------------------------------

def generic(report, section) -> Rendered:
    """A section no renderer knows: its numbers and words as key/value lists, its
    tables of numbers as grids, after the fit's quality."""
    content = plain(section.content)
    scalars = [(k, _scalar(v)) for k, v in content.items() if _is_scalar(v)]
    blocks = [Pairs(section.key, tuple(scalars))] if scalars else []
    for key, value in content.items():
        if isinstance(value, dict) and value and all(_is_scalar(v) for v in value.values()):
            blocks.append(Pairs(f"{section.key}: {key}", tuple((k, _scalar(v)) for k, v in value.items())))
        elif isinstance(value, list) and value and all(isinstance(r, list) for r in value):
            width = max(len(r) for r in value)
            blocks.append(Grid(f"{section.key}: {key}", ("",) * (width + 1),
                               tuple(("", *(_scalar(v) for v in r)) for r in value), show_header=False))
    return Rendered([], blocks)


def _is_scalar(value) -> bool:
    return value is None or isinstance(value, (int, float, str, bool))


def _scalar(value) -> str:
    return value if isinstance(value, str) else number(value)
