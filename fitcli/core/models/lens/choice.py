"""Evidence for the choice of camera model (docs/math.md s.7): the pinhole fit beside
the chosen one on the same points, the noise estimate on each one's degrees of freedom,
an F-test of the nested pair, and the information criteria AIC and BIC."""

from __future__ import annotations

import math

import numpy as np

from ...normalize import DegenerateDataError
from ...stats import f_sf
from ..base import Section

ALPHA = 0.001  # the F-test's significance: the extra terms are supported below it
PER_PARAMETER = 10  # fewer image coordinates than this per parameter draws a warning
POINTS = ("all points, least squares for the reference fits",
          "the inliers, every model by least squares on them")
PINHOLE = "pinhole 3x4"
PINHOLE_ZERO_SKEW = "pinhole, skew 0"


def describe_variant(model) -> str:
    """A short name of the chosen camera, e.g. "lens k1,k2, skew 0" or "pose, K given"."""
    lay = model.layout
    if lay.known:
        return "pose, K given"
    name = f"lens {','.join(lay.distortion)}" if lay.distortion else "pinhole"
    return name + (", skew 0" if lay.skew == "zero" else "")


def row(name: str, sum_squares: float, n_params: int, n: int) -> dict:
    """One model's figures: its SS, RMS, sigma estimate on its dof, AIC and BIC (Gaussian
    noise of unknown sigma on N = 2n coordinates: N log(SS / N) + 2p, or + p log N)."""
    N = 2 * n
    dof = N - n_params
    fit = math.log(sum_squares / N) * N if sum_squares > 0 else -math.inf
    return {"model": name, "n_params": n_params, "dof": dof, "sum_squares": sum_squares,
            "rms": math.sqrt(sum_squares / n),
            "sigma_estimate": math.sqrt(sum_squares / dof) if dof > 0 else math.nan,
            "aic": fit + 2 * n_params, "bic": fit + n_params * math.log(N)}


def f_test(simple: dict, rich: dict, extra: list[str]) -> dict:
    """F = ((SS_s - SS_r) / (p_r - p_s)) / (SS_r / dof_r) of nested models."""
    d1, d2 = rich["n_params"] - simple["n_params"], rich["dof"]
    with np.errstate(all="ignore"):
        F = ((simple["sum_squares"] - rich["sum_squares"]) / d1) / (rich["sum_squares"] / d2)
    F = max(float(F), 0.0) if math.isfinite(F) else math.inf
    p = f_sf(F, d1, d2)
    return {"test": "F", "simpler": simple["model"], "richer": rich["model"], "extra_terms": extra,
            "statistic": F, "df": [d1, d2], "p_value": p, "alpha": ALPHA, "supported": p < ALPHA}


def _reference(data, model="project3d", **options) -> float | None:
    """SS of the least-squares fit of `model` with `options` (None if it fails)."""
    from ...fit import fit

    try:
        result = fit(model, data, **options)
    except DegenerateDataError:
        return None
    return result.cost * len(data[0]) if result.success else None


def model_choice(model, result, data) -> Section:
    """The section "model_choice": rows for the pinhole (and the zero-skew pinhole when
    the chosen camera frees distortion with zero skew) and the chosen camera, the F-test
    of the nested pair (none when K is given: not nested), and warnings.  With `result`
    None (a robust fit: `data` are its inliers) the chosen camera is refitted by least
    squares on `data` too."""
    from ...diagnostics import fitted_residuals

    n, lay = len(data[0]), model.layout
    if result is not None:
        r = fitted_residuals(model, result.params, data)
        ss = float(np.sum(r * r))
    else:
        ss = _reference(data, model)
        if ss is None:
            return Section("model_choice", {"models": [], "test": None, "points": POINTS[1],
                                            "verdict": "not compared: the camera's least-squares "
                                            "fit on the inliers failed"})
    chosen = row(describe_variant(model), ss, len(lay.names), n)
    rows, test = [], None
    ss = _reference(data)
    pinhole = row(PINHOLE, ss, 11, n) if ss is not None else None
    rows += [pinhole] if pinhole else []
    if lay.distortion and lay.skew == "zero":
        ss = _reference(data, skew="zero")
        simple = row(PINHOLE_ZERO_SKEW, ss, 10, n) if ss is not None else None
        rows += [simple] if simple else []
    else:
        simple = pinhole
    rows.append(chosen)
    if simple is not None and not lay.known:
        if lay.distortion:
            test = f_test(simple, chosen, list(lay.distortion))
        else:  # zero skew alone: nested in the 3x4 matrix
            test = f_test(chosen, simple, ["skew"])
    content = {"models": rows, "test": test, "verdict": verdict(rows, test),
               "points": POINTS[result is None]}
    return Section("model_choice", content, tuple(warnings(chosen, test, n)))


def verdict(rows: list[dict], test: dict | None) -> str:
    best = min(rows, key=lambda r: r["bic"])["model"]
    if test is None:
        return f"BIC prefers {best} (the models are not nested: no F-test)"
    terms = ", ".join(test["extra_terms"])
    said = "supported" if test["supported"] else "not supported"
    return (f"the extra terms ({terms}) are {said} by the points: F-test p = {test['p_value']:.3g} "
            f"({'<' if test['supported'] else '>='} {ALPHA:g}); BIC prefers {best}")


def warnings(chosen: dict, test: dict | None, n: int) -> list[str]:
    out = []
    p, N = chosen["n_params"], 2 * n
    if N < PER_PARAMETER * p:
        out.append(f"this camera has {p} parameters for {N} image coordinates (fewer than "
                   f"{PER_PARAMETER} per parameter): it may fit the noise; see the model comparison")
    if test is not None and not test["supported"] and test["richer"] == chosen["model"]:
        out.append(f"the extra terms ({', '.join(test['extra_terms'])}) are not supported by the "
                   f"points (F-test p = {test['p_value']:.3g}): the simpler model fits them as well")
    return out
