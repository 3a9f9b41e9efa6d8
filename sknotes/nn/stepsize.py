"""The ``'auto'`` step size of gradient descent on a linear model: ``1 / L``.

For a network with no hidden layer, the objective's gradient is
``L``-Lipschitz with an ``L`` that the data give: the loss's curvature
bound ``c`` (:class:`~sknotes.nn.losses.Loss`) times the largest eigenvalue
of the inputs' second-moment matrix, plus the L2 term. A gradient step of
``1 / L`` can then never overshoot, on raw or scaled features alike. This is
how scikit-learn's SAG solver picks its step.

Everything is computed in the coordinates the network trains in (see
:mod:`sknotes.nn.coordinates`): inputs ``a = [((x - mu) / s) M, 1]``, the
standardised (or whitened) features and a constant 1 for the bias. With
weights ``p_i = s_i / sum_j s_j``, ``lambda`` the weight decay and
``D = diag(1 / s)``,

    L_full = c lambda_max(sum_i p_i a_i a_i^T) + lambda lambda_max(M^T D^2 M)     (full batch)
    L_max  = c max_i ||a_i||^2 + lambda lambda_max(M^T D^2 M)                     (one sample)

and a mini-batch of ``b`` of the ``n`` rows, drawn without replacement, has
the expected smoothness (Gower et al., 2019, "SGD: general analysis and
improved rates")

    L(b) = n (b - 1) / (b (n - 1)) L_full + (n - b) / (b (n - 1)) L_max,

which runs from ``L_max`` for single samples to ``L_full`` for the full batch.
``lambda_max`` comes from at most ``MAX_ROWS`` evenly spaced rows: exactly
for a few features, by a few power iterations (without forming the matrix) for
many, such as sparse text.
"""

import numpy as np

#: With learning_rate='auto', full-batch 'sgd' on a linear model grows its step by this factor after every step
#: that lowers the objective (and halves it after one that raises it): 1 / L is a bound, often far from tight.
AUTO_STEP_GROWTH = 1.1
#: learning_rate='auto' of the MLPs: the step Adam's authors recommend.
AUTO_STEP = 0.001
#: learning_rate='auto' of 'adam' and 'rmsprop' on a linear model in conditioned coordinates, where the weights are of
#: unit scale: measured on MinMax digits, breast cancer and diabetes (3-fold CV), as accurate as 'sgd' at 'auto'
#: (0.928, 0.953, 0.488 against 0.929, 0.956, 0.489), where 0.001 stopped short (0.887, 0.935).
AUTO_STEP_LINEAR = 0.01
#: The eigenvalue comes from no more than this many rows (evenly spaced).
MAX_ROWS = 10_000
#: Up to this many features it is computed exactly from their Gram matrix, beyond by power iteration.
MAX_GRAM = 100
#: Numbers per chunk when a pass over X needs a float64 temporary (16 KiB: partial_fit on chunks of out-of-core
#: data holds little more than its chunk).
CHUNK = 2048


def _standardised(X, rows, offset, scale, mixing=None):
    """``[((X[rows] - offset) / scale) M, 1]``: the rows in the stored coordinates, and the bias's 1, in float64."""
    block = X[rows]
    block = block.toarray() if hasattr(block, "toarray") else np.array(block, dtype=np.float64)
    block -= offset
    block /= scale
    if mixing is not None:
        block = block @ mixing
    return np.hstack([block, np.ones((block.shape[0], 1))])


def largest_eigenvalue(X, weights, offset, scale, mixing=None, n_iter=50, rtol=1e-3):
    """Top eigenvalue of ``sum_i p_i a_i a_i^T``, ``a = [((x - offset) / scale) M, 1]``, on <= :data:`MAX_ROWS` rows.

    The 1 is the bias's input: when the rows are not centred at ``offset``
    (a constant feature, or the rows of one chunk of a stream), the bias
    and the weights are coupled and the eigenvalue says by how much. With up
    to :data:`MAX_GRAM` features, exactly, from the Gram matrix of the rows
    (``numpy.linalg.eigvalsh``); beyond, by power iteration with products of
    ``X`` and vectors only.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    weights : ndarray of shape (n_samples,)
        Non-negative weights ``p_i`` (normalised here).
    offset, scale : ndarray of shape (n_features,)
    mixing : ndarray of shape (n_features, n_features), default=None
        The input mixing ``M`` (:mod:`sknotes.nn.coordinates`); ``None`` is the identity.
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
    mixing = None if mixing is None else mixing.astype(np.float64)
    d = X.shape[1]
    if d <= MAX_GRAM:
        gram, rows = np.zeros((d + 1, d + 1)), max(16, CHUNK // d)
        for start in range(0, X.shape[0], rows):
            block = _standardised(X, slice(start, start + rows), offset, scale, mixing)
            gram += (block.T * p[start : start + rows]) @ block
        return float(np.linalg.eigvalsh(gram)[-1])
    v = np.random.RandomState(0).normal(size=d + 1)  # a fixed start, not the fit's random state
    v /= np.linalg.norm(v)
    estimate = 0.0
    for _ in range(n_iter):
        u = (v[:d] if mixing is None else mixing @ v[:d]) / scale  # a . v = x . (M v / s) - offset . (M v / s) + v_0
        projections = (np.asarray(X @ u).ravel() - offset @ u + v[d]) * p
        w = (np.asarray(X.T @ projections).ravel() - offset * projections.sum()) / scale
        w = np.append(w if mixing is None else mixing.T @ w, projections.sum())
        previous, estimate = estimate, float(np.linalg.norm(w))
        if estimate == 0:
            return 0.0
        v = w / estimate
        if abs(estimate - previous) <= rtol * estimate:
            break
    return estimate


def largest_row_norm(X, offset, scale, mixing=None):
    """``max_i ||a_i||^2`` over the rows in the stored coordinates (with the bias's 1), a chunk of rows at a time."""
    offset, scale = offset.astype(np.float64), scale.astype(np.float64)
    mixing = None if mixing is None else mixing.astype(np.float64)
    largest, rows = 0.0, max(16, CHUNK // X.shape[1])
    for start in range(0, X.shape[0], rows):
        block = _standardised(X, slice(start, start + rows), offset, scale, mixing)
        largest = max(largest, float(np.einsum("ij,ij->i", block, block).max()))
    return largest


def lipschitz_bound(X, sample_weight, offset, scale, curvature, weight_decay, batch_size, mixing=None):
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
    mixing : ndarray of shape (n_features, n_features), default=None
        The input mixing ``M`` of whitened coordinates.

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
    inverse_scale = 1.0 / scale.astype(np.float64)
    if mixing is None:  # the L2 term's curvature in V: lambda M^T diag(1 / s^2) M
        decay = float(np.max(weight_decay * np.square(inverse_scale)))
    else:
        scaled = mixing.astype(np.float64) * inverse_scale[:, None]
        decay = float(weight_decay * np.linalg.eigvalsh(scaled.T @ scaled)[-1])
    full = curvature * largest_eigenvalue(X, weights, offset, scale, mixing) + decay
    b = min(batch_size, n_samples)
    if b == n_samples:
        return full
    single = curvature * largest_row_norm(X, offset, scale, mixing) + decay
    return (n_samples * (b - 1) * full + (n_samples - b) * single) / (b * (n_samples - 1))
