"""The parametric camera: project3d as K, R, t and lens distortion (docs/math.md s.7).

params: the free entries of (fx, fy, skew, cx, cy, k1, k2, k3, p1, p2, wx, wy, wz, Cx,
Cy, Cz) (layout.py), with R = rotation(w) and t = -R C; residuals point by point as
project3d's.  A world frame that is left-handed relative to the image is fitted with its
Z axis mirrored (X -> diag(1, 1, -1) X, decided by the normalised DLT's det), so the
camera is R = rotation(w) diag(1, 1, -1), an improper rotation; the frame's note
`mirror` says so, and predict reads it from the saved model.
"""

from __future__ import annotations

import math

import numpy as np

from ... import camera
from ...manifold import Euclidean
from ...normalize import DegenerateDataError, moment_rank, planar_rank, similarity
from ..base import Frame, Model, dlt_solution
from ..project3d import CARD
from . import describe, start
from .kernel import LensKernel
from .layout import AT, DISTORTION, INTRINSICS, Layout, layout
from .projection import Lens, jacobian, residuals

MIRROR = np.array([1.0, 1.0, -1.0])  # the world axis flipped for a left-handed frame
PLANE_HINT = ("fit the plane's homography instead (fitcli homography, columns x, y, u, v in "
              "the plane's own coordinates), or give the camera's `intrinsics=FILE` and fit its pose")


