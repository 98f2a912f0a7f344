"""Camera geometry: M = K [R | t] with t = -R C (MATH.md s.3)."""

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
