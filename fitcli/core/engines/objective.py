"""A model's kernel over an engine: each level of a pass is one reduction of the
partitions' kernel sums, finished once by the model's own finish()."""

from __future__ import annotations

import numpy as np

from ..objective import Kernel
from .tasks import kernel_sums

KEEP = 8  # NORMAL passes kept


class EngineKernel(Kernel):
    """The Kernel contract over an engine's prepared partitions (`handle`); `finisher`
    is the model's kernel on no points, whose finish() turns the sums into the cost,
    gradient and Gauss-Newton matrix.  The last few NORMAL passes are kept (the
    report's covariance reads the one at the optimum)."""

    def __init__(self, engine, handle, finisher: Kernel, n: int):
        super().__init__(n)
        self.engine, self.handle, self.finisher = engine, handle, finisher
        self._kept: dict[bytes, object] = {}

    def sums(self, params, level):
        return self.engine.reduce(kernel_sums, params, level, on=self.handle).sums

    def finish(self, total, n, level):
        return self.finisher.finish(total, n, level)

    def _normal(self, params):
        out = super()._normal(params)
        if len(self._kept) >= KEEP:
            self._kept.pop(next(iter(self._kept)))
        self._kept[np.asarray(params).tobytes()] = out
        return out

    def normal_at(self, params):
        """The NORMAL pass at params: the kept one if it was at these params."""
        kept = self._kept.get(np.asarray(params).tobytes())
        return kept if kept is not None else self.normal(params)


__all__ = ["EngineKernel"]
