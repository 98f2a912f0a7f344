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

import numpy as np

from ... import camera
from .layout import AT, POSE


class Lens:
    """The camera of one full parameter vector (16,), ready to project (3, m) points."""

    def __init__(self, full: np.ndarray):
        self.full = full
        (self.fx, self.fy, self.s, self.cx, self.cy,
         self.k1, self.k2, self.k3, self.p1, self.p2) = full[:10].tolist()
        self.w, self.C = full[10:13], full[13:16]
        self.R = camera.rotation(self.w)
        self.t = -self.R @ self.C

    def normalized(self, P: np.ndarray):
        """a, b (m,): the world points P (3, m) on the plane z_c = 1; zi = 1 / z_c (m,)."""
        xc = self.R @ P
        xc += self.t[:, None]
        zi = 1.0 / xc[2]
        return xc[0] * zi, xc[1] * zi, zi

    def distorted(self, a: np.ndarray, b: np.ndarray):
        """x'', y'' (m,), and the pieces the Jacobian reuses: a b, r2 and L."""
        ab, r2 = a * b, a * a + b * b
        L = 1.0 + r2 * (self.k1 + r2 * (self.k2 + r2 * self.k3))
        xd = a * L
        yd = b * L
        if self.p1 or self.p2:
            xd += 2.0 * self.p1 * ab + self.p2 * (r2 + 2.0 * a * a)
            yd += self.p1 * (r2 + 2.0 * b * b) + 2.0 * self.p2 * ab
        return xd, yd, ab, r2, L

    def pixels(self, P: np.ndarray) -> np.ndarray:
        """u, v (2, m) of world points P (3, m)."""
        xd, yd = self.distorted(*self.normalized(P)[:2])[:2]
        return np.stack([self.fx * xd + self.s * yd + self.cx, self.fy * yd + self.cy])

    def residual_rows(self, P, u, v, names, out: np.ndarray, G: np.ndarray | None = None):
        """ru, rv into out (2, m); with G (p, 2, m), the rows d(ru, rv)/d(name) for the
        free `names` (the pose as phi and t: see pose_transform)."""
        a, b, zi = self.normalized(P)
        xd, yd, ab, r2, L = self.distorted(a, b)
        ru, rv = out[0], out[1]
        np.multiply(xd, self.fx, out=ru)
        ru += self.s * yd + (self.cx - u)
        np.multiply(yd, self.fy, out=rv)
        rv += self.cy - v
        if G is not None:
            self._rows(G, names, a, b, zi, xd, yd, ab, r2, L)

    def _rows(self, G, names, a, b, zi, xd, yd, ab, r2, L):
        fx, fy, s, p1, p2 = self.fx, self.fy, self.s, self.p1, self.p2
        row = {n: G[j] for j, n in enumerate(names)}
        for name, (du, dv) in (("fx", (xd, 0.0)), ("fy", (0.0, yd)), ("skew", (yd, 0.0)),
                               ("cx", (1.0, 0.0)), ("cy", (0.0, 1.0))):
            if name in row:
                row[name][0], row[name][1] = du, dv
        eu, ev = fx * a + s * b, fy * b  # d(u, v)/d(a L, b L) per unit of L
        power = r2
        for name in ("k1", "k2", "k3"):
            if name in row:
                np.multiply(eu, power, out=row[name][0])
                np.multiply(ev, power, out=row[name][1])
            if name != "k3" and any(n in row for n in ("k2", "k3")):
                power = power * r2
        if "p1" in row:  # dx''/dp1 = 2ab, dy''/dp1 = r2 + 2b^2
            e = r2 + 2.0 * b * b
            row["p1"][0], row["p1"][1] = 2.0 * fx * ab + s * e, fy * e
        if "p2" in row:  # dx''/dp2 = r2 + 2a^2, dy''/dp2 = 2ab
            e = r2 + 2.0 * a * a
            row["p2"][0], row["p2"][1] = fx * e + 2.0 * s * ab, 2.0 * fy * ab
        self._pose_rows(G[len(names) - len(POSE):], a, b, zi, ab, r2, L)

    def _pose_rows(self, G, a, b, zi, ab, r2, L):
        """G (6, 2, m): d(u, v)/d(phi, t) through d(x'', y'')/d(a, b) (docs/math.md s.7)."""
        fx, fy, s, p1, p2 = self.fx, self.fy, self.s, self.p1, self.p2
        D = self.k1 + r2 * (2.0 * self.k2 + 3.0 * self.k3 * r2)  # dL/dr2
        dxa = L + 2.0 * a * a * D + 2.0 * p1 * b + 6.0 * p2 * a  # dx''/da
        dxb = 2.0 * ab * D + 2.0 * p1 * a + 2.0 * p2 * b  # dx''/db = dy''/da
        dyb = L + 2.0 * b * b * D + 6.0 * p1 * b + 2.0 * p2 * a  # dy''/db
        q = ((fx * dxa + s * dxb, fx * dxb + s * dyb), (fy * dxb, fy * dyb))  # d(u, v)/d(a, b)
        one_a, one_b = 1.0 + a * a, 1.0 + b * b
        for k, (qa, qb) in enumerate(q):
            # d(a, b)/dphi = [[-ab, 1 + a^2, -b], [-(1 + b^2), ab, a]]
            G[0, k] = -(qa * ab + qb * one_b)
            G[1, k] = qa * one_a + qb * ab
            G[2, k] = qb * a - qa * b
            # d(a, b)/dt = zi [[1, 0, -a], [0, 1, -b]]
            np.multiply(qa, zi, out=G[3, k])
            np.multiply(qb, zi, out=G[4, k])
            G[5, k] = -(G[3, k] * a + G[4, k] * b)

    def pose_transform(self, p: int) -> np.ndarray:
        """T (p, p): J = J_local T, the identity but for the pose block, diag(J(w), -R)."""
        T = np.eye(p)
        T[p - 6 : p - 3, p - 6 : p - 3] = camera.rotation_jacobian(self.w)
        T[p - 3 :, p - 3 :] = -self.R
        return T


def residuals(full: np.ndarray, X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """r (2n,) = (u_hat_i - u_i, v_hat_i - v_i) point by point, X (n, 3), uv (n, 2)."""
    out = np.empty((2, len(X)))
    Lens(full).residual_rows(X.T, uv[:, 0], uv[:, 1], (), out)
    return out.T.ravel()


def jacobian(full: np.ndarray, names: tuple[str, ...], X: np.ndarray, uv: np.ndarray) -> np.ndarray:
    """dr/d(names) (2n, p), rows point by point as residuals()."""
    lens, n, p = Lens(full), len(X), len(names)
    G = np.empty((p, 2, n))
    lens.residual_rows(X.T, uv[:, 0], uv[:, 1], names, np.empty((2, n)), G)
    return G.transpose(2, 1, 0).reshape(2 * n, p) @ lens.pose_transform(p)


__all__ = ["AT", "Lens", "jacobian", "residuals"]
