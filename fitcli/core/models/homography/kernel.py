"""The homography's kernel: the additive sums of a pass (docs/math.md s.8).

With q = (x, y, 1) and w = h3 . q, the Jacobian rows of a point are
d ru/dH = (q, 0, -u_hat q) / w and d rv/dH = (0, q, -v_hat q) / w, so every sum that
J^T J needs is a weighted sum of q q^T: six moments D = (x, y, 1, xx, xy, yy) per point
(ratio2d's), one small matrix product per block.
"""

from __future__ import annotations

import numpy as np

from ...objective import CHUNK, COST, GRADIENT, MOMENTS, NORMAL, MomentKernel
from ..base import dlt_solution
from ..project3d.kernel import _BLOCKS
from ..ratio2d.model import _SYM3

# J^T J (9, 9) is [[S1, 0, -Su], [0, S1, -Sv], [-Su, -Sv, Suv]], S_k = sum w_k q q^T, the
# block pattern of project3d's 12x12: block (i, j) reads moment vector k (of 6 entries)
# with a sign; the zero blocks read entry 24.
_INDEX, _SIGN = np.full((9, 9), 24), np.zeros((9, 9))
for (_i, _j), (_k, _s) in _BLOCKS.items():
    _INDEX[3 * _i : 3 * _i + 3, 3 * _j : 3 * _j + 3] = 6 * _k + _SYM3
    _SIGN[3 * _i : 3 * _i + 3, 3 * _j : 3 * _j + 3] = _s


def gram(moments: np.ndarray) -> np.ndarray:
    """The 9x9 block matrix above from the four 6-vectors S1, Su, Sv, Suv laid end to end
    in `moments` (24,); also the DLT's A^T A (weights 1, u, v, u^2 + v^2)."""
    return np.append(moments, 0.0)[_INDEX] * _SIGN


class HomographyKernel(MomentKernel):
    """Streams the points in blocks; per block D (6, m) and the weights W (7, m) are built
    in cache-sized buffers.  Sums: (SS) cost; (SS, G (3, 3)) gradient; (SS, W D^T (7, 6))
    Gauss-Newton; (the DLT's 4 x 6) start."""

    def __init__(self, xy: np.ndarray, uv: np.ndarray):
        super().__init__(len(xy))
        self.x, self.y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
        self.u, self.v = np.ascontiguousarray(uv[:, 0]), np.ascontiguousarray(uv[:, 1])
        m = min(self.n, CHUNK)
        self._D, self._W, self._N = np.empty((6, m)), np.empty((7, m)), np.empty((3, m))
        self._D[2] = 1.0

    def _block(self, H, s, e):
        """D of the block, and its u_hat, v_hat, 1/w, ru, rv (views into the buffers)."""
        m = e - s
        D, N, W = self._D[:, :m], self._N[:, :m], self._W[:, :m]
        D[0], D[1] = self.x[s:e], self.y[s:e]
        np.multiply(D[0], D[0:2], out=D[3:5])
        np.multiply(D[1], D[1], out=D[5])
        np.matmul(H, D[0:3], out=N)
        np.divide(1.0, N[2], out=N[2])
        N[0:2] *= N[2]
        np.subtract(N[0], self.u[s:e], out=W[0])
        np.subtract(N[1], self.v[s:e], out=W[1])
        return D, N[0], N[1], N[2], W

    def sums(self, params, level):
        if level == MOMENTS:
            return self._moments()
        H = params.reshape(3, 3)
        out = np.zeros({COST: 1, GRADIENT: 10, NORMAL: 43}[level])
        with np.errstate(all="ignore"):
            for s, e in self.chunks():
                D, uh, vh, inv, W = self._block(H, s, e)
                out[0] += W[0] @ W[0] + W[1] @ W[1]
                if level == COST:
                    continue
                W[0:2] *= inv  # ru / w, rv / w
                np.multiply(W[0], uh, out=W[2])
                W[2] += W[1] * vh
                np.negative(W[2], out=W[2])
                if level == GRADIENT:
                    out[1:].reshape(3, 3)[...] += W[0:3] @ D[0:3].T
                    continue
                np.multiply(inv, inv, out=W[3])  # J^T J weights: 1/w^2 (1, uh, vh, uh^2 + vh^2)
                np.multiply(W[3], uh, out=W[4])
                np.multiply(W[3], vh, out=W[5])
                np.multiply(uh * uh + vh * vh, W[3], out=W[6])
                out[1:].reshape(7, 6)[...] += W @ D.T
        return out

    def _moments(self) -> np.ndarray:
        """The DLT's weighted moments (4, 6) for the rows [q, 0, -u q], [0, q, -v q]."""
        out = np.zeros(24)
        for s, e in self.chunks():
            D, _, _, _, W = self._block(np.eye(3), s, e)
            u, v = self.u[s:e], self.v[s:e]
            W[0], W[1], W[2] = 1.0, u, v
            np.multiply(u, u, out=W[3])
            W[3] += v * v
            out.reshape(4, 6)[...] += W[0:4] @ D.T
        return out

    def gram(self, total):
        return gram(total)

    def normal_parts(self, flat):
        S = flat.reshape(7, 6)
        return S[0:3, 0:3].ravel(), gram(S[3:7].ravel())


def dlt(kernel: HomographyKernel) -> np.ndarray:
    """The algebraic estimate (9,), unit norm: see base.dlt_solution."""
    return dlt_solution(kernel.moments(), "homography")
