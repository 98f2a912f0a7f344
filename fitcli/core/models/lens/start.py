"""Starts of the parametric camera that need no guess (docs/math.md s.7).

Free intrinsics: the normalised DLT's 3x4 matrix M = K [R | t], decomposed (camera.py),
with no distortion.  Known intrinsics (the solvePnP case): the image points are
undistorted to the plane z_c = 1 with the given K and coefficients, and the pose comes
from the DLT of those (a 3x4 [R | t] up to scale, its left block projected onto the
rotations), or for points on a plane from the plane's homography.
"""

from __future__ import annotations

import numpy as np

from ... import camera
from ...normalize import DegenerateDataError, moment_rank
from .projection import Lens

UNDISTORT_STEPS = 20


def proper_depth(M: np.ndarray, X: np.ndarray) -> np.ndarray:
    """M (3, 4) with the sign that puts most points X (n, 3) in front (positive depth)."""
    depth = X @ M[2, :3] + M[2, 3]
    return M if np.count_nonzero(depth > 0) * 2 >= len(X) else -M


def pinhole_dlt(X: np.ndarray, xy: np.ndarray) -> np.ndarray | None:
    """The DLT's M (3, 4) of world points X (n, 3) seen at xy (n, 2), most depths
    positive; None when the points do not determine it (on a plane)."""
    from ..project3d.kernel import Project3dKernel, dlt

    try:
        return proper_depth(dlt(Project3dKernel(X, xy)).reshape(3, 4), X)
    except DegenerateDataError:
        return None


def left_handed(M: np.ndarray | None) -> bool:
    """Whether a 3x4 M with positive depths has det M[:, :3] < 0: the world frame is
    left-handed relative to the image (no rotation maps it onto the camera's)."""
    return M is not None and np.linalg.det(M[:, :3]) < 0


def from_projection(M: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    """The full camera (16,) of M = s K [R | t] (s > 0, det R > 0), no distortion:
    K's five entries, w = log R and C = -R^T t; `fixed` supplies the rest."""
    K, R, t = camera.KRt_from_projection(M)
    R = nearest_rotation(R)
    full = fixed.copy()
    full[:5] = K[0, 0], K[1, 1], K[0, 1], K[0, 2], K[1, 2]
    full[10:13] = camera.rotation_vector(R)
    full[13:16] = -R.T @ t
    return full


def nearest_rotation(A: np.ndarray) -> np.ndarray:
    """The rotation (det +1) nearest to A (3, 3) in the Frobenius norm."""
    U, _, Vt = np.linalg.svd(A)
    return U @ np.diag([1.0, 1.0, np.sign(np.linalg.det(U @ Vt)) or 1.0]) @ Vt


def undistort(full: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """The points (n, 2) on the plane z_c = 1 that the camera `full` images at uv (n, 2):
    K inverted, then x'' = distort(x') solved by fixed-point steps, as OpenCV does."""
    lens = Lens(full)
    yd = (uv[:, 1] - lens.cy) / lens.fy
    xd = (uv[:, 0] - lens.cx - lens.s * yd) / lens.fx
    a, b = xd.copy(), yd.copy()
    for _ in range(UNDISTORT_STEPS if np.any(full[5:10]) else 0):
        xa, ya, _, _, L = lens.distorted(a, b)
        a, b = (xd - (xa - a * L)) / L, (yd - (ya - b * L)) / L
    return np.column_stack([a, b])


def pose(full: np.ndarray, X: np.ndarray, uv: np.ndarray, M: np.ndarray | None = None) -> np.ndarray:
    """w and C (6,) of the camera with intrinsics `full` that sees X (n, 3) at uv (n, 2);
    `M` (3, 4), the DLT of the undistorted points if already known.

    Raises:
        DegenerateDataError: the world points lie on a line (or are one point).
    """
    xy = undistort(full, uv)
    if M is None and moment_rank(X) == 3:
        M = pinhole_dlt(X, xy)
    if M is None:
        return plane_pose(X, xy)
    U, S, Vt = np.linalg.svd(M[:, :3])
    R = nearest_rotation(M[:, :3])
    t = M[:, 3] / S.mean()
    return np.concatenate([camera.rotation_vector(R), -R.T @ t])


def plane_pose(X: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """w and C (6,) from points X (n, 3) on a plane seen at xy (n, 2) on z_c = 1: the
    homography H ~ [r1 r2 t] of the plane's own coordinates (Zhang's method)."""
    from ..homography.model import homography_dlt

    centre = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - centre, full_matrices=False)
    E = Vt.T * [1.0, 1.0, np.sign(np.linalg.det(Vt)) or 1.0]  # plane axes, det +1
    q = (X - centre) @ E[:, :2]
    H = homography_dlt(q[:, 0], q[:, 1], xy[:, 0], xy[:, 1])
    H = H / (0.5 * (np.linalg.norm(H[:, 0]) + np.linalg.norm(H[:, 1])))
    if np.count_nonzero(q @ H[2, :2] + H[2, 2] > 0) * 2 < len(q):
        H = -H
    Rp = nearest_rotation(np.column_stack([H[:, 0], H[:, 1], np.cross(H[:, 0], H[:, 1])]))
    R = Rp @ E.T  # x_c = Rp (q, 0) + H[:, 2] = R (X - centre) + H[:, 2]
    return np.concatenate([camera.rotation_vector(R), centre - R.T @ H[:, 2]])
