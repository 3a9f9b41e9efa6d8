"""Learning-rate schedules: the factor the step size is multiplied by at each epoch.

A schedule is a small object: the constructor takes hyperparameters only,
and ``factor(clock)`` is the number the base step ``eta`` (a numeric
``learning_rate``, or the step ``'auto'`` stands for) is multiplied by
during the epoch that starts at ``clock``. The :class:`Clock` says where the
schedule stands: epochs run, samples seen, divisions of the rate made by
'adaptive'. It is part of the training state, as a plain tuple
(``partial_fit`` continues a schedule where it stopped, through pickling
too), and a schedule keeps no state of its own. The training loop
(``sknotes._training.train``) is the one place that applies the factor;
``stall(clock, rate)`` tells it what a stall of the objective (no
improvement by ``tol`` for more than ``n_iter_no_change`` epochs) means:
stop (``None``), or go on with another clock ('adaptive').

With ``t`` the samples seen before the epoch, ``e`` the epochs run before
it (both from 0), ``W`` the warm-up and ``T`` the horizon (``max_iter``):

======================  ==========================================================================
'constant'              ``1``
'invscaling'            ``1 / (t + 1)^power_t`` (scikit-learn's MLP: ``t`` counts samples)
'adaptive'              ``5^-k`` after ``k`` stalls; a stall at a rate <= 1e-6 stops training
'cosine'                ``(e + 1) / W`` for ``e < W``, then ``(1 + cos(pi (e - W) / (T - W))) / 2``
======================  ==========================================================================
"""

import math
from typing import NamedTuple

from .settings import Setting


class Clock(NamedTuple):
    """Where a schedule stands: ``epoch`` epochs run and ``seen`` samples seen, ``divisions`` stalls taken.

    Immutable: :meth:`tick` and a schedule's ``stall`` return new clocks.

    Examples
    --------
    >>> Clock().tick(100).tick(100)
    Clock(epoch=2, seen=200, divisions=0)
    """

    epoch: int = 0
    seen: int = 0
    divisions: int = 0

    def tick(self, n_samples):
        """The clock after an epoch over ``n_samples`` rows."""
        return self._replace(epoch=self.epoch + 1, seen=self.seen + n_samples)


class Constant:
    """The same step at every epoch: ``factor = 1``.

    Examples
    --------
    >>> Constant().factor(Clock(epoch=10, seen=1000))
    1.0
    """

    HYPERPARAMETERS = {}
    #: Whether the schedule takes the training's horizon, ``max_iter`` epochs (as :class:`Cosine` does).
    HORIZON = False

    def factor(self, clock):
        return 1.0

    def stall(self, clock, rate):
        """A stall stops training: ``None``."""
        return None


class InvScaling(Constant):
    """Inverse scaling, scikit-learn's ``invscaling``: ``factor = 1 / (t + 1)^power_t``, ``t`` the samples seen.

    As in scikit-learn's MLP (its ``t_``), ``t`` counts the training samples
    seen before the epoch, so the first epoch takes the full step and the
    second ``1 / (n_samples + 1)^power_t`` of it.

    Parameters
    ----------
    power_t : float >= 0, default=0.5

    Examples
    --------
    >>> InvScaling(power_t=0.5).factor(Clock(epoch=1, seen=99))
    0.1
    """

    HYPERPARAMETERS = {
        "power_t": Setting(
            "Exponent of the inverse scaling, ``eta / (t + 1)^power_t``.", low=0.0, high=None, closed="left"
        ),
    }

    def __init__(self, power_t=0.5):
        self.power_t = power_t

    def factor(self, clock):
        return 1.0 / (clock.seen + 1) ** self.power_t


class Adaptive(Constant):
    """scikit-learn's ``adaptive``: the step divided by 5 at each stall, instead of stopping; ``factor = 5^-k``.

    A stall (no improvement by ``tol`` for more than ``n_iter_no_change``
    epochs) at a rate above :data:`MIN_RATE` divides it by :data:`DIVISOR`
    and training goes on; a stall at a rate at or below it stops training.

    Examples
    --------
    >>> schedule = Adaptive()
    >>> clock = schedule.stall(Clock(), rate=0.01)
    >>> schedule.factor(clock), schedule.stall(clock, rate=1e-6)
    (0.2, None)
    """

    #: The rate is divided by this at each stall.
    DIVISOR = 5.0
    #: A stall at a rate at or below this stops training.
    MIN_RATE = 1e-6

    def factor(self, clock):
        return self.DIVISOR**-clock.divisions

    def stall(self, clock, rate):
        """The clock after a stall at ``rate``: one more division, or ``None`` (stop) at a rate <= :data:`MIN_RATE`."""
        return None if rate <= self.MIN_RATE else clock._replace(divisions=clock.divisions + 1)


class Cosine(Constant):
    """Cosine decay with linear warm-up (Loshchilov & Hutter, 2017; Goyal et al., 2017).

    The factor rises linearly over the first ``warmup`` epochs, ``(e + 1) /
    warmup`` at epoch ``e`` (from 0), to 1, then decays as a half cosine
    from 1 towards ``floor`` over the remaining ``max_iter - warmup``
    epochs, ``floor + (1 - floor) (1 + cos(pi (e - warmup) / (max_iter - warmup))) / 2``;
    it is ``floor`` from epoch ``max_iter`` on (more ``partial_fit`` calls
    than ``max_iter``).

    Parameters
    ----------
    max_iter : int >= 1
        The horizon: epochs of warm-up and decay.
    warmup : int in [0, max_iter), default=0
    floor : float in [0, 1), default=0.0

    Examples
    --------
    >>> schedule = Cosine(max_iter=5, warmup=2)
    >>> [round(schedule.factor(Clock(epoch=e)), 3) for e in range(6)]
    [0.5, 1.0, 1.0, 0.75, 0.25, 0.0]
    """

    HYPERPARAMETERS = {
        "warmup": Setting(
            "Epochs over which the rate rises linearly to ``learning_rate`` before it decays.",
            kind="int",
            low=0,
            high=None,
            closed="left",
        ),
    }

    HORIZON = True

    def __init__(self, max_iter, warmup=0, floor=0.0):
        self.max_iter = max_iter
        self.warmup = warmup
        self.floor = floor

    def factor(self, clock):
        e, W, T = clock.epoch, self.warmup, self.max_iter
        if e < W:
            return (e + 1) / W
        if e >= T:
            return self.floor
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * (e - W) / (T - W)))


#: Registry of schedules by name (the estimators' ``learning_rate_schedule``).
SCHEDULES = {"constant": Constant, "invscaling": InvScaling, "adaptive": Adaptive, "cosine": Cosine}
#: The schedules' hyperparameters (power_t, warmup), by name.
SCHEDULE_SETTINGS = {name: s for schedule in SCHEDULES.values() for name, s in schedule.HYPERPARAMETERS.items()}
