"""The report's camera of a parametric camera: K, R, t, C and the distortion, with
standard errors propagated from the parameters' (docs/math.md s.7)."""

from __future__ import annotations

import numpy as np

from ... import camera
from ..base import Section
from .layout import DISTORTION
from .projection import Lens

FIGURES = camera.CAMERA_FIGURES + DISTORTION + ("tx", "ty", "tz")
ANGLES = slice(5, 8)
STEP = 1e-2  # of a one-sigma change of the parameters (see camera.figures_along)


def figures(model, params: np.ndarray) -> np.ndarray:
    """FIGURES (19,) of the camera `params`: K's entries, the angles of rotation(w)
    (degrees), C, the coefficients and t = -R C (R with the mirror, if any)."""
    full = model.layout.full(params)
    lens = Lens(full)
    R = reported_rotation(lens.R, model.mirror)
    return np.concatenate([full[:5], camera.euler_angles(lens.R), lens.C, full[5:10], -R @ lens.C])


def reported_rotation(R: np.ndarray, mirror: bool) -> np.ndarray:
    """R diag(1, 1, -1) for a mirrored world, else R."""
    return R * [1.0, 1.0, -1.0] if mirror else R


def standard_errors(model, params: np.ndarray, factor: np.ndarray | None) -> np.ndarray:
    """(19,) the figures' standard errors, by central differences along each column of
    `factor` (p, k) (cov = factor factor^T; NaN without it); NaN for a fixed figure."""
    if factor is None:
        return np.full(len(FIGURES), np.nan)
    D = np.empty((len(FIGURES), factor.shape[1]))
    for k, v in enumerate(factor.T):
        diff = figures(model, params + STEP * v) - figures(model, params - STEP * v)
        diff[ANGLES] = (diff[ANGLES] + 180.0) % 360.0 - 180.0
        D[:, k] = diff / (2 * STEP)
    se = np.sqrt(np.einsum("ij,ij->i", D, D))
    free = set(model.param_names)
    for j, name in enumerate(FIGURES[:5] + FIGURES[11:16]):
        if name not in free:
            se[j if j < 5 else j + 6] = np.nan
    return se


def camera_section(model, params: np.ndarray, factor: np.ndarray | None) -> Section:
    """The camera section (its JSON keys as project3d's, and the distortion)."""
    lay, lens = model.layout, Lens(model.layout.full(params))
    values, se = figures(model, params), standard_errors(model, params, factor)
    R = reported_rotation(lens.R, model.mirror)
    K = np.array([[lens.fx, lens.s, lens.cx], [0.0, lens.fy, lens.cy], [0.0, 0.0, 1.0]])
    angles = "degrees, R = Rz(rz) Ry(ry) Rx(rx) (world to camera)"
    warnings = []
    if model.mirror:
        angles = "degrees, R = Rz(rz) Ry(ry) Rx(rx) diag(1, 1, -1) (world to camera; world Z mirrored)"
        warnings.append("the world frame is left-handed relative to the image: the camera is "
                        "fitted with the world's Z axis mirrored, R = rotation(w) diag(1, 1, -1) "
                        "(det R = -1); the angles are those of rotation(w)")
    warning = camera.skew_warning(lens.s, lens.fx, se[2]) if "skew" in lay.names else None
    warnings += [warning] if warning else []
    content = {
        "K": K, "R": R, "t": values[16:19], "C": lens.C,
        "distortion": dict(zip(DISTORTION, values[11:16])),
        "handedness": "left" if model.mirror else "right",
        "mirror": "Z" if model.mirror else "none",
        "rotation_vector": lens.w,
        "figures": dict(zip(FIGURES, values)),
        "standard_errors": dict(zip(FIGURES, se)),
        "angles": angles,
        "model": model_summary(model),
        "warnings": warnings,
    }
    return Section("camera", content, tuple(warnings))


def model_summary(model) -> dict:
    """What the camera model is: its kind, free parameters and how K was had."""
    lay = model.layout
    return {"kind": "parametric", "free": list(lay.names), "n_params": len(lay.names),
            "distortion": list(lay.distortion), "skew": lay.skew,
            "intrinsics": "given" if lay.known else "fitted"}
