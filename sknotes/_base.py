"""The shared scikit-learn front end.

An estimator is configuration: hidden layers (none for the linear models),
an output head (:mod:`sknotes._heads`: what the outputs mean) and a loss.
:class:`BaseNetworkEstimator` turns that configuration into a
:class:`~sknotes.nn.Network` in standardised coordinates and an objective,
and hands them to the one training loop (:func:`sknotes._training.train`);
it validates parameters and data, and keeps the fitted attributes.
:class:`NetworkRegressor` and :class:`NetworkClassifier` add the public
methods of scikit-learn's regressors and classifiers, which ask the head.

Parameter constraints and option lists come from the core's registries:
solvers from :data:`~sknotes.nn.OPTIMIZERS` (and their declared
hyperparameters), losses from :data:`~sknotes.nn.LOSSES` (and their declared
parameters), activations from :data:`~sknotes.nn.ACTIVATIONS`.
"""

import warnings
from dataclasses import dataclass
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.sparsefuncs import mean_variance_axis
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from ._callbacks import CallbackSupportMixin, FitCallbacks
from ._diagnostics import TrainingDiagnostics
from ._heads import RegressionHead, out_activation
from ._scoring import SCORING_CONSTRAINT, check_validation_arguments, early_stopping_scores
from ._solvers import SOLVERS, step_solvers_phrase
from ._stepping import StepPolicy, warn_if_ignored
from ._training import TrainingConfig, TrainingDiverged, TrainingState, train, train_smoothed
from ._validation import caller_stacklevel, choices, stochastic_only
from .nn import ACTIVATIONS, LOSSES, OPTIMIZERS, Network, weighted_loss
from .nn.activations import ALIASES
from .nn.coordinates import MAX_MIXED_FEATURES, Moments, Standardisation
from .nn.layers import INITIALISATIONS
from .nn.losses import bind
from .nn.optimality import FAR_FROM_OPTIMUM, least_squares_gap
from .nn.schedules import SCHEDULES, Clock

_DTYPES = (np.float64, np.float32)
#: Whitening estimates the features' correlations from at most this many rows (evenly spaced).
MAX_COVARIANCE_ROWS = 20_000


def _constraint(setting):
    """scikit-learn's parameter constraint for a :class:`~sknotes.nn.settings.Setting`."""
    if setting.kind == "bool":
        return ["boolean"]
    return [Interval(Integral if setting.kind == "int" else Real, setting.low, setting.high, closed=setting.closed)]


#: The optimizers' hyperparameters, by name (several optimizers may share one, like epsilon).
OPTIMIZER_SETTINGS = {name: s for optimizer in OPTIMIZERS.values() for name, s in optimizer.HYPERPARAMETERS.items()}
#: The regressors' losses and their parameters (like Huber's delta).
REGRESSION_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.targets == "values")
LOSS_SETTINGS = {name: s for loss in REGRESSION_LOSSES for name, s in LOSSES[loss].parameters.items()}
#: The learning-rate schedules' hyperparameters (power_t, warmup).
SCHEDULE_SETTINGS = {name: s for schedule in SCHEDULES.values() for name, s in schedule.HYPERPARAMETERS.items()}


