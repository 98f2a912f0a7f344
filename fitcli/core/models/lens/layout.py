"""Which parameters of a parametric camera are free, and the values of the others
(docs/math.md s.7).

The whole camera is 16 numbers, FULL = (fx, fy, skew, cx, cy, k1, k2, k3, p1, p2,
wx, wy, wz, Cx, Cy, Cz): K, the distortion, the rotation vector w (radians) and the
camera centre C.  A variant frees some of them (the pose always); the others hold fixed
values: 0 for a coefficient not freed and for a zero skew, or K and the distortion read
from an intrinsics file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

INTRINSICS = ("fx", "fy", "skew", "cx", "cy")
DISTORTION = ("k1", "k2", "k3", "p1", "p2")
POSE = ("wx", "wy", "wz", "Cx", "Cy", "Cz")
FULL = INTRINSICS + DISTORTION + POSE
AT = {name: i for i, name in enumerate(FULL)}
LENS = INTRINSICS + DISTORTION  # what an intrinsics file gives


@dataclass(frozen=True)
class Layout:
    """The free parameters (`names`, in FULL's order) and the fixed values (16,)."""

    names: tuple[str, ...]
    fixed: np.ndarray
    known: bool = False  # K and the distortion given (the pose alone is fitted)

    @property
    def index(self) -> np.ndarray:
        return np.array([AT[n] for n in self.names])

    def full(self, params: np.ndarray) -> np.ndarray:
        """The 16 numbers of the camera with `params` (p,) in the free places."""
        out = self.fixed.copy()
        out[self.index] = params
        return out

    @property
    def distortion(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n in DISTORTION)

    @property
    def skew(self) -> str:
        return "free" if "skew" in self.names or (self.known and self.fixed[2] != 0) else "zero"


def parse_distortion(value) -> tuple[str, ...]:
    """The freed coefficients in FULL's order from "k1,k2", a list of names, or None.

    Raises:
        ValueError: an unknown name, or one given twice.
    """
    if value is None:
        return ()
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    names = [n for n in names if n != ""]
    for n in names:
        if n not in DISTORTION:
            raise ValueError(f"unknown distortion coefficient {n!r} in `distortion`; choose a "
                             f"comma-separated subset of {','.join(DISTORTION)}")
    if len(set(names)) < len(names):
        raise ValueError(f"`distortion` names a coefficient twice: {','.join(names)}")
    return tuple(n for n in DISTORTION if n in names)


def layout(distortion=None, skew: str = "free", intrinsics: dict | None = None) -> Layout:
    """The layout of a variant; `intrinsics` (see read_intrinsics) fixes K and the
    distortion, so that only the pose is fitted.

    Raises:
        ValueError: options that do not go together, or a skew other than free/zero.
    """
    if skew not in ("free", "zero"):
        raise ValueError(f"unknown skew {skew!r}; choose free or zero")
    freed = parse_distortion(distortion)
    fixed = np.zeros(len(FULL))
    if intrinsics is not None:
        if freed or skew == "zero":
            raise ValueError("`intrinsics` gives K and the distortion: the pose alone is fitted, "
                             "so `distortion` and `skew` do not apply")
        values = read_intrinsics(intrinsics)
        fixed[: len(LENS)] = [values[n] for n in LENS]
        return Layout(POSE, fixed, known=True)
    free_k = INTRINSICS if skew == "free" else tuple(n for n in INTRINSICS if n != "skew")
    return Layout(free_k + freed + POSE, fixed)


def read_intrinsics(doc: dict) -> dict[str, float]:
    """fx, fy, skew, cx, cy, k1, k2, k3, p1, p2 from a small JSON object of them (skew,
    also `s`, and the coefficients default to 0) or from a saved fitcli project3d model
    (a camera's, or a 3x4 matrix's: then K from its decomposition, no distortion).

    Raises:
        ValueError: a missing or non-finite value, or a model of another kind.
    """
    if not isinstance(doc, dict):
        raise ValueError("expected a JSON object of fx, fy, cx, cy (skew, k1, k2, k3, p1, p2 optional)")
    if doc.get("format") == "fitcli-model":
        doc = _from_model_file(doc)
    values = {}
    for name in LENS:
        value = doc.get(name, doc.get("s", 0.0) if name == "skew" else None)
        if value is None and name in ("fx", "fy", "cx", "cy"):
            raise ValueError(f"the intrinsics have no {name} (needed: fx, fy, cx, cy)")
        value = 0.0 if value is None else value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"intrinsic {name} must be a finite number; got {value!r}")
        values[name] = float(value)
    if not (values["fx"] > 0 and values["fy"] > 0):
        raise ValueError(f"the focal lengths must be > 0; got fx {values['fx']:g}, fy {values['fy']:g}")
    return values


def _from_model_file(doc: dict) -> dict:
    """The intrinsics of a saved project3d model: a camera's K and distortion, or the K
    of a 3x4 matrix (M = K [R | t], distortion 0)."""
    from ... import camera

    if doc.get("model") != "project3d":
        raise ValueError(f"a {doc.get('model')!r} model has no camera intrinsics; give a "
                         "project3d model or a JSON object of fx, fy, cx, cy")
    params = doc.get("params") or {}
    if "fx" in params:
        return {**((doc.get("options") or {}).get("intrinsics") or {}), **params}
    names = ("a", "b", "c", "t1", "e", "f", "g", "t2", "i", "j", "k", "t3")
    if not all(isinstance(params.get(n), (int, float)) for n in names):
        raise ValueError("the model file has neither a camera's fx, fy, cx, cy nor a 3x4 matrix")
    K, _, _ = camera.KRt_from_projection(np.array([params[n] for n in names], float).reshape(3, 4))
    return {"fx": K[0, 0], "fy": K[1, 1], "skew": K[0, 1], "cx": K[0, 2], "cy": K[1, 2]}
