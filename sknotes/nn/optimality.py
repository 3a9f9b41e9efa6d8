"""How far a linear least-squares model is from its optimum, exactly.

For the squared error the objective of a linear model is a quadratic in its
parameters ``theta = (W, b)``, so its excess over the minimum is known in
closed form from the gradient ``g`` and the Hessian ``H`` at any point:
``J(theta) - J* = g^T H^+ g / 2`` (``H^+`` the pseudo-inverse: the gradient
of a least-squares objective lies in the range of its Hessian, so the
formula holds even when the features are collinear). It does not depend on
the coordinates training used, nor on how it stopped, so a fit can check
where any solver left it for the price of one pass over ``X`` and a
``(d + 1) x (d + 1)`` solve.
"""

import numpy as np
import scipy.sparse as sp

#: "Far from the optimum", in units of tol: a full-batch fit does not stop by tol while, extrapolated, its
#: objective would still fall by more than this many times tol (the training configuration's
#: ``far``), and a linear least-squares fit that stops this far above its minimum warns.
FAR_FROM_OPTIMUM = 10.0


def least_squares_gap(X, Y, W, b, sample_weight=None, weight_decay=0.0, moments=None):
    """``J(W, b) - min J`` for ``J = sum_i s_i |x_i W + b - y_i|^2 / (2 sum_i s_i) + lambda |W|^2 / 2``.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    W : ndarray of shape (n_features, n_outputs)
    b : ndarray of shape (n_outputs,)
    sample_weight : ndarray of shape (n_samples,), default=None
    weight_decay : float, default=0.0
        ``lambda``, on ``W`` only.
    moments : tuple of ndarray, default=None
        ``(mean, covariance)`` of the weighted rows of ``X``, when they are
        known already: the Hessian then costs nothing, and the gap one pass
        over ``X`` (the gradient) instead of two (the gradient and the Gram
        matrix, ``n_features`` times more work).

    Returns
    -------
    float
        The excess of the objective over its minimum, ``g^T H^+ g / 2``
        summed over the outputs (each output is its own least-squares
        problem with the same Hessian).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0]]); Y = np.array([[1.0], [3.0], [5.0]])
    >>> float(least_squares_gap(X, Y, np.array([[2.0]]), np.array([1.0])))  # the exact fit: no gap
    0.0
    >>> round(float(least_squares_gap(X, Y, np.zeros((1, 1)), np.array([3.0]))), 6)  # J = 8/6, min 0
    1.333333
    """
    X64 = X.astype(np.float64) if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    W, b = np.asarray(W, dtype=np.float64), np.asarray(b, dtype=np.float64)
    w = np.ones(X64.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    w = w / w.sum()
    R = X64 @ W + b - Y  # residuals
    wR = R * w[:, None]
    grad = np.vstack([X64.T @ wR + weight_decay * W, wR.sum(axis=0)])  # (d + 1, n_outputs): d/dW, then d/db
    if moments is None:
        wX = X64.multiply(w[:, None]).tocsr() if sp.issparse(X64) else X64 * w[:, None]
        gram = X64.T @ wX
        gram = gram.toarray() if sp.issparse(gram) else gram
        mean = np.asarray(wX.sum(axis=0)).ravel()
    else:  # the second moment about 0 from the covariance: E[x x^T] = C + mu mu^T
        mean, covariance = (np.asarray(m, dtype=np.float64) for m in moments)
        gram = covariance + np.outer(mean, mean)
    d = X64.shape[1]
    H = np.empty((d + 1, d + 1))
    H[:d, :d] = gram + weight_decay * np.eye(d)
    H[:d, d] = H[d, :d] = mean
    H[d, d] = 1.0
    step = np.linalg.lstsq(H, grad, rcond=None)[0]  # H^+ g
    return max(0.5 * float(np.sum(grad * step)), 0.0)
