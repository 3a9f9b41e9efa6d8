"""Gradient-based update rules, from the simplest to the most elaborate.

An optimizer is a small object: the constructor takes hyperparameters only,
and ``step(params, grad)`` updates the flat parameter array ``params`` in
place from the gradient ``grad`` of the objective. State (velocities, moment
estimates, the step count) is created on the first step, kept on the object
and pickles with it, so training can resume exactly where it stopped.
``learning_rate`` is a plain attribute and may be changed between steps.
Every update works in place; each optimizer keeps one work array for its
temporaries, which is not state and is left out of pickles and copies.

Each optimizer declares what it is made of, for the estimators to read:
``HYPERPARAMETERS`` (besides the learning rate), which the estimators take
from their own parameters of the same names (:class:`~sknotes.nn.settings.Setting`),
``STATE``, what a step changes, and ``STATE_KINDS``, what each array of the state
is (a point, a step, a gradient, a squared gradient, an objective value), so
that :meth:`~sknotes.nn.Network.recoordinate` can carry it to other coordinates.
"""

import numpy as np

from .settings import DECAY, POSITIVE, Setting

_EPSILON = Setting("Constant added to a root mean square before dividing by it.", **POSITIVE)


class _Workspace:
    """A work array for the temporaries of a step: not state, so it is left out of pickles and copies."""

    _work = None

    def __getstate__(self):
        return {**self.__dict__, "_work": None}

    def _work_like(self, params):
        work = self._work
        if work is None or work.shape != params.shape or work.dtype != params.dtype:
            work = self._work = np.empty_like(params)
        return work


class SGD(_Workspace):
    """(Mini-batch) gradient descent, optionally with momentum or Nesterov momentum.

    Plain: ``theta <- theta - eta g``. With momentum ``mu``, a velocity
    accumulates past steps, ``v <- mu v - eta g`` and ``theta <- theta + v``;
    Nesterov's variant applies the velocity before the gradient step,
    ``theta <- theta + mu v - eta g``. Weight decay needs nothing extra: it is
    part of ``g`` (``lambda W``), which gives the notes' ``(1 - eta lambda) W``
    shrinkage.

    Given the objective at every step (full-batch descent, where successive
    values compare the same function), two more rules apply:

    * momentum overshoots along the steep directions of the objective and
      makes it oscillate, so the velocity restarts from zero whenever the
      objective went up since the previous step (O'Donoghue & Candes, 2015,
      "Adaptive restart for accelerated gradient schemes"): the method keeps
      the speed of momentum and loses the oscillation;
    * with ``grow > 1``, the step adapts to the objective's curvature along
      the way (the "bold driver" of Vogl et al., 1988): ``grow`` times
      larger after a step that lowered the objective; a step that raised it
      is taken back, and the next one is half as large.

    Parameters
    ----------
    learning_rate : float
        Step size ``eta`` (the first one, with ``grow > 1``).
    momentum : float in [0, 1), default=0.0
    nesterov : bool, default=False
    restart : bool, default=True
        Restart the velocity when the objective rises.
    grow : float >= 1, default=1.0
        Growth of the step after a step that lowered the objective (1: a
        constant step).

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.array([1.0, -2.0])
    >>> SGD(learning_rate=0.1).step(theta, np.array([1.0, 1.0]))
    >>> theta
    array([ 0.9, -2.1])
    """

    HYPERPARAMETERS = {
        "momentum": Setting("Momentum ``mu``: the share of the last step kept in the next.", **DECAY),
        "nesterov": Setting("Nesterov's momentum: the velocity applied before the gradient is taken.", "bool"),
    }
    #: What a step changes: the attributes to save and restore to go back to a previous step.
    STATE = ("velocity", "t", "previous_loss", "learning_rate", "accepted")
    STATE_KINDS = {"velocity": "step", "accepted": "point", "previous_loss": "loss"}

    def __init__(self, learning_rate, momentum=0.0, nesterov=False, restart=True, grow=1.0):
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.nesterov = nesterov
        self.restart = restart
        self.grow = grow
        self.velocity = None
        self.t = 0
        self.previous_loss = None
        self.accepted = None  # with grow > 1: the parameters of the last step that lowered the objective

    def step(self, params, grad, loss=None):
        """Update ``params`` in place; ``loss``, the objective at ``params``, drives restarts and step growth.

        ``loss=None`` (mini-batches, whose objectives are not comparable) skips both. Returns False when
        the step was taken back instead (``params`` are then those of the last step that lowered ``loss``).
        """
        self.t += 1
        if loss is not None and self.previous_loss is not None:
            # a rise beyond round-off in the parameters' precision (float32 sums lose ~1e-7 of J)
            rose = loss > self.previous_loss + 16 * np.finfo(params.dtype).eps * abs(self.previous_loss)
            if rose and self.restart and self.velocity is not None:
                self.velocity[...] = 0
            if self.grow > 1:
                self.learning_rate *= 0.5 if rose else self.grow
                if rose:  # take the step back; the next call computes the gradient there again
                    params[...] = self.accepted
                    return False
        self.previous_loss = loss
        if self.grow > 1 and loss is not None:
            self.accepted = (
                params.copy() if self.accepted is None else np.copyto(self.accepted, params) or self.accepted
            )
        step = np.multiply(grad, params.dtype.type(self.learning_rate), out=self._work_like(params))  # eta g
        if self.momentum == 0:
            params -= step
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        mu = params.dtype.type(self.momentum)
        self.velocity *= mu  # v <- mu v - eta g
        self.velocity -= step
        if self.nesterov:  # theta <- theta + mu v - eta g
            params -= step
            params += np.multiply(self.velocity, mu, out=step)
        else:
            params += self.velocity


