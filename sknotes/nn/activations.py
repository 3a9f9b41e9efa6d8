"""Activation functions and their derivatives.

Each activation is a pair of pure functions held in :data:`ACTIVATIONS`:

``forward(Z)``
    the activation ``A = f(Z)``, applied element-wise (row-wise for softmax);
``backward(A, dA)``
    the gradient ``dZ`` of the objective with respect to ``Z``, given the
    gradient ``dA`` with respect to the output and the output ``A`` itself.

Every derivative is written in terms of the *output* ``A``, so the backward
pass needs only the activations cached by the forward pass. All functions
are numerically stable for any finite input and keep the input dtype.
"""

from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit
from scipy.special import softmax as _softmax


class Activation(NamedTuple):
    """An activation: ``forward(Z) -> A`` and ``backward(A, dA) -> dZ``."""

    forward: Callable[[np.ndarray], np.ndarray]
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]


def identity(Z):
    """Return ``Z`` unchanged: f(z) = z."""
    return Z


def identity_backward(A, dA):
    """f'(z) = 1, so dZ = dA."""
    return dA


def relu(Z):
    """Rectified linear unit: f(z) = max(z, 0)."""
    return np.maximum(Z, 0)


def relu_backward(A, dA):
    """f'(z) = 1 where z > 0 (equivalently a > 0), else 0."""
    return np.where(A > 0, dA, 0)


def tanh(Z):
    """Hyperbolic tangent: f(z) = tanh(z)."""
    return np.tanh(Z)


def tanh_backward(A, dA):
    """f'(z) = 1 - tanh(z)^2 = 1 - a^2."""
    return dA * (1 - A * A)


def sigmoid(Z):
    """Logistic sigmoid f(z) = 1 / (1 + exp(-z)), via the stable ``scipy.special.expit``."""
    return expit(Z)


def sigmoid_backward(A, dA):
    """f'(z) = f(z) (1 - f(z)) = a (1 - a)."""
    return dA * A * (1 - A)


def softmax(Z):
    """Row-wise softmax: a_k = exp(z_k) / sum_j exp(z_j) (max-shifted, never overflows)."""
    return _softmax(Z, axis=1)


def softmax_backward(A, dA):
    """Jacobian-vector product of softmax: dz_k = a_k (da_k - sum_j a_j da_j)."""
    return A * (dA - np.sum(A * dA, axis=1, keepdims=True))


#: Registry of activations by name. Parameter validation builds its choices from these keys.
ACTIVATIONS = {
    "identity": Activation(identity, identity_backward),
    "relu": Activation(relu, relu_backward),
    "tanh": Activation(tanh, tanh_backward),
    "sigmoid": Activation(sigmoid, sigmoid_backward),
    "softmax": Activation(softmax, softmax_backward),
}

#: Activations that may be used in hidden layers (softmax is an output activation only).
HIDDEN_ACTIVATIONS = ("identity", "relu", "tanh", "sigmoid")
