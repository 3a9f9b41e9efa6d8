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
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from ._callbacks import CallbackSupportMixin, FitCallbacks
from ._coordinates import follow
from ._diagnostics import TrainingDiagnostics
from ._heads import RegressionHead
from ._scoring import SCORING_CONSTRAINT, check_validation_arguments, early_stopping_scores
from ._solvers import SOLVERS, step_solvers_phrase
from ._stepping import StepPolicy, divergence_advice, warn_if_ignored
from ._training import TrainingConfig, TrainingDiverged, TrainingState, train, train_smoothed
from ._validation import caller_stacklevel, choices, step_solvers_only
from .nn import ACTIVATIONS, LOSSES, Network
from .nn.activations import ALIASES
from .nn.coordinates import Moments
from .nn.layers import INITIALISATIONS
from .nn.losses import LOSS_SETTINGS, REGRESSION_LOSSES
from .nn.optimality import FAR_FROM_OPTIMUM
from .nn.optimizers import OPTIMIZER_SETTINGS
from .nn.schedules import SCHEDULE_SETTINGS, SCHEDULES, Clock

_DTYPES = (np.float64, np.float32)


def _constraint(setting):
    """scikit-learn's parameter constraint for a :class:`~sknotes.nn.settings.Setting`."""
    if setting.kind == "bool":
        return ["boolean"]
    return [Interval(Integral if setting.kind == "int" else Real, setting.low, setting.high, closed=setting.closed)]


