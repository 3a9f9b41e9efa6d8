"""Finite-difference gradient check: the test every backward pass must pass."""

import numpy as np


def numerical_gradient(f, theta, eps=1e-6):
    """Central-difference estimate of the gradient of a scalar function.

    ``g_j ~ (f(theta + eps e_j) - f(theta - eps e_j)) / (2 eps)``, one pair of
    evaluations per coordinate, in float64.

    Parameters
    ----------
    f : callable
        ``f(theta) -> float``, or ``-> (float, anything)`` (the extra value is ignored).
    theta : ndarray of shape (n_params,)
    eps : float, default=1e-6

    Returns
    -------
    ndarray of shape (n_params,)
    """
    theta = np.array(theta, dtype=np.float64)
    value = _value(f)
    grad = np.empty_like(theta)
    for j in range(theta.size):
        old = theta[j]
        theta[j] = old + eps
        up = value(theta)
        theta[j] = old - eps
        down = value(theta)
        theta[j] = old
        grad[j] = (up - down) / (2 * eps)
    return grad


def check_gradient(f, theta, eps=1e-6):
    """Relative error between an analytic gradient and its finite-difference estimate.

    Parameters
    ----------
    f : callable
        ``f(theta) -> (value, gradient)``, as :meth:`sknotes.nn.Network.objective` gives.
    theta : ndarray of shape (n_params,)
    eps : float, default=1e-6

    Returns
    -------
    float
        ``||g - g_num|| / max(||g|| + ||g_num||, tiny)``: about 1e-9 or smaller
        for a correct float64 gradient of a smooth function.

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda t: (float(np.sum(t ** 3)), 3 * t ** 2)
    >>> check_gradient(f, np.array([1.0, -2.0, 0.5])) < 1e-8
    True
    """
    theta = np.asarray(theta, dtype=np.float64)
    _, analytic = f(theta.copy())
    numeric = numerical_gradient(f, theta, eps)
    denom = max(np.linalg.norm(analytic) + np.linalg.norm(numeric), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(analytic - numeric) / denom)


def _value(f):
    def value(theta):
        out = f(theta)
        return float(out[0] if isinstance(out, tuple) else out)

    return value
