"""The one training loop, shared by every estimator.

:func:`train` minimises an objective ``J(theta)`` given as a function
``objective(theta, X, Y, sample_weight=..., rng=...) -> (J, dJ/dtheta)`` over a flat
parameter vector. It runs mini-batch gradient steps with an optimizer from
any optimizer of :data:`sknotes.nn.OPTIMIZERS`, or hands the full-batch
objective to ``scipy.optimize.minimize(method='L-BFGS-B')`` (``'lbfgs'``).
:class:`TrainingConfig` holds how to train (batch size, epochs, stopping).

It works on a copy of ``theta`` and updates the :class:`TrainingState` it is
given, so a caller that passes a copy of its state keeps its own parameters
and state intact when training raises (the estimators do).
"""

import copy
import dataclasses
import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

from ._solvers import SOLVERS
from ._validation import caller_stacklevel
from .nn.schedules import Clock, Constant

#: A batch or L-BFGS iterate whose objective exceeds this many times the objective
#: at the start of training (or 1, whichever is larger) counts as diverged.
EXPLOSION_FACTOR = 1e4
_EPS = np.finfo(np.float64).eps
#: The tolerance that ends each stage but the last of :func:`train_smoothed` when ``tol`` is 0.
STAGE_TOL = 1e-8


@dataclass(frozen=True)
class TrainingConfig:
    """How to train: the estimator's solver, batching and stopping parameters, resolved for one call.

    Parameters
    ----------
    solver : str, default='sgd'
        A key of ``OPTIMIZERS`` (the state's optimizer does the steps) or
        'lbfgs'.
    batch_size : int or None, default=None
        Mini-batch size (clipped to ``n_samples``); ``None`` is full batch.
    max_iter : int, default=200
        Epochs (L-BFGS iterations for 'lbfgs'). ``1`` with ``tol=None`` runs
        exactly one epoch, as ``partial_fit`` does.
    tol : float or None, default=1e-4
        An epoch "improves" when it lowers the objective that ``objective``
        returns (or raises the validation score) by more than ``tol``; an
        epoch whose step the optimizer took back (a full-batch step that
        raised the objective) counts neither way. Training stops after more
        than ``n_iter_no_change`` epochs in a row without improvement.
        ``None``, and ``0`` on the objective, disable stopping. For 'lbfgs',
        the bound on the largest gradient component (L-BFGS also stops when
        ``J`` no longer changes beyond round-off).
    n_iter_no_change : int, default=10
    far : float or None, default=None
        On full batches, a stall does not stop training while the objective,
        extrapolated from its last epochs (:func:`remaining_decrease`), would
        still fall by more than ``far`` times ``tol``: that is slow progress
        far from the minimum, not the minimum. ``None``: the stall stops it.
    same_data : bool, default=False
        The rows are those of the previous call's last full-batch step (a
        ``partial_fit`` on the same rows again): its objective value
        compares with this call's first, as between the epochs of one call.
    shuffle : bool, default=True
        Shuffle the rows at every epoch (with ``state.rng``).
    score_unit : float, default=1.0
        The unit of the validation score: an epoch improves it when it rises
        by more than ``tol * score_unit`` (the regressors' unit of the
        objective for a validation loss, so that ``tol`` stays relative).
    draws_masks : bool, default=False
        Whether the objective draws dropout masks: it is then given
        ``state.rng``, else ``None``.
    verbose : bool, default=False
        Print one line per epoch, and why training stopped.
    schedule : object or None, default=None
        A learning-rate schedule of :data:`sknotes.nn.schedules.SCHEDULES`:
        each epoch's step is the optimizer's ``learning_rate`` times its
        factor at ``state.clock``, and a stall asks it whether to stop.
        ``None``: constant.
    """

    solver: str = "sgd"
    batch_size: int = None
    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    far: float = None
    score_unit: float = 1.0
    same_data: bool = False
    shuffle: bool = True
    draws_masks: bool = False
    verbose: bool = False
    schedule: object = None


