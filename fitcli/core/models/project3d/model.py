"""project3d's model: a 3x4 perspective projection fitted to 3D-2D correspondences (docs/math.md s.3).

    nx, ny, nz = M @ (X, Y, Z, 1),   u_hat = nx / nz,   v_hat = ny / nz
    loss_i = (u_hat - u)^2 + (v_hat - v)^2

params = M.ravel() = (a, b, c, t1, e, f, g, t2, i, j, k, t3).  Residuals are ordered
point by point: r = (ru_0, rv_0, ru_1, rv_1, ...).
"""

from __future__ import annotations

import math

import numpy as np

from ... import camera
from ...manifold import Sphere, unit
from ...normalize import (DegenerateDataError, PointGroup, moment_rank, planar_rank, similarity,
                          similarity_transform)
from ...objective import CHUNK, blocks
from ...samples import Synthetic, draw_until, pick_outliers
from ..base import Frame, LazyData, Model, Section, identity_frame, thinness
from . import CARD
from .kernel import Project3dKernel, dlt  # noqa: F401  (Project3dKernel: public here)

PARAM_NAMES = ("a", "b", "c", "t1", "e", "f", "g", "t2", "i", "j", "k", "t3")
NEARLY = 0.05  # a spread below this share of the widest: nearly degenerate
def to_homogeneous(X: np.ndarray) -> np.ndarray:
    """(n, d) -> (n, d+1) with a trailing column of ones."""
    return np.column_stack([X, np.ones(len(X))])


