"""The cost functions of the notes, on raw network outputs.

Each loss is a pure function ``loss(Y, Z, **params) -> (per_sample, dZ)`` of
the targets ``Y`` and the *raw* output scores ``Z`` (both of shape
``(n_samples, n_outputs)``). It returns the loss of every sample, summed over
outputs, and its gradient with respect to ``Z``. A loss is paired with the
output activation it is written for (:data:`LOSSES`), and the two are fused:
the cross-entropies are computed from logits with ``log_softmax`` /
``logaddexp``, never as ``log`` of a probability, so they cannot overflow or
return NaN, and their gradients are simply ``prediction - target``.

:func:`weighted_loss` turns per-sample values into the weighted mean that the
objective uses, ``sum_i s_i l_i / sum_i s_i``, and scales the gradient to match.

========================  ======================  ===================================
name                      output activation       per-sample loss, r = z - y
========================  ======================  ===================================
squared_error             identity                1/2 r^2
absolute_error            identity                abs(r)
huber                     identity                1/2 r^2 if abs(r) <= delta,
                                                  else delta (abs(r) - delta / 2)
binary_crossentropy       sigmoid                 -y log p - (1 - y) log(1 - p),
                                                  p = sigmoid(z)
categorical_crossentropy  softmax                 -sum_k y_k log p_k, p = softmax(z)
hinge                     identity                max(0, 1 - t z), t = 2 y - 1
poisson                   exp                     y log(y / mu) - y + mu, mu = exp(z)
                                                  (half the Poisson deviance)
========================  ======================  ===================================
"""

from functools import partial
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit, xlogy

from .settings import POSITIVE, Setting

#: exp() of arguments below this gives subnormal numbers (or 0), slow to compute and of no consequence: see _exp.
EXP_FLOOR = -700.0


class Loss(NamedTuple):
    """A loss function and what it declares: its output activation, targets, curvature bound and parameters.

    ``targets`` says what it compares the outputs with: 'values' (the
    regressors' losses) or 'labels' (0/1 indicators or one-hot rows).
    ``parameters`` are the function's keyword arguments beyond ``Y`` and
    ``Z``, which the estimators take from their own parameters of the same
    names (:class:`~sknotes.nn.settings.Setting`), like Huber's ``delta``.

    ``curvature`` bounds the second derivative of the per-sample loss with
    respect to the raw outputs (the largest eigenvalue of its Hessian): 1 for
    the squared error and Huber, 1/4 for the sigmoid cross-entropy
    (``p (1 - p) <= 1/4``), 1/2 for the softmax cross-entropy
    (``diag(p) - p p^T``). For the absolute error and the hinge, which have
    no second derivative at the kink, it is 1, the scale of their gradients.
    It sets the ``'auto'`` step size of the linear models.

    ``smooth`` is False for those two: their function then takes a
    ``smoothing`` parameter ``mu`` that turns it into a differentiable loss
    within ``mu / 2`` of it, of curvature ``1 / mu``, which the solvers that
    need a gradient everywhere minimise for smaller and smaller ``mu``
    (``sknotes._training.train_smoothed``).

    ``domain`` is that of the targets: 'real', or 'non-negative' (counts,
    for the Poisson loss). ``link`` maps a mean target to the raw output
    that predicts it (the inverse of the output activation; None for the
    identity): ``log`` for the Poisson loss, whose outputs are log-means.
    Its curvature ``mu = exp(z)`` has no bound; ``curvature`` is then a
    function of the raw output, and the ``'auto'`` step takes it where a
    model that predicts the mean target starts (:meth:`curvature_at`).
    """

    function: Callable
    out_activation: str
    targets: str
    curvature: object = 1.0
    parameters: dict = {}
    smooth: bool = True
    domain: str = "real"
    link: Callable = None

    def curvature_at(self, z):
        """The curvature bound at the raw outputs ``z`` (the largest over outputs): ``curvature`` or its value."""
        return float(np.max(self.curvature(np.asarray(z, np.float64)))) if callable(self.curvature) else self.curvature


def squared_error(Y, Z):
    """1/2 (z - y)^2 per output; gradient z - y."""
    R = Z - Y
    return 0.5 * np.einsum("ij,ij->i", R, R), R


