"""The shared scikit-learn front end.

Every estimator is a :class:`~sknotes.nn.Network` (hidden layers or none, an
output activation and a loss) trained by :func:`sknotes._training.train`.
:class:`BaseNetworkEstimator` does what they all share: parameter and data
validation, sample and class weights, the early-stopping split, starting,
continuing or resuming training, and the fitted attributes. The subclasses
only say which network they are (:meth:`_build_network`), how targets are
encoded and how the flat parameters map to their public attributes.
"""

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
)
from sklearn.utils.sparsefuncs import mean_variance_axis
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from ._callbacks import CallbackSupportMixin, FitCallbacks
from ._training import TrainingConfig, TrainingState, train
from ._validation import caller_stacklevel, choices, stochastic_only
from .nn import LOSSES, OPTIMIZERS, weighted_loss
from .nn.coordinates import Standardisation
from .nn.stepsize import lipschitz_bound

_DTYPES = (np.float64, np.float32)
#: With learning_rate='auto', full-batch 'sgd' on a linear model grows its step by this factor after every step
#: that lowers the objective (and halves it after one that raises it): 1 / L is a bound, often far from tight.
AUTO_STEP_GROWTH = 1.1


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
    root, every weight's diagonal curvature in these coordinates is about 1,
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


def _objective(network, loss, weight_decay, unit):
    """The function training minimises: ``objective(theta, X, Y, sample_weight, rng) -> (J / unit, grad / unit)``.

    ``J`` is :meth:`~sknotes.nn.Network.objective`, the weighted mean loss plus
    ``(lambda / 2) sum ||W||^2``, with its gradient. Built once per fit, with
    one set of batch-sized arrays that every call reuses.
    """
    buffers, scale = {}, 1.0 / unit

    def objective(theta, X, Y, sample_weight, rng):
        J, grad = network.objective(theta, X, Y, loss, sample_weight, weight_decay, rng, buffers)
        if unit != 1.0:
            grad *= grad.dtype.type(scale)
        return J * scale, grad

    return objective