@dataclass
class TrainingState:
    """Everything training carries from one call to the next (partial_fit, warm_start) and through pickling."""

    rng: np.random.RandomState
    optimizer: object = None
    n_iter: int = 0
    loss_curve: list = field(default_factory=list)
    best_loss: float = np.inf
    no_improvement_count: int = 0
    validation_scores: list = field(default_factory=list)
    best_validation_score: float = -np.inf
    train_scores: list = field(default_factory=list)  # the validation scoring of the training rows, per epoch
    initial_loss: float = None
    coordinates: dict = None  # the arrays of the Standardisation the parameters train in (None: the true parameters)
    theta: np.ndarray = None  # the stored parameters at the end of the last call, in those coordinates
    moments: tuple = None  # (weight, mean, m2) of the inputs and (regressors) targets of all the rows seen
    data_key: str = None  # a digest of the last partial_fit's rows (full batch): the same rows again continue it
    same_data: bool = False  # this partial_fit's rows are the last one's
    loss_unit: float = 1.0  # the objective function returns J / loss_unit; loss_curve and best_loss are in J
    auto_learning_rate: float = None  # the step learning_rate='auto' stands for, once computed
    # where the learning-rate schedule stands, a Clock as a plain tuple (skops trusts it): (epochs, samples seen,
    # adaptive's divisions); every fit starts it afresh, partial_fit continues it
    clock: tuple = tuple(Clock())
    learning_rate_curve: list = field(default_factory=list)  # the step size of every epoch, schedule included

    def reset_stopping(self):
        """Forget the convergence bookkeeping (a new ``fit`` call starts it afresh)."""
        self.best_loss = np.inf
        self.no_improvement_count = 0
        self.best_validation_score = -np.inf
        self.initial_loss = None

    def copy(self):
        """A copy sharing no mutable state with this one (cheaper than ``copy.deepcopy`` of the lists)."""
        return dataclasses.replace(
            self,
            rng=copy.deepcopy(self.rng),
            optimizer=copy.deepcopy(self.optimizer),
            loss_curve=list(self.loss_curve),
            validation_scores=list(self.validation_scores),
            train_scores=list(self.train_scores),
            learning_rate_curve=list(self.learning_rate_curve),
        )

    def explosion_limit(self, J):
        """The objective above which training counts as diverged; the first ``J`` seen sets the scale."""
        if self.initial_loss is None:
            self.initial_loss = J
        return EXPLOSION_FACTOR * max(self.initial_loss, 1.0)


@dataclass
class Result:
    """What :func:`train` returns: new parameters and state, and how training ended."""

    theta: np.ndarray
    state: TrainingState
    converged: bool
    interrupted: bool = False
    reason: str = ""


def remaining_decrease(loss_curve, window, floor=0.0):
    """How much further the objective would fall, extrapolated from the last ``2 window`` epochs of ``loss_curve``.

    On full batches the best objective so far falls roughly geometrically
    near a minimum: if it fell by ``D1`` over one window and ``D2`` over the
    next, at the rate ``r = D2 / D1`` per window the rest adds up to
    ``D2 r / (1 - r)``. ``inf`` when it is not slowing down; 0 when it fell
    by at most ``floor`` over the last window (a stall: round-off, not
    progress); ``None`` with too short a curve.
    """
    if len(loss_curve) < 2 * window + 1:
        return None
    best = np.minimum.accumulate(np.asarray(loss_curve, dtype=np.float64))
    D1, D2 = best[-2 * window - 1] - best[-window - 1], best[-window - 1] - best[-1]
    if D2 <= floor:
        return 0.0
    if D1 <= D2:
        return np.inf
    r = D2 / D1
    return D2 * r / (1 - r)