def absolute_error(Y, Z, smoothing=0.0):
    """abs(z - y) per output; (sub)gradient sign(z - y).

    With ``smoothing = mu > 0``, its smoothed version (Nesterov, 2005),
    within ``mu / 2`` of it everywhere: ``r^2 / (2 mu)`` for ``|r| <= mu``,
    ``|r| - mu / 2`` beyond; gradient ``clip(r / mu, -1, 1)``.
    """
    R = Z - Y
    if smoothing:
        absR = np.abs(R)
        per_output = np.where(absR <= smoothing, 0.5 * R * R / smoothing, absR - 0.5 * smoothing)
        return per_output.sum(axis=1), np.clip(R / Z.dtype.type(smoothing), -1, 1)
    return np.abs(R).sum(axis=1), np.sign(R)


def huber(Y, Z, delta=1.0):
    """Quadratic within ``delta`` of the target, linear beyond; gradient clip(z - y, -delta, delta)."""
    R = Z - Y
    absR = np.abs(R)
    quadratic = absR <= delta
    per_output = np.where(quadratic, 0.5 * R * R, delta * (absR - 0.5 * delta))
    return per_output.sum(axis=1), np.clip(R, -delta, delta)


def _exp(A, out=None):
    """``exp(A)`` with arguments below :data:`EXP_FLOOR` raised to it.

    Below about -708, ``exp`` underflows into subnormal numbers (and then 0),
    which the CPU computes several times slower. Those values (under 1e-304)
    change nothing in a probability or a gradient, so the floor costs no
    accuracy and keeps a confident model's steps as fast as the first ones.
    """
    out = np.maximum(A, A.dtype.type(EXP_FLOOR), out=out)
    return np.exp(out, out=out)


def binary_crossentropy(Y, Z):
    """Cross-entropy of sigmoid(z) against y in [0, 1]; gradient sigmoid(z) - y.

    -y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)) = log(1 + exp(z)) - y z,
    computed with ``logaddexp`` so large ``abs(z)`` neither overflows nor loses
    the loss to rounding.
    """
    per_output = np.logaddexp(0, Z) - Y * Z
    P = np.maximum(Z, Z.dtype.type(EXP_FLOOR))
    return per_output.sum(axis=1), np.subtract(expit(P, out=P), Y, out=P)


def _log_softmax_and_softmax(Z):
    """``log softmax(z)`` and ``softmax(z)`` row by row, from one ``exp``; both of shape (n_samples, n_classes).

    ``log p = z - max(z) - log(sum(exp(z - max(z))))``, never overflowing.
    Numerically this is ``scipy.special.log_softmax(Z, axis=1)``; it works on
    class-major copies, where the reductions over the classes run along
    contiguous rows of length n_samples (NumPy reduces a few classes per
    sample several times slower). The results are transposed
    (Fortran-ordered) arrays.
    """
    log_p = np.ascontiguousarray(Z.T)  # (n_classes, n_samples)
    log_p -= log_p.max(axis=0)
    p = _exp(log_p)
    total = p.sum(axis=0)
    p /= total
    log_p -= np.log(total)
    return log_p.T, p.T


def log_softmax(Z):
    """Row-wise ``log softmax(z) = z - max(z) - log(sum(exp(z - max(z))))``, shape (n_samples, n_classes)."""
    return _log_softmax_and_softmax(Z)[0]


def categorical_crossentropy(Y, Z):
    """Cross-entropy of softmax(z) against one-hot (or soft) rows y; gradient softmax(z) - y."""
    log_p, p = _log_softmax_and_softmax(Z)
    return -np.einsum("ij,ij->i", Y, log_p), np.subtract(p, Y, out=p)


def hinge(Y, Z, smoothing=0.0):
    """max(0, 1 - t z) with t = 2 y - 1 in {-1, +1}; subgradient -t where t z < 1, else 0.

    With ``smoothing = mu > 0``, its smoothed version, within ``mu / 2`` of
    it everywhere: with the margin violation ``m = 1 - t z``, 0 for
    ``m <= 0``, ``m^2 / (2 mu)`` for ``0 < m < mu``, ``m - mu / 2`` beyond;
    gradient ``-t clip(m / mu, 0, 1)``.
    """
    T = 2 * Y - 1
    margin = 1 - T * Z
    if smoothing:
        per_output = np.where(
            margin >= smoothing, margin - 0.5 * smoothing, 0.5 * np.square(np.maximum(margin, 0)) / smoothing
        )
        return per_output.sum(axis=1), (-T * np.clip(margin / smoothing, 0, 1)).astype(Z.dtype)
    active = margin > 0
    return np.where(active, margin, 0).sum(axis=1), np.where(active, -T, 0).astype(Z.dtype)


