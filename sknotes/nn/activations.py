"""Activation functions and their derivatives.

Each activation is a pair of functions held in :data:`ACTIVATIONS`:

``forward(Z, out=None)``
    the activation ``A = f(Z)``, applied element-wise (row-wise for softmax);
``backward(A, dA, out=None)``
    the gradient ``dZ`` of the objective with respect to ``Z``, given the
    gradient ``dA`` with respect to the output and the output ``A`` itself.

Every derivative is written in terms of the *output* ``A``, so the backward
pass needs only the activations cached by the forward pass. All functions
are numerically stable for any finite input and keep the input dtype.

Without ``out`` they return new arrays. The network passes ``out=Z`` (or
``out=dA``) for temporaries it owns, so a training step allocates no more
arrays than it needs; ``identity`` returns its input as it is.
"""

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit
from scipy.special import softmax as _softmax


class Activation(NamedTuple):
    """An activation: ``forward(Z) -> A``, ``backward(A, dA) -> dZ``, and two facts about it.

    ``init_factor`` is the numerator of Glorot's initialisation bound for a
    layer followed by this activation, ``sqrt(init_factor / (n_in + n_out))``
    (6, and 2 for the sigmoid, as scikit-learn uses); ``hidden`` says whether
    it may be used in hidden layers (softmax is an output activation only).
    """

    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    init_factor: float = 6.0
    hidden: bool = True


def identity(Z, out=None):
    """Return ``Z`` itself: f(z) = z."""
    return Z


def identity_backward(A, dA, out=None):
    """f'(z) = 1, so dZ = dA."""
    return dA


def relu(Z, out=None):
    """Rectified linear unit: f(z) = max(z, 0)."""
    return np.maximum(Z, 0, out=out)


def relu_backward(A, dA, out=None):
    """f'(z) = 1 where z > 0 (equivalently a > 0), else 0."""
    return np.multiply(dA, A > 0, out=out)


def tanh(Z, out=None):
    """Hyperbolic tangent: f(z) = tanh(z)."""
    return np.tanh(Z, out=out)


def tanh_backward(A, dA, out=None):
    """f'(z) = 1 - tanh(z)^2 = 1 - a^2."""
    slope = A * A
    np.subtract(1, slope, out=slope)
    return np.multiply(dA, slope, out=out)


def sigmoid(Z, out=None):
    """Logistic sigmoid f(z) = 1 / (1 + exp(-z)), via the stable ``scipy.special.expit``."""
    return expit(Z, out=out)


def sigmoid_backward(A, dA, out=None):
    """f'(z) = f(z) (1 - f(z)) = a (1 - a)."""
    slope = 1 - A
    slope *= A
    return np.multiply(dA, slope, out=out)


def softmax(Z, out=None):
    """Row-wise softmax: a_k = exp(z_k) / sum_j exp(z_j) (max-shifted, never overflows)."""
    A = _softmax(Z, axis=1)
    if out is None:
        return A
    out[...] = A
    return out


def softmax_backward(A, dA, out=None):
    """Jacobian-vector product of softmax: dz_k = a_k (da_k - sum_j a_j da_j)."""
    centred = dA - np.sum(A * dA, axis=1, keepdims=True)
    return np.multiply(A, centred, out=out)


def exp(Z, out=None):
    """a = exp(z): the output activation of the Poisson loss (outputs are log-means)."""
    return np.exp(Z, out=out)


def exp_backward(A, dA, out=None):
    """f'(z) = exp(z) = a."""
    return np.multiply(dA, A, out=out)


#: Registry of activations by name. Parameter validation builds its choices from these keys.
ACTIVATIONS = {
    "identity": Activation(identity, identity_backward),
    "relu": Activation(relu, relu_backward),
    "tanh": Activation(tanh, tanh_backward),
    "sigmoid": Activation(sigmoid, sigmoid_backward, init_factor=2.0),
    "softmax": Activation(softmax, softmax_backward, hidden=False),
    "exp": Activation(exp, exp_backward, hidden=False),
}

#: Activations that may be used in hidden layers (softmax and exp are output activations only).
HIDDEN_ACTIVATIONS = tuple(name for name, activation in ACTIVATIONS.items() if activation.hidden)

#: Other names of activations: 'logistic' is scikit-learn's name for the sigmoid.
ALIASES = {"logistic": "sigmoid"}
