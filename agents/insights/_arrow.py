"""NumPy to Arrow and back without pandas, for the numeric columns and segment names here.

pyarrow's general conversions (``pa.array`` of an ndarray or a list, ``Array.to_numpy``) import
pandas on first use when it is installed, to look for pandas types we never pass: 0.2-0.3 s
inside the weekly digest's insights section, which needs no pandas. These columns are plain
numbers without nulls, so their buffers are shared as they are: ``Array.from_buffers`` one way,
DLPack the other (both zero-copy; the NumPy side is read-only, as ``to_numpy`` gives it).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa


def arrow_array(values: np.ndarray) -> pa.Array:
    """A 1-D numeric array as an Arrow array without nulls, sharing its memory."""
    if isinstance(values, np.ma.MaskedArray):
        raise TypeError("a masked array has nulls: convert it with pa.array")
    array = np.ascontiguousarray(values)
    if array.ndim != 1 or array.dtype.kind not in "iuf":
        raise TypeError(f"expected a 1-D numeric array, not {array.ndim}-D {array.dtype}")
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(array.dtype), len(array), [None, pa.py_buffer(array)]
    )


def string_array(texts: Sequence[str]) -> pa.Array:
    """A few strings (a dictionary's labels) as an Arrow string array."""
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(text) for text in encoded], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )


def numpy_array(column: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric column without nulls as a read-only NumPy array (no copy of one chunk)."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if array.null_count:
        raise ValueError("the column has nulls: convert it with to_numpy(zero_copy_only=False)")
    return np.from_dlpack(array)
