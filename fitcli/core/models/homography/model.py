"""homography's model: the plane homography (x, y) -> (u, v) (docs/math.md s.8).

    (nu, nv, w) = H (x, y, 1),   u_hat = nu / w,   v_hat = nv / w
    loss_i = (u_hat - u)^2 + (v_hat - v)^2

params = H.ravel() = (h11, h12, h13, h21, h22, h23, h31, h32, h33); residuals point by
point, r = (ru_0, rv_0, ru_1, rv_1, ...).  H and s H are the same map: 8 of the 9
numbers are free (the unit-sphere gauge, as project3d's M).
"""

from __future__ import annotations

import numpy as np

from ... import camera
from ...manifold import Sphere, unit
from ...normalize import DegenerateDataError, PointGroup, planar_rank, similarity
from ...objective import blocks
from ...samples import Synthetic, pick_outliers
from ..base import Frame, Model, identity_frame
from . import CARD
from .kernel import HomographyKernel, dlt

PARAM_NAMES = ("h11", "h12", "h13", "h21", "h22", "h23", "h31", "h32", "h33")


def project(H: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """u_hat, v_hat (n, 2) of plane points xy (n, 2) under H (3, 3)."""
    N = xy @ H[:, :2].T
    N += H[:, 2]
    return N[:, :2] / N[:, 2:3]


def denominators(H: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """w (n,) = h31 x + h32 y + h33: where it crosses zero a point maps to infinity."""
    return xy @ H[2, :2] + H[2, 2]


def residuals(params, xy, uv):
    """r (2n,) = (u_hat_i - u_i, v_hat_i - v_i) point by point."""
    return (project(params.reshape(3, 3), xy) - uv).ravel()


def jacobian(params, xy, uv):
    """dr/dH (2n, 9): d ru/d row1 = q/w, d ru/d row3 = -u_hat q/w, q = (x, y, 1)."""
    H = params.reshape(3, 3)
    q = np.column_stack([xy, np.ones(len(xy))])
    w = q @ H[2]
    qw = q / w[:, None]
    uv_hat = q @ H[:2].T / w[:, None]
    J = np.zeros((len(xy), 2, 9))
    J[:, 0, 0:3] = J[:, 1, 3:6] = qw
    J[:, 0, 6:9] = -uv_hat[:, 0:1] * qw
    J[:, 1, 6:9] = -uv_hat[:, 1:2] * qw
    return J.reshape(-1, 9)


def homography_dlt(x, y, u, v) -> np.ndarray:
    """The normalised DLT's H (3, 3) of (x, y) -> (u, v), each (n,), in their units."""
    data = (np.column_stack([x, y]), np.column_stack([u, v]))
    frame = MODEL.frame(data, True)
    return frame.to_original(dlt(MODEL.kernel(*frame.data))).reshape(3, 3)


def _frame(T1, T2, data, chunk_map=None) -> Frame:
    """The frame of plane normalisation T1 (3, 3) and image normalisation T2 (3, 3)."""
    T2_inv = np.linalg.inv(T2)

    def to_original(q):
        return (T2_inv @ q.reshape(3, 3) @ T1).ravel()

    return Frame(data, to_original, lambda: (np.kron(T2_inv, T1.T), np.zeros(9)),
                 cost_scale=1.0 / T2[0, 0] ** 2, chunk_map=chunk_map)


def _check_ranks(rank: int, image_rank: int) -> None:
    """Raise if the plane points are on one line or the image points are one point."""
    if rank < 2:
        shape = "are all the same point" if rank == 0 else "lie on one line"
        raise DegenerateDataError(f"the plane points (x, y) {shape}: the homography is "
                                  "not unique for them")
    if image_rank == 0:
        raise DegenerateDataError("the image points are all the same point")


class Homography(Model):
    card = CARD
    param_names = PARAM_NAMES
    n_targets = 2
    min_points = 4
    min_points_why = "each point gives 2 equations for the 8 degrees of freedom of H"
    manifold = Sphere(9)
    view = "image"
    loss_label = "mean squared point error"

    def split(self, table, levels=None):
        return (table[:, 0:2], table[:, 2:4]), []

    def residuals(self, params, xy, uv):
        return residuals(params, xy, uv)

    def jacobian(self, params, xy, uv):
        return jacobian(params, xy, uv)

    def kernel(self, xy, uv):
        return HomographyKernel(xy, uv)

    def frame(self, data, normalize, **options):
        """H_n = T2 H T1^-1 for the plane points normalised by T1, the image's by T2."""
        xy, uv = data
        if not normalize:
            return identity_frame(data, 9)
        T1, xyn = similarity(xy, "plane points (x, y)")
        T2, uvn = similarity(uv, "image points")
        return _frame(T1, T2, (xyn, uvn))

    def check(self, data):
        super().check(data)
        _check_ranks(planar_rank(data[0][:, 0], data[0][:, 1]),
                     planar_rank(data[1][:, 0], data[1][:, 1]))

    # -- the engines' hooks ----------------------------------------------------------
    point_groups = (PointGroup("plane points (x, y)", (0, 1), "distance"),
                    PointGroup("image points", (2, 3), "distance"))

    def chunk_data(self, values):
        return values[0:2].T, values[2:4].T  # views: the kernel reads the rows in place

    def check_stats(self, stats):
        super().check_stats(stats)
        _check_ranks(stats.rank(0), stats.rank(1))

    def frame_of(self, stats, normalize, **options):
        if not normalize:
            return identity_frame(None, 9, 4)
        T1, T2 = stats.similarity(0), stats.similarity(1)
        shift = np.concatenate([stats.centroid(0), stats.centroid(1)])
        return _frame(T1, T2, None, (shift, np.array([T1[0, 0]] * 2 + [T2[0, 0]] * 2)))

    def votes(self, params, data):
        H = unit(params).reshape(3, 3)
        return sum(int(np.count_nonzero(denominators(H, data[0][s:e]) > 0))
                   for s, e in blocks(len(data[0])))

    def canonical_of(self, params, votes, n):
        H = unit(params)
        return -H if votes * 2 < n else H

    def start(self, kernel, data, init, rng):
        if init == "identity":
            return unit(np.eye(3).ravel())
        if init == "random":
            return unit(rng.standard_normal(9))
        return dlt(kernel)

    def canonical(self, params, data):
        """Unit norm, w > 0 for most points."""
        H = unit(params).reshape(3, 3)
        if np.count_nonzero(denominators(H, data[0]) > 0) * 2 < len(data[0]):
            H = -H
        return H.ravel()

    def describe(self, params):
        return {"matrix": params.reshape(3, 3),
                "normalization": "unit norm, w = h31 x + h32 y + h33 > 0 for most points"}

    def depths(self, params, data):
        """w / |(h31, h32, h33)| (n,): for a camera that sees the plane, its depth up to scale."""
        H = params.reshape(3, 3)
        return denominators(H, data[0]) / np.linalg.norm(H[2])

    def point_table(self, params, data, **notes):
        xy, uv = data
        H = params.reshape(3, 3)
        uv_hat = project(H, xy)
        r = uv_hat - uv
        return {"u_hat": uv_hat[:, 0], "v_hat": uv_hat[:, 1], "ru": r[:, 0], "rv": r[:, 1],
                "error": np.hypot(r[:, 0], r[:, 1]), "depth": self.depths(params, data)}

    def example(self, rng, n=12):
        xy = rng.uniform(-1, 1, (n, 2))
        H = np.eye(3) * [2.0, 2.0, 1.0] + rng.normal(0, 0.1, (3, 3))
        uv = project(H, xy) + rng.normal(0, 0.05, (n, 2))
        return (xy, uv), H.ravel() + rng.normal(0, 0.05, 9)

    def predict(self, params, inputs, **options):
        """u, v (n,) of plane points inputs (n, 2); inf where w = 0."""
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = project(params.reshape(3, 3), inputs)
        return {"u": uv[:, 0], "v": uv[:, 1]}

    def evaluate(self, params, table, **options):
        """Mean loss, RMS point error, RMS per coordinate, the largest error and the
        points with w <= 0 (behind the camera that sees the plane)."""
        out = self.predict(params, table[:, 0:2])
        depth = self.depths(params, (table[:, 0:2],))
        return camera.image_errors(out["u"] - table[:, 2], out["v"] - table[:, 3], depth)

    def synthesize(self, rng, n=200, noise=0.5, outliers=0.0, focal=1500.0, width=1920.0,
                   height=1080.0, distance=5.0, size=3.0, offset=0.0) -> Synthetic:
        """Points (x, y) of a plane square of side `size` (the world's Z = 0) seen by the
        sample camera: H = K [r1 r2 t], the columns of M for X, Y and 1."""
        K, R, C, M = camera.random_camera(rng, focal, width, height, distance)
        H = M[:, [0, 1, 3]]
        xy = np.empty((0, 2))
        while len(xy) < n:  # keep points that land in the image, in front of the camera
            cand = rng.uniform(-size / 2, size / 2, (4 * n, 2))
            uv = project(H, cand)
            ok = (denominators(H, cand) > 0.1) & np.all((uv >= 0) & (uv <= [width, height]), axis=1)
            xy = np.vstack([xy, cand[ok]])
        xy = xy[:n]
        uv = project(H, xy) + rng.normal(0.0, noise, (n, 2))
        bad = pick_outliers(rng, n, outliers)
        uv[bad] = rng.uniform([0, 0], [width, height], (int(bad.sum()), 2))
        shift = np.array([[1.0, 0.0, -offset], [0.0, 1.0, -offset], [0.0, 0.0, 1.0]])
        H, xy = H @ shift, xy + offset
        params = self.canonical(H.ravel(), (xy, uv))
        settings = dict(n=n, noise=noise, outliers=outliers, focal=focal, width=width,
                        height=height, distance=distance, size=size, offset=offset, K=K, R=R,
                        C=C + offset)
        return Synthetic(self.name, self.columns, np.column_stack([xy, uv]), params, settings, bad)


MODEL = Homography()