@dataclass
class Problem:
    """What one call to ``fit`` or ``partial_fit`` trains (:meth:`BaseNetworkEstimator._prepare`).

    The bound ``head``, the ``network`` (its coordinates included) and the parameters ``theta`` it
    starts from, the training ``state`` (a copy: the estimator's own changes
    only when the call succeeds), the training ``data`` ``(X, Y,
    sample_weight)`` after the early-stopping split, the early-stopping
    ``validation_score`` (or None) and the step-size ``policy``.
    """

    head: object
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
            head, network, theta, state, policy = (
                problem.head,
                problem.network,
                problem.theta,
                problem.state,
                problem.policy,
            )
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
                draws_masks=network.dropout > 0,
                verbose=bool(self.verbose),
                score_unit=getattr(validation_score, "unit", 1.0),
                schedule=policy.make_schedule(),
            )
            n_iter_before, unit = state.n_iter, state.loss_unit
            # the objective, built once: J / unit and its gradient (loss and weight decay scaled alike)
            buffers, hook = {}, callbacks.epoch_hook(network, theta)

            def objective_for(smoothing=0.0):  # J / unit and its gradient (loss and weight decay scaled alike)
                smoothed = {"smoothing": smoothing} if smoothing else {}
                loss = head.bound_loss(1.0 / unit, **smoothed)
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
                far = None if incremental or validation_score is not None else self._excess(head, result, data)
                previous = getattr(self, "diagnostics_", None) if n_iter_before else None  # partial_fit appends
                self.diagnostics_ = None if diagnostics is None else diagnostics.history(previous, result.state.n_iter)
        except BaseException as error:
            if isinstance(error, TrainingDiverged):  # (advice from what the fit saw, before forgetting it)
                error = TrainingDiverged(error.epoch, error.value, divergence_advice(self, head, state, network, *data))
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
        """Everything training starts from: the head, network, parameters, state, data and validation score.

        Validates the data, binds the head and encodes the targets, folds in
        class weights, follows the data's coordinates (kept by ``partial_fit``
        while they condition its rows), starts or continues the parameters
        and the optimizer, and splits off the early-stopping rows (or checks
        the validation set given to ``fit``).
        """
        first_call = not hasattr(self, "_training_state") or not (incremental or self.warm_start)
        hidden, activation, init, dropout = self._architecture()
        X, y = self._validate_fit_data(X, y, reset=first_call)
        head = self._bind_head(y, first_call, classes if incremental else None)
        Y = head.encode(y, first_call, incremental, classes).astype(X.dtype, copy=False)
        if first_call:
            self.out_activation_ = head.out_activation
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        sample_weight = head.weights(Y, sample_weight, incremental)

        if first_call:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            state = TrainingState(rng=np.random.RandomState(seed))
        else:
            state = self._training_state.copy()
        sizes = (X.shape[1], *hidden, Y.shape[1])
        coordinates = follow(self, head, state, X, Y, sample_weight, hidden, incremental, first_call)
        network = Network(sizes, activation, self.out_activation_, dropout, coordinates.current)
        if first_call:
            theta = network.init_params(state.rng, dtype=X.dtype, init=init)
        else:
            theta = network.from_layers(self._layers()).astype(X.dtype, copy=False)
            kept = state.theta
            if coordinates.kept and kept is not None and kept.dtype == theta.dtype and kept.shape == theta.shape:
                # the parameters as the last call left them, bit for bit, unless the fitted attributes were changed
                layers = network.to_layers(kept)
                if all(np.array_equal(a, b) for pair in zip(layers, self._layers()) for a, b in zip(*pair)):
                    theta = kept.copy()
        unit = state.loss_unit
        if not coordinates.kept:  # new coordinates: the objective's unit and the 'auto' step follow them
            targets = None if state.moments[1] is None else Moments(*state.moments[1])
            state.loss_unit = 1.0 if coordinates.current is None else head.loss_unit(Y, sample_weight, targets)
            state.auto_learning_rate = None
            if coordinates.previous is not None and state.optimizer is not None:  # carry the optimizer's state over
                old = Network(sizes, activation, self.out_activation_, dropout, coordinates.previous)
                old.recoordinate(old.from_layers(self._layers()), network, state.optimizer, unit / state.loss_unit)
        if not incremental:
            state.reset_stopping()
            state.clock = tuple(Clock())  # every fit runs its schedule from the start; partial_fit continues it
        policy = StepPolicy.of(self, head)
        state.same_data = False
        if incremental:
            policy.between_calls(state, X, Y, sample_weight)

        validation_score = None
        if self.early_stopping and not incremental and self._solver.takes_steps:
            X, Y, sample_weight, validation_score = early_stopping_scores(
                self, head, network, X, Y, y, sample_weight, state, validation
            )
        state.optimizer = policy.optimizer(network, X, sample_weight, state, incremental)
        return Problem(head, network, theta, state, (X, Y, sample_weight), validation_score, policy)

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

    def _excess(self, head, result, data):
        """The objective's excess over its minimum (divided by the unit) where a tol stop left it more than
        :data:`~sknotes.nn.optimality.FAR_FROM_OPTIMUM` times ``tol`` above it, else None (or not known)."""
        stopped_by_tol = result.converged and not result.interrupted and result.reason != "a callback asked to stop"
        if not (stopped_by_tol and self.tol > 0 and self._linear):
            return None
        excess = head.excess_over_optimum(*data, self._layers()[0], self.weight_decay, result.state)
        return excess if excess is not None and excess > FAR_FROM_OPTIMUM * self.tol else None

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

    def _bind_head(self, y, first_call, classes=None):
        return self._head

    @property
    def _head(self):
        """The head, bound to this estimator."""
        return RegressionHead(self)

    def _validate_fit_data(self, X, y, reset):
        return validate_data(
            self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=True, y_numeric=True
        )

    @step_solvers_only
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
        return self._head.predict(self._forward(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.positive_only = getattr(LOSSES.get(self.loss), "domain", None) == "non-negative"  # Poisson
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

    def _bind_head(self, y, first_call, classes=None):
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
        return self._head

    @property
    def _head(self):
        """The head of the fitted type of target, bound to this estimator."""
        return self._heads[self._target](self)

    @step_solvers_only
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
        return self._head.decision(Z)

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
        return self._head.predict(Z)

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
