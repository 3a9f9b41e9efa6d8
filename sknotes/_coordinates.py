"""The conditioned coordinates of a fit, from its data (the front end's side of :mod:`sknotes.nn.coordinates`).

:func:`moments` reads the weighted moments of the inputs (and, for a head
whose outputs follow the targets, of the targets) in small chunks;
:func:`follow` merges them with those of the rows ``partial_fit`` saw
before and decides whether the stored coordinates still condition the data
or move, exactly, to the data's own.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils import gen_batches
from sklearn.utils.sparsefuncs import mean_variance_axis

from .nn.coordinates import MAX_MIXED_FEATURES, Moments, Standardisation

#: Whitening estimates the features' correlations from at most this many rows (evenly spaced).
MAX_COVARIANCE_ROWS = 20_000


def moments(A, sample_weight=None, full=False):
    """The weighted column :class:`~sknotes.nn.coordinates.Moments` of ``A`` (dense or sparse), without copying ``A``.

    Dense ``A`` is read in C-ordered float64 chunks of about 8192 numbers, so
    that every memory layout of ``A`` gives bit for bit the same result and
    the temporaries stay small (out-of-core ``partial_fit`` on chunks of data).
    ``full=True`` keeps the matrix of cross products too, for whitened
    coordinates: off the diagonal from at most :data:`MAX_COVARIANCE_ROWS`
    evenly spaced rows (whitening needs no more, and costs ``n_features^2``
    per row), on it from all of them (sparse ``A`` is then read in dense
    chunks too: it has few columns).
    """
    weights = np.ones(A.shape[0]) if sample_weight is None else sample_weight.astype(np.float64)
    total = float(weights.sum())
    if sp.issparse(A) and not full:
        mean, var = mean_variance_axis(A, axis=0, weights=weights)
        return Moments(total, mean, var * total)
    rows_per_chunk = max(16, 8192 // A.shape[1])
    buffer = np.empty((min(rows_per_chunk, A.shape[0]), A.shape[1]))  # one C-ordered float64 chunk, reused

    def chunks(rows=None):  # the rows (all, or an index array) chunk by chunk, as (weights, block in the buffer)
        n = A.shape[0] if rows is None else rows.size
        for c in gen_batches(n, rows_per_chunk):
            index = c if rows is None else rows[c]
            block = buffer[: c.stop - c.start]
            block[...] = A[index].toarray() if sp.issparse(A) else A[index]
            yield weights[index], block

    with np.errstate(over="ignore", invalid="ignore"):  # values near the float64 limit: no scale, not a warning
        mean = sum(w @ block for w, block in chunks()) / total
        m2 = np.zeros(A.shape[1])
        for w, block in chunks():
            block -= mean
            m2 += w @ np.square(block, out=block)
        if full:
            step = max(1, A.shape[0] // MAX_COVARIANCE_ROWS)
            sampled = None if step == 1 else np.arange(0, A.shape[0], step)
            products = np.zeros((A.shape[1], A.shape[1]))
            for w, block in chunks(sampled):  # sum_i w_i (x_i - mean)(x_i - mean)^T, as a product of sqrt(w) blocks
                block -= mean
                block *= np.sqrt(w)[:, None]
                products += np.dot(block.T, block)
            if sampled is not None:
                products *= total / weights[sampled].sum()
            products[np.diag_indices_from(products)] = m2
            m2 = products
    return Moments(total, mean, m2)


@dataclass
class Followed:
    """The coordinates of one call: the ``current`` ones, the ``previous`` ones of the model (``partial_fit``),
    and whether the call ``kept`` the model's own (the stored parameters then carry over as they are)."""

    current: Standardisation
    previous: Standardisation
    kept: bool


def follow(est, head, state, X, Y, sample_weight, hidden, incremental, first_call):
    """The coordinates of this call, with ``state.moments`` and ``state.coordinates`` updated.

    Inputs are whitened (``conditioning='auto'``) for a linear model with
    at most :data:`~sknotes.nn.coordinates.MAX_MIXED_FEATURES` features, no
    more than the rows of a mini-batch: the mixing then costs less than it
    saves. The targets' moments are kept where the head's outputs follow
    them (:attr:`~sknotes._heads.Head.output_moments`). ``partial_fit``
    merges the moments of every row it has seen, and keeps its coordinates
    while they still condition those rows
    (:meth:`~sknotes.nn.coordinates.Standardisation.conditions`).
    """
    batch = np.inf if est.batch_size is None else est.batch_size
    full = est.conditioning == "auto" and not hidden and X.shape[1] <= min(MAX_MIXED_FEATURES, batch)
    data = moments(X, sample_weight, full), head.target_moments(Y, sample_weight)
    if incremental and state.moments is not None:  # the coordinates follow all the rows partial_fit has seen
        data = tuple(None if old is None else Moments(*old).merge(new) for old, new in zip(state.moments, data))
    state.moments = tuple(None if m is None else m.astuple() for m in data)
    inputs, outputs = data[0], head.output_moments(data[1])
    current = None
    if est.conditioning is not None:
        current = Standardisation.from_moments(inputs, outputs, weight_decay=est.weight_decay, dtype=X.dtype)
    previous = None
    if incremental and not first_call and state.coordinates is not None:
        previous = Standardisation(**state.coordinates)
    kept = (incremental and not first_call and previous is None and current is None) or (
        previous is not None and current is not None and previous.conditions(inputs, outputs, est.weight_decay)
    )
    if kept:
        current = previous
    state.coordinates = None if current is None else current.arrays()
    return Followed(current, previous, kept)
