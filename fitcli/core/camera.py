"""Camera geometry: M = K [R | t] with t = -R C (docs/math.md s.3)."""

from __future__ import annotations

import numpy as np


def intrinsics(focal: float, width: float, height: float) -> np.ndarray:
    """K (3, 3) with square pixels, no skew and the principal point at the image centre."""
    return np.array([[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]])


def look_at(centre: np.ndarray, target: np.ndarray, up=(0.0, -1.0, 0.0)) -> np.ndarray:
    """R (3, 3) of a camera at `centre` looking at `target`: rows are the camera's x
    (image right), y (image down) and z (viewing direction) axes in world coordinates."""
    z = np.asarray(target, float) - np.asarray(centre, float)
    z /= np.linalg.norm(z)
    x = np.cross(np.asarray(up, float), z)
    if np.linalg.norm(x) < 1e-9:  # looking along `up`: any perpendicular will do
        x = np.cross([1.0, 0.0, 0.0], z)
    x /= np.linalg.norm(x)
    return np.stack([x, np.cross(z, x), z])


def projection_from_KRt(K: np.ndarray, R: np.ndarray, t: np.ndarray) -> np.ndarray:
    """M (3, 4) = K [R | t]."""
    return K @ np.hstack([R, np.reshape(t, (3, 1))])


def rotation(axis_angle: np.ndarray) -> np.ndarray:
    """Rodrigues: the rotation by |w| radians about w / |w|."""
    w = np.asarray(axis_angle, float)
    angle = np.linalg.norm(w)
    if angle == 0.0:
        return np.eye(3)
    k = w / angle
    Kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + np.sin(angle) * Kx + (1 - np.cos(angle)) * Kx @ Kx


def cross_matrix(v: np.ndarray) -> np.ndarray:
    """[v]_x (3, 3): [v]_x a = v x a."""
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def rotation_vector(R: np.ndarray) -> np.ndarray:
    """w (3,) with rotation(w) = R for a proper rotation R (3, 3); |w| <= pi (docs/math.md s.7).

    Near |w| = pi, where sin|w| vanishes, the axis k is read from the symmetric part,
    (R + R^T)/2 = cos|w| I + (1 - cos|w|) k k^T, instead of from R - R^T.
    """
    cos = min(1.0, max(-1.0, (np.trace(R) - 1.0) / 2.0))
    vee = 0.5 * np.array([R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1]])
    sin = float(np.linalg.norm(vee))
    angle = float(np.arctan2(sin, cos))
    if angle < 1e-8:
        return vee  # R = I + [w]_x + O(w^2)
    if cos > -0.9:
        return vee * (angle / sin)
    B = (0.5 * (R + R.T) - cos * np.eye(3)) / (1.0 - cos)  # k k^T: its largest column is k
    j = int(np.argmax(np.diag(B)))
    axis = B[:, j] / np.sqrt(max(B[j, j], 1e-300))
    axis /= np.linalg.norm(axis)
    if axis @ vee < 0:
        axis = -axis
    return angle * axis


def rotation_jacobian(w: np.ndarray) -> np.ndarray:
    """J (3, 3), the left Jacobian of rotation(): rotation(w + d) = rotation(J d) rotation(w)
    to first order, so d(rotation(w) v)/dw = -[rotation(w) v]_x J (docs/math.md s.7).

        J = I + (1 - cos t)/t^2 [w]_x + (t - sin t)/t^3 [w]_x^2,   t = |w|
    """
    w = np.asarray(w, float)
    t2 = float(w @ w)
    if t2 < 1e-8:  # the series: (1 - cos t)/t^2 = 1/2 - t^2/24, (t - sin t)/t^3 = 1/6 - t^2/120
        a, b = 0.5 - t2 / 24.0, 1.0 / 6.0 - t2 / 120.0
    else:
        t = np.sqrt(t2)
        a, b = (1.0 - np.cos(t)) / t2, (t - np.sin(t)) / (t2 * t)
    W = cross_matrix(w)
    return np.eye(3) + a * W + b * (W @ W)



