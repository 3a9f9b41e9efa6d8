"""The ``'auto'`` step size of gradient descent on a linear model: ``1 / L``.

For a network with no hidden layer, the objective's gradient is
``L``-Lipschitz with an ``L`` that the data give: the loss's curvature
bound ``c`` (:class:`~sknotes.nn.losses.Loss`) times the largest eigenvalue
of the inputs' second-moment matrix, plus the L2 term. A gradient step of
``1 / L`` can then never overshoot, on raw or scaled features alike. This is
how scikit-learn's SAG solver picks its step.

Everything is computed in the coordinates the network trains in (see
:mod:`sknotes.nn.coordinates`): inputs ``x~ = (x - mu) / s`` and a constant 1 for
the bias. Centred inputs make the bias decouple from the weights, so the
second-moment matrix of ``[x~, 1]`` has the eigenvalues of the covariance
``C~`` of ``x~`` and the eigenvalue 1. With weights ``p_i = s_i / sum_j s_j``
and ``lambda`` the weight decay,

    L_full = c max(lambda_max(C~), 1) + max_j lambda / s_j^2     (full batch)
    L_max  = c max_i (||x~_i||^2 + 1) + max_j lambda / s_j^2     (one sample)

and a mini-batch of ``b`` of the ``n`` rows, drawn without replacement, has
the expected smoothness (Gower et al., 2019, "SGD: general analysis and
improved rates")

    L(b) = n (b - 1) / (b (n - 1)) L_full + (n - b) / (b (n - 1)) L_max,

which runs from ``L_max`` for single samples to ``L_full`` for the full batch.
``lambda_max`` comes from at most ``MAX_ROWS`` evenly spaced rows: exactly
for a few features, by a few power iterations (without forming ``C~``) for
many, such as sparse text.
"""

import numpy as np

#: The eigenvalue comes from no more than this many rows (evenly spaced).
MAX_ROWS = 10_000
#: Up to this many features it is computed exactly from their Gram matrix, beyond by power iteration.
MAX_GRAM = 100
#: Numbers per chunk when a pass over X needs a float64 temporary (64 KiB).
CHUNK = 8192


def _standardised(X, rows, offset, scale):
    """``(X[rows] - offset) / scale`` as a new float64 array (dense or sparse ``X``)."""
    block = X[rows]
    block = block.toarray() if hasattr(block, "toarray") else np.array(block, dtype=np.float64)
    block -= offset
    block /= scale
    return block


def largest_eigenvalue(X, weights, offset, scale, n_iter=50, rtol=1e-3):
    """Largest eigenvalue of ``sum_i p_i x~_i x~_i^T``, ``x~ = (x - offset) / scale``, on at most :data:`MAX_ROWS` rows.

    With up to :data:`MAX_GRAM` features, exactly, from the Gram matrix of the
    rows (``numpy.linalg.eigvalsh``); beyond, by power iteration with products
    of ``X`` and vectors only.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    weights : ndarray of shape (n_samples,)
        Non-negative weights ``p_i`` (normalised here).
    offset, scale : ndarray of shape (n_features,)
    n_iter : int, default=50
        Most power iterations.
    rtol : float, default=1e-3
        Stop the power iteration when the estimate changes by less than this, relatively.

    Returns
    -------
    float
        The eigenvalue (power iteration approaches it from below).
    """
    step = max(1, X.shape[0] // MAX_ROWS)
    X, weights = X[::step], weights[::step]
    p = weights / weights.sum()
    offset, scale = offset.astype(np.float64), scale.astype(np.float64)
    if X.shape[1] <= MAX_GRAM:
        gram, rows = np.zeros((X.shape[1], X.shape[1])), max(16, CHUNK // X.shape[1])
        for start in range(0, X.shape[0], rows):
            block = _standardised(X, slice(start, start + rows), offset, scale)
            gram += (block.T * p[start : start + rows]) @ block
        return float(np.linalg.eigvalsh(gram)[-1])
    v = np.random.RandomState(0).normal(size=X.shape[1])  # a fixed start, not the fit's random state
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(n_iter):
        u = v / scale  # x~ . v = x . (v / s) - offset . (v / s)
        projections = np.asarray(X @ u).ravel() - offset @ u
        projections *= p
        w = (np.asarray(X.T @ projections).ravel() - offset * projections.sum()) / scale
        previous, estimate = estimate, float(np.linalg.norm(w))
        if estimate == 0:
            return 0.0
        v = w / estimate
        if abs(estimate - previous) <= rtol * estimate:
            break
    return estimate


def largest_row_norm(X, offset, scale):
    """``max_i ||x~_i||^2`` over the standardised rows, a chunk of rows at a time (see :data:`CHUNK`)."""
    offset, scale = offset.astype(np.float64), scale.astype(np.float64)
    largest, rows = 0.0, max(16, CHUNK // X.shape[1])
    for start in range(0, X.shape[0], rows):
        block = _standardised(X, slice(start, start + rows), offset, scale)
        largest = max(largest, float(np.einsum("ij,ij->i", block, block).max()))
    return largest


def lipschitz_bound(X, sample_weight, offset, scale, curvature, weight_decay, batch_size):
    """``L(b)`` of the module docstring: the smoothness of a linear model's mini-batch objective.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    sample_weight : ndarray of shape (n_samples,) or None
    offset, scale : ndarray of shape (n_features,)
        The standardised coordinates (``mu`` and ``s``).
    curvature : float
        The loss's curvature bound ``c``.
    weight_decay : float
        ``lambda``.
    batch_size : int
        Rows per step ``b`` (``n_samples`` for full-batch descent).

    Returns
    -------
    float

    Examples
    --------
    Two raw features on scales 100,000 apart, one a noisy copy of the other:
    standardised, their covariance has eigenvalues near 2 and 0, so the
    full-batch squared error has ``L`` near 2 whatever the raw scales.

    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> x = rng.normal(size=1000)
    >>> X = np.column_stack([100.0 * x + 5.0, 0.001 * (x + 0.1 * rng.normal(size=1000))])
    >>> mu, s = X.mean(axis=0), X.std(axis=0)
    >>> round(lipschitz_bound(X, None, mu, s, curvature=1.0, weight_decay=0.0, batch_size=1000), 2)
    2.0
    """
    n_samples = X.shape[0]
    weights = np.ones(n_samples) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    decay = float(np.max(weight_decay / np.square(scale.astype(np.float64))))
    full = curvature * max(largest_eigenvalue(X, weights, offset, scale), 1.0) + decay
    b = min(batch_size, n_samples)
    if b == n_samples:
        return full
    single = curvature * (largest_row_norm(X, offset, scale) + 1.0) + decay
    return (n_samples * (b - 1) * full + (n_samples - b) * single) / (b * (n_samples - 1))