class LensCamera(Model):
    """One variant: which of K and the distortion are free, and the values of the rest."""

    card = CARD
    n_targets = 2
    view = "lens"
    loss_label = "mean squared point error"
    saved_options = ("distortion", "skew", "intrinsics", "mirror")

    def __init__(self, lay: Layout):
        self.layout = lay
        self.param_names = lay.names
        self.mirror = False  # the last frame's decision (the report's camera reads it)
        self._dlt = None  # (world points of a frame, its DLT): the start reuses it

    @property
    def manifold(self) -> Euclidean:
        return Euclidean(len(self.param_names))

    @property
    def min_points(self) -> int:
        """The DLT's 6, and enough for one degree of freedom left."""
        return max(6, (len(self.param_names) + 2) // 2)

    @property
    def min_points_why(self) -> str:
        return (f"the start's DLT needs 6, and each point gives 2 equations for the "
                f"{len(self.param_names)} parameters of this camera")

    def split(self, table, levels=None):
        return (table[:, 0:3], table[:, 3:5]), []

    def residuals(self, params, X, uv):
        return residuals(self.layout.full(params), X, uv)

    def jacobian(self, params, X, uv):
        return jacobian(self.layout.full(params), self.param_names, X, uv)

    def kernel(self, X, uv):
        return LensKernel(self.layout, X, uv)

    # -- the frame: Hartley normalisation (K is affine in it), the mirror, the map back --

    def frame(self, data, normalize, **options):
        """World points centred and scaled (X_n = b (X - c)), image points too unless K
        is given (u_n = a u + d); then K_n = T K, C_n = b (C - c), w and the distortion
        unchanged: the map back is affine.  The world's Z is mirrored when the DLT says
        its frame is left-handed."""
        X, uv = data
        a, d, b, c = 1.0, np.zeros(2), 1.0, np.zeros(3)
        if normalize:
            U, X = similarity(X, "world points")
            b, c = U[0, 0], -U[:3, 3] / U[0, 0]
            if not self.layout.known:
                T, uv = similarity(uv, "image points")
                a, d = T[0, 0], T[:2, 2]
        M = start.pinhole_dlt(X, uv if not self.layout.known else start.undistort(self.layout.fixed, uv))
        self.mirror = start.left_handed(M)
        if self.mirror:
            X = X * MIRROR if not normalize else _flip(X)
            M = M * np.append(MIRROR, 1.0)
        self._dlt = (X, M)
        A, offset = self._map(a, d, b, c)
        return Frame((X, uv), lambda q: A @ q + offset, lambda: (A, offset),
                     cost_scale=1.0 / (a * a), notes={"mirror": "Z" if self.mirror else "none"},
                     normalized=normalize)

    def _map(self, a, d, b, c):
        """params = A q + offset for internal q (see frame)."""
        p = len(self.param_names)
        A, offset = np.eye(p), np.zeros(p)
        for j, name in enumerate(self.param_names):
            if name in INTRINSICS:
                A[j, j] = 1.0 / a
            if name in ("cx", "cy"):
                offset[j] = -d[0 if name == "cx" else 1] / a
        A[p - 3 :, p - 3 :] = np.diag(MIRROR if self.mirror else np.ones(3)) / b
        offset[p - 3 :] = c
        return A, offset

    # -- checks and starts -------------------------------------------------------------

    def check(self, data):
        super().check(data)
        X, uv = data
        rank = moment_rank(X)
        if rank < 2 or (rank == 2 and not self.layout.known):
            shape = {0: "are all the same point", 1: "lie on one line", 2: "lie on one plane"}[rank]
            raise DegenerateDataError(
                f"the world points {shape}: " + (
                    "one view of a plane does not determine a camera with free intrinsics; "
                    + PLANE_HINT if rank == 2 else "they must span 3D space (a plane, with known "
                    "intrinsics)"))
        if planar_rank(uv[:, 0], uv[:, 1]) == 0:
            raise DegenerateDataError("the image points are all the same point")

    def start(self, kernel, data, init, rng):
        """dlt: the frame's DLT decomposed (free K) or the pose from the undistorted
        points (known K); identity and random: a camera 5 units from the origin looking
        at it, K_n = I, along Z or from a random direction."""
        X, uv = data
        lay, full = self.layout, self.layout.fixed.copy()
        if init != "dlt":
            if not lay.known:
                full[:5] = 1.0, 1.0, 0.0, 0.0, 0.0
            w = np.zeros(3) if init == "identity" else rng.normal(0.0, 1.0, 3)
            full[10:13] = w
            full[13:16] = -5.0 * Lens(full).R[2]
            return full[lay.index]
        M = self._dlt[1] if self._dlt is not None and self._dlt[0] is X else None
        if lay.known:
            full[10:16] = start.pose(full, X, uv, M)
            return full[lay.index]
        if M is None:  # the kernel's DLT moments (project3d's)
            M = start.proper_depth(dlt_solution(kernel.moments(), "3x4 projection").reshape(3, 4), X)
        return start.from_projection(M, full)[lay.index]

    def canonical(self, params, data):
        """The rotation vector with |w| <= pi (w and (|w| - 2 pi) w/|w| are one rotation)."""
        j = len(params) - 6  # the pose comes last: w, then C
        w = params[j : j + 3]
        angle = math.hypot(*w)
        if angle <= math.pi:
            return params
        out = params.copy()
        out[j : j + 3] = w * ((angle - 2 * math.pi * round(angle / (2 * math.pi))) / angle)
        return out

    # -- the report, predictions --------------------------------------------------------

    def describe(self, params):
        lay = self.layout
        intrinsics = ({n: float(lay.fixed[AT[n]]) for n in INTRINSICS + DISTORTION}
                      if lay.known else None)
        return {"distortion": list(lay.distortion), "skew": lay.skew, "intrinsics": intrinsics}

    def depths(self, params, data):
        return self._camera_points(params, data[0], self.mirror)[2]

    def _camera_points(self, params, X, mirror) -> np.ndarray:
        """x_c = R (X - C) (3, n) of world points X (n, 3) in the input's units, with
        R = rotation(w) diag(1, 1, -1) for a mirrored world."""
        lens = Lens(self.layout.full(params))
        P = X.T - lens.C[:, None]
        if mirror:
            P *= MIRROR[:, None]
        return lens.R @ P

    def derived(self, params, factor):
        return [describe.camera_section(self, params, factor)]

    def sections(self, result, data, context):
        from .choice import model_choice

        counted = getattr(context, "counted", None)
        if counted is None:
            return [model_choice(self, result, data)]
        return [model_choice(self, None, tuple(np.ascontiguousarray(a[counted]) for a in data))]

    def point_table(self, params, data, **notes):
        X, uv = data
        out = self.predict(params, X, mirror=notes.get("mirror"))
        ru, rv = out["u"] - uv[:, 0], out["v"] - uv[:, 1]
        return {"u_hat": out["u"], "v_hat": out["v"], "ru": ru, "rv": rv,
                "error": np.hypot(ru, rv), "depth": out["depth"]}

    def example(self, rng, n=12):
        X = rng.uniform(-1, 1, (n, 3))
        full = np.array([2.0, 2.1, 0.02, 0.1, -0.1, -0.2, 0.05, -0.01, 0.003, -0.002,
                         *rng.normal(0, 0.3, 3), 0.0, 0.0, -4.0])
        full[13:16] = -Lens(full).R.T @ np.array([0.1, -0.1, 4.0])
        if self.layout.known:
            full[:10] = self.layout.fixed[:10]
        uv = Lens(full).pixels(X.T).T + rng.normal(0, 0.01, (n, 2))
        params = full[self.layout.index]
        return (X, uv), params + rng.normal(0, 0.01, len(params))

    def predict(self, params, inputs, mirror=None, **options):
        """u, v (n,) of world points inputs (n, 3) through the whole camera (distortion
        included), and the depth z_c (n,), world units; `mirror` "Z" for a model fitted
        with the world's Z mirrored (its saved option; default: this fit's)."""
        mirrored = self.mirror if mirror is None else mirror == "Z"
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xc = self._camera_points(np.asarray(params, float), inputs, mirrored)
            lens = Lens(self.layout.full(np.asarray(params, float)))
            xd, yd = lens.distorted(xc[0] / xc[2], xc[1] / xc[2])[:2]
            return {"u": lens.fx * xd + lens.s * yd + lens.cx, "v": lens.fy * yd + lens.cy,
                    "depth": xc[2]}

    def evaluate(self, params, table, **options):
        out = self.predict(params, table[:, 0:3], options.get("mirror"))
        return camera.image_errors(out["u"] - table[:, 3], out["v"] - table[:, 4], out["depth"])


def _flip(X: np.ndarray) -> np.ndarray:
    """X (n, 3) with its Z column negated, in place (a frame's own normalised copy)."""
    X[:, 2] *= -1.0
    return X


def variant(distortion=None, skew: str | None = None, intrinsics: dict | None = None):
    """The parametric camera of these options, or None for the free 3x4 matrix (no
    distortion, free skew, no intrinsics)."""
    lay = layout(distortion, skew or "free", intrinsics)
    if not lay.known and not lay.distortion and lay.skew == "free":
        return None
    return LensCamera(lay)
