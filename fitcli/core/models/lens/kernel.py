"""The parametric camera's kernel: the additive sums of a pass (docs/math.md s.7, s.5).

Per block the residuals and the Jacobian rows G (2, p, m) (of ru, of rv) are built in cache-sized
buffers (projection.Lens.residual_rows), so J^T J is one small product per block.  The
rows are in local pose coordinates; the constant map to (w, C) (Lens.pose_transform) is
applied to the block sums of each call, which keeps the sums additive over disjoint sets
of points evaluated at the same parameters.

The sums of a pass: (SS) for the cost; (SS, J^T r) for the gradient; (SS, J^T r,
J^T J) for the Gauss-Newton matrix; the pinhole DLT's moments (project3d's kernel) for
the start.
"""

from __future__ import annotations

import numpy as np

from ... import objective
from ...objective import COST, GRADIENT, MOMENTS, NORMAL, Kernel, blocks
from .projection import Lens


class LensKernel(Kernel):
    """The mean squared reprojection error of a camera `layout` (lens.layout.Layout) over
    world points X (n, 3) and image points uv (n, 2)."""

    def __init__(self, layout, X: np.ndarray, uv: np.ndarray):
        super().__init__(len(X))
        self.layout, self.X, self.uv = layout, X, uv
        self.P = np.ascontiguousarray(X.T)  # (3, n)
        self.u = np.ascontiguousarray(uv[:, 0])
        self.v = np.ascontiguousarray(uv[:, 1])
        m, p = min(self.n, self.block), len(layout.names)
        self._G = np.empty(p * 2 * m)  # flat: each block's (2, p, m) view is contiguous
        self._r = np.empty(2 * m)
        self._pinhole = None

    @property
    def block(self) -> int:
        """Points per block: half the pinhole's, since a block's rows are 2p long."""
        return max(1, objective.CHUNK // 2)

    def chunks(self):
        return blocks(self.n, self.block)

    def sums(self, params, level):
        if level == MOMENTS:
            return self.pinhole().sums(None, MOMENTS)
        lens, names, p = Lens(self.layout.full(params)), self.layout.names, len(params)
        out = np.zeros(1 + (p if level != COST else 0) + (p * p if level == NORMAL else 0))
        g, H = out[1 : 1 + p], out[1 + p :].reshape(-1, p)
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                m = e - s
                flat, G = self._r[: 2 * m], self._G[: 2 * m * p].reshape(2, p, m)
                r = flat.reshape(2, m)
                lens.residual_rows(self.P[:, s:e], self.u[s:e], self.v[s:e], names, r,
                                   G if level != COST else None)
                out[0] += flat @ flat
                if level == COST:
                    continue
                g += G[0] @ r[0]
                g += G[1] @ r[1]
                if level == NORMAL:
                    H += G[0] @ G[0].T
                    H += G[1] @ G[1].T
            if level != COST:
                T = lens.pose_transform(p)
                g[...] = T.T @ g
                if level == NORMAL:
                    H[...] = T.T @ H @ T
        return out

    def finish(self, total, n, level):
        if level == MOMENTS:
            return self.pinhole().finish(total, n, MOMENTS)
        if level == COST:
            return total[0] / n
        p = len(self.layout.names)
        grad = (2.0 / n) * total[1 : 1 + p]
        if level == GRADIENT:
            return total[0] / n, grad
        return total[0] / n, grad, (2.0 / n) * total[1 + p :].reshape(p, p)

    def pinhole(self):
        """project3d's kernel on the same points: the DLT's moments for the start."""
        if self._pinhole is None:
            from ..project3d.kernel import Project3dKernel

            self._pinhole = Project3dKernel(self.X, self.uv)
        return self._pinhole
