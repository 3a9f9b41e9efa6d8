"""The one training loop, shared by every estimator.

:func:`train` minimises an objective ``J(theta)`` given as a function
``objective(theta, X, Y, sample_weight, rng) -> (J, dJ/dtheta)`` over a flat
parameter vector. It runs mini-batch gradient steps with an optimizer from
:mod:`sknotes.nn.optimizers` (``'sgd'``, ``'adam'``), or hands the full-batch
objective to ``scipy.optimize.minimize(method='L-BFGS-B')`` (``'lbfgs'``).

It works on a copy of ``theta`` and updates the :class:`TrainingState` it is
given, so a caller that passes a copy of its state keeps its own parameters
and state intact when training raises (the estimators do).
"""

import copy
import dataclasses
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

#: A batch or L-BFGS iterate whose objective exceeds this many times the objective
#: at the start of training (or 1, whichever is larger) counts as diverged.
EXPLOSION_FACTOR = 1e4
_EPS = np.finfo(np.float64).eps


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

    def reset_stopping(self):
        """Forget the convergence bookkeeping (a new ``fit`` call starts it afresh)."""
        self.best_loss = np.inf
        self.no_improvement_count = 0
        self.best_validation_score = -np.inf
        self.initial_loss = None

    def copy(self, share_rng=False):
        """A copy sharing no mutable state (except the generator, with ``share_rng``).

        Cheaper than ``copy.deepcopy``, which walks the lists of floats item by
        item; copying a ``RandomState`` (about 0.2 ms) is skipped with
        ``share_rng``, for callers that save ``rng.get_state()`` instead.
        """
        return dataclasses.replace(
            self,
            rng=self.rng if share_rng else copy.deepcopy(self.rng),
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


def train(
    objective,
    theta,
    state,
    X,
    Y,
    sample_weight=None,
    *,
    solver="sgd",
    batch_size=None,
    max_iter=200,
    tol=1e-4,
    n_iter_no_change=10,
    shuffle=True,
    validation_score=None,
    verbose=False,
    on_epoch_end=None,
):
    """Minimise ``objective`` from ``theta``, in epochs over ``(X, Y, sample_weight)``.

    Parameters
    ----------
    objective : callable
        ``objective(theta, X, Y, sample_weight, rng) -> (J, grad)`` on a batch
        (``rng`` draws dropout masks; ``None`` means no dropout). ``grad`` may
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
    solver : {'sgd', 'adam', 'lbfgs'}
        For 'sgd' and 'adam', ``state.optimizer`` does the steps.
    batch_size : int or None
        Mini-batch size (clipped to ``n_samples``); ``None`` is full batch.
    max_iter : int
        Epochs (L-BFGS iterations for 'lbfgs'). ``1`` with ``tol=None`` runs
        exactly one epoch, as ``partial_fit`` does.
    tol : float or None
        An epoch "improves" when it lowers the training objective (or raises
        the validation score) by more than ``tol``. Training stops after more
        than ``n_iter_no_change`` epochs in a row without improvement.
        ``None`` disables stopping. For 'lbfgs', the bound on the largest
        gradient component (L-BFGS also stops when ``J`` no longer changes
        beyond round-off).
    n_iter_no_change : int
    shuffle : bool
        Shuffle the rows at every epoch (with ``state.rng``).
    validation_score : callable or None
        ``validation_score(theta) -> float`` (higher is better). When given,
        improvement is judged on it, and the best parameters are returned.
    verbose : bool
        Print one line per epoch.
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
    theta = theta.copy()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if solver == "lbfgs":
            return _train_lbfgs(objective, theta, state, X, Y, sample_weight, max_iter, tol, verbose, on_epoch_end)
        return _train_epochs(
            objective, theta, state, X, Y, sample_weight, batch_size, max_iter, tol,
            n_iter_no_change, shuffle, validation_score, verbose, on_epoch_end,
        )  # fmt: skip


def _train_epochs(
    objective,
    theta,
    state,
    X,
    Y,
    sw,
    batch_size,
    max_iter,
    tol,
    n_iter_no_change,
    shuffle,
    validation_score,
    verbose,
    on_epoch_end,
):
    n_samples = X.shape[0]
    batch_size = n_samples if batch_size is None else min(batch_size, n_samples)
    total_weight = n_samples if sw is None else float(sw.sum())
    X_batch, Y_batch = _RowGatherer(X, batch_size), _RowGatherer(Y, batch_size)
    best_theta, converged = None, False
    for _ in range(max_iter):
        start, epoch = time.perf_counter(), state.n_iter + 1
        epoch_start = theta.copy(), state.copy(share_rng=True), state.rng.get_state()
        try:
            order = state.rng.permutation(n_samples) if shuffle and batch_size < n_samples else None
            epoch_loss = 0.0
            for batch in gen_batches(n_samples, batch_size):
                rows = batch if order is None else order[batch]
                sw_b = None if sw is None else sw[rows]
                if sw_b is not None and not sw_b.sum() > 0:
                    continue  # a batch of zero-weight rows contributes nothing
                J, grad = objective(theta, X_batch(rows), Y_batch(rows), sw_b, state.rng)
                if not (np.isfinite(J) and J <= state.explosion_limit(J)):
                    raise _divergence(epoch, J)
                state.optimizer.step(theta, grad)
                epoch_loss += J * ((batch.stop - batch.start) if sw_b is None else float(sw_b.sum())) / total_weight
            if not np.isfinite(theta).all():
                raise _divergence(epoch, np.nan)
            state.n_iter += 1
            state.loss_curve.append(epoch_loss)
            message = f"Epoch {epoch}: loss = {epoch_loss:.8g}"
            if validation_score is not None:
                score = validation_score(theta)
                state.validation_scores.append(score)
                message += f", validation score = {score:.6g}"
                improved = tol is None or score > state.best_validation_score + tol
                if score > state.best_validation_score:
                    state.best_validation_score, best_theta = score, theta.copy()
            else:
                improved = tol is None or epoch_loss < state.best_loss - tol
            state.best_loss = min(state.best_loss, epoch_loss)
            state.no_improvement_count = 0 if improved else state.no_improvement_count + 1
            if verbose:
                print(f"{message}, {time.perf_counter() - start:.3f} s")
            stop = on_epoch_end is not None and on_epoch_end(state, theta)
        except KeyboardInterrupt:  # back to the end of the last completed epoch: parameters and state
            theta, state, rng_state = epoch_start
            state.rng.set_state(rng_state)
            return _interrupted(theta, state)
        if stop or tol is not None and state.no_improvement_count > n_iter_no_change:
            converged = True
            break
    if best_theta is not None:
        theta = best_theta
    return Result(theta, state, converged)


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


def _train_lbfgs(objective, theta, state, X, Y, sw, max_iter, tol, verbose, on_epoch_end):
    dtype = theta.dtype
    iterate = {"theta": theta.copy()}

    def fun(t):
        J, grad = objective(t.astype(dtype, copy=False), X, Y, sw, None)
        state.explosion_limit(J)
        return J, np.array(grad, dtype=np.float64)  # a copy: the objective may reuse its gradient array

    def callback(intermediate_result):
        J = float(intermediate_result.fun)
        if not (np.isfinite(J) and J <= state.explosion_limit(J)):
            raise _divergence(state.n_iter + 1, J)
        iterate["theta"] = intermediate_result.x.astype(dtype)
        state.n_iter += 1
        state.loss_curve.append(J)
        state.best_loss = min(state.best_loss, J)
        if verbose:
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
            options={"maxiter": max_iter, "maxfun": max(15000, 2 * max_iter), "gtol": tol, "ftol": 64 * _EPS},
        )
    except KeyboardInterrupt:
        return _interrupted(iterate["theta"], state)
    theta = result.x.astype(dtype)
    if not (np.isfinite(result.fun) and np.isfinite(theta).all()):
        raise _divergence(state.n_iter + 1, result.fun)
    if not state.loss_curve:  # converged at the start: record J there
        state.loss_curve.append(float(result.fun))
        state.best_loss = float(result.fun)
    return Result(theta, state, converged=result.status == 0 or "stopped" in iterate)


def _interrupted(theta, state):
    warnings.warn(
        f"Training was interrupted (KeyboardInterrupt); keeping the parameters of the last completed "
        f"epoch ({state.n_iter} in all).",
        ConvergenceWarning,
        stacklevel=4,
    )
    return Result(theta, state, converged=False, interrupted=True)


def _divergence(epoch, J):
    what = "became non-finite" if not np.isfinite(J) else f"exploded to {J:.3g}"
    return ValueError(
        f"Training diverged at epoch {epoch}: the objective {what}. Try a smaller learning_rate, "
        "or scale the inputs (e.g. with sklearn.preprocessing.StandardScaler or MinMaxScaler). "
        "The estimator was left as it was before this call."
    )
