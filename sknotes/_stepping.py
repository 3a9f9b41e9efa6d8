"""Step-size policy, in one place: the step each solver takes, how it adapts, and how it carries over.

What sets the size of a step, in the order training meets it:

* **the base step**: a numeric ``learning_rate`` as it is, or the step that
  ``'auto'`` stands for (:meth:`StepPolicy.auto_step`): ``1 / L(b)`` of the
  data for a solver whose step follows the curvature (the plain gradient step
  of 'sgd', :attr:`~sknotes._solvers.Solver.follows_curvature`) on a linear
  model, from :func:`~sknotes.nn.stepsize.lipschitz_bound` in the coordinates
  training uses; :data:`~sknotes.nn.stepsize.AUTO_STEP_LINEAR` or
  :data:`~sknotes.nn.stepsize.AUTO_STEP` otherwise;
* **the adaptation**, with ``'auto'`` only, for such a solver: momentum
  restarts when the full-batch objective rises and, on a linear model with
  the constant schedule, the bold driver grows or takes back the step
  (:class:`~sknotes.nn.optimizers.SGD`'s ``restart`` and ``grow``); between
  ``partial_fit`` calls it carries on only over the same rows
  (:meth:`StepPolicy.between_calls`);
* **the schedule's factor** at every epoch (:mod:`sknotes.nn.schedules`),
  which the training loop applies (:func:`sknotes._training.train`);
* for a loss with a kink, **the smoothing continuation**
  (:meth:`StepPolicy.smoothings`), for the solvers that need a gradient
  everywhere.

A numeric ``learning_rate`` is the plain method, step for step, in ``fit``
as in ``partial_fit``. The constants are formatted into the docstrings from
here and from :mod:`sknotes.nn.stepsize` (:mod:`sknotes._docs`).
"""

import hashlib
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._solvers import SOLVERS, Solver, step_solvers_phrase
from ._validation import caller_stacklevel
from .nn import LOSSES
from .nn.coordinates import Moments, Standardisation
from .nn.schedules import SCHEDULES
from .nn.stepsize import AUTO_STEP, AUTO_STEP_GROWTH, AUTO_STEP_LINEAR, lipschitz_bound


