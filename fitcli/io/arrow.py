"""Arrow arrays made from numpy buffers directly.

pyarrow's conversion of Python and numpy objects (pa.array, pa.scalar) imports pandas
when it is installed, to check for its types: 0.2-0.4 s on the first call, paid by every
command that writes a table (--residuals, predict, synth) on a machine with pandas.
These build the same arrays from buffers (Array.from_buffers), zero-copy for numbers.
pyarrow is imported by the caller's path only.
"""

from __future__ import annotations

import numpy as np


def numbers(values: np.ndarray):
    """A float64 (or int64, for an int64 array) Arrow array viewing `values` (n,)."""
    import pyarrow as pa

    values = np.ascontiguousarray(values)
    kind = pa.int64() if values.dtype == np.int64 else pa.float64()
    if kind == pa.float64() and values.dtype != np.float64:
        values = values.astype(np.float64)
    return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])


def flags(mask: np.ndarray):
    """A boolean Arrow array of `mask` (n,)."""
    import pyarrow as pa

    mask = np.asarray(mask, dtype=bool)
    bits = np.packbits(mask, bitorder="little")
    return pa.Array.from_buffers(pa.bool_(), len(mask), [None, pa.py_buffer(bits)])


def strings(texts) -> "object":
    """A string Arrow array of the Python strings `texts`."""
    import pyarrow as pa

    encoded = [t.encode() for t in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.Array.from_buffers(pa.string(), len(encoded),
                                 [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))])


def string_scalar(text: str):
    """An Arrow string scalar of `text`."""
    return strings([text])[0]


def float_values(chunk) -> np.ndarray:
    """The values of one Arrow array without nulls as float64 (n,): a view of its buffer
    when it is float64, else its cast (integers, booleans, decimals); to_numpy() would
    load pandas."""
    import pyarrow as pa

    if chunk.type != pa.float64():
        import pyarrow.compute as pc

        chunk = pc.cast(chunk, pa.float64())
    return np.frombuffer(chunk.buffers()[1], np.float64, count=len(chunk), offset=8 * chunk.offset)


__all__ = ["flags", "float_values", "numbers", "string_scalar", "strings"]