class BaseNetworkEstimator(CallbackSupportMixin, BaseEstimator):
    """Base class of all sknotes estimators (not for direct use)."""

    _parameter_constraints: dict = {
        "learning_rate": [Interval(Real, 0, None, closed="neither"), choices({"auto"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "solver": [choices({"sgd", "adam", "lbfgs"})],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "warm_start": ["boolean"],
        "verbose": ["verbose"],
    }

    # ---- what a subclass provides -------------------------------------------------------

    def _build_network(self, n_features, n_outputs, coordinates=None):
        """The :class:`~sknotes.nn.Network` this estimator is (``coordinates``: see :class:`~sknotes.nn.Network`)."""
        raise NotImplementedError

    def _loss_name(self):
        """Key of :data:`~sknotes.nn.LOSSES` for the current parameters."""
        raise NotImplementedError

    def _encode_targets(self, y, first_call, incremental, classes):
        """Check ``y`` and return it as an array of shape (n_samples, n_outputs) (sets ``classes_`` etc.)."""
        raise NotImplementedError

    def _set_params_from_theta(self, network, theta):
        """Store the flat parameters as the public fitted attributes."""
        raise NotImplementedError

    def _get_params(self):
        """The fitted attributes as per-layer ``(W, b)`` arrays, ``W`` of shape (n_in, n_out)."""
        raise NotImplementedError

    def _get_theta(self, network):
        """The fitted attributes as a new flat parameter vector."""
        return network.from_layers(self._get_params())

    def _validation_score(self, network, theta, X, Y, sample_weight):
        """Score (higher is better) on the early-stopping validation split."""
        raise NotImplementedError

    def _n_outputs(self):
        """Number of network outputs of the fitted estimator."""
        raise NotImplementedError

    def _class_weights(self, Y, sample_weight, incremental):
        """Fold class weights into the sample weights (classifiers); ``None`` means uniform."""
        return sample_weight

    def _stratify(self, Y):
        """Labels to stratify the early-stopping split by (classifiers), or ``None``."""
        return None

    # ---- fitting ------------------------------------------------------------------------

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

    def _more_validate_params(self, incremental):
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; set early_stopping=False.")
        if self.solver == "lbfgs" and self.learning_rate != "auto":
            warnings.warn(
                f"learning_rate={self.learning_rate!r} is ignored by solver='lbfgs', which chooses its own steps; "
                "leave learning_rate='auto', or use solver='sgd' or 'adam'.",
                UserWarning,
                stacklevel=caller_stacklevel(),
            )

    def _fit(self, X, y, sample_weight, incremental, classes=None):
        """Shared body of ``fit`` and ``partial_fit``: on any error the estimator is left as it was."""
        if incremental:  # scikit-learn's _fit_context validates partial_fit only until the first fit
            self._validate_params()
        self._more_validate_params(incremental)
        callbacks = FitCallbacks(self, X, y, sample_weight, max_epochs=1 if incremental else self.max_iter)
        snapshot = dict(self.__dict__)
        try:
            self._fit_unsafe(X, y, sample_weight, incremental, classes, callbacks)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise
        callbacks.end()
        return self

    def _fit_unsafe(self, X, y, sample_weight, incremental, classes, callbacks):
        fitted = hasattr(self, "_training_state")
        first_call = not fitted or not (incremental or self.warm_start)
        X, y = self._validate_fit_data(X, y, reset=first_call)
        Y = self._encode_targets(y, first_call, incremental, classes).astype(X.dtype, copy=False)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        sample_weight = self._class_weights(Y, sample_weight, incremental)

        if first_call:
            seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
            state = TrainingState(rng=np.random.RandomState(seed))
        else:
            state = self._training_state.copy()
        if not incremental or state.standardisation is None:  # partial_fit keeps the coordinates it began in
            state.standardisation = _standardisation(
                X, Y, sample_weight, self.weight_decay, outputs=isinstance(self, RegressorMixin)
            )
            state.loss_unit = self._loss_unit(Y, sample_weight)
            state.auto_learning_rate = None
        network = self._build_network(X.shape[1], Y.shape[1], Standardisation(*state.standardisation))
        if first_call:
            theta = network.init_params(state.rng, dtype=X.dtype, **self._init_options())
        else:
            theta = self._get_theta(network).astype(X.dtype, copy=False)
        if not incremental:
            state.reset_stopping()
        n_iter_before = state.n_iter

        validation_score = None
        if self.early_stopping and not incremental and self.solver != "lbfgs":
            X, X_val, Y, Y_val, sample_weight, sw_val = self._split(X, Y, sample_weight, state.rng)
            validation_score = partial(self._validation_score, network, X=X_val, Y=Y_val, sample_weight=sw_val)
        if self.solver == "lbfgs":
            state.optimizer = None
        elif incremental and isinstance(state.optimizer, OPTIMIZERS[self.solver]):
            self._configure_optimizer(state.optimizer, network, self._step_size(network, X, sample_weight, state))
        else:
            step = self._step_size(network, X, sample_weight, state)
            state.optimizer = self._configure_optimizer(None, network, step)

        config = TrainingConfig(
            solver=self.solver,
            batch_size=self.batch_size,
            max_iter=1 if incremental else self.max_iter,
            tol=None if incremental else self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            dropout=getattr(self, "dropout", 0) > 0,
            verbose=bool(self.verbose),
        )
        objective = _objective(network, self._loss_function(), self.weight_decay, state.loss_unit)
        result = train(
            objective, theta, state, X, Y, sample_weight, config, validation_score, callbacks.epoch_hook(network, theta)
        )
        if first_call or result.state.n_iter > n_iter_before:  # else: interrupted at once, keep the exact parameters
            self._set_params_from_theta(network, result.theta)
        self._training_state = result.state
        # epochs of this call to fit (as scikit-learn's MLP, also with warm_start); partial_fit counts on
        self.n_iter_ = result.state.n_iter if incremental else result.state.n_iter - n_iter_before
        self.loss_curve_ = list(result.state.loss_curve)
        self.best_loss_ = result.state.best_loss
        ran_validation = validation_score is not None
        self.validation_scores_ = list(result.state.validation_scores) if ran_validation else None
        self.best_validation_score_ = result.state.best_validation_score if ran_validation else None
        if not (incremental or result.converged or result.interrupted):
            what = "iterations" if self.solver == "lbfgs" else "epochs"
            warnings.warn(
                f"{type(self).__name__}: max_iter={self.max_iter} {what} reached and the optimization has not "
                f"converged yet (tol={self.tol}). Increase max_iter, or tol.",
                ConvergenceWarning,
                stacklevel=caller_stacklevel(),
            )
        return self

    def _validate_fit_data(self, X, y, reset):
        return validate_data(self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=True)

    def _loss_unit(self, Y, sample_weight):
        """Training minimises ``J / unit`` (1 for the classifiers, whose loss has no units)."""
        return 1.0

    def _init_options(self):
        """Keyword arguments of :meth:`~sknotes.nn.Network.init_params` (the MLPs choose the initialisation)."""
        return {}

    def _step_size(self, network, X, sample_weight, state):
        """The learning rate: ``learning_rate``, or the step that ``'auto'`` stands for.

        ``'auto'`` is ``1 / L(b)`` for 'sgd' on a linear model, from the
        bound on the gradient's Lipschitz constant of
        :func:`~sknotes.nn.stepsize.lipschitz_bound`; 0.001 for Adam and
        RMSProp (the step their authors recommend, the size of a step whatever
        the gradient's scale) and for 'sgd' on an MLP. It is computed once per
        ``fit`` (at the first ``partial_fit``) and kept.
        """
        if self.learning_rate != "auto":
            return self.learning_rate
        if state.auto_learning_rate is None:
            if self.solver == "sgd" and len(network.layers) == 1:
                batch_size = X.shape[0] if self.batch_size is None else self.batch_size
                offset, scale, _, output_scale = state.standardisation
                curvature = LOSSES[self._loss_name()].curvature
                L = lipschitz_bound(X, sample_weight, offset, scale, curvature, self.weight_decay, batch_size)
                if output_scale is not None:  # outputs z = t z': the curvature in z' is t^2 times larger
                    L *= float(np.max(output_scale.astype(np.float64) ** 2))
                L /= state.loss_unit  # and training minimises J / unit
                state.auto_learning_rate = 1.0 / L
            else:
                state.auto_learning_rate = 0.001
        return state.auto_learning_rate

    def _configure_optimizer(self, optimizer, network, learning_rate):
        """Create the optimizer of ``self.solver``, or update an existing one's hyperparameters.

        With ``learning_rate='auto'`` on a linear model, full-batch 'sgd' adapts its
        step from ``1 / L`` on (:class:`~sknotes.nn.optimizers.SGD`'s ``grow``).
        """
        if self.solver == "sgd":
            hyper = {"learning_rate": learning_rate, "momentum": self.momentum, "nesterov": self.nesterov}
            hyper["grow"] = AUTO_STEP_GROWTH if self.learning_rate == "auto" and len(network.layers) == 1 else 1.0
        else:
            hyper = {"learning_rate": learning_rate, "beta_1": self.beta_1, "beta_2": self.beta_2}
            hyper["epsilon"] = self.epsilon
        if optimizer is None:
            return OPTIMIZERS[self.solver](**hyper)
        for name, value in hyper.items():
            setattr(optimizer, name, value)
        return optimizer

    def _loss_function(self):
        loss = LOSSES[self._loss_name()].function
        return partial(loss, delta=self.delta) if self._loss_name() == "huber" else loss

    def _split(self, X, Y, sample_weight, rng):
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
        labels = self._stratify(Y)
        if labels is not None:
            counts = np.bincount(labels)
            counts = counts[counts > 0]
            if counts.min() < 2 or min(n_val, X.shape[0] - n_val) < counts.size:
                labels = None
        sw = np.ones(X.shape[0], dtype=X.dtype) if sample_weight is None else sample_weight
        X, X_val, Y, Y_val, sw, sw_val = train_test_split(X, Y, sw, test_size=n_val, random_state=rng, stratify=labels)
        labels = self._stratify(Y)
        too_few_classes = labels is not None and np.unique(labels[sw > 0]).size < 2
        if not (sw.sum() > 0 and sw_val.sum() > 0) or too_few_classes:
            raise ValueError(
                f"early_stopping: holding out validation_fraction={self.validation_fraction} of the rows left "
                f"{'too few classes' if too_few_classes else 'no positive sample weight'} on one side of the "
                "split. Change validation_fraction, or set early_stopping=False."
            )
        return X, X_val, Y, Y_val, (None if sample_weight is None else sw), sw_val

    # ---- prediction ---------------------------------------------------------------------

    def _forward(self, X):
        """Validated ``X`` through the fitted network: raw outputs, shape (n_samples, n_outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, accept_sparse="csr", dtype=_DTYPES)
        network = self._build_network(self.n_features_in_, self._n_outputs())
        params = [(W.astype(X.dtype, copy=False), b.astype(X.dtype, copy=False)) for W, b in self._get_params()]
        return network.forward(params, X)[0]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class NetworkRegressor(RegressorMixin, BaseNetworkEstimator):
    """Regression front end: float targets, one network output per target, R^2 for early stopping."""

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        "loss": [choices({"squared_error", "absolute_error", "huber"})],
        "delta": [Interval(Real, 0, None, closed="neither")],
    }

    def _loss_name(self):
        return self.loss

    def _validate_fit_data(self, X, y, reset):
        return validate_data(
            self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=True, y_numeric=True
        )

    def _encode_targets(self, y, first_call, incremental, classes):
        if first_call:
            self._y_1d = y.ndim == 1
            self.out_activation_ = "identity"
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first_call and Y.shape[1] != self._n_outputs():
            raise ValueError(
                f"y has {Y.shape[1]} targets, but {type(self).__name__} was fitted with {self._n_outputs()}."
            )
        return Y

    def _loss_unit(self, Y, sample_weight):
        """Twice the objective of predicting the mean of ``y`` (the variance of y, for the squared error).

        Training minimises ``J / unit``: the same minimum, with learning
        rates, ``tol`` and L-BFGS's tolerance that do not depend on the units of y.
        """
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow here shows as divergence at epoch 1
            mean = np.average(Y, axis=0, weights=sample_weight)
            J_mean, _ = weighted_loss(self._loss_function(), Y, np.broadcast_to(mean, Y.shape), sample_weight)
        return 2.0 * J_mean if 0 < J_mean < np.inf else 1.0

    def _validation_score(self, network, theta, X, Y, sample_weight):
        return r2_score(Y, network.forward(theta, X)[0], sample_weight=sample_weight)

    @stochastic_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch of the 'sgd' or 'adam' solver over the given rows.

        The first call initialises the model; later calls continue from it.
        The optimizer's state (momentum, Adam moments, step count) carries over
        between calls and through pickling; a changed ``learning_rate`` takes
        effect at the next call.

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
        Z = self._forward(X)
        return Z.ravel() if self._y_1d else Z

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class NetworkClassifier(ClassifierMixin, BaseNetworkEstimator):
    """Classification front end: labels to indicator targets, class weights, probabilities.

    The network's raw outputs ``Z`` are class scores. With a softmax output
    there is one score per class (also for two classes); with a sigmoid output
    there is a single score for two classes, or one per label for a
    multilabel indicator ``y``.
    """

    _parameter_constraints: dict = {
        **BaseNetworkEstimator._parameter_constraints,
        "class_weight": [dict, choices({"balanced"}), None],
    }

    #: Output for two classes: 'softmax' (two scores) or 'sigmoid' (one score).
    _binary_output = "softmax"
    #: Whether a label indicator matrix ``y`` (multilabel classification) is accepted.
    _multilabel = False

    def _validate_fit_data(self, X, y, reset):
        X, y = validate_data(self, X, y, reset=reset, accept_sparse="csr", dtype=_DTYPES, multi_output=self._multilabel)
        if y.ndim == 2 and y.shape[1] == 1:  # a column vector is not a multilabel target
            y = column_or_1d(y, warn=True)
        return X, y

    def _more_validate_params(self, incremental):
        super()._more_validate_params(incremental)
        if isinstance(self.class_weight, dict):
            bad = {
                label: weight
                for label, weight in self.class_weight.items()
                if not (isinstance(weight, Real) and np.isfinite(weight) and weight >= 0)
            }
            if bad:
                raise ValueError(f"class_weight must map labels to finite non-negative numbers; got {bad}.")

    def _encode_targets(self, y, first_call, incremental, classes):
        check_classification_targets(y)
        target_type = type_of_target(y)
        if target_type.endswith("multioutput"):
            raise ValueError(
                f"{type(self).__name__} does not support {target_type} targets (a 2-D y of class labels); pass a "
                "1-D y, or a 0/1 label indicator matrix for multilabel classification."
            )
        multilabel = target_type == "multilabel-indicator"
        if incremental:
            _check_partial_fit_first_call(self, classes)
        elif first_call:  # unique_labels(y), without a third type_of_target (a few hundred microseconds)
            self.classes_ = np.arange(y.shape[1]) if multilabel else np.unique(y)
        if first_call:
            if self.classes_.shape[0] < 2 and not multilabel:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes in the data, but the data "
                    f"contains only one class: {self.classes_[0]!r}."
                )
            binary = self.classes_.shape[0] == 2
            self.out_activation_ = "sigmoid" if multilabel or binary and self._binary_output == "sigmoid" else "softmax"
        if multilabel != (self.out_activation_ == "sigmoid" and y.ndim == 2):
            raise ValueError(f"y is {'not ' * (not multilabel)}a label indicator matrix, unlike at the first call.")
        if not (first_call or incremental or multilabel) and not np.array_equal(np.unique(y), self.classes_):
            raise ValueError(  # as scikit-learn's MLP: a warm start continues the same classifier
                "warm_start can only be used where y has the same classes as in the previous call to fit. "
                f"Previously got {self.classes_.tolist()}, y has {np.unique(y).tolist()}."
            )
        if multilabel:
            if y.shape[1] != self.classes_.shape[0]:
                raise ValueError(
                    f"y has {y.shape[1]} labels, but {self.classes_.shape[0]} were seen at the first call."
                )
            return y
        index = np.searchsorted(self.classes_, y)
        unseen = (index >= self.classes_.shape[0]) | (self.classes_[np.minimum(index, self.classes_.shape[0] - 1)] != y)
        if unseen.any():
            raise ValueError(
                f"y contains labels {np.unique(y[unseen]).tolist()} that are not in classes_ "
                f"{self.classes_.tolist()} (set at the first call to fit or partial_fit)."
            )
        Y = np.zeros((y.shape[0], self.classes_.shape[0]))
        Y[np.arange(y.shape[0]), index] = 1
        return Y[:, 1:] if self.out_activation_ == "sigmoid" else Y

    def _single_label_index(self, Y):
        """Class index of every row of encoded targets (single-label problems)."""
        return (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)

    def _class_weights(self, Y, sample_weight, incremental):
        multilabel = self.out_activation_ == "sigmoid" and Y.shape[1] > 1
        if isinstance(self.class_weight, dict):
            unknown = [label for label in self.class_weight if label not in set(self.classes_.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight has labels that are not classes of y: {unknown}; the classes are "
                    f"{self.classes_.tolist()}."
                )
        if self.class_weight is not None:
            if multilabel:
                raise ValueError("class_weight is not supported for multilabel y; pass sample_weight instead.")
            if incremental and self.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: the class frequencies of the "
                    "whole data are unknown. Pass class_weight as a dict, or use fit."
                )
            index = self._single_label_index(Y)
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=self.classes_[index])
            per_sample = weights[index].astype(Y.dtype)
            sample_weight = per_sample if sample_weight is None else sample_weight * per_sample
        if not incremental and sample_weight is not None and not multilabel:
            weight_per_class = np.bincount(self._single_label_index(Y), sample_weight, self.classes_.shape[0])
            if np.count_nonzero(weight_per_class > 0) < 2:
                raise ValueError(
                    f"{type(self).__name__} needs samples of at least 2 classes with positive weight, but "
                    f"only class {self.classes_[weight_per_class.argmax()]!r} has any."
                )
        return sample_weight

    def _stratify(self, Y):
        return None if self.out_activation_ == "sigmoid" and Y.shape[1] > 1 else self._single_label_index(Y)

    def _loss_name(self):
        return "categorical_crossentropy" if self.out_activation_ == "softmax" else "binary_crossentropy"

    def _labels_from_scores(self, Z):
        """Predicted class indices (single label) or 0/1 indicators (multilabel) from raw scores."""
        if self.out_activation_ == "softmax":
            return Z.argmax(axis=1)
        return (Z > 0).astype(int).ravel() if Z.shape[1] == 1 else (Z > 0).astype(int)

    def _validation_score(self, network, theta, X, Y, sample_weight):
        Z = network.forward(theta, X)[0]
        # Y - 1/2 turns one-hot/indicator targets into scores that decode to the true labels.
        return accuracy_score(
            self._labels_from_scores(Y - 0.5), self._labels_from_scores(Z), sample_weight=sample_weight
        )

    @stochastic_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the 'sgd' or 'adam' solver over the given rows.

        The first call initialises the model and must list all the classes;
        later calls continue from it. The optimizer's state (momentum, Adam
        moments, step count) carries over between calls and through pickling; a
        changed ``learning_rate`` takes effect at the next call.

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
        """Class scores: the network's raw outputs (logits).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the log-odds of ``classes_[1]`` against
            ``classes_[0]`` (positive means ``classes_[1]``), as scikit-learn's
            binary classifiers return; otherwise one score per class (or label).
        """
        Z = self._forward(X)
        if Z.shape[1] == 1:
            return Z.ravel()
        return Z[:, 1] - Z[:, 0] if self.out_activation_ == "softmax" and Z.shape[1] == 2 else Z

    def predict(self, X):
        """Predict class labels: the class with the highest score (each label with a positive score, multilabel).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
        """
        labels = self._labels_from_scores(self._forward(X))
        return labels if labels.ndim == 2 else self.classes_[labels]

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
        if self.out_activation_ == "softmax":
            return softmax(Z, axis=1)
        return np.hstack([expit(-Z), expit(Z)]) if Z.shape[1] == 1 else expit(Z)

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
        if self.out_activation_ == "softmax":
            return log_softmax(Z, axis=1)
        return np.hstack([log_expit(-Z), log_expit(Z)]) if Z.shape[1] == 1 else log_expit(Z)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = self._multilabel
        return tags