def train(objective, theta, state, X, Y, sample_weight=None, config=TrainingConfig(), validation_score=None,
          on_epoch_end=None, *, train_score=None):  # fmt: skip
    """Minimise ``objective`` from ``theta``, in epochs over ``(X, Y, sample_weight)``.

    Parameters
    ----------
    objective : callable
        ``objective(theta, X, Y, sample_weight=..., rng=...) -> (J, grad)`` on a batch
        (``rng`` draws dropout masks, see ``config.draws_masks``). ``grad`` may
        be an array that the objective overwrites at its next call; so may
        the batch ``X`` and ``Y`` it is given be overwritten afterwards.
    theta : ndarray of shape (n_params,)
        Starting parameters (not modified).
    state : TrainingState
        Optimizer, random generator and bookkeeping to continue from; updated
        in place and returned in the result.
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    config : TrainingConfig
    validation_score : callable or None
        ``validation_score(theta) -> float`` (higher is better). When given,
        improvement is judged on it, and the best parameters are returned.
    on_epoch_end : callable or None
        ``on_epoch_end(state, theta) -> bool`` after every epoch (L-BFGS
        iteration), for progress reporting; returning True stops training
        (reported as converged).
    train_score : callable or None
        ``train_score(theta) -> float``, recorded in ``state.train_scores``
        after every epoch beside the validation score (it stops nothing).

    Returns
    -------
    Result

    Raises
    ------
    ValueError
        If the objective becomes non-finite or explodes; names the epoch.
    """
    if not SOLVERS[config.solver].takes_steps:  # L-BFGS: scipy runs it
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return _stopped(
                _train_lbfgs(objective, theta.copy(), state, X, Y, sample_weight, config, on_epoch_end), config
            )
    theta, sw = theta.copy(), sample_weight
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        n_samples = X.shape[0]
        batch_size = n_samples if config.batch_size is None else min(config.batch_size, n_samples)
        total_weight = n_samples if sw is None else float(sw.sum())
        X_batch, Y_batch = _RowGatherer(X, batch_size), _RowGatherer(Y, batch_size)
        # full-batch steps compare J (momentum restarts, the adapted step): within a call, and with the last call's
        # on the same rows; an objective value on other rows is forgotten
        full_batch = batch_size == n_samples
        if not config.same_data:
            for name, kind in getattr(state.optimizer, "STATE_KINDS", {}).items():
                if kind == "loss":
                    setattr(state.optimizer, name, None)
        tol, patience, unit = config.tol, config.n_iter_no_change, state.loss_unit
        if tol == 0 and validation_score is None:  # tol=0 never stops on the objective
            tol = None
        best_theta, reason, converged, retaken, curve_start = None, "", False, False, len(state.loss_curve)
        shuffled = config.shuffle and batch_size < n_samples
        rng = state.rng if config.draws_masks else None
        checkpoint = _Checkpoint(save_rng=shuffled or config.draws_masks)  # an epoch that draws nothing needs no copy
        schedule, optimizer = config.schedule or Constant(), state.optimizer
        for _ in range(config.max_iter):
            start, epoch = time.perf_counter(), state.n_iter + 1
            checkpoint.save(theta, state)
            try:
                order = state.rng.permutation(n_samples) if shuffled else None
                epoch_loss, taken = 0.0, None
                # the schedule's factor on the base step (a step that the optimizer adapts keeps its adaptation)
                factor = schedule.factor(Clock(*state.clock))
                base, optimizer.learning_rate = optimizer.learning_rate, optimizer.learning_rate * factor
                rate = optimizer.learning_rate
                for batch in gen_batches(n_samples, batch_size):
                    rows = batch if order is None else order[batch]
                    sw_b = None if sw is None else sw[rows]
                    if sw_b is not None and not sw_b.sum() > 0:
                        continue  # a batch of zero-weight rows contributes nothing
                    J, grad = objective(theta, X_batch(rows), Y_batch(rows), sample_weight=sw_b, rng=rng)
                    if not (math.isfinite(J) and J <= state.explosion_limit(J)):
                        raise _divergence(epoch, J)
                    taken = state.optimizer.step(theta, grad, J if full_batch else None)
                    epoch_loss += J * ((batch.stop - batch.start) if sw_b is None else float(sw_b.sum())) / total_weight
                if not np.isfinite(theta).all():
                    raise _divergence(epoch, np.nan)
                state.learning_rate_curve.append(optimizer.learning_rate)  # (the adapted one: the last step's)
                adapted = optimizer.learning_rate != rate
                optimizer.learning_rate = optimizer.learning_rate / factor if adapted else base
                state.clock = tuple(Clock(*state.clock).tick(n_samples))
                state.n_iter += 1
                state.loss_curve.append(epoch_loss * unit)
                if validation_score is not None:
                    score = validation_score(theta)
                    state.validation_scores.append(score)
                    if train_score is not None:
                        state.train_scores.append(train_score(theta))
                    improved = tol is None or score > state.best_validation_score + tol * config.score_unit
                    if score > state.best_validation_score:
                        state.best_validation_score, best_theta = score, theta.copy()
                else:
                    improved = tol is None or epoch_loss * unit < state.best_loss - tol * unit
                state.best_loss = min(state.best_loss, epoch_loss * unit)
                if taken is not False and not retaken:  # a step taken back, and the repeat after it, count neither way
                    state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
                retaken = taken is False
                if config.verbose:
                    score = f", validation score = {score:.6g}" if validation_score is not None else ""
                    print(f"Epoch {epoch}: loss = {epoch_loss * unit:.8g}{score}, {time.perf_counter() - start:.3f} s")
                stop = on_epoch_end is not None and on_epoch_end(state, theta)
            except KeyboardInterrupt:  # back to the end of the last completed epoch: parameters and state
                return _interrupted(checkpoint.restore(state), state)
            except TrainingDiverged:  # (the advice names the base step, not the schedule's share of it)
                optimizer.learning_rate = base
                raise
            if stop:
                reason, converged = "a callback asked to stop", True
                break
            if tol is not None and state.no_improvement_count > patience:
                clock = schedule.stall(Clock(*state.clock), state.learning_rate_curve[-1])
                if clock is not None:  # 'adaptive': a smaller step instead of a stop
                    state.clock, state.no_improvement_count = tuple(clock), 0
                    if config.verbose:
                        print(f"No improvement by tol={tol:g} for {patience + 1} epochs: learning rate divided, "
                              f"to {optimizer.learning_rate * schedule.factor(clock):.6g}.")  # fmt: skip
                    continue
                if full_batch and validation_score is None and config.far is not None:
                    curve = state.loss_curve[curve_start:]  # this call's (a continuation's stage's) objective only
                    window = min(patience + 1, (len(curve) - 1) // 2)
                    remaining = remaining_decrease(curve, window, floor=tol * unit)
                    if remaining is not None and remaining > config.far * tol * unit:
                        state.no_improvement_count = 0  # slow, not stalled: the objective still has far to fall
                        continue
                what = "validation score" if validation_score is not None else "objective"
                reason = f"the {what} did not improve by more than tol={tol:g} for {patience + 1} epochs in a row"
                if type(schedule) is not Constant:
                    reason += f" (learning rate {state.learning_rate_curve[-1]:.3g})"
                converged = True
                break
        else:
            if config.tol is not None:
                reason = f"max_iter={config.max_iter} epochs reached"
        if best_theta is not None:
            theta = best_theta
        return _stopped(Result(theta, state, converged, reason=reason), config)


def train_smoothed(objective_for, smoothings, theta, state, X, Y, sample_weight=None, config=TrainingConfig(),
                   on_epoch_end=None):  # fmt: skip
    """Continuation: :func:`train` on the objective smoothed by each of ``smoothings`` in turn, from the last optimum.

    A loss with a kink (the hinge, the absolute error) leaves gradient steps,
    and L-BFGS, stalling above its minimum, at a point that depends on the
    order of rounding errors. Its smoothed version of parameter ``mu`` is
    within ``mu / 2`` of it and differentiable, with curvature ``1 / mu``
    (:class:`sknotes.nn.losses.Loss`): minimising it for ``mu = smoothings[0],
    smoothings[1], ...``, each from the previous minimum, ends within
    ``smoothings[-1] / 2`` of the minimum of the loss itself. Every stage but
    the last stops at ``config.tol`` (:data:`STAGE_TOL` when that is 0);
    the epochs of all stages count towards ``config.max_iter``; a step that
    adapts itself starts each stage ``mu_k / mu_{k-1}`` times smaller, as
    the curvature grows.

    Parameters
    ----------
    objective_for : callable
        ``objective_for(mu)`` is the objective smoothed by ``mu``, as :func:`train` takes it.
    smoothings : sequence of float
        Decreasing.
    theta, state, X, Y, sample_weight, config, on_epoch_end
        As :func:`train`'s.

    Returns
    -------
    Result
        Of the last stage run.
    """
    start = state.n_iter
    for k, mu in enumerate(smoothings):
        last = k == len(smoothings) - 1
        budget = config.max_iter - (state.n_iter - start)
        tol = config.tol if last or config.tol is None else (config.tol or STAGE_TOL)
        stage = dataclasses.replace(config, max_iter=max(budget, 1), tol=tol, same_data=False)
        if k > 0:
            state.reset_stopping()
        result = train(objective_for(mu), theta, state, X, Y, sample_weight, stage, None, on_epoch_end)
        theta = result.theta
        if last or result.interrupted or not result.converged or state.n_iter - start >= config.max_iter:
            return result
    return result


def _stopped(result, config):
    """``result``, after printing (verbose) why training stopped."""
    if config.verbose and result.reason:
        print(f"Stopped after {result.state.n_iter} {SOLVERS[config.solver].iterations} in all: {result.reason}.")
    return result


class _Checkpoint:
    """The training state at the start of an epoch, to go back to on KeyboardInterrupt.

    Saving copies only what an epoch changes (parameters, optimizer state,
    counters, and the random generator when the epoch draws from it) into
    arrays allocated once, so it costs a few microseconds however long
    training has run.
    """

    COUNTERS = ("n_iter", "best_loss", "no_improvement_count", "best_validation_score", "initial_loss", "clock")

    def __init__(self, save_rng):
        self.save_rng, self.arrays, self.rng = save_rng, {}, None

    def _copy(self, name, array):
        kept = self.arrays.get(name)
        if kept is None or kept.shape != array.shape or kept.dtype != array.dtype:
            kept = self.arrays[name] = np.empty_like(array)
        np.copyto(kept, array)
        return kept

    def save(self, theta, state):
        self._copy("theta", theta)
        if self.save_rng:
            self.rng = state.rng.get_state()
        self.counters = [getattr(state, name) for name in self.COUNTERS]
        self.learning_rate = state.optimizer.learning_rate  # the base step, before the schedule's factor
        self.lengths = (
            len(state.loss_curve),
            len(state.validation_scores),
            len(state.train_scores),
            len(state.learning_rate_curve),
        )
        self.optimizer = [
            self._copy(name, value) if isinstance(value, np.ndarray) else value
            for name, value in ((name, getattr(state.optimizer, name)) for name in state.optimizer.STATE)
        ]

    def restore(self, state):
        """Put ``state`` back as it was at :meth:`save`; returns the parameters of then."""
        if self.rng is not None:
            state.rng.set_state(self.rng)
        for name, value in zip(self.COUNTERS, self.counters):
            setattr(state, name, value)
        del state.loss_curve[self.lengths[0] :], state.validation_scores[self.lengths[1] :]
        del state.train_scores[self.lengths[2] :], state.learning_rate_curve[self.lengths[3] :]
        state.optimizer.learning_rate = self.learning_rate
        for name, value in zip(state.optimizer.STATE, self.optimizer):
            setattr(state.optimizer, name, value.copy() if isinstance(value, np.ndarray) else value)
        return self.arrays["theta"].copy()


class _RowGatherer:
    """``A[rows]`` for the batches of an epoch, gathered into one reused array.

    Slices (unshuffled batches) are views and cost nothing. Shuffled batches of
    a dense array are gathered with ``np.take`` into a batch-sized buffer
    allocated once, not into a new array at every step. Sparse matrices are
    indexed as usual.
    """

    def __init__(self, A, batch_size):
        self.A, self.batch_size, self.buffer = A, batch_size, None

    def __call__(self, rows):
        if isinstance(rows, slice) or not isinstance(self.A, np.ndarray):
            return self.A[rows]
        if self.buffer is None:
            self.buffer = np.empty((self.batch_size, *self.A.shape[1:]), self.A.dtype)
        return self.A.take(rows, axis=0, out=self.buffer[: len(rows)], mode="clip")  # rows are valid indices


def _train_lbfgs(objective, theta, state, X, Y, sw, config, on_epoch_end):
    dtype = theta.dtype
    iterate = {"theta": theta.copy()}

    def fun(t):
        J, grad = objective(t.astype(dtype, copy=False), X, Y, sample_weight=sw, rng=None)
        state.explosion_limit(J)
        return J, np.array(grad, dtype=np.float64)  # a copy: the objective may reuse its gradient array

    def callback(intermediate_result):
        J = float(intermediate_result.fun)
        if not (np.isfinite(J) and J <= state.explosion_limit(J)):
            raise _divergence(state.n_iter + 1, J)
        J *= state.loss_unit
        iterate["theta"] = intermediate_result.x.astype(dtype)
        state.n_iter += 1
        state.loss_curve.append(J)
        state.best_loss = min(state.best_loss, J)
        if config.verbose:
            print(f"Iteration {state.n_iter}: loss = {J:.8g}")
        if on_epoch_end is not None and on_epoch_end(state, iterate["theta"]):
            iterate["stopped"] = True
            raise StopIteration  # scipy's documented way for a callback to end minimize

    try:
        result = scipy.optimize.minimize(
            fun,
            theta.astype(np.float64),
            jac=True,
            method="L-BFGS-B",
            callback=callback,
            # as scikit-learn's LogisticRegression: tol bounds the gradient, ftol only stops at round-off
            options={
                "maxiter": config.max_iter,
                "maxfun": max(15000, 2 * config.max_iter),
                "gtol": config.tol,
                "ftol": 64 * _EPS,
            },
        )
    except KeyboardInterrupt:
        return _interrupted(iterate["theta"], state)
    theta = result.x.astype(dtype)
    if not (np.isfinite(result.fun) and np.isfinite(theta).all()):
        raise _divergence(state.n_iter + 1, result.fun)
    if not state.loss_curve:  # converged at the start: record J there
        state.loss_curve.append(float(result.fun) * state.loss_unit)
        state.best_loss = state.loss_curve[-1]
    stopped = "stopped" in iterate
    reason = "a callback asked to stop" if stopped else f"L-BFGS says: {result.message}"
    return Result(theta, state, converged=result.status == 0 or stopped, reason=reason)


def _interrupted(theta, state):
    warnings.warn(
        f"Training was interrupted (KeyboardInterrupt); keeping the parameters of the last completed "
        f"epoch ({state.n_iter} in all).",
        ConvergenceWarning,
        stacklevel=caller_stacklevel(),
    )
    return Result(theta, state, converged=False, interrupted=True)


class TrainingDiverged(ValueError):
    """The objective became non-finite or exploded at ``epoch``: a ``ValueError`` whose message the estimator
    completes with what would help (:func:`sknotes._stepping.divergence_advice`)."""

    def __init__(self, epoch, value, advice="Try a smaller learning_rate."):
        self.epoch, self.value = epoch, value
        what = "became non-finite" if not np.isfinite(value) else f"exploded to {value:.3g}"
        super().__init__(
            f"Training diverged at epoch {epoch}: the objective {what}. {advice} "
            "The estimator was left as it was before this call."
        )


def _divergence(epoch, J):
    return TrainingDiverged(epoch, J)
