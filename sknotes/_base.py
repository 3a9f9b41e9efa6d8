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
from ._heads import RegressionHead, out_activation
from ._training import TrainingConfig, TrainingState, train
from ._validation import caller_stacklevel, choices, stochastic_only
from .nn import ACTIVATIONS, LOSSES, OPTIMIZERS, Network, weighted_loss
from .nn.activations import ALIASES
from .nn.coordinates import Standardisation
from .nn.layers import INITIALISATIONS
from .nn.losses import bind
from .nn.stepsize import lipschitz_bound

_DTYPES = (np.float64, np.float32)
#: The solvers: the optimizers of the registry, and L-BFGS through scipy.optimize.
SOLVERS = (*OPTIMIZERS, "lbfgs")
#: With learning_rate='auto', full-batch 'sgd' on a linear model grows its step by this factor after every step
#: that lowers the objective (and halves it after one that raises it): 1 / L is a bound, often far from tight.
AUTO_STEP_GROWTH = 1.1
#: learning_rate='auto' everywhere but 'sgd' on a linear model: the step Adam's authors recommend.
AUTO_STEP = 0.001


def _constraint(setting):
    """scikit-learn's parameter constraint for a :class:`~sknotes.nn.settings.Setting`."""
    return ["boolean"] if setting.kind == "bool" else [Interval(Real, setting.low, setting.high, closed=setting.closed)]


#: The optimizers' hyperparameters, by name (several optimizers may share one, like epsilon).
OPTIMIZER_SETTINGS = {name: s for optimizer in OPTIMIZERS.values() for name, s in optimizer.HYPERPARAMETERS.items()}
#: The regressors' losses and their parameters (like Huber's delta).
REGRESSION_LOSSES = tuple(name for name, loss in LOSSES.items() if loss.targets == "values")
LOSS_SETTINGS = {name: s for loss in REGRESSION_LOSSES for name, s in LOSSES[loss].parameters.items()}