def poisson(Y, Z):
    """Half the Poisson deviance of ``mu = exp(z)`` against counts ``y >= 0``: ``y log(y / mu) - y + mu``.

    Written as ``mu - y z + (y log y - y)``, it is 0 where ``mu = y`` (the
    term in parentheses is 0 for ``y = 0``); gradient ``mu - y``. The mean
    over the rows is the objective of scikit-learn's ``PoissonRegressor``
    (``1 / (2 n) sum_i deviance_i``). An output so large that ``mu``
    overflows gives an infinite loss, which training reports as divergence.
    """
    with np.errstate(over="ignore"):
        mu = _exp(np.array(Z, copy=True))
    per_output = mu - Y * Z + (xlogy(Y, Y) - Y)
    return per_output.sum(axis=1), np.subtract(mu, Y, out=mu)


#: Registry of losses by name, each with the output activation it is fused with.
LOSSES = {
    "squared_error": Loss(squared_error, "identity", "values"),
    "absolute_error": Loss(absolute_error, "identity", "values", smooth=False),
    "huber": Loss(
        huber,
        "identity",
        "values",
        parameters={"delta": Setting("Threshold of the Huber loss, in units of y.", **POSITIVE)},
    ),
    "binary_crossentropy": Loss(binary_crossentropy, "sigmoid", "labels", curvature=0.25),
    "categorical_crossentropy": Loss(categorical_crossentropy, "softmax", "labels", curvature=0.5),
    "hinge": Loss(hinge, "identity", "labels", smooth=False),
    "poisson": Loss(poisson, "exp", "values", curvature=np.exp, domain="non-negative", link=np.log),
}

#: The regressors' losses (those of values) and their parameters (like Huber's delta), by name.
REGRESSION_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.targets == "values")
LOSS_SETTINGS = {name: s for loss in REGRESSION_LOSSES for name, s in LOSSES[loss].parameters.items()}


def bind(name, scale=1.0, **parameters):
    """The loss ``name`` of :data:`LOSSES` with its parameters bound, its values and gradients times ``scale``.

    Returns a picklable function ``loss(Y, Z) -> (per_sample, dZ)``.

    Examples
    --------
    >>> import numpy as np
    >>> loss = bind("huber", scale=0.5, delta=2.0)
    >>> loss(np.zeros((1, 1)), np.array([[3.0]]))  # 2 (3 - 2 / 2) = 4, halved
    (array([2.]), array([[1.]]))
    """
    function = partial(LOSSES[name].function, **parameters) if parameters else LOSSES[name].function
    return function if scale == 1.0 else partial(_scaled, function, scale)


def _scaled(function, scale, Y, Z):
    per_sample, dZ = function(Y, Z)
    dZ *= dZ.dtype.type(scale)
    return per_sample * scale, dZ


def weighted_loss(loss, Y, Z, sample_weight=None):
    """Weighted mean loss and its gradient with respect to the raw outputs.

    Parameters
    ----------
    loss : callable
        A loss function from :data:`LOSSES` (parameters such as ``delta``
        already bound, e.g. with ``functools.partial``).
    Y : ndarray of shape (n_samples, n_outputs)
        Targets (one-hot or 0/1 indicators for the classification losses).
    Z : ndarray of shape (n_samples, n_outputs)
        Raw network outputs (before the output activation).
    sample_weight : ndarray of shape (n_samples,), default=None
        Non-negative weights ``s_i``; ``None`` means all ones.

    Returns
    -------
    value : float
        ``sum_i s_i l_i / sum_i s_i``.
    dZ : ndarray of shape (n_samples, n_outputs)
        Its gradient: ``s_i / sum_j s_j * dl_i/dz_i`` for every row.
    """
    per_sample, dZ = loss(Y, Z)  # dZ is a new array: scale it in place
    if sample_weight is None:
        scale = 1.0 / Z.shape[0]
        dZ *= Z.dtype.type(scale)
        return float(per_sample.sum()) * scale, dZ
    w = sample_weight / sample_weight.sum()
    dZ *= w[:, None].astype(Z.dtype, copy=False)
    return float(w @ per_sample), dZ
