"""The parametric camera's projection and its hand-derived Jacobian (docs/math.md s.7).

    x_c = R (X - C) = R X + t,  R = rotation(w),  t = -R C
    a = x_c / z_c,  b = y_c / z_c,  r2 = a^2 + b^2,  L = 1 + k1 r2 + k2 r2^2 + k3 r2^3
    x'' = a L + 2 p1 a b + p2 (r2 + 2 a^2),   y'' = b L + p1 (r2 + 2 b^2) + 2 p2 a b
    u = fx x'' + skew y'' + cx,               v = fy y'' + cy

The rows are derived point by point in local pose coordinates: phi, a rotation applied
after R (x_c -> x_c + phi x x_c), and the translation t; pose_transform() maps them to
the parameters w and C (d/dw = d/dphi J(w), d/dC = -d/dt R), a constant 6x6 map for
all points.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .layout import AT


class Lens:
    """The camera of one full parameter vector (16,), ready to project (3, m) points."""

    def __init__(self, full: np.ndarray):
        self.full = full
        (self.fx, self.fy, self.s, self.cx, self.cy,
         self.k1, self.k2, self.k3, self.p1, self.p2) = full[:10].tolist()
        self.w, self.C = full[10:13], full[13:16]
        self.R, self.J = rotation_and_jacobian(*full[10:13].tolist())
        self.t = -self.R @ self.C

    def normalized(self, P: np.ndarray):
        """a, b (m,): the world points P (3, m) on the plane z_c = 1; zi = 1 / z_c (m,)."""
        ab, zi = self._plane(P)
        return ab[0], ab[1], zi

    def _plane(self, P: np.ndarray):
        """(a, b) stacked (2, m), and zi (m,)."""
        xc = self.R @ P
        xc += self.t[:, None]
        zi = 1.0 / xc[2]
        return xc[:2] * zi, zi

    def distorted(self, a: np.ndarray, b: np.ndarray):
        """x'', y'' (m,), and the pieces the Jacobian reuses: a b, r2 and L."""
        xy, ab, r2, L, _ = self._distorted(np.stack([a, b]))
        return xy[0], xy[1], ab, r2, L

    def _distorted(self, AB: np.ndarray):
        """(x'', y'') (2, m) of (a, b) (2, m); a b, r2, L and (a^2, b^2) (2, m)."""
        a, b = AB
        squares = AB * AB
        ab, r2 = a * b, squares[0] + squares[1]
        L = r2 * self.k3
        L += self.k2
        L *= r2
        L += self.k1
        L *= r2
        L += 1.0
        xy = AB * L
        if self.p1 or self.p2:
            xy[0] += (2.0 * self.p1) * ab + self.p2 * (r2 + 2.0 * squares[0])
            xy[1] += self.p1 * (r2 + 2.0 * squares[1]) + (2.0 * self.p2) * ab
        return xy, ab, r2, L, squares

    def pixels(self, P: np.ndarray) -> np.ndarray:
        """u, v (2, m) of world points P (3, m)."""
        xd, yd = self._distorted(self._plane(P)[0])[0]
        return np.stack([self.fx * xd + self.s * yd + self.cx, self.fy * yd + self.cy])

    def residual_rows(self, P, u, v, names, out: np.ndarray, G: np.ndarray | None = None):
        """ru, rv into out (2, m); with G (2, p, m), the rows d(ru)/d(name) (G[0]) and
        d(rv)/d(name) (G[1]) for the free `names` (the pose as phi and t: pose_transform)."""
        AB, zi = self._plane(P)
        xy, ab, r2, L, squares = self._distorted(AB)
        ru, rv = out[0], out[1]
        np.multiply(xy[0], self.fx, out=ru)
        if self.s:
            ru += self.s * xy[1]
        ru += self.cx - u
        np.multiply(xy[1], self.fy, out=rv)
        rv += self.cy - v
        if G is not None:
            self._rows(G, names, AB, zi, xy, ab, r2, L, squares)

    def _rows(self, G, names, AB, zi, xy, ab, r2, L, squares):
        """G (2, p, m): first d(x'', y'')/d(theta) for the distortion and the pose into
        their rows, then through K: du = fx dx'' + skew dy'', dv = fy dy''."""
        n_k = _intrinsic_count(names)
        Gu, Gv = G
        for j, name in enumerate(names[:n_k]):  # u = fx x'' + skew y'' + cx, v = fy y'' + cy
            du, dv = _K[name]
            Gu[j] = xy[du] if isinstance(du, int) else du
            Gv[j] = xy[dv] if isinstance(dv, int) else dv
        for j, name in enumerate(names[n_k:-6], n_k):
            if name[0] == "k":  # d(x'', y'')/dk_i = (a, b) r2^i
                power = r2 if name == "k1" else (r2 * r2 if name == "k2" else r2 * r2 * r2)
                np.multiply(AB, power, out=G[:, j])
            elif name == "p1":  # (2ab, r2 + 2b^2)
                np.multiply(ab, 2.0, out=Gu[j])
                np.add(r2, 2.0 * squares[1], out=Gv[j])
            else:  # p2: (r2 + 2a^2, 2ab)
                np.add(r2, 2.0 * squares[0], out=Gu[j])
                np.multiply(ab, 2.0, out=Gv[j])
        p = len(names)
        self._pose_rows(Gu[p - 6 :], Gv[p - 6 :], AB, zi, ab, r2, L, squares)
        Gu[n_k:] *= self.fx
        if self.s:
            Gu[n_k:] += self.s * Gv[n_k:]
        Gv[n_k:] *= self.fy

    def _pose_rows(self, Gu, Gv, AB, zi, ab, r2, L, squares):
        """Gu, Gv (6, m): d(x'', y'')/d(phi, t) = d(x'', y'')/d(a, b) d(a, b)/d(phi, t)
        (docs/math.md s.7), with d(a, b)/dphi = [[-ab, 1 + a^2, -b], [-(1 + b^2), ab, a]]
        and d(a, b)/dt = zi [[1, 0, -a], [0, 1, -b]]."""
        a, b = AB
        p1, p2 = self.p1, self.p2
        D2 = r2 * (6.0 * self.k3)  # 2 dL/dr2
        D2 += 4.0 * self.k2
        D2 *= r2
        D2 += 2.0 * self.k1
        dxa = D2 * squares[0]  # dx''/da = L + 2 a^2 dL/dr2 + 2 p1 b + 6 p2 a
        dxa += L
        dyb = D2 * squares[1]  # dy''/db = L + 2 b^2 dL/dr2 + 6 p1 b + 2 p2 a
        dyb += L
        dxb = D2 * ab  # dx''/db = dy''/da = 2 ab dL/dr2 + 2 p1 a + 2 p2 b
        if p1 or p2:
            dxa += (2.0 * p1) * b + (6.0 * p2) * a
            dyb += (6.0 * p1) * b + (2.0 * p2) * a
            dxb += (2.0 * p1) * a + (2.0 * p2) * b
        B = np.empty((2, 6, len(zi)))
        np.negative(ab, out=B[0, 0])
        np.add(squares[0], 1.0, out=B[0, 1])
        np.negative(b, out=B[0, 2])
        B[0, 3], B[0, 4] = zi, 0.0
        np.multiply(a, zi, out=B[0, 5])
        np.negative(B[0, 5], out=B[0, 5])
        np.add(squares[1], 1.0, out=B[1, 0])
        np.negative(B[1, 0], out=B[1, 0])
        B[1, 1], B[1, 2], B[1, 3], B[1, 4] = ab, a, 0.0, zi
        np.multiply(b, zi, out=B[1, 5])
        np.negative(B[1, 5], out=B[1, 5])
        for rows, da, db in ((Gu, dxa, dxb), (Gv, dxb, dyb)):
            np.multiply(B[0], da, out=rows)
            rows += B[1] * db

    def pose_transform(self, p: int) -> np.ndarray:
        """T (p, p): J = J_local T, the identity but for the pose block, diag(J(w), -R)."""
        T = np.eye(p)
        T[p - 6 : p - 3, p - 6 : p - 3] = self.J
        T[p - 3 :, p - 3 :] = -self.R
        return T


# d(u, v)/d(K's entries): an int is a row of (x'', y''), a float a constant
_K = {"fx": (0, 0.0), "fy": (0.0, 1), "skew": (1, 0.0), "cx": (1.0, 0.0), "cy": (0.0, 1.0)}


def rotation_and_jacobian(wx: float, wy: float, wz: float) -> tuple[np.ndarray, np.ndarray]:
    """R = rotation(w) and its left Jacobian J(w) (camera.rotation, camera.rotation_jacobian)
    in scalar arithmetic, one sine and cosine for both: a pass computes them once, and
    numpy's calls on 3-vectors cost more than the sums.

        R = I + A [w]_x + B [w]_x^2,   J = I + B [w]_x + C [w]_x^2,   [w]_x^2 = w w^T - t^2 I
        A = sin t / t,  B = (1 - cos t) / t^2,  C = (t - sin t) / t^3,  t = |w|
    """
    t2 = wx * wx + wy * wy + wz * wz
    if t2 < 1e-8:  # the series, as camera.rotation_jacobian's
        A, B, C = 1.0 - t2 / 6.0, 0.5 - t2 / 24.0, 1.0 / 6.0 - t2 / 120.0
    else:
        t = math.sqrt(t2)
        sin, cos = math.sin(t), math.cos(t)
        A, B, C = sin / t, (1.0 - cos) / t2, (t - sin) / (t2 * t)
    xx, yy, zz, xy, xz, yz = wx * wx - t2, wy * wy - t2, wz * wz - t2, wx * wy, wx * wz, wy * wz

    def rodrigues(a, b):
        return np.array([[1.0 + b * xx, b * xy - a * wz, b * xz + a * wy],
                         [b * xy + a * wz, 1.0 + b * yy, b * yz - a * wx],
                         [b * xz - a * wy, b * yz + a * wx, 1.0 + b * zz]])

    return rodrigues(A, B), rodrigues(B, C)


@lru_cache(maxsize=64)
def _intrinsic_count(names: tuple[str, ...]) -> int:
    """How many of `names` (they come first) are K's entries."""
    return sum(1 for n in names if n in _K)


def residuals(full: np.ndarray, X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """r (2n,) = (u_hat_i - u_i, v_hat_i - v_i) point by point, X (n, 3), uv (n, 2)."""
    out = np.empty((2, len(X)))
    Lens(full).residual_rows(X.T, uv[:, 0], uv[:, 1], (), out)
    return out.T.ravel()


def jacobian(full: np.ndarray, names: tuple[str, ...], X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """dr/d(names) (2n, p), rows point by point as residuals()."""
    lens, n, p = Lens(full), len(X), len(names)
    G = np.empty((2, p, n))
    lens.residual_rows(X.T, uv[:, 0], uv[:, 1], names, np.empty((2, n)), G)
    return G.transpose(2, 0, 1).reshape(2 * n, p) @ lens.pose_transform(p)


__all__ = ["AT", "Lens", "jacobian", "residuals"]