@dataclass(frozen=True)
class StepPolicy:
    """The step-size settings of one call to ``fit`` or ``partial_fit``, read once from the estimator.

    Parameters
    ----------
    solver : Solver
    learning_rate : 'auto' or float
    schedule : str
        A key of :data:`~sknotes.nn.schedules.SCHEDULES`.
    schedule_settings : dict
        The schedule's hyperparameters (``power_t``, ``warmup``).
    hyperparameters : dict
        The optimizer's (``momentum``, ``nesterov``, ``beta_1``...).
    batch_size : int or None
    weight_decay, tol : float
    max_iter : int
    loss : str
        The name of the loss (:data:`~sknotes.nn.LOSSES`): its curvature sets
        ``1 / L``, its kink the continuation.
    """

    solver: Solver
    learning_rate: object
    schedule: str
    schedule_settings: dict
    hyperparameters: dict
    batch_size: int
    weight_decay: float
    tol: float
    max_iter: int
    loss: str

    @classmethod
    def of(cls, est, head=None):
        """The policy of the estimator ``est`` as its parameters now stand, with its bound ``head`` (default: the
        fitted one)."""
        solver = SOLVERS[est.solver]
        optimizer = solver.optimizer
        return cls(
            solver=solver,
            learning_rate=est.learning_rate,
            schedule=est.learning_rate_schedule,
            schedule_settings={
                name: getattr(est, name) for name in SCHEDULES[est.learning_rate_schedule].HYPERPARAMETERS
            },
            hyperparameters={}
            if optimizer is None
            else {name: getattr(est, name) for name in optimizer.HYPERPARAMETERS},
            batch_size=est.batch_size,
            weight_decay=est.weight_decay,
            tol=est.tol,
            max_iter=est.max_iter,
            loss=(head or est._head).loss,
        )

    @property
    def auto(self):
        return self.learning_rate == "auto"

    def full_batch(self, n_samples):
        """Whether every step sees all ``n_samples`` rows."""
        return self.batch_size is None or self.batch_size >= n_samples

    def adapts(self, n_samples):
        """Whether the step adapts to the objective: 'auto', full batches, a solver that follows the curvature and
        the constant schedule (a schedule sets the step itself: the bold driver would grow it back after each
        decrease)."""
        return (
            self.auto and self.solver.follows_curvature and self.full_batch(n_samples) and self.schedule == "constant"
        )

    def make_schedule(self):
        """The learning-rate schedule of :data:`~sknotes.nn.schedules.SCHEDULES`, its horizon ``max_iter``, checked.

        A schedule other than 'constant' warns with a solver that takes no
        steps that it is ignored, as a numeric ``learning_rate`` does.
        """
        Schedule = SCHEDULES[self.schedule]
        warn_if_ignored(self.solver, "learning_rate_schedule", self.schedule, "constant")
        settings = dict(self.schedule_settings)
        if Schedule.HORIZON:
            if settings["warmup"] >= self.max_iter:
                raise ValueError(
                    f"warmup={settings['warmup']} must be smaller than max_iter={self.max_iter} with "
                    f"learning_rate_schedule={self.schedule!r} (the rate warms up, then decays, over max_iter epochs)."
                )
            settings["max_iter"] = self.max_iter
        return Schedule(**settings)

    def between_calls(self, state, X, Y, sample_weight):
        """Before a ``partial_fit`` call: does the step adapted by the calls before carry on?

        Only over the same rows: 'auto' on full batches compares the last
        call's objective with this one's, which means something only on the
        same rows (recognised by a digest, which costs a pass over them, so
        only the policy that reads it pays for it). On other rows the step
        starts again from their own ``1 / L``, and momentum restarts, as on
        a rise of the objective.
        """
        state.same_data = False
        if not (self.auto and self.full_batch(X.shape[0])):
            return
        key = _fingerprint(X, Y, sample_weight) if self.solver.follows_curvature else None
        state.same_data = key is not None and key == state.data_key
        state.data_key = key
        if not state.same_data:
            state.auto_learning_rate = None
            if getattr(state.optimizer, "velocity", None) is not None:
                state.optimizer.velocity[...] = 0

    def optimizer(self, network, X, sample_weight, state, incremental):
        """The solver's optimizer: a new one, or (``partial_fit``) the state's own with the current hyperparameters.

        A step adapted by the calls before carries over to the next
        ``partial_fit`` as the optimizer's other state does.
        """
        if not self.solver.takes_steps:
            return None
        Optimizer = self.solver.optimizer
        settings = dict(self.hyperparameters)
        if self.solver.follows_curvature:
            settings["restart"] = self.auto
            # (the bold driver steps only on full batches, which give it the objective: SGD.step)
            grow = self.auto and self.schedule == "constant" and len(network.layers) == 1
            settings["grow"] = AUTO_STEP_GROWTH if grow else 1.0
        adapted = self.auto and state.auto_learning_rate is not None  # the step 'auto' adapted in the calls before
        learning_rate = self.step_size(network, X, sample_weight, state)
        if incremental and isinstance(state.optimizer, Optimizer):
            for name, value in settings.items():
                setattr(state.optimizer, name, value)
            if not adapted:
                state.optimizer.learning_rate = learning_rate
            return state.optimizer
        return Optimizer(learning_rate=learning_rate, **settings)

    def step_size(self, network, X, sample_weight, state):
        """The learning rate: ``learning_rate``, or the step that ``'auto'`` stands for (:meth:`auto_step`).

        'auto' is computed once per ``fit``, and by ``partial_fit`` at its
        first call and on other rows.
        """
        if not self.auto:
            return self.learning_rate
        if state.auto_learning_rate is None:
            state.auto_learning_rate = self.auto_step(network, X, sample_weight, state.loss_unit)
        return state.auto_learning_rate

    def auto_step(self, network, X, sample_weight, unit):
        """The step ``learning_rate='auto'`` stands for, computed afresh.

        ``1 / L(b)`` for a solver whose step follows the curvature on a linear
        model, from the bound on the gradient's Lipschitz constant of
        :func:`~sknotes.nn.stepsize.lipschitz_bound` in the coordinates
        training uses, times ``1 - momentum`` on mini-batches (whose noise
        momentum accumulates: the steps add up to ``1 / (1 - momentum)`` times
        one), over ``1 + momentum`` with Nesterov's momentum on full batches
        (so that the first step is ``1 / L``). With the other solvers,
        :data:`~sknotes.nn.stepsize.AUTO_STEP_LINEAR` on a linear model in
        conditioned coordinates (whose weights are of unit scale there, so a
        step of 0.001 would need thousands of epochs),
        :data:`~sknotes.nn.stepsize.AUTO_STEP` else.
        """
        linear = len(network.layers) == 1
        if not (self.solver.follows_curvature and linear):
            return AUTO_STEP_LINEAR if linear and network.coordinates is not None else AUTO_STEP
        batch_size = X.shape[0] if self.batch_size is None else self.batch_size
        coords = network.coordinates or Standardisation()
        n_features = X.shape[1]
        offset = np.zeros(n_features) if coords.input_offset is None else coords.input_offset
        scale = np.ones(n_features) if coords.input_scale is None else coords.input_scale
        # the loss's curvature where a model predicting the mean starts (for the Poisson loss: exp of the offset)
        curvature = LOSSES[self.loss].curvature_at(0.0 if coords.output_offset is None else coords.output_offset)
        L = lipschitz_bound(
            X, sample_weight, offset, scale, curvature, self.weight_decay, batch_size, coords.input_mixing
        )
        if coords.output_scale is not None:  # outputs z = t z': the curvature in z' is t^2 times larger
            L *= float(np.max(coords.output_scale.astype(np.float64) ** 2))
        step = unit / L  # training minimises J / unit
        momentum = self.hyperparameters.get("momentum", 0.0)
        if batch_size < X.shape[0]:  # noisy steps: momentum mu multiplies them by 1 / (1 - mu) in the long run
            step *= 1.0 - momentum
        elif self.hyperparameters.get("nesterov"):  # Nesterov's first step is (1 + mu) eta g: make it 1 / L
            step /= 1.0 + momentum
        return step

    def smoothings(self, incremental, validated, n_samples, unit):
        """The smoothings of a kinked loss's continuation (:func:`~sknotes._training.train_smoothed`), or None.

        For a loss with a kink (hinge, absolute error) and a solver that
        relies on gradients being continuous: one that takes no steps
        (L-BFGS), and one whose step adapts to the objective
        (:meth:`adapts`); not ``partial_fit`` (one epoch on the loss itself),
        nor early stopping. ``mu`` runs from the loss's unit down by factors
        of 10 to ``tol`` times it (between 1e-6 and 1e-3 times it), so the
        objective ends within ``mu_last / 2`` of the kinked one's minimum.
        """
        if incremental or validated or LOSSES[self.loss].smooth:
            return None
        if self.solver.takes_steps and not self.adapts(n_samples):
            return None
        last = min(max(self.tol, 1e-6), 1e-3)
        return [unit * 10.0**-k for k in range(int(np.ceil(-np.log10(last) - 1e-9)) + 1)]


