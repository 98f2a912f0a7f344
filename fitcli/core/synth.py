"""Sample data from a known model: the sample files in data/ and the tests' ground truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .camera import intrinsics, look_at, projection_from_KRt, rotation
from .models import MODELS
from .models.project3d import depths, project_points
from .models.ratio2d import predict


@dataclass(frozen=True)
class Synthetic:
    """Points (n, len(columns)) drawn from the model `params` (canonical form)."""

    model: str
    columns: tuple[str, ...]
    table: np.ndarray
    params: np.ndarray
    settings: dict[str, Any] = field(default_factory=dict)
    outlier: np.ndarray | None = None  # (n,) bool: rows replaced by gross errors


def _camera(rng, focal, width, height, distance):
    """A camera `distance` from the origin, looking at it from a random oblique direction."""
    direction = rotation(rng.uniform(-0.35, 0.35, 3)) @ np.array([0.0, 0.0, -1.0])
    centre = distance * direction
    R = look_at(centre, np.zeros(3))
    K = intrinsics(focal, width, height)
    return K, R, centre, projection_from_KRt(K, R, -R @ centre)


def project3d(rng, n=200, noise=0.5, outliers=0.0, focal=1500.0, width=1920.0,
              height=1080.0, distance=5.0, size=3.0, offset=0.0) -> Synthetic:
    """World points in a cube of side `size` (metres) around the origin, seen by a camera
    `distance` away; pixel noise `noise` (sigma per coordinate); `offset` shifts the world
    frame (survey coordinates)."""
    K, R, C, M = _camera(rng, focal, width, height, distance)
    X = np.empty((0, 3))
    while len(X) < n:  # keep points that land in the image, in front of the camera
        cand = rng.uniform(-size / 2, size / 2, (4 * n, 3))
        uv = project_points(M, cand)
        ok = (depths(M, cand) > 0.1) & np.all((uv >= 0) & (uv <= [width, height]), axis=1)
        X = np.vstack([X, cand[ok]])
    X = X[:n]
    uv = project_points(M, X) + rng.normal(0.0, noise, (n, 2))
    bad = _pick(rng, n, outliers)
    uv[bad] = rng.uniform([0, 0], [width, height], (int(bad.sum()), 2))
    shift = np.eye(4)
    shift[:3, 3] = -offset
    M = M @ shift
    X = X + offset
    params = MODELS["project3d"].canonical(M.ravel(), (X, uv))
    settings = dict(n=n, noise=noise, outliers=outliers, focal=focal, width=width, height=height,
                    distance=distance, size=size, offset=offset, K=K, R=R, C=C + offset)
    return Synthetic("project3d", ("X", "Y", "Z", "u", "v"), np.column_stack([X, uv]),
                     params, settings, bad)


def ratio2d(rng, n=200, noise=0.5, outliers=0.0, focal=1500.0, width=1920.0, height=1080.0,
            distance=5.0, size=3.0, offset=0.0) -> Synthetic:
    """Points (x, y) on a plane target, ratio = the pixel column u of their image: one row
    of a plane homography over its third row (MATH.md s.2)."""
    K, R, C, M = _camera(rng, focal, width, height, distance)
    theta = np.array([M[0, 0], M[0, 1], M[0, 3], M[2, 0], M[2, 1], M[2, 3]])
    xy = np.empty((0, 2))
    while len(xy) < n:
        cand = rng.uniform(-size / 2, size / 2, (4 * n, 2))
        u = predict(theta, cand[:, 0], cand[:, 1])
        ok = (theta[3] * cand[:, 0] + theta[4] * cand[:, 1] + theta[5] > 0.1) & (u >= 0) & (u <= width)
        xy = np.vstack([xy, cand[ok]])
    x, y = xy[:n, 0] + offset, xy[:n, 1] + offset
    shift = np.array([[1.0, 0.0, -offset], [0.0, 1.0, -offset], [0.0, 0.0, 1.0]])
    theta = (theta.reshape(2, 3) @ shift).ravel()
    ratio = predict(theta, x, y) + rng.normal(0.0, noise, n)
    bad = _pick(rng, n, outliers)
    ratio[bad] = rng.uniform(0, width, int(bad.sum()))
    params = MODELS["ratio2d"].canonical(theta, (x, y, ratio))
    settings = dict(n=n, noise=noise, outliers=outliers, focal=focal, width=width, height=height,
                    distance=distance, size=size, offset=offset)
    return Synthetic("ratio2d", ("x", "y", "ratio"), np.column_stack([x, y, ratio]),
                     params, settings, bad)


def linear_tanh(rng, n=200, noise=0.0, outliers=0.0, k=0.5, b=1.0, gap=0.0, scale=1.0) -> Synthetic:
    """Points around the line y = k x + b; label +1 below it.  `gap` empties a band of
    that height (in y) around the line; `noise` blurs the boundary (sign of z + N(0,
    noise)); `outliers` flips that fraction of labels; `scale` multiplies x, y and b."""
    x = np.empty(0)
    z = np.empty(0)
    while len(x) < n:
        xc = rng.uniform(-5, 5, 4 * n)
        zc = rng.uniform(-5, 5, 4 * n)
        keep = np.abs(zc) >= gap / 2
        x, z = np.concatenate([x, xc[keep]]), np.concatenate([z, zc[keep]])
    x, z = x[:n], z[:n]
    y = k * x + b - z
    label = np.where(z + rng.normal(0.0, noise, n) * (noise > 0) >= 0, 1.0, -1.0)
    bad = _pick(rng, n, outliers)
    label[bad] = -label[bad]
    params = np.array([k, b * scale])
    settings = dict(n=n, noise=noise, outliers=outliers, k=k, b=b, gap=gap, scale=scale)
    return Synthetic("linear-tanh", ("x", "y", "label"),
                     np.column_stack([x * scale, y * scale, label]), params, settings, bad)


def _pick(rng, n: int, fraction: float) -> np.ndarray:
    bad = np.zeros(n, bool)
    bad[rng.choice(n, int(round(fraction * n)), replace=False)] = True
    return bad


GENERATORS = {"linear-tanh": linear_tanh, "ratio2d": ratio2d, "project3d": project3d}


def synthesize(model: str, seed: int = 0, **settings: Any) -> Synthetic:
    return GENERATORS[model](np.random.default_rng(seed), **settings)