class RMSProp(_Workspace):
    """RMSProp: each weight's step divided by a running root mean square of its gradients.

    ``v <- rho v + (1 - rho) g^2`` and ``theta <- theta - eta g / (sqrt(v) + epsilon)``
    (Tieleman & Hinton, 2012): the step between momentum, which smooths the
    direction, and Adam, which does both. Weights with large gradients take
    smaller steps, weights with small ones larger steps.

    Parameters
    ----------
    learning_rate : float
    rho : float in [0, 1), default=0.9
        Decay rate of the running mean of squared gradients.
    epsilon : float > 0, default=1e-8

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.zeros(2)
    >>> RMSProp(learning_rate=0.01).step(theta, np.array([3.0, -0.5]))
    >>> np.round(theta, 4)  # the first step is eta / sqrt(1 - rho) whatever the gradient's scale
    array([-0.0316,  0.0316])
    """

    HYPERPARAMETERS = {
        "rho": Setting("Decay rate of the running mean of squared gradients.", **DECAY),
        "epsilon": _EPSILON,
    }
    #: What a step changes: the attributes to save and restore to go back to a previous step.
    STATE = ("v", "t")
    STATE_KINDS = {"v": "squared_gradient"}

    def __init__(self, learning_rate, rho=0.9, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.rho = rho
        self.epsilon = epsilon
        self.v = None
        self.t = 0

    def step(self, params, grad, loss=None):
        """Update ``params`` in place (``loss`` is not used)."""
        if self.v is None:
            self.v = np.zeros_like(params)
        self.t += 1
        dtype, v, work = params.dtype.type, self.v, self._work_like(params)
        v *= dtype(self.rho)  # v <- rho v + (1 - rho) g^2
        v += np.multiply(np.square(grad, out=work), dtype(1 - self.rho), out=work)
        step = np.sqrt(v, out=work)  # step = eta g / (sqrt(v) + epsilon)
        step += dtype(self.epsilon)
        np.divide(grad, step, out=step)
        step *= dtype(self.learning_rate)
        params -= step


class Adam(_Workspace):
    """Adam: steps scaled by running estimates of the gradient's first and second moments.

    ``m <- beta_1 m + (1 - beta_1) g``, ``v <- beta_2 v + (1 - beta_2) g^2``,
    ``theta <- theta - eta_t m / (sqrt(v) + epsilon)`` with the bias-corrected
    step ``eta_t = eta sqrt(1 - beta_2^t) / (1 - beta_1^t)`` (Kingma & Ba, 2014).

    Parameters
    ----------
    learning_rate : float
    beta_1 : float in [0, 1), default=0.9
    beta_2 : float in [0, 1), default=0.999
    epsilon : float > 0, default=1e-8

    Examples
    --------
    >>> import numpy as np
    >>> theta = np.zeros(2)
    >>> Adam(learning_rate=0.01).step(theta, np.array([3.0, -0.5]))
    >>> np.round(theta, 6)  # the first step has size ~learning_rate whatever the gradient's scale
    array([-0.01,  0.01])
    """

    HYPERPARAMETERS = {
        "beta_1": Setting("Decay rate of the running mean of gradients.", **DECAY),
        "beta_2": Setting("Decay rate of the running mean of squared gradients.", **DECAY),
        "epsilon": _EPSILON,
    }
    #: What a step changes: the attributes to save and restore to go back to a previous step.
    STATE = ("m", "v", "t")
    STATE_KINDS = {"m": "gradient", "v": "squared_gradient"}

    def __init__(self, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.learning_rate = learning_rate
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.m = self.v = None
        self.t = 0

    def step(self, params, grad, loss=None):
        """Update ``params`` in place (``loss`` is not used: Adam's steps adapt by themselves)."""
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
        self.t += 1
        dtype, m, v, work = params.dtype.type, self.m, self.v, self._work_like(params)
        m *= dtype(self.beta_1)  # m <- beta_1 m + (1 - beta_1) g
        m += np.multiply(grad, dtype(1 - self.beta_1), out=work)
        v *= dtype(self.beta_2)  # v <- beta_2 v + (1 - beta_2) g^2
        grad_sq = np.square(grad, out=work)
        v += np.multiply(grad_sq, dtype(1 - self.beta_2), out=work)
        lr_t = self.learning_rate * np.sqrt(1 - self.beta_2**self.t) / (1 - self.beta_1**self.t)
        step = np.sqrt(v, out=work)  # step = lr_t m / (sqrt(v) + epsilon)
        step += dtype(self.epsilon)
        np.divide(m, step, out=step)
        step *= dtype(lr_t)
        params -= step


#: Registry of optimizers by solver name ('lbfgs' is handled by scipy.optimize in the training loop).
OPTIMIZERS = {"sgd": SGD, "rmsprop": RMSProp, "adam": Adam}
#: The optimizers' hyperparameters, by name (several optimizers may share one, like epsilon).
OPTIMIZER_SETTINGS = {name: s for optimizer in OPTIMIZERS.values() for name, s in optimizer.HYPERPARAMETERS.items()}