def rq(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A (3, 3) = U Q with U upper triangular, diag(U) >= 0, Q orthogonal."""
    flip = np.eye(3)[::-1]
    Q, U = np.linalg.qr((flip @ A).T)
    U, Q = flip @ U.T @ flip, flip @ Q.T
    signs = np.where(np.diag(U) < 0, -1.0, 1.0)
    return U * signs, signs[:, None] * Q


def KRt_from_projection(M: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """M (3, 4) = s K [R | t] with s > 0, K upper triangular, K[2, 2] = 1, diag(K) > 0.

    s > 0 keeps M's sign (its depths), so det R = sign det M[:, :3]: R is a rotation
    when the camera is right-handed, and a reflection (det R = -1) otherwise.

    Returns:
        K (3, 3), R (3, 3), t (3,).
    """
    K, R = rq(M[:, :3])
    s = K[2, 2]
    K = K / s
    return K, R, np.linalg.solve(K, M[:, 3]) / s


def camera_centre(M: np.ndarray) -> np.ndarray:
    """C (3,) with M (C, 1) = 0:  C = -A^-1 m4 for M = [A | m4]."""
    return -np.linalg.solve(M[:, :3], M[:, 3])


def euler_angles(R: np.ndarray) -> np.ndarray:
    """(rx, ry, rz) in degrees with R = Rz(rz) Ry(ry) Rx(rx); rx = 0 at ry = +-90 deg.
    NaN for a reflection (det R < 0), which no angles describe."""
    if np.linalg.det(R) < 0:
        return np.full(3, np.nan)
    cy = np.hypot(R[0, 0], R[1, 0])
    if cy > 1e-12:
        angles = np.arctan2(R[2, 1], R[2, 2]), np.arctan2(-R[2, 0], cy), np.arctan2(R[1, 0], R[0, 0])
    else:
        angles = 0.0, np.arctan2(-R[2, 0], cy), np.arctan2(-R[0, 1], R[1, 1])
    return np.degrees(angles)


def rotation_from_euler(angles_deg: np.ndarray) -> np.ndarray:
    """R = Rz(rz) Ry(ry) Rx(rx) from (rx, ry, rz) in degrees (inverse of euler_angles)."""
    rx, ry, rz = np.radians(angles_deg)
    return rotation([0.0, 0.0, rz]) @ rotation([0.0, ry, 0.0]) @ rotation([rx, 0.0, 0.0])


CAMERA_FIGURES = ("fx", "fy", "skew", "cx", "cy", "rx", "ry", "rz", "Cx", "Cy", "Cz")
ANGLES_TEXT = "degrees, R = Rz(rz) Ry(ry) Rx(rx) (world to camera)"
ANGLES = slice(5, 8)


def camera_figures(M: np.ndarray) -> np.ndarray:
    """(fx, fy, skew, cx, cy, rx, ry, rz [deg], Cx, Cy, Cz) of M (3, 4); see CAMERA_FIGURES."""
    K, R, _ = KRt_from_projection(M)
    return np.concatenate([[K[0, 0], K[1, 1], K[0, 1], K[0, 2], K[1, 2]],
                           euler_angles(R), camera_centre(M)])


def figures_along(M: np.ndarray, directions: np.ndarray, step: float = 1e-2) -> np.ndarray:
    """d camera_figures(M + h V_k) / dh at h = 0 for each column V_k of `directions`
    (12, k), by central differences with h = step: (11, k).

    With directions = F, a factor of the covariance of M (cov = F F^T), the figures have
    covariance D D^T; each F_k is a one-sigma change of M, so the differences stay well
    scaled even where M's entries differ by many orders of magnitude.
    """
    m = M.ravel()
    D = np.empty((len(CAMERA_FIGURES), directions.shape[1]))
    for k, v in enumerate(directions.T):
        diff = camera_figures((m + step * v).reshape(3, 4)) - camera_figures((m - step * v).reshape(3, 4))
        diff[ANGLES] = (diff[ANGLES] + 180.0) % 360.0 - 180.0  # an angle may wrap at +-180
        D[:, k] = diff / (2 * step)
    return D


SKEW_LIMIT = 0.01  # |skew| / fx above which a significant skew is implausible


def describe(M: np.ndarray, factor: np.ndarray | None = None) -> dict:
    """K, R, t, C and rotation angles of M (3, 4), their standard errors from `factor`
    (12, k) with cov(M.ravel()) = factor factor^T (None: no errors), and warnings on
    implausible results."""
    K, R, t = KRt_from_projection(M)
    values = camera_figures(M)
    se = np.full(len(values), np.nan)
    if factor is not None:
        D = figures_along(M, factor)
        se = np.sqrt(np.einsum("ij,ij->i", D, D))
    right = np.linalg.det(R) > 0
    out = {"K": K, "R": R, "t": t, "C": values[8:11],
           "handedness": "right" if right else "left",
           "figures": dict(zip(CAMERA_FIGURES, values)),
           "standard_errors": dict(zip(CAMERA_FIGURES, se)),
           "angles": ANGLES_TEXT,
           "warnings": []}
    if not right:
        out["warnings"].append(
            "the camera is left-handed (det R = -1 with the points in front of it): one axis "
            "of the world or of the image is mirrored; no rotation angles are given")
    warning = skew_warning(values[2], values[0], se[2])
    if warning:
        out["warnings"].append(warning)
    return out


def skew_warning(skew: float, fx: float, skew_se: float) -> str | None:
    """The warning on a skew above SKEW_LIMIT of fx and above 3 standard errors."""
    if abs(skew) > SKEW_LIMIT * abs(fx) and not abs(skew) <= 3 * skew_se:
        return (f"implausible skew {skew:.4g} ({abs(skew) / abs(fx):.1%} of fx; real cameras "
                "have none): the world axes may not be orthogonal or equally scaled, or points are "
                "mismatched")
    return None


def random_camera(rng: np.random.Generator, focal: float, width: float, height: float,
                  distance: float):
    """(K, R, C, M) of a camera `distance` from the origin, looking at it from a random
    oblique direction: the sample data's camera."""
    direction = rotation(rng.uniform(-0.35, 0.35, 3)) @ np.array([0.0, 0.0, -1.0])
    centre = distance * direction
    R = look_at(centre, np.zeros(3))
    K = intrinsics(focal, width, height)
    return K, R, centre, projection_from_KRt(K, R, -R @ centre)


def image_errors(du: np.ndarray, dv: np.ndarray, depth: np.ndarray) -> dict[str, float]:
    """predict's error measures of image points off by (du, dv) (n,) each, at `depth` (n,)."""
    with np.errstate(over="ignore", invalid="ignore"):
        d2 = du * du + dv * dv
        return {"loss": float(d2.mean()), "rmse": float(np.sqrt(d2.mean())),
                "rms_u": float(np.sqrt(np.mean(du * du))), "rms_v": float(np.sqrt(np.mean(dv * dv))),
                "max_error": float(np.sqrt(d2.max())), "behind_camera": int(np.sum(~(depth > 0)))}
