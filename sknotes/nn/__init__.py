"""The backprop core: activations, losses, layers, a network, optimizers, learning-rate schedules, a gradient check.

It depends on NumPy and SciPy only, and every estimator of sknotes is a
configuration of :class:`Network` trained by :mod:`sknotes._training`.
"""

from .activations import ACTIVATIONS, HIDDEN_ACTIVATIONS, Activation
from .gradcheck import check_gradient, numerical_gradient
from .layers import Dense, Dropout
from .losses import LOSSES, Loss, weighted_loss
from .network import Network
from .optimizers import OPTIMIZERS, SGD, Adam, RMSProp
from .schedules import SCHEDULES

__all__ = [
    "ACTIVATIONS",
    "HIDDEN_ACTIVATIONS",
    "LOSSES",
    "OPTIMIZERS",
    "SCHEDULES",
    "Activation",
    "Adam",
    "Dense",
    "Dropout",
    "Loss",
    "Network",
    "RMSProp",
    "SGD",
    "check_gradient",
    "numerical_gradient",
    "weighted_loss",
]
