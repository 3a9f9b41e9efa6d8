"""Arrays for intermediate results, optionally kept from call to call (see :class:`sknotes.nn.Network`)."""

import numpy as np


def scratch(buffers, name, shape, dtype):
    """An uninitialised array for an intermediate result: new, or the one kept in ``buffers`` for it.

    Parameters
    ----------
    buffers : dict or None
        Arrays kept between calls, by ``(name, shape, dtype)``; ``None`` allocates a new array.
    name : hashable
    shape : tuple of int
    dtype : data-type
    """
    if buffers is None:
        return np.empty(shape, dtype)
    key = (name, tuple(shape), np.dtype(dtype))
    if key not in buffers:
        buffers[key] = np.empty(shape, dtype)
    return buffers[key]