def project_points(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """u_hat, v_hat (n, 2) of world points X (n, 3) under M (3, 4): a view into one
    (n, 3) array, worked in place (fresh memory is slow to touch at a million points);
    beyond CHUNK points, block by block (the same numbers: a product over all the points
    at once runs BLAS threads on a column-major X, several times slower)."""
    if len(X) <= CHUNK:
        N = X @ M[:, :3].T
        N += M[:, 3]
        N[:, :2] /= N[:, 2:3]
        return N[:, :2]
    out = np.empty((len(X), 2))
    for s, e in blocks(len(X)):
        out[s:e] = project_points(M, X[s:e])
    return out


def depths(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """nz (n,) of world points X (n, 3): positive in front of the camera."""
    return X @ M[2, :3] + M[2, 3]


def residuals(params: np.ndarray, X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """r (2n,) = (u_hat_i - u_i, v_hat_i - v_i) point by point."""
    return (project_points(params.reshape(3, 4), X) - uv).ravel()


def point_squares(params: np.ndarray, X: np.ndarray, uv: np.ndarray,
                  scale: float = 1.0) -> np.ndarray:
    """s (n,) = |(u_hat_i - u_i, v_hat_i - v_i) * scale|^2, the numbers of residuals()
    worked on the coordinates as rows (X.T, uv.T: contiguous for the column-major
    points the readers make) in one cache-sized buffer: a fifth of the time of
    project_points on the (n, 3) view, which a report and an engine's last passes pay
    over every point."""
    M = params.reshape(3, 4)
    A, b = M[:, :3], M[:, 3:4]
    P, T, n = X.T, uv.T, len(X)
    out, N = np.empty(n), np.empty((3, min(n, CHUNK)))
    for s, e in blocks(n):
        h = N[:, : e - s]
        np.matmul(A, P[:, s:e], out=h)
        h += b
        h[:2] /= h[2]
        h[:2] -= T[:, s:e]
        if scale != 1.0:
            h[:2] *= scale
        o = out[s:e]
        np.multiply(h[0], h[0], out=o)
        np.multiply(h[1], h[1], out=h[2])
        o += h[2]
    return out


def jacobian(params: np.ndarray, X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """dr/dM (2n, 12): d ru/d row1 = P/nz, d ru/d row3 = -u_hat P/nz (docs/math.md s.3)."""
    M = params.reshape(3, 4)
    P = to_homogeneous(X)
    N = P @ M.T
    Pz = P / N[:, 2:3]
    J = np.zeros((len(X), 2, 12))
    J[:, 0, 0:4] = Pz
    J[:, 1, 4:8] = Pz
    J[:, 0, 8:12] = -(N[:, 0:1] / N[:, 2:3]) * Pz
    J[:, 1, 8:12] = -(N[:, 1:2] / N[:, 2:3]) * Pz
    return J.reshape(-1, 12)


def _frame(T, U, data, chunk_map=None, raw=None) -> Frame:
    """The frame of image normalisation T (3, 3) and world normalisation U (4, 4)."""
    T_inv = np.diag([1.0 / T[0, 0], 1.0 / T[0, 0], 1.0])  # T's inverse: scale, then shift
    T_inv[:2, 2] = -T[:2, 2] / T[0, 0]

    def to_original(p):
        return (T_inv @ p.reshape(3, 4) @ U).ravel()

    return Frame(data, to_original, lambda: (np.kron(T_inv, U.T), np.zeros(12)),
                 cost_scale=1.0 / T[0, 0] ** 2, chunk_map=chunk_map, raw=raw)


def _check_ranks(rank: int, image_rank: int) -> None:
    """Raise if the world points do not span 3D or the image points are one point."""
    if rank < 3:
        shape = {0: "are all the same point", 1: "lie on one line", 2: "lie on one plane"}
        hint = (" (fit the plane's homography instead: fitcli homography, columns x, y, u, v "
                "in the plane's own coordinates)")
        raise DegenerateDataError(
            f"the world points {shape[rank]}: a 3x4 projection is not unique for them"
            + (hint if rank == 2 else "; they must span 3D space")
        )
    if image_rank == 0:
        raise DegenerateDataError("the image points are all the same point")
    if image_rank == 1:
        raise DegenerateDataError(
            "the image points lie on one line: only a degenerate camera (its three rows "
            "of M dependent) maps 3D points onto a line; M is not determined")


class Project3d(Model):
    card = CARD
    param_names = PARAM_NAMES
    n_targets = 2
    min_points = 6
    min_points_why = "each point gives 2 equations for the 11 degrees of freedom of M"
    manifold = Sphere(12)
    view = "image"
    loss_label = "mean squared point error"

    def variant(self, distortion=None, skew=None, intrinsics=None):
        """The 3x4 matrix (self), or the parametric camera of these options (lens/)."""
        from ..lens.model import variant

        return variant(distortion, skew, intrinsics) or self

    def split(self, table, levels=None):
        return (table[:, 0:3], table[:, 3:5]), []  # views: no copy of a million-row table

    def residuals(self, params, X, uv):
        return residuals(params, X, uv)

    def point_squares(self, params, data, scale=1.0):
        return point_squares(params, *data, scale)

    def jacobian(self, params, X, uv):
        return jacobian(params, X, uv)

    def kernel(self, X, uv):
        return Project3dKernel(X, uv)

    def frame(self, data, normalize, **options):
        X, uv = data
        if not normalize:
            return identity_frame(data, 12)
        T, cuv = similarity_transform(uv, "image points")
        U, cX = similarity_transform(X, "world points")

        def normalised():  # what similarity() returns: the same numbers
            return similarity(X, "world points")[1], similarity(uv, "image points")[1]

        chunk_map = (np.concatenate([cX, cuv]), np.array([U[0, 0]] * 3 + [T[0, 0]] * 2))
        return _frame(T, U, LazyData(normalised, len(X)), chunk_map, data)

    def kernel_for(self, frame):
        """On the points as read: each block normalised in the kernel's buffer (a
        variant with a kernel of its own gets that kernel on the normalised data)."""
        own = type(self).kernel is not Project3d.kernel
        if frame.raw is None or not frame.normalized or own:
            return self.kernel(*frame.data)
        return Project3dKernel(*frame.raw, frame.chunk_map)

    def check(self, data):
        super().check(data)
        _check_ranks(moment_rank(data[0]), planar_rank(data[1][:, 0], data[1][:, 1]))

    # -- the engines' hooks ----------------------------------------------------------
    point_groups = (PointGroup("world points", (0, 1, 2), "distance"),
                    PointGroup("image points", (3, 4), "distance"))

    def chunk_data(self, values):
        return values[0:3].T, values[3:5].T  # views: the kernel reads the rows in place

    def check_stats(self, stats):
        super().check_stats(stats)
        _check_ranks(stats.rank(0), stats.rank(1))

    def frame_of(self, stats, normalize, **options):
        if not normalize:
            return identity_frame(None, 12, 5)
        T, U = stats.similarity(1), stats.similarity(0)
        shift = np.concatenate([stats.centroid(0), stats.centroid(1)])
        scale = np.array([U[0, 0]] * 3 + [T[0, 0]] * 2)
        return _frame(T, U, None, (shift, scale))

    def votes(self, params, data):
        M = params.reshape(3, 4)
        M, X = M / math.hypot(*M[2, :3]), data[0]
        return sum(int(np.count_nonzero(depths(M, X[s:e]) > 0)) for s, e in blocks(len(X)))

    def canonical_of(self, params, votes, n):
        M = params.reshape(3, 4)
        M = M / math.hypot(*M[2, :3])
        return (-M if votes * 2 < n else M).ravel()

    def geometry(self, data):
        """World points nearly on a plane, or image points nearly on a line."""
        world, image = thinness(data[0]), thinness(data[1])
        if world < NEARLY:
            return (f"the world points are nearly on one plane (their thinnest spread is "
                    f"{world:.2g} of their widest)")
        if image < NEARLY:
            return (f"the image points are nearly on one line (their thinnest spread is "
                    f"{image:.2g} of their widest)")
        return None

    def start(self, kernel, data, init, rng):
        if init == "identity":
            return unit(np.eye(3, 4).ravel())
        if init == "random":
            return unit(rng.standard_normal(12))
        return dlt(kernel)

    def canonical(self, params, data):
        """Scale so that |(i, j, k)| = 1 and nz > 0 for most points (nz = depth)."""
        return self.canonical_of(params, self.votes(params, data), len(data[0]))

    def describe(self, params):
        return {
            "matrix": params.reshape(3, 4),
            "normalization": "|(i, j, k)| = 1, nz > 0 for most points (nz = depth)",
        }

    def canonical_jacobian(self, params):
        """d (x / |(x_8, x_9, x_10)|) / dx: the |(i, j, k)| = 1 normalisation."""
        e = np.zeros(12)
        e[8:11] = params[8:11]
        norm = math.hypot(*e)
        return (np.eye(12) - np.outer(params / norm, e / norm)) / norm  # norm**3 overflows

    def depths(self, params, data):
        return depths(params.reshape(3, 4), data[0])

    def derived(self, params, factor):
        """The camera K [R | -R C] with standard errors propagated from `factor`; with
        every figure null (the same keys) if M's left 3x3 block is singular."""
        try:
            described = camera.describe(params.reshape(3, 4), factor)
        except np.linalg.LinAlgError:  # a singular left 3x3 block: no camera to describe
            nothing = dict.fromkeys(camera.CAMERA_FIGURES)
            text = ("the camera cannot be decomposed as K [R | -R C]: the left 3x3 block of M "
                    "is singular (the points do not determine a camera)")
            described = {"K": None, "R": None, "t": None, "C": None, "handedness": None,
                         "figures": nothing, "standard_errors": dict(nothing),
                         "angles": camera.ANGLES_TEXT, "warnings": [text]}
        described["distortion"] = dict.fromkeys(("k1", "k2", "k3", "p1", "p2"), 0.0)
        described["model"] = {"kind": "pinhole 3x4", "free": list(PARAM_NAMES), "n_params": 11}
        return [Section("camera", described, tuple(described["warnings"]))]

    def point_table(self, params, data, **notes):
        X, uv = data
        M = params.reshape(3, 4)
        uv_hat = project_points(M, X)
        r = uv_hat - uv
        return {"u_hat": uv_hat[:, 0], "v_hat": uv_hat[:, 1], "ru": r[:, 0], "rv": r[:, 1],
                "error": np.hypot(r[:, 0], r[:, 1]), "depth": depths(M, X)}

    def example(self, rng, n=12):
        X = rng.uniform(-1, 1, (n, 3)) + [0.0, 0.0, 4.0]
        M = np.hstack([np.diag([2.0, 2.0, 1.0]), rng.normal(0, 0.1, (3, 1))])
        M[:, :3] += rng.normal(0, 0.1, (3, 3))
        uv = project_points(M, X) + rng.normal(0, 0.05, (n, 2))
        return (X, uv), M.ravel() + rng.normal(0, 0.05, 12)

    def predict(self, params, inputs, **options):
        """u, v (n,) of world points inputs (n, 3), and depth nz / |(i, j, k)| (n,)."""
        M = params.reshape(3, 4)
        with np.errstate(divide="ignore", invalid="ignore"):
            uv = project_points(M, inputs)
        depth = depths(M, inputs) / math.hypot(*M[2, :3])
        return {"u": uv[:, 0], "v": uv[:, 1], "depth": depth}

    def evaluate(self, params, table, **options):
        """Mean loss, RMS reprojection distance (rmse), RMS per coordinate, the largest
        distance and the number of points at or behind the camera (depth <= 0)."""
        out = self.predict(params, table[:, 0:3], **options)
        return camera.image_errors(out["u"] - table[:, 3], out["v"] - table[:, 4], out["depth"])

    def synthesize(self, rng, n=200, noise=0.5, outliers=0.0, focal=1500.0, width=1920.0,
                   height=1080.0, distance=5.0, size=3.0, offset=0.0, k1=0.0, k2=0.0, k3=0.0,
                   p1=0.0, p2=0.0) -> Synthetic:
        """World points in a cube of side `size` (metres) around the origin, seen by a
        camera `distance` away; pixel noise `noise` (sigma per coordinate); `offset`
        shifts the world frame (survey coordinates).  Nonzero coefficients k1..p2 draw
        through that lens: the truth is then a parametric camera freeing them (s.7)."""
        K, R, C, M = camera.random_camera(rng, focal, width, height, distance)
        coefficients = {"k1": k1, "k2": k2, "k3": k3, "p1": p1, "p2": p2}
        lens = _lens_camera(K, R, C, coefficients)
        project = (lambda X: lens.pixels(X.T).T) if lens is not None else (lambda X: project_points(M, X))

        def draw(m):  # keep the points that land in the image, in front of the camera
            cand = rng.uniform(-size / 2, size / 2, (m, 3))
            with np.errstate(all="ignore"):
                uv = project(cand)
                ok = (depths(M, cand) > 0.1) & np.all((uv >= 0) & (uv <= [width, height]), axis=1)
            return cand[ok]

        X = draw_until(n, draw, f"of the scene (`size` {size:g}) are in front of the camera "
                       f"and in its {width:g} x {height:g} image (`focal` {focal:g}, "
                       f"`distance` {distance:g})")
        uv = project(X) + rng.normal(0.0, noise, (n, 2))
        bad = pick_outliers(rng, n, outliers)
        uv[bad] = rng.uniform([0, 0], [width, height], (int(bad.sum()), 2))
        shift = np.eye(4)
        shift[:3, 3] = -offset
        M = M @ shift
        X = X + offset
        settings = dict(n=n, noise=noise, outliers=outliers, focal=focal, width=width,
                        height=height, distance=distance, size=size, offset=offset, K=K, R=R,
                        C=C + offset)
        if lens is None:
            params = self.canonical(M.ravel(), (X, uv))
            return Synthetic(self.name, self.columns, np.column_stack([X, uv]), params, settings, bad)
        names = ",".join(k for k, v in coefficients.items() if v)
        full = lens.full.copy()
        full[13:16] += offset
        variant = self.variant(distortion=names)
        settings.update(coefficients)
        return Synthetic(self.name, self.columns, np.column_stack([X, uv]),
                         full[variant.layout.index], settings, bad,
                         options={"distortion": names, "mirror": "none"})


def _lens_camera(K, R, C, coefficients):
    """The parametric camera (lens.projection.Lens) of K, R, C and the distortion
    coefficients, or None when they are all 0."""
    if not any(coefficients.values()):
        return None
    from ..lens.projection import Lens

    return Lens(np.array([K[0, 0], K[1, 1], K[0, 1], K[0, 2], K[1, 2], *coefficients.values(),
                          *camera.rotation_vector(R), *C]))


MODEL = Project3d()
