"""What a partition computes in a pass: module-level functions of (state, *args), so
that a cluster's workers can run them (they are pickled by name)."""

from __future__ import annotations

import math

import numpy as np

from ..models.base import Frame, LazyData
from ..objective import blocks
from ..robust import RobustKernel
from .base import Chunk, Partial


class Prepared:
    """A partition's points, and the model's kernel on them in the fit's frame: the
    kernel may normalise each block as it reads it (Model.kernel_for, as project3d's
    does); the normalised values and data tuple are made only if a task asks."""

    def __init__(self, chunk: Chunk, model, frame_map):
        self.chunk, self.model, self.frame_map = chunk, model, frame_map
        made: list[np.ndarray] = []  # the closures hold no reference to self: no cycle,
        apply = Frame(None, None, None, chunk_map=frame_map).apply  # freed at once

        def values():
            if not made:
                made.append(apply(chunk.values))
            return made[0]

        self._made = values
        lazy = LazyData(lambda: model.chunk_data(values()), chunk.n)
        self._frame = Frame(lazy, None, None, chunk_map=frame_map,
                            raw=model.chunk_data(chunk.values))
        self.kernel = model.kernel_for(self._frame) if chunk.n else None

    @property
    def values(self) -> np.ndarray:
        """The internal values (k, m)."""
        return self._made()

    @property
    def data(self) -> tuple:
        """The model's data tuple of the internal values."""
        return self._frame.data.data


def prepare(chunk: Chunk, model, frame_map) -> Prepared:
    return Prepared(chunk, model, frame_map)


def robust(state: Prepared, loss) -> Prepared:
    """The state with the kernel of the robust `loss` (its threshold in internal units)."""
    out = object.__new__(Prepared)
    out.__dict__.update(state.__dict__)
    out.kernel = RobustKernel(state.model, state.data, loss) if state.chunk.n else None
    return out


def kernel_sums(state: Prepared, params, level: str) -> Partial | None:
    """The kernel's sums at params (None for an empty partition)."""
    if state.kernel is None:
        return None
    with np.errstate(all="ignore"):
        return Partial(state.kernel.sums(params, level))


def rows_at(state: Prepared, index: np.ndarray) -> Partial | None:
    """The internal values of the points whose global indices (sorted) are `index`."""
    first, n = state.chunk.first, state.chunk.n
    lo, hi = np.searchsorted(index, [first, first + n])
    if hi == lo:
        return None
    return Partial(items=state.values[:, index[lo:hi] - first].T.copy())


def raw_data(state: Prepared, model, raw_map) -> tuple:
    """The model's data of the partition in the input's units (labels as +1/-1): views
    of the chunk where raw_map changes nothing (no labels), else a mapped copy."""
    if _identity(raw_map):
        return model.chunk_data(state.chunk.values)
    return model.chunk_data(Frame(None, None, None, chunk_map=raw_map).apply(state.chunk.values))


def _identity(chunk_map) -> bool:
    shift, scale = chunk_map
    return not np.any(shift) and bool(np.all(scale == 1.0))


def inlier_normal(state: Prepared, model, frame_map, q, req) -> Partial | None:
    """The plain kernel's NORMAL sums at q on the points mapped by frame_map (only the
    inliers of the report request `req`, if given), and their count."""
    from ..objective import NORMAL

    if state.kernel is None:
        return None
    data = model.chunk_data(Frame(None, None, None, chunk_map=frame_map).apply(state.chunk.values))
    if req is not None:
        with np.errstate(all="ignore"):
            e = point_errors(state, model, req.q0, req.frame0_map, req.cost_scale)
        keep = e * e <= req.threshold2
        data = tuple(np.ascontiguousarray(a[keep]) for a in data)
    if not len(data[0]):
        return None
    with np.errstate(all="ignore"):
        sums = model.kernel(*data).sums(q, NORMAL)
    return Partial(np.concatenate([sums, [len(data[0])]]))


def _unit_blocks(model, frame0_map, values: np.ndarray):
    """(start, stop, the model's data of the block in the input's units) for each block
    of CHUNK points of values (k, m): no product over a whole partition."""
    frame0 = Frame(None, None, None, chunk_map=frame0_map)
    identity = _identity(frame0_map)
    for s, e in blocks(values.shape[1]):
        block = values[:, s:e]
        yield s, e, model.chunk_data(block if identity else frame0.apply(block))


def chunk_residuals(model, q0, frame0_map, cost_scale, values: np.ndarray) -> np.ndarray:
    """r (m, targets): the residuals whose mean square the fit minimised, in the
    input's units, of points values (k, m) (diagnostics.fitted_residuals of a chunk)."""
    out, root = np.empty((values.shape[1], model.n_targets)), math.sqrt(cost_scale)
    for s, e, data in _unit_blocks(model, frame0_map, values):
        out[s:e] = (model.residuals(q0, *data) * root).reshape(e - s, model.n_targets)
    return out


def point_errors(state, model, q0, frame0_map, cost_scale) -> np.ndarray:
    """The point error (m,) of each point of the partition: |r_i| of chunk_residuals,
    by Model.point_squares."""
    values, root = state.chunk.values, math.sqrt(cost_scale)
    out = np.empty(values.shape[1])
    for s, e, data in _unit_blocks(model, frame0_map, values):
        out[s:e] = model.point_squares(q0, data, root)
    return np.sqrt(out, out=out)


__all__ = ["Prepared", "chunk_residuals", "inlier_normal", "kernel_sums", "point_errors",
           "prepare", "raw_data", "robust", "rows_at"]
