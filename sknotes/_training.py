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

from ._validation import caller_stacklevel

#: A batch or L-BFGS iterate whose objective exceeds this many times the objective
#: at the start of training (or 1, whichever is larger) counts as diverged.
EXPLOSION_FACTOR = 1e4
#: When mini-batch noise or a kink of the loss stalls 'sgd' above its best objective, the step is
#: divided by ANNEAL_FACTOR and training goes on, at most ANNEAL_TIMES times in a call.
ANNEAL_FACTOR, ANNEAL_TIMES = 5.0, 3
_EPS = np.finfo(np.float64).eps


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
        returns (or raises the validation score) by more than ``tol``.
        Training stops after more than ``n_iter_no_change`` epochs in a row
        without improvement, except that 'sgd' with a constant step first
        divides it by 5 (up to three times) when the objective of those
        epochs stayed above its best by more than ``tol`` on average: that
        stall is mini-batch noise or a kink of the loss, not the minimum.
        ``None`` disables stopping. For 'lbfgs', the bound on the largest
        gradient component (L-BFGS also stops when ``J`` no longer
        changes beyond round-off).
    n_iter_no_change : int, default=10
    shuffle : bool, default=True
        Shuffle the rows at every epoch (with ``state.rng``).
    dropout : bool, default=False
        Whether the objective draws dropout masks: it is then given
        ``state.rng``, else ``None``.
    verbose : bool, default=False
        Print one line per epoch, and why training stopped.
    """

    solver: str = "sgd"
    batch_size: int = None
    max_iter: int = 200
    tol: float = 1e-4
    n_iter_no_change: int = 10
    shuffle: bool = True
    dropout: bool = False
    verbose: bool = False


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
    initial_loss: float = None
    standardisation: tuple = None  # offsets and scales of the coordinates the parameters train in (4 arrays or None)
    loss_unit: float = 1.0  # the objective function returns J / loss_unit; loss_curve and best_loss are in J
    auto_learning_rate: float = None  # the step learning_rate='auto' stands for, once computed

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


def train(objective, theta, state, X, Y, sample_weight=None, config=TrainingConfig(), validation_score=None,
          on_epoch_end=None):  # fmt: skip
    """Minimise ``objective`` from ``theta``, in epochs over ``(X, Y, sample_weight)``.

    Parameters
    ----------
    objective : callable
        ``objective(theta, X, Y, sample_weight=..., rng=...) -> (J, grad)`` on a batch
        (``rng`` draws dropout masks, see ``config.dropout``). ``grad`` may
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

    Returns
    -------
    Result

    Raises
    ------
    ValueError
        If the objective becomes non-finite or explodes; names the epoch.
    """
    if config.solver == "lbfgs":
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
        full_batch, first_epoch = batch_size == n_samples, state.n_iter + 1  # full-batch steps compare J: restarts
        tol, patience, unit = config.tol, config.n_iter_no_change, state.loss_unit
        best_theta, reason, annealed, streak_total = None, "", 0, 0.0
        shuffled = config.shuffle and batch_size < n_samples
        rng = state.rng if config.dropout else None
        checkpoint = _Checkpoint(save_rng=shuffled or config.dropout)  # an epoch that draws nothing needs no copy
        for _ in range(config.max_iter):
            start, epoch = time.perf_counter(), state.n_iter + 1
            checkpoint.save(theta, state)
            try:
                order = state.rng.permutation(n_samples) if shuffled else None
                epoch_loss = 0.0
                for batch in gen_batches(n_samples, batch_size):
                    rows = batch if order is None else order[batch]
                    sw_b = None if sw is None else sw[rows]
                    if sw_b is not None and not sw_b.sum() > 0:
                        continue  # a batch of zero-weight rows contributes nothing
                    J, grad = objective(theta, X_batch(rows), Y_batch(rows), sample_weight=sw_b, rng=rng)
                    if not (math.isfinite(J) and J <= state.explosion_limit(J)):
                        raise _divergence(epoch, J)
                    state.optimizer.step(theta, grad, J if full_batch and epoch > first_epoch else None)
                    epoch_loss += J * ((batch.stop - batch.start) if sw_b is None else float(sw_b.sum())) / total_weight
                if not np.isfinite(theta).all():
                    raise _divergence(epoch, np.nan)
                state.n_iter += 1
                state.loss_curve.append(epoch_loss * unit)
                if validation_score is not None:
                    score = validation_score(theta)
                    state.validation_scores.append(score)
                    improved = tol is None or score > state.best_validation_score + tol
                    if score > state.best_validation_score:
                        state.best_validation_score, best_theta = score, theta.copy()
                else:
                    improved = tol is None or epoch_loss * unit < state.best_loss - tol * unit
                state.best_loss = min(state.best_loss, epoch_loss * unit)
                state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
                streak_total = 0.0 if improved else streak_total + epoch_loss * unit
                if config.verbose:
                    score = f", validation score = {score:.6g}" if validation_score is not None else ""
                    print(f"Epoch {epoch}: loss = {epoch_loss * unit:.8g}{score}, {time.perf_counter() - start:.3f} s")
                stop = on_epoch_end is not None and on_epoch_end(state, theta)
            except KeyboardInterrupt:  # back to the end of the last completed epoch: parameters and state
                return _interrupted(checkpoint.restore(state), state)
            if stop:
                reason = "a callback asked to stop"
                break
            if tol is not None and state.no_improvement_count > patience:
                if _anneal(config, state, validation_score is None, streak_total, annealed):
                    annealed, streak_total = annealed + 1, 0.0
                    continue
                what = "validation score" if validation_score is not None else "objective"
                reason = f"the {what} did not improve by more than tol={tol:g} for {patience + 1} epochs in a row"
                break
        else:
            if tol is not None:
                reason = f"max_iter={config.max_iter} epochs reached"
        if best_theta is not None:
            theta = best_theta
        return _stopped(
            Result(theta, state, converged=bool(reason) and not reason.startswith("max_iter"), reason=reason), config
        )


def _anneal(config, state, on_objective, streak_total, annealed):
    """After a stall, divide a fixed 'sgd' step by :data:`ANNEAL_FACTOR` if that can help; True if it did.

    It can when the objective stayed above its best by more than ``tol`` on
    average over the stall (mini-batch noise or the kink of a loss, which
    smaller steps get below), at most :data:`ANNEAL_TIMES` times. A step that
    adapts itself (``grow > 1``) needs no annealing.
    """
    stall_mean = streak_total / state.no_improvement_count
    above = on_objective and stall_mean > state.best_loss + config.tol * state.loss_unit
    if config.solver != "sgd" or not above or state.optimizer.grow > 1 or annealed >= ANNEAL_TIMES:
        return False
    state.optimizer.learning_rate /= ANNEAL_FACTOR
    state.no_improvement_count = 0
    if config.verbose:
        print(f"The objective stalled above its best: learning rate divided by {ANNEAL_FACTOR:g}.")
    return True


def _stopped(result, config):
    """``result``, after printing (verbose) why training stopped."""
    if config.verbose and result.reason:
        what = "iterations" if config.solver == "lbfgs" else "epochs"
        print(f"Stopped after {result.state.n_iter} {what} in all: {result.reason}.")
    return result


class _Checkpoint:
    """The training state at the start of an epoch, to go back to on KeyboardInterrupt.

    Saving copies only what an epoch changes (parameters, optimizer state,
    counters, and the random generator when the epoch draws from it) into
    arrays allocated once, so it costs a few microseconds however long
    training has run.
    """

    COUNTERS = ("n_iter", "best_loss", "no_improvement_count", "best_validation_score", "initial_loss")

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
        self.lengths = len(state.loss_curve), len(state.validation_scores)
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


def _divergence(epoch, J):
    what = "became non-finite" if not np.isfinite(J) else f"exploded to {J:.3g}"
    return ValueError(
        f"Training diverged at epoch {epoch}: the objective {what}. Try a smaller learning_rate, "
        "or scale the inputs (e.g. with sklearn.preprocessing.StandardScaler or MinMaxScaler). "
        "The estimator was left as it was before this call."
    )