def _weighted_mean_and_variance(A, sample_weight):
    """Column means and variances of ``A`` (dense or sparse) with row weights, in float64, without copying ``A``.

    Dense ``A`` is read in C-ordered float64 chunks of about 8192 numbers, so
    that every memory layout of ``A`` gives bit for bit the same result and
    the temporaries stay small (out-of-core ``partial_fit`` on chunks of data).
    """
    if sp.issparse(A):
        return mean_variance_axis(A, axis=0, weights=sample_weight)
    weights = np.ones(A.shape[0]) if sample_weight is None else sample_weight.astype(np.float64)
    chunks = list(gen_batches(A.shape[0], max(16, 8192 // A.shape[1])))

    def weighted_sum(f):
        return sum(weights[c] @ f(np.array(A[c], dtype=np.float64, order="C")) for c in chunks)

    mean = weighted_sum(lambda block: block) / weights.sum()
    var = weighted_sum(lambda block: np.square(block - mean)) / weights.sum()
    return mean, var


def _standardisation(X, Y, sample_weight, weight_decay, outputs):
    """Offsets and scales of the coordinates the network trains in, from the data.

    The four arguments of :class:`~sknotes.nn.coordinates.Standardisation`, as
    a tuple of arrays (``None`` for the outputs of a classifier), in the dtype
    of ``X``. Inputs: the weighted feature means ``mu_j`` and
    ``s_j = sqrt(var_j + lambda)``: with the weight decay ``lambda`` inside the
    root, every weight's diagonal curvature in these coordinates is at most 1,
    also for a (nearly) constant feature; a constant feature without weight
    decay gets ``s_j = 1``. Outputs (regressors, ``outputs=True``): the
    weighted target means and standard deviations (1 for a constant target).
    """
    ends = []
    for A, ridge in [(X, weight_decay)] + ([(Y, 0.0)] if outputs else []):
        with np.errstate(over="ignore", invalid="ignore"):  # values near the float64 limit: no scale, not a warning
            mean, var = _weighted_mean_and_variance(A, sample_weight)
            scale = np.sqrt(var + ridge)
        scale[(scale == 0) | ~np.isfinite(scale)] = 1.0
        mean[~np.isfinite(mean)] = 0.0
        ends += [mean.astype(X.dtype), scale.astype(X.dtype)]
    return tuple(ends) if outputs else (*ends, None, None)


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
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
        **{name: _constraint(setting) for name, setting in OPTIMIZER_SETTINGS.items()},
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
    def fit(self, X, y, sample_weight=None):
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

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        """Shared body of ``fit`` and ``partial_fit``: on any error the estimator is left as it was."""
        if incremental:  # scikit-learn's _fit_context validates partial_fit only until the first fit
            self._validate_params()
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; set early_stopping=False.")
        if self.solver == "lbfgs" and self.learning_rate != "auto":
            warnings.warn(
                f"learning_rate={self.learning_rate!r} is ignored by solver='lbfgs', which chooses its own steps; "
                "leave learning_rate='auto', or use solver='sgd', 'rmsprop' or 'adam'.",
                UserWarning,
                stacklevel=caller_stacklevel(),
            )
        callbacks = FitCallbacks(self, X, y, sample_weight, max_epochs=1 if incremental else self.max_iter)
        snapshot = dict(self.__dict__)
        try:
            network, theta, state, data, validation_score = self._prepare(X, y, sample_weight, incremental, classes)
            config = TrainingConfig(
                solver=self.solver,
                batch_size=self.batch_size,
                max_iter=1 if incremental else self.max_iter,
                tol=None if incremental else self.tol,
                n_iter_no_change=self.n_iter_no_change,
                shuffle=self.shuffle,
                dropout=network.dropout > 0,
                verbose=bool(self.verbose),
            )
            n_iter_before, unit = state.n_iter, state.loss_unit
            # the objective, built once: J / unit and its gradient (loss and weight decay scaled alike)
            loss = bind(self._head.loss(self), 1.0 / unit, **self._loss_parameters())
            objective = partial(network.objective, loss=loss, weight_decay=self.weight_decay / unit, buffers={})
            result = train(
                objective, theta, state, *data, config, validation_score, callbacks.epoch_hook(network, theta)
            )
            if not incremental or result.state.n_iter > n_iter_before:  # else interrupted at once: keep them exactly
                self._store_parameters(network, result.theta)
            self._store_training(result, incremental, n_iter_before, validation_score is not None)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise
        callbacks.end()
        if not (incremental or result.converged or result.interrupted):
            what = "iterations" if self.solver == "lbfgs" else "epochs"
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} {what} reached and the optimization has not "
                f"converged yet (tol={self.tol}). Increase max_iter, or tol.",
                ConvergenceWarning,
                stacklevel=caller_stacklevel(),
            )
        return self

    def _prepare(self, X, y, sample_weight, incremental, classes):
        """Everything training starts from: the network, parameters, state, data and validation score.

        Validates the data, encodes the targets (the head), folds in class
        weights, computes the standardised coordinates (kept by ``partial_fit``),
        starts or continues the parameters and the optimizer, and splits off
        the early-stopping rows.
        """
        first_call = not hasattr(self, "_training_state") or not (incremental or self.warm_start)
        hidden, activation, init, dropout = self._architecture()
        X, y = self._validate_fit_data(X, y, reset=first_call)
        head = self._choose_head(y, first_call)
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
        if not incremental or state.standardisation is None:  # partial_fit keeps the coordinates it began in
            regression = isinstance(head, RegressionHead)
            state.standardisation = _standardisation(X, Y, sample_weight, self.weight_decay, outputs=regression)
            state.loss_unit = self._loss_unit(Y, sample_weight) if regression else 1.0
            state.auto_learning_rate = None
        sizes = (X.shape[1], *hidden, Y.shape[1])
        coordinates = Standardisation(*state.standardisation)
        network = Network(sizes, activation, self.out_activation_, dropout, coordinates)
        if first_call:
            theta = network.init_params(state.rng, dtype=X.dtype, init=init)
        else:
            theta = network.from_layers(self._layers()).astype(X.dtype, copy=False)
        if not incremental:
            state.reset_stopping()

        validation_score = None
        if self.early_stopping and not incremental and self.solver != "lbfgs":
            X, X_val, Y, Y_val, sample_weight, sw_val = self._split(head, X, Y, sample_weight, state.rng)
            validation_score = partial(_validation_score, head, self, network, X_val, Y_val, sw_val)
        state.optimizer = self._optimizer(network, X, sample_weight, state, incremental)
        return network, theta, state, (X, Y, sample_weight), validation_score

    def _store_training(self, result, incremental, n_iter_before, validated):
        """The fitted attributes of training: state, epochs, curves, validation scores."""
        self._training_state = result.state
        # epochs of this call to fit (as scikit-learn's MLP, also with warm_start); partial_fit counts on
        self.n_iter_ = result.state.n_iter if incremental else result.state.n_iter - n_iter_before
        self.loss_curve_ = list(result.state.loss_curve)
        self.best_loss_ = result.state.best_loss
        self.validation_scores_ = list(result.state.validation_scores) if validated else None
        self.best_validation_score_ = result.state.best_validation_score if validated else None

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
        if self.dropout > 0 and self.solver == "lbfgs":
            raise ValueError(
                "dropout is not supported with solver='lbfgs' (dropout makes the objective random); "
                "set dropout=0 or solver='sgd', 'rmsprop' or 'adam'."
            )
        activation = ALIASES.get(self.activation, self.activation)
        return tuple(int(n) for n in sizes.tolist()), activation, self.init, self.dropout

    def _loss_parameters(self):
        """The loss's declared parameters (like Huber's ``delta``), from the estimator's parameters."""
        return {name: getattr(self, name) for name in LOSSES[self._head.loss(self)].parameters}

    def _loss_unit(self, Y, sample_weight):
        """Twice the objective of predicting the mean of ``y`` (the variance of y, for the squared error).

        Regressors minimise ``J / unit``: the same minimum, with learning
        rates, ``tol`` and L-BFGS's tolerance that do not depend on the units of y.
        """
        loss = bind(self._head.loss(self), **self._loss_parameters())
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow here shows as divergence at epoch 1
            mean = np.average(Y, axis=0, weights=sample_weight)
            J_mean, _ = weighted_loss(loss, Y, np.broadcast_to(mean, Y.shape), sample_weight)
        return 2.0 * J_mean if 0 < J_mean < np.inf else 1.0

    def _optimizer(self, network, X, sample_weight, state, incremental):
        """The solver's optimizer: a new one, or (``partial_fit``) the state's own with the current hyperparameters.

        Its hyperparameters come from the estimator's parameters of the same
        names, as the optimizer declares them. With ``learning_rate='auto'`` on
        a linear model, full-batch 'sgd' adapts its step from ``1 / L`` on
        (:class:`~sknotes.nn.optimizers.SGD`'s ``grow``).
        """
        if self.solver == "lbfgs":
            return None
        Optimizer = OPTIMIZERS[self.solver]
        settings = {name: getattr(self, name) for name in Optimizer.HYPERPARAMETERS}
        settings["learning_rate"] = self._step_size(network, X, sample_weight, state)
        if self.solver == "sgd":
            settings["grow"] = AUTO_STEP_GROWTH if self.learning_rate == "auto" and len(network.layers) == 1 else 1.0
        if incremental and isinstance(state.optimizer, Optimizer):
            for name, value in settings.items():
                setattr(state.optimizer, name, value)
            return state.optimizer
        return Optimizer(**settings)

    def _step_size(self, network, X, sample_weight, state):
        """The learning rate: ``learning_rate``, or the step that ``'auto'`` stands for.

        ``'auto'`` is ``1 / L(b)`` for 'sgd' on a linear model, from the bound
        on the gradient's Lipschitz constant of
        :func:`~sknotes.nn.stepsize.lipschitz_bound`; :data:`AUTO_STEP` else.
        It is computed once per ``fit`` (at the first ``partial_fit``) and kept.
        """
        if self.learning_rate != "auto":
            return self.learning_rate
        if state.auto_learning_rate is None:
            state.auto_learning_rate = AUTO_STEP
            if self.solver == "sgd" and len(network.layers) == 1:
                batch_size = X.shape[0] if self.batch_size is None else self.batch_size
                offset, scale, _, output_scale = state.standardisation
                curvature = LOSSES[self._head.loss(self)].curvature
                L = lipschitz_bound(X, sample_weight, offset, scale, curvature, self.weight_decay, batch_size)
                if output_scale is not None:  # outputs z = t z': the curvature in z' is t^2 times larger
                    L *= float(np.max(output_scale.astype(np.float64) ** 2))
                state.auto_learning_rate = state.loss_unit / L  # and training minimises J / unit
        return state.auto_learning_rate

    def _split(self, head, X, Y, sample_weight, rng):
        """Hold out ``validation_fraction`` of the rows for early stopping.

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
        X, X_val, Y, Y_val, sw, sw_val = train_test_split(X, Y, sw, test_size=n_val, random_state=rng, stratify=labels)
        labels = head.stratify(self, Y)
        too_few_classes = labels is not None and np.unique(labels[sw > 0]).size < 2
        if not (sw.sum() > 0 and sw_val.sum() > 0) or too_few_classes:
            raise ValueError(
                f"early_stopping: holding out validation_fraction={self.validation_fraction} of the rows left "
                f"{'too few classes' if too_few_classes else 'no positive sample weight'} on one side of the "
                "split. Change validation_fraction, or set early_stopping=False."
            )
        return X, X_val, Y, Y_val, (None if sample_weight is None else sw), sw_val

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


def _validation_score(head, est, network, X, Y, sample_weight, theta):
    """The head's score (R^2 or accuracy) of the parameters ``theta`` on the early-stopping rows."""
    return head.score(est, network.forward(theta, X)[0], Y, sample_weight)


class NetworkRegressor(RegressorMixin, BaseNetworkEstimator):
    """Regression front end: float targets, one network output per target (:class:`~sknotes._heads.RegressionHead`)."""

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        "loss": [choices(REGRESSION_LOSSES)],
        **{name: _constraint(setting) for name, setting in LOSS_SETTINGS.items()},
    }
    _head = RegressionHead()

    def _choose_head(self, y, first_call):
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
        over between calls and through pickling; a changed ``learning_rate``
        takes effect at the next call.

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

    def _choose_head(self, y, first_call):
        """The head for ``y``'s type of target (set on the first call; later calls must match it)."""
        check_classification_targets(y)
        target = type_of_target(y)
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
        pickling; a changed ``learning_rate`` takes effect at the next call.

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