def _moments(A, sample_weight, full=False):
    """The weighted column :class:`~sknotes.nn.coordinates.Moments` of ``A`` (dense or sparse), without copying ``A``.

    Dense ``A`` is read in C-ordered float64 chunks of about 8192 numbers, so
    that every memory layout of ``A`` gives bit for bit the same result and
    the temporaries stay small (out-of-core ``partial_fit`` on chunks of data).
    ``full=True`` keeps the matrix of cross products too, for whitened
    coordinates: off the diagonal from at most :data:`MAX_COVARIANCE_ROWS`
    evenly spaced rows (whitening needs no more, and costs ``n_features^2``
    per row), on it from all of them (sparse ``A`` is then read in dense
    chunks too: it has few columns).
    """
    weights = np.ones(A.shape[0]) if sample_weight is None else sample_weight.astype(np.float64)
    total = float(weights.sum())
    if sp.issparse(A) and not full:
        mean, var = mean_variance_axis(A, axis=0, weights=weights)
        return Moments(total, mean, var * total)
    rows_per_chunk = max(16, 8192 // A.shape[1])
    buffer = np.empty((min(rows_per_chunk, A.shape[0]), A.shape[1]))  # one C-ordered float64 chunk, reused

    def chunks(rows=None):  # the rows (all, or an index array) chunk by chunk, as (weights, block in the buffer)
        n = A.shape[0] if rows is None else rows.size
        for c in gen_batches(n, rows_per_chunk):
            index = c if rows is None else rows[c]
            block = buffer[: c.stop - c.start]
            block[...] = A[index].toarray() if sp.issparse(A) else A[index]
            yield weights[index], block

    with np.errstate(over="ignore", invalid="ignore"):  # values near the float64 limit: no scale, not a warning
        mean = sum(w @ block for w, block in chunks()) / total
        m2 = np.zeros(A.shape[1])
        for w, block in chunks():
            block -= mean
            m2 += w @ np.square(block, out=block)
        if full:
            step = max(1, A.shape[0] // MAX_COVARIANCE_ROWS)
            sampled = None if step == 1 else np.arange(0, A.shape[0], step)
            products = np.zeros((A.shape[1], A.shape[1]))
            for w, block in chunks(sampled):  # sum_i w_i (x_i - mean)(x_i - mean)^T, as a product of sqrt(w) blocks
                block -= mean
                block *= np.sqrt(w)[:, None]
                products += np.dot(block.T, block)
            if sampled is not None:
                products *= total / weights[sampled].sum()
            products[np.diag_indices_from(products)] = m2
            m2 = products
    return Moments(total, mean, m2)


@dataclass
class Problem:
    """What one call to ``fit`` or ``partial_fit`` trains (:meth:`BaseNetworkEstimator._prepare`).

    ``network`` (its coordinates included) and the parameters ``theta`` it
    starts from, the training ``state`` (a copy: the estimator's own changes
    only when the call succeeds), the training ``data`` ``(X, Y,
    sample_weight)`` after the early-stopping split, the early-stopping
    ``validation_score`` (or None) and the step-size ``policy``.
    """

    network: Network
    theta: np.ndarray
    state: TrainingState
    data: tuple
    validation_score: object
    policy: StepPolicy


class BaseNetworkEstimator(CallbackSupportMixin, BaseEstimator):
    """Base class of all sknotes estimators (not for direct use).

    A subclass is configuration: ``_linear`` (no hidden layer: ``coef_`` and
    ``intercept_``; else the MLP parameters ``hidden_layer_sizes``,
    ``activation``, ``init``, ``dropout`` and ``coefs_``/``intercepts_``), its
    head (the regressors') or heads by target type (the classifiers'), and its
    constructor.
    """

    _parameter_constraints: dict = {
        "learning_rate": [Interval(Real, 0, None, closed="neither"), choices({"auto"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "solver": [choices(SOLVERS)],
        "conditioning": [choices({"auto", "diagonal"}), None],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "scoring": SCORING_CONSTRAINT,
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        "diagnostics": ["boolean"],
        **{name: _constraint(setting) for name, setting in OPTIMIZER_SETTINGS.items()},
        "learning_rate_schedule": [choices(SCHEDULES)],
        **{name: _constraint(setting) for name, setting in SCHEDULE_SETTINGS.items()},
    }
    #: Constraints of the MLPs' own parameters.
    _mlp_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [choices({*(name for name, a in ACTIVATIONS.items() if a.hidden), *ALIASES})],
        "init": [choices(INITIALISATIONS)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }
    #: True for a linear model (no hidden layer).
    _linear = True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, *, X_val=None, y_val=None, sample_weight_val=None):
        """Fit the model to data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; float32 stays float32, anything else becomes float64.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets: floats for regressors (several columns for several
            targets); class labels of any type for classifiers, or a label
            indicator matrix where multilabel classification is supported.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i`` of the samples in the objective
            (multiplied by the class weights for classifiers).

        X_val : {array-like, sparse matrix} of shape (n_val, n_features), default=None
            A validation set for early stopping (needs ``early_stopping=True``
            and a solver that takes steps): every row of ``X`` is then
            trained on, nothing is held out, and ``validation_fraction`` is
            ignored, as in scikit-learn's ``HistGradientBoosting*.fit``. In a
            :class:`~sklearn.pipeline.Pipeline`, route it by metadata routing
            and have the pipeline transform it as it transforms ``X``:
            ``Pipeline(..., transform_input=["X_val"])`` with
            ``set_fit_request(X_val=True, y_val=True)`` on this estimator (see
            the user guide's "Early stopping and scoring").

        y_val : array-like of shape (n_val,) or (n_val, n_outputs), default=None
            Targets of ``X_val``, of the kind of ``y`` (for classifiers, labels
            among those of ``y``).

        sample_weight_val : array-like of shape (n_val,), default=None
            Weights of the validation rows in the score (multiplied by the
            class weights for classifiers).

        Returns
        -------
        self : object
            The fitted estimator.

        Examples
        --------
        Early stopping on the accuracy of a validation set of one's own:

        >>> from sklearn.datasets import load_iris
        >>> from sknotes import SoftmaxClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = SoftmaxClassifier(early_stopping=True, scoring="accuracy", random_state=0)
        >>> clf = clf.fit(X[::2], y[::2], X_val=X[1::2], y_val=y[1::2])
        >>> len(clf.validation_scores_) == len(clf.train_scores_) == clf.n_iter_
        True
        >>> clf.best_validation_score_ == clf.score(X[1::2], y[1::2])  # the best epoch is kept
        True
        """
        validation = check_validation_arguments(self, X_val, y_val, sample_weight_val)
        return self._fit(X, y, sample_weight, incremental=False, validation=validation)

    def _fit(self, X, y, sample_weight, incremental, classes=None, validation=None):
        """Shared body of ``fit`` and ``partial_fit``: on any error the estimator is left as it was."""
        if incremental:  # scikit-learn's _fit_context validates partial_fit only until the first fit
            self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; set early_stopping=False.")
        warn_if_ignored(self._solver, "learning_rate", self.learning_rate, "auto")
        callbacks = FitCallbacks(self, X, y, sample_weight, max_epochs=1 if incremental else self.max_iter)
        snapshot, far = dict(self.__dict__), None
        try:
            problem = self._prepare(X, y, sample_weight, incremental, classes, validation)
            network, theta, state, policy = problem.network, problem.theta, problem.state, problem.policy
            data, validation_score = problem.data, problem.validation_score
            config = TrainingConfig(
                solver=self.solver,
                batch_size=self.batch_size,
                max_iter=1 if incremental else self.max_iter,
                tol=None if incremental and self.learning_rate_schedule != "adaptive" else self.tol,
                same_data=state.same_data,
                far=FAR_FROM_OPTIMUM,
                n_iter_no_change=self.n_iter_no_change,
                shuffle=self.shuffle,
                dropout=network.dropout > 0,
                verbose=bool(self.verbose),
                score_unit=getattr(validation_score, "unit", 1.0),
                schedule=policy.make_schedule(),
            )
            n_iter_before, unit = state.n_iter, state.loss_unit
            # the objective, built once: J / unit and its gradient (loss and weight decay scaled alike)
            buffers, hook = {}, callbacks.epoch_hook(network, theta)

            def objective_for(smoothing=0.0):  # J / unit and its gradient (loss and weight decay scaled alike)
                smoothed = {"smoothing": smoothing} if smoothing else {}
                loss = bind(self._head.loss(self), 1.0 / unit, **self._loss_parameters(), **smoothed)
                return partial(network.objective, loss=loss, weight_decay=self.weight_decay / unit, buffers=buffers)

            diagnostics = None
            if self.diagnostics:  # per-layer records of every epoch (sknotes._diagnostics); nothing when off
                diagnostics = TrainingDiagnostics(network, theta, unit, per_evaluation=not self._solver.takes_steps)
                objective_for, hook = diagnostics.wrap(objective_for), diagnostics.epoch_hook(hook)
            smoothings = policy.smoothings(incremental, validation_score is not None, data[0].shape[0], unit)
            if smoothings:
                result = train_smoothed(objective_for, smoothings, theta, state, *data, config, hook)
            else:
                scores = {"train_score": getattr(validation_score, "train", None)}  # (train_scores_)
                result = train(objective_for(), theta, state, *data, config, validation_score, hook, **scores)
            if incremental and result.state.n_iter == n_iter_before:  # interrupted at once: all as it was, exactly
                self.__dict__.clear()
                self.__dict__.update(snapshot)
            else:
                self._store_parameters(network, result.theta)
                self._store_training(result, incremental, n_iter_before, validation_score is not None)
                far = None if incremental or validation_score is not None else self._excess_over_optimum(result, data)
                previous = getattr(self, "diagnostics_", None) if n_iter_before else None  # partial_fit appends
                self.diagnostics_ = None if diagnostics is None else diagnostics.history(previous, result.state.n_iter)
        except BaseException as error:
            if isinstance(error, TrainingDiverged):  # (advice from what the fit saw, before forgetting it)
                error = TrainingDiverged(error.epoch, error.value, self._divergence_advice(state, network, *data))
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            if isinstance(error, TrainingDiverged):
                raise error from None
            raise
        callbacks.end()
        if far is not None:
            warnings.warn(
                f"{type(self).__name__}: training stopped by tol={self.tol} with the objective {far:.3g} above its "
                f"minimum ({far / self.tol:.3g} times tol). Decrease tol, or use solver='lbfgs', to reach it.",
                ConvergenceWarning,
                stacklevel=caller_stacklevel(),
            )
        if not (incremental or result.converged or result.interrupted):
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} {self._solver.iterations} reached and the "
                f"optimization has not converged yet (tol={self.tol}). Increase max_iter, or tol.",
                ConvergenceWarning,
                stacklevel=caller_stacklevel(),
            )
        return self

    def _prepare(self, X, y, sample_weight, incremental, classes, validation=None):
        """Everything training starts from: the network, parameters, state, data and validation score.

        Validates the data, encodes the targets (the head), folds in class
        weights, computes the standardised coordinates (kept by ``partial_fit``),
        starts or continues the parameters and the optimizer, and splits off
        the early-stopping rows (or checks the validation set given to ``fit``).
        """
        first_call = not hasattr(self, "_training_state") or not (incremental or self.warm_start)
        hidden, activation, init, dropout = self._architecture()
        X, y = self._validate_fit_data(X, y, reset=first_call)
        head = self._choose_head(y, first_call, classes if incremental else None)
        Y = head.encode(self, y, first_call, incremental, classes).astype(X.dtype, copy=False)
        if first_call:
            self.out_activation_ = out_activation(head, self)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        sample_weight = head.weights(self, Y, sample_weight, incremental)

        if first_call:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            state = TrainingState(rng=np.random.RandomState(seed))
        else:
            state = self._training_state.copy()
        sizes = (X.shape[1], *hidden, Y.shape[1])
        regression = isinstance(head, RegressionHead)
        moments = self._data_moments(X, Y, sample_weight, regression, hidden)
        if incremental and state.moments is not None:  # the coordinates follow all the rows partial_fit has seen
            moments = tuple(
                None if old is None else Moments(*old).merge(new) for old, new in zip(state.moments, moments)
            )
        state.moments = tuple(None if m is None else m.astuple() for m in moments)
        coordinates = None
        if self.conditioning is not None:
            coordinates = Standardisation.from_moments(*moments, weight_decay=self.weight_decay, dtype=X.dtype)
        previous = None
        if incremental and not first_call and state.coordinates is not None:
            previous = Standardisation(**state.coordinates)
        keep = (incremental and not first_call and previous is None and coordinates is None) or (
            previous is not None and coordinates is not None and previous.conditions(*moments, self.weight_decay)
        )
        if keep:
            coordinates = previous
        network = Network(sizes, activation, self.out_activation_, dropout, coordinates)
        if first_call:
            theta = network.init_params(state.rng, dtype=X.dtype, init=init)
        else:
            theta = network.from_layers(self._layers()).astype(X.dtype, copy=False)
            kept = state.theta
            if keep and kept is not None and kept.dtype == theta.dtype and kept.shape == theta.shape:
                # the parameters as the last call left them, bit for bit, unless the fitted attributes were changed
                layers = network.to_layers(kept)
                if all(np.array_equal(a, b) for pair in zip(layers, self._layers()) for a, b in zip(*pair)):
                    theta = kept.copy()
        unit = state.loss_unit
        if not keep:  # new coordinates: the objective's unit and the 'auto' step follow them
            state.loss_unit = self._loss_unit(Y, sample_weight, moments[1]) if regression and coordinates else 1.0
            state.auto_learning_rate = None
            if previous is not None and state.optimizer is not None:  # carry the optimizer's state over, exactly
                old = Network(sizes, activation, self.out_activation_, dropout, previous)
                old.recoordinate(old.from_layers(self._layers()), network, state.optimizer, unit / state.loss_unit)
        state.coordinates = None if coordinates is None else coordinates.arrays()
        if not incremental:
            state.reset_stopping()
            state.clock = tuple(Clock())  # every fit runs its schedule from the start; partial_fit continues it
        policy = StepPolicy.of(self)
        state.same_data = False
        if incremental:
            policy.between_calls(state, X, Y, sample_weight)

        validation_score = None
        if self.early_stopping and not incremental and self._solver.takes_steps:
            X, Y, sample_weight, validation_score = early_stopping_scores(
                self, head, network, X, Y, y, sample_weight, state, validation
            )
        state.optimizer = policy.optimizer(network, X, sample_weight, state, incremental)
        return Problem(network, theta, state, (X, Y, sample_weight), validation_score, policy)

    def _store_training(self, result, incremental, n_iter_before, validated):
        """The fitted attributes of training: state, epochs, curves, validation scores."""
        self._training_state = result.state
        result.state.theta = result.theta  # (partial_fit continues from these stored values exactly)
        # epochs of this call to fit (as scikit-learn's MLP, also with warm_start); partial_fit counts on
        self.n_iter_ = result.state.n_iter if incremental else result.state.n_iter - n_iter_before
        self.loss_curve_ = list(result.state.loss_curve)
        self.best_loss_ = result.state.best_loss
        self.validation_scores_ = list(result.state.validation_scores) if validated else None
        self.train_scores_ = list(result.state.train_scores) if validated else None
        self.learning_rate_curve_ = None if not self._solver.takes_steps else list(result.state.learning_rate_curve)
        self.best_validation_score_ = result.state.best_validation_score if validated else None

    def _excess_over_optimum(self, result, data):
        """The objective's excess over its minimum (divided by the unit) where a tol stop left it far, else None.

        Known exactly for a linear model on the squared error
        (:func:`~sknotes.nn.optimality.least_squares_gap`, one pass over the
        rows and a solve of the size of the features, so only up to
        :data:`MAX_MIXED_FEATURES` of them); "far" is more than
        :data:`FAR_FROM_OPTIMUM` times ``tol``.
        """
        X, Y, sample_weight = data
        if not (
            result.converged
            and not result.interrupted
            and result.reason != "a callback asked to stop"
            and self.tol > 0
            and self._linear
            and self._head.loss(self) == "squared_error"
            and X.shape[1] <= MAX_MIXED_FEATURES
        ):
            return None
        ((W, b),) = self._layers()
        state, moments = result.state, None
        inputs = None if state.moments is None else Moments(*state.moments[0])
        if inputs is not None and inputs.covariance is not None and X.shape[0] <= MAX_COVARIANCE_ROWS:  # all rows
            moments = inputs.mean, inputs.covariance
        excess = least_squares_gap(X, Y, W, b, sample_weight, self.weight_decay, moments) / state.loss_unit
        return excess if excess > FAR_FROM_OPTIMUM * self.tol else None

    def _validate_fit_data(self, X, y, reset):
        return validate_data(self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=True)

    def _architecture(self):
        """``(hidden layer sizes, activation, init, dropout)``, checked: none for a linear model."""
        if self._linear:
            return (), "identity", "glorot", 0.0
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))  # an int is one hidden layer
        if sizes.ndim > 1 or not all(isinstance(n, Integral) and n > 0 for n in sizes.tolist()):
            raise ValueError(
                f"hidden_layer_sizes must be a sequence of positive integers, got {self.hidden_layer_sizes!r}."
            )
        if self.dropout > 0 and not self._solver.takes_steps:
            raise ValueError(
                f"dropout is not supported with solver={self.solver!r} (dropout makes the objective random); "
                f"set dropout=0 or {step_solvers_phrase()}."
            )
        activation = ALIASES.get(self.activation, self.activation)
        return tuple(int(n) for n in sizes.tolist()), activation, self.init, self.dropout

    @property
    def _solver(self):
        """The declarations of the solver (:data:`~sknotes._solvers.SOLVERS`)."""
        return SOLVERS[self.solver]

    def _loss_parameters(self):
        """The loss's declared parameters (like Huber's ``delta``), from the estimator's parameters."""
        return {name: getattr(self, name) for name in LOSSES[self._head.loss(self)].parameters}

    def _divergence_advice(self, state, network, X, Y, sample_weight):
        """What would help a fit that diverged, from what it saw: the step against 'auto''s, the features' scales.

        With the default conditioning, scaling the features changes nothing
        (training is scale-free), so the advice is about the step: how it
        compares with what ``learning_rate='auto'`` gives these data. Without
        conditioning, features on very different scales are named too.
        """
        step = getattr(state.optimizer, "learning_rate", None)
        derived = self._solver.follows_curvature and len(network.layers) == 1  # 'auto' from the data: 1 / L(b)
        if step is None:  # (no optimizer: the solver chooses its own steps)
            advice = [f"Check the data for extreme values ({self.solver!r} chooses its own steps: a smaller "
                      "learning_rate would not help it)."]  # fmt: skip
        elif self.learning_rate == "auto":
            advice = [f"The adapted step was {step:.3g}; try a smaller learning_rate, or solver='lbfgs'."]
        else:
            try:  # what 'auto' would be for these data, in these coordinates
                auto = StepPolicy.of(self).auto_step(network, X, sample_weight, state.loss_unit) if derived else None
            except Exception:  # advice only: never hide the divergence behind another error
                auto = None
            if auto is not None and step > auto:
                advice = [
                    f"learning_rate={step:g} is {step / auto:.3g} times the step learning_rate='auto' gives these "
                    f"data ({auto:.3g}): try learning_rate='auto', or a smaller learning_rate."
                ]
            else:
                advice = [
                    f"Try a smaller learning_rate than {step:g}" + (", or learning_rate='auto'." if derived else ".")
                ]
        if self.conditioning is None and state.moments is not None:
            spread = np.sqrt(Moments(*state.moments[0]).variance)
            spread = spread[spread > 0]
            if spread.size and spread.max() > 100 * spread.min():
                advice.append(
                    f"With conditioning=None the features' scales, from {spread.min():.3g} to {spread.max():.3g}, "
                    "set the step: scale them (sklearn.preprocessing.StandardScaler), or keep conditioning='auto'."
                )
        return " ".join(advice)

    def _data_moments(self, X, Y, sample_weight, regression, hidden):
        """The moments the coordinates come from: the inputs' (with their covariance where whitened) and the targets'.

        Inputs are whitened (``conditioning='auto'``) for a linear model with at most
        :data:`~sknotes.nn.coordinates.MAX_MIXED_FEATURES` features, no more
        than the rows of a mini-batch: the mixing then costs less than it saves.
        """
        batch = np.inf if self.batch_size is None else self.batch_size
        full = self.conditioning == "auto" and not hidden and X.shape[1] <= min(MAX_MIXED_FEATURES, batch)
        return _moments(X, sample_weight, full), (_moments(Y, sample_weight) if regression else None)

    def _loss_unit(self, Y, sample_weight, moments):
        """Twice the objective of predicting the mean of ``y`` (the variance of y, for the squared error).

        Regressors minimise ``J / unit``: the same minimum, with learning
        rates, ``tol`` and L-BFGS's tolerance that do not depend on the units
        of y. For the squared error it is the variance of all the rows seen
        (``moments``); for the other losses, that of this call's rows around the
        mean of all the rows seen.
        """
        if self._head.loss(self) == "squared_error":  # the targets' variance: of all the rows seen, exactly
            unit = float(np.sum(moments.variance))
            return unit if 0 < unit < np.inf else 1.0
        loss = bind(self._head.loss(self), **self._loss_parameters())
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow here shows as divergence at epoch 1
            mean = moments.mean.astype(Y.dtype)
            J_mean, _ = weighted_loss(loss, Y, np.broadcast_to(mean, Y.shape), sample_weight)
        return 2.0 * J_mean if 0 < J_mean < np.inf else 1.0

    def _split(self, head, X, Y, y, sample_weight, rng):
        """Hold out ``validation_fraction`` of the rows (of ``X``, ``Y``, ``y`` and the weights) for early stopping.

        Stratified by class for classifiers when every class has at least two
        rows and each side of the split has room for every class; otherwise a
        plain random split, as scikit-learn's MLP makes for 3+ classes.
        """
        n_val = int(np.ceil(self.validation_fraction * X.shape[0]))  # train_test_split's rounding
        if n_val < 2:
            raise ValueError(
                f"The validation set is too small: validation_fraction={self.validation_fraction} of "
                f"{X.shape[0]} rows is {n_val}. Increase validation_fraction or the size of your dataset, or set "
                "early_stopping=False."
            )
        labels = head.stratify(self, Y)
        if labels is not None:
            counts = np.bincount(labels)
            counts = counts[counts > 0]
            if counts.min() < 2 or min(n_val, X.shape[0] - n_val) < counts.size:
                labels = None
        sw = np.ones(X.shape[0], dtype=X.dtype) if sample_weight is None else sample_weight
        X, X_val, Y, Y_val, y, y_val, sw, sw_val = train_test_split(
            X, Y, y, sw, test_size=n_val, random_state=rng, stratify=labels
        )
        labels = head.stratify(self, Y)
        too_few_classes = labels is not None and np.unique(labels[sw > 0]).size < 2
        if not (sw.sum() > 0 and sw_val.sum() > 0) or too_few_classes:
            raise ValueError(
                f"early_stopping: holding out validation_fraction={self.validation_fraction} of the rows left "
                f"{'too few classes' if too_few_classes else 'no positive sample weight'} on one side of the "
                "split. Change validation_fraction, or set early_stopping=False."
            )
        return X, X_val, Y, Y_val, y, y_val, *((sw, sw_val) if sample_weight is not None else (None, None))

    # ---- the fitted parameters ----------------------------------------------------------

    def _store_parameters(self, network, theta):
        """Store the flat parameters as the public fitted attributes (``coef_`` / ``coefs_``)."""
        layers = network.to_layers(theta)
        if self._linear:
            ((W, b),) = layers
            self.coef_, self.intercept_ = np.ascontiguousarray(W.T), b
            if getattr(self, "_y_1d", False):  # one target: 1-D coef_ and a scalar intercept_, as Ridge
                self.coef_, self.intercept_ = self.coef_[0], self.intercept_[0]
        else:
            self.coefs_ = [W for W, _ in layers]
            self.intercepts_ = [b for _, b in layers]
            self.n_layers_ = len(layers) + 1
            self.n_outputs_ = layers[-1][0].shape[1]

    def _layers(self):
        """The fitted attributes as per-layer ``(W, b)``, ``W`` of shape (n_in, n_out)."""
        if self._linear:
            return [(np.atleast_2d(self.coef_).T, np.atleast_1d(self.intercept_))]
        return list(zip(self.coefs_, self.intercepts_))

    def _n_outputs(self):
        """Number of network outputs of the fitted estimator."""
        return self._layers()[-1][0].shape[1]

    # ---- prediction ---------------------------------------------------------------------

    def _forward(self, X):
        """Validated ``X`` through the fitted network: raw outputs, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=_DTYPES)
        layers = [(W.astype(X.dtype, copy=False), b.astype(X.dtype, copy=False)) for W, b in self._layers()]
        _, activation, _, _ = self._architecture()
        sizes = [W.shape[0] for W, _ in layers] + [layers[-1][0].shape[1]]
        return Network(sizes, activation, self.out_activation_).forward(layers, X)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class NetworkRegressor(RegressorMixin, BaseNetworkEstimator):
    """Regression front end: float targets, one network output per target (:class:`~sknotes._heads.RegressionHead`)."""

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        "loss": [choices(REGRESSION_LOSSES)],
        **{name: _constraint(setting) for name, setting in LOSS_SETTINGS.items()},
    }
    _head = RegressionHead()

    def _choose_head(self, y, first_call, classes=None):
        return self._head

    def _validate_fit_data(self, X, y, reset):
        return validate_data(
            self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=True, y_numeric=True
        )

    @stochastic_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch of the 'sgd', 'rmsprop' or 'adam' solver over the given rows.

        The first call initialises the model; later calls continue from it.
        The optimizer's state (momentum, moment estimates, step count) carries
        over between calls and through pickling, and so does the learning-rate
        schedule's progress; a changed ``learning_rate`` takes effect at the
        next call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        y : array-like of shape (n_samples,) or (n_samples, n_targets)

        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            The network's output, in the dtype of ``X`` (float32 or float64).
        """
        return self._head.predict(self, self._forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _has_probabilities(estimator):
    """``predict_proba`` exists where every head of the estimator makes probabilities (not with the hinge)."""
    return all(head.probabilities for head in estimator._heads.values())


class NetworkClassifier(ClassifierMixin, BaseNetworkEstimator):
    """Classification front end: the head chosen by the type of the targets, class weights, probabilities.

    ``_heads`` maps the target types the estimator accepts ('binary',
    'multiclass', 'multilabel-indicator') to the head that trains on them.
    """

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        "class_weight": [dict, choices({"balanced"}), None],
    }

    def _validate_fit_data(self, X, y, reset):
        multilabel = "multilabel-indicator" in self._heads
        X, y = validate_data(self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=multilabel)
        if y.ndim == 2 and y.shape[1] == 1:  # a column vector is not a multilabel target
            y = column_or_1d(y, warn=True)
        return X, y

    def _choose_head(self, y, first_call, classes=None):
        """The head for the type of target (set on the first call; later calls must match it).

        The type is ``y``'s, except that the ``classes`` declared to
        ``partial_fit`` decide between 'binary' and 'multiclass': a first
        chunk may hold only two of three classes.
        """
        check_classification_targets(y)
        target = type_of_target(y)
        if classes is not None and target in ("binary", "multiclass"):
            target = "binary" if np.unique(classes).size <= 2 else "multiclass"
        if target not in self._heads:
            raise ValueError(
                f"{type(self).__name__} does not support {target} targets; it supports {sorted(self._heads)}."
            )
        if first_call:
            self._target = target
        elif (target == "multilabel-indicator") != (self._target == "multilabel-indicator"):
            raise ValueError(f"y is {'not ' * (self._target != 'multilabel-indicator')}a label indicator matrix, "
                             "unlike at the first call.")  # fmt: skip
        return self._heads[self._target]

    @property
    def _head(self):
        return self._heads[self._target]

    @stochastic_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the 'sgd', 'rmsprop' or 'adam' solver over the given rows.

        The first call initialises the model and must list all the classes;
        later calls continue from it. The optimizer's state (momentum, moment
        estimates, step count) carries over between calls and through
        pickling, and so does the learning-rate schedule's progress; a changed
        ``learning_rate`` takes effect at the next call.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        y : array-like of shape (n_samples,) or (n_samples, n_labels)

        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call, optional afterwards.

        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def decision_function(self, X):
        """Class scores: the network's raw outputs.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes one score, positive for ``classes_[1]`` (for a
            softmax, the log-odds of ``classes_[1]`` against ``classes_[0]``),
            as scikit-learn's binary classifiers return; otherwise one score
            per class (or label).
        """
        Z = self._forward(X)  # (first: an unfitted estimator raises NotFittedError)
        return self._head.decision(self, Z)

    def predict(self, X):
        """Predict class labels: the class with the highest score (each label with a positive score, multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        Z = self._forward(X)
        return self._head.predict(self, Z)

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Class probabilities: ``softmax(Z)``, or ``sigmoid(Z)`` per label, computed stably.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``; rows sum to 1 (except multilabel,
            where each column is the probability of its own label).
        """
        Z = self._forward(X)
        return self._head.proba(Z)

    @available_if(_has_probabilities)
    def predict_log_proba(self, X):
        """Log of the class probabilities, from ``log_softmax`` or ``log_expit`` of the scores.

        Computed from the scores directly, not as the log of
        :meth:`predict_proba`, so it stays finite where a probability underflows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        Z = self._forward(X)
        return self._head.log_proba(Z)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = "multilabel-indicator" in self._heads
        return tags