def warn_if_ignored(solver, name, value, default):
    """Warn that the step-size setting ``name=value`` means nothing to ``solver``, which takes no steps."""
    if not solver.takes_steps and value != default:
        warnings.warn(
            f"{name}={value!r} is ignored by solver={solver.name!r}, which chooses its own steps; "
            f"leave {name}={default!r}, or use {step_solvers_phrase()}.",
            UserWarning,
            stacklevel=caller_stacklevel(),
        )


def divergence_advice(est, head, state, network, X, Y, sample_weight):
    """What would help a fit that diverged, from what it saw: the step against 'auto''s, the features' scales.

    With the default conditioning, scaling the features changes nothing
    (training is scale-free), so the advice is about the step: how it
    compares with what ``learning_rate='auto'`` gives these data. Without
    conditioning, features on very different scales are named too.
    """
    step = getattr(state.optimizer, "learning_rate", None)
    derived = est._solver.follows_curvature and len(network.layers) == 1  # 'auto' from the data: 1 / L(b)
    if step is None:  # (no optimizer: the solver chooses its own steps)
        advice = [f"Check the data for extreme values ({est.solver!r} chooses its own steps: a smaller "
                  "learning_rate would not help it)."]  # fmt: skip
    elif est.learning_rate == "auto":
        advice = [f"The adapted step was {step:.3g}; try a smaller learning_rate, or solver='lbfgs'."]
    else:
        try:  # what 'auto' would be for these data, in these coordinates
            auto = StepPolicy.of(est, head).auto_step(network, X, sample_weight, state.loss_unit) if derived else None
        except Exception:  # advice only: never hide the divergence behind another error
            auto = None
        if auto is not None and step > auto:
            advice = [
                f"learning_rate={step:g} is {step / auto:.3g} times the step learning_rate='auto' gives these "
                f"data ({auto:.3g}): try learning_rate='auto', or a smaller learning_rate."
            ]
        else:
            advice = [f"Try a smaller learning_rate than {step:g}" + (", or learning_rate='auto'." if derived else ".")]
    if est.conditioning is None and state.moments is not None:
        spread = np.sqrt(Moments(*state.moments[0]).variance)
        spread = spread[spread > 0]
        if spread.size and spread.max() > 100 * spread.min():
            advice.append(
                f"With conditioning=None the features' scales, from {spread.min():.3g} to {spread.max():.3g}, "
                "set the step: scale them (sklearn.preprocessing.StandardScaler), or keep conditioning='auto'."
            )
    return " ".join(advice)


def _fingerprint(*arrays):
    """A digest of the arrays' values (dense or sparse, ``None`` allowed): equal for the same data."""
    digest = hashlib.blake2b(digest_size=16)
    for A in arrays:
        parts = [] if A is None else ([A.data, A.indices, A.indptr] if sp.issparse(A) else [A])
        for part in parts:
            digest.update(str((part.shape, part.dtype)).encode())
            digest.update(np.ascontiguousarray(part).data)
    return digest.hexdigest()
