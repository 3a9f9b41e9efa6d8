"""Output heads: what a network's raw outputs mean, and what its targets become.

A network makes raw outputs ``Z``, one row per sample. A head owns
everything on that side of the model: it checks and encodes the targets
``y`` as the matrix ``Y`` the loss compares ``Z`` with, names the loss (whose
registry entry gives the output activation), folds class weights into the
sample weights, gives the labels that stratify an early-stopping split,
scores a validation set, and decodes ``Z`` into predictions, probabilities
and decision scores.

================  ================================  ==============================  =================
head              targets                           outputs                         probabilities
================  ================================  ==============================  =================
RegressionHead    values, one or several columns    one per target, through the     none
                  (in the loss's domain: counts     loss's output activation
                  for ``loss='poisson'``)           (identity; exp for poisson)
SoftmaxHead       labels                            one score per class             softmax
SigmoidHead       two labels                        one score                       sigmoid
MultilabelHead    a 0/1 matrix                      one score per label             sigmoid per label
HingeHead         labels                            one score (two classes), or     none
                                                    one per class (one-vs-rest)
================  ================================  ==============================  =================

A head is bound to the estimator it serves, ``head = Head(est)``: once per
call to ``fit`` or ``partial_fit``, and for each prediction. It reads the
estimator's parameters (``loss``, its parameters such as ``delta``,
``class_weight``) and declares what the rest of the front end needs: the
loss's name and bound parameters, the output activation, the targets'
moments that the output coordinates follow (regression only) and the unit
of the objective. It holds no data: the fitted attributes it sets
(``classes_``, ``_y_1d``) stay on the estimator, so a fitted estimator
pickles as its attributes alone.
"""

from numbers import Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call

from ._coordinates import MAX_COVARIANCE_ROWS, moments
from .nn import ACTIVATIONS, LOSSES, weighted_loss
from .nn.coordinates import MAX_MIXED_FEATURES, Moments
from .nn.losses import bind
from .nn.optimality import least_squares_gap


class Head:
    """What every head declares (bound to the estimator ``est``).

    ``probabilities`` says whether the head makes class probabilities
    (``predict_proba``).
    """

    probabilities = False
    #: Whether the loss is the squared error, whose excess over the minimum is known exactly (a linear model's).
    least_squares = False
    #: The name of the head's loss in :data:`~sknotes.nn.losses.LOSSES` (the regression head: the estimator's ``loss``).
    loss_name = None

    def __init__(self, est):
        self.est = est

    @property
    def loss(self):
        """The name of the loss in :data:`~sknotes.nn.losses.LOSSES`."""
        return self.loss_name

    @property
    def loss_parameters(self):
        """The loss's declared parameters (like Huber's ``delta``), from the estimator's parameters."""
        return {name: getattr(self.est, name) for name in LOSSES[self.loss].parameters}

    @property
    def out_activation(self):
        """The output activation the loss is written for (the registry of losses says)."""
        return LOSSES[self.loss].out_activation

    def bound_loss(self, scale=1.0, **extra):
        """The loss function with its parameters bound, values and gradients times ``scale``."""
        return bind(self.loss, scale, **self.loss_parameters, **extra)

    def target_moments(self, Y, sample_weight):
        """The targets' moments, kept across ``partial_fit`` calls where the outputs follow them; else None."""
        return None

    def output_moments(self, target_moments):
        """The moments of the raw outputs that predict the targets, which the output coordinates standardise."""
        return None

    def loss_unit(self, Y, sample_weight, target_moments):
        """The unit of the objective: training minimises ``J / unit`` (1: the loss as it is)."""
        return 1.0

    def excess_over_optimum(self, X, Y, sample_weight, layer, weight_decay, state):
        """A linear model's objective above its minimum, divided by the unit, where it is known exactly; else None."""
        return None


class RegressionHead(Head):
    """Real-valued targets, one network output each, compared by the estimator's ``loss``.

    The output coordinates follow the targets: their mean and spread
    through the loss's ``link`` (:class:`~sknotes.nn.losses.Loss`): the
    targets' own for the identity, ``log`` of their mean for the Poisson
    loss (whose outputs are log-means).
    """

    @property
    def loss(self):
        return self.est.loss

    @property
    def least_squares(self):
        return self.loss == "squared_error"

    def encode(self, y, first_call, incremental, classes=None):
        """``y`` as a 2-D float matrix, checked against the loss's domain; remembers whether it was 1-D."""
        est = self.est
        if first_call:
            est._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        n_outputs = None if first_call else est._layers()[-1][0].shape[1]
        if n_outputs is not None and Y.shape[1] != n_outputs:
            raise ValueError(f"y has {Y.shape[1]} targets, but {type(est).__name__} was fitted with {n_outputs}.")
        return self.check_domain(Y)

    def check_domain(self, Y, name="y"):
        """``Y``, checked to lie in the loss's domain (non-negative counts for the Poisson loss)."""
        if LOSSES[self.loss].domain == "non-negative" and not np.all(Y >= 0):  # (as scikit-learn's PoissonRegressor)
            raise ValueError(
                f"Some value(s) of {name} are out of the valid range of the loss {self.loss!r}: {name} must be "
                "non-negative."
            )
        return Y

    def weights(self, Y, sample_weight, incremental):
        return sample_weight

    def stratify(self, Y):
        return None

    def target_moments(self, Y, sample_weight):
        return moments(Y, sample_weight)

    def output_moments(self, target_moments):
        """The targets' moments (identity link), or for a link: the link of their mean, spread 1."""
        link = LOSSES[self.loss].link
        if target_moments is None or link is None:
            return target_moments
        with np.errstate(divide="ignore", invalid="ignore"):  # (all zeros: an infinite offset, which becomes 0)
            mean = link(target_moments.mean)
        return Moments(target_moments.weight, mean, np.zeros_like(target_moments.mean))

    def loss_unit(self, Y, sample_weight, target_moments):
        """Twice the objective of predicting the mean of ``y`` (the variance of y, for the squared error).

        Regressors minimise ``J / unit``: the same minimum, with learning
        rates, ``tol`` and L-BFGS's tolerance that do not depend on the units
        of y. For the squared error it is the variance of all the rows seen
        (``target_moments``); for the other losses, that of this call's rows
        around the mean of all the rows seen (for the Poisson loss, the mean
        deviance of predicting that mean).
        """
        if self.least_squares:  # the targets' variance: of all the rows seen, exactly
            unit = float(np.sum(target_moments.variance))
            return unit if 0 < unit < np.inf else 1.0
        mean = self.output_moments(target_moments).mean
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow here shows as divergence at epoch 1
            Z = np.broadcast_to(np.where(np.isfinite(mean), mean, 0.0).astype(Y.dtype), Y.shape)
            J_mean, _ = weighted_loss(self.bound_loss(), Y, Z, sample_weight)
        return 2.0 * J_mean if 0 < J_mean < np.inf else 1.0

    def excess_over_optimum(self, X, Y, sample_weight, layer, weight_decay, state):
        """For the squared error, exactly: :func:`~sknotes.nn.optimality.least_squares_gap` (one pass over the
        rows, its Hessian from the inputs' moments where they hold all of them, and a solve of the size of the
        features, so only up to :data:`~sknotes.nn.coordinates.MAX_MIXED_FEATURES` of them)."""
        if not self.least_squares or X.shape[1] > MAX_MIXED_FEATURES:
            return None
        W, b = layer
        inputs, moments = None if state.moments is None else Moments(*state.moments[0]), None
        if inputs is not None and inputs.covariance is not None and X.shape[0] <= MAX_COVARIANCE_ROWS:  # all rows
            moments = inputs.mean, inputs.covariance
        return least_squares_gap(X, Y, W, b, sample_weight, weight_decay, moments) / state.loss_unit

    def score(self, Z, Y, sample_weight):
        """R^2 of the predictions, the early-stopping score of regressors."""
        return r2_score(Y, self.outputs(Z), sample_weight=sample_weight)

    def outputs(self, Z):
        """The predicted targets: the raw outputs through the output activation (the inverse link)."""
        activation = self.out_activation
        return Z if activation == "identity" else ACTIVATIONS[activation].forward(Z)

    def predict(self, Z):
        prediction = self.outputs(Z)
        return prediction.ravel() if self.est._y_1d else prediction


class _LabelHead(Head):
    """Class labels: one-hot targets, class weights, stratification, accuracy.

    ``single_binary_output``: two classes make one output, the score of
    ``classes_[1]`` (else two).
    """

    single_binary_output = False
    probabilities = True

    def _check_classes(self, y, first_call, incremental, classes):
        """Set ``classes_`` on the first call (``partial_fit``: from ``classes``); their number."""
        est = self.est
        if incremental:
            _check_partial_fit_first_call(est, classes)
        elif first_call:
            est.classes_ = self._classes(y)
        return est.classes_.shape[0]

    @staticmethod
    def _classes(y):
        return np.unique(y)  # unique_labels(y), without one more type_of_target (a few hundred microseconds)

    def encode(self, y, first_call, incremental, classes=None):
        """Check ``y`` against ``classes_`` (set on the first call) and one-hot encode it for the loss."""
        est = self.est
        n_classes = self._check_classes(y, first_call, incremental, classes)
        if first_call and n_classes < 2:
            raise ValueError(
                f"{type(est).__name__} needs samples of at least 2 classes in the data, but the data contains "
                f"only one class: {est.classes_[0]!r}."
            )
        if not (first_call or incremental) and not np.array_equal(np.unique(y), est.classes_):
            raise ValueError(  # as scikit-learn's MLP: a warm start continues the same classifier
                "warm_start can only be used where y has the same classes as in the previous call to fit. "
                f"Previously got {est.classes_.tolist()}, y has {np.unique(y).tolist()}."
            )
        index = np.searchsorted(est.classes_, y)
        unseen = (index >= n_classes) | (est.classes_[np.minimum(index, n_classes - 1)] != y)
        if unseen.any():
            raise ValueError(
                f"y contains labels {np.unique(y[unseen]).tolist()} that are not in classes_ "
                f"{est.classes_.tolist()} (set at the first call to fit or partial_fit)."
            )
        Y = np.zeros((y.shape[0], n_classes))
        Y[np.arange(y.shape[0]), index] = 1
        return Y[:, 1:] if self.single_binary_output and n_classes == 2 else Y

    @staticmethod
    def class_index(Y):
        """Class index of every row of encoded targets."""
        return (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)

    def class_weights(self, Y):
        """``class_weight`` as a weight per row of ``Y`` (None without class weights)."""
        est = self.est
        if est.class_weight is None:
            return None
        if isinstance(est.class_weight, dict):
            bad = {k: v for k, v in est.class_weight.items() if not (isinstance(v, Real) and np.isfinite(v) and v >= 0)}
            if bad:
                raise ValueError(f"class_weight must map labels to finite non-negative numbers; got {bad}.")
            unknown = [label for label in est.class_weight if label not in set(est.classes_.tolist())]
            if unknown:
                raise ValueError(
                    f"class_weight has labels that are not classes of y: {unknown}; the classes are "
                    f"{est.classes_.tolist()}."
                )
        index = self.class_index(Y)
        return compute_class_weight(est.class_weight, classes=est.classes_, y=est.classes_[index])

    def weights(self, Y, sample_weight, incremental):
        """Fold ``class_weight`` into the sample weights, refusing what cannot be weighted."""
        est = self.est
        if incremental and est.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: the class frequencies of the whole "
                "data are unknown. Pass class_weight as a dict, or use fit."
            )
        weights = self.class_weights(Y)
        if weights is not None:
            per_sample = weights[self.class_index(Y)].astype(Y.dtype)
            sample_weight = per_sample if sample_weight is None else sample_weight * per_sample
        if not incremental and sample_weight is not None:
            weight_per_class = np.bincount(self.class_index(Y), sample_weight, est.classes_.shape[0])
            if np.count_nonzero(weight_per_class > 0) < 2:
                raise ValueError(
                    f"{type(est).__name__} needs samples of at least 2 classes with positive weight, but only "
                    f"class {est.classes_[weight_per_class.argmax()]!r} has any."
                )
        return sample_weight

    def stratify(self, Y):
        """Class of every row, to stratify an early-stopping split by."""
        return self.class_index(Y)

    def labels(self, Z):
        """Class indices from raw scores: the sign of a single score, else the highest score."""
        return (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)

    def score(self, Z, Y, sample_weight):
        """Accuracy, the early-stopping score of classifiers (``Y - 1/2`` decodes like scores)."""
        return accuracy_score(self.labels(Y - 0.5), self.labels(Z), sample_weight=sample_weight)

    def predict(self, Z):
        return self.est.classes_[self.labels(Z)]

    def decision(self, Z):
        """Decision scores: the raw outputs, one column for two classes (positive means ``classes_[1]``)."""
        return Z.ravel() if Z.shape[1] == 1 else Z


class SoftmaxHead(_LabelHead):
    """One score per class, also for two classes; probabilities by the softmax."""

    loss_name = "categorical_crossentropy"

    def labels(self, Z):
        return Z.argmax(axis=1)

    def decision(self, Z):
        """One score per class; for two classes the log-odds of ``classes_[1]`` (as scikit-learn's binary ones)."""
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    @staticmethod
    def proba(Z):
        return softmax(Z, axis=1)

    @staticmethod
    def log_proba(Z):
        return log_softmax(Z, axis=1)


class SigmoidHead(_LabelHead):
    """Two classes, one score: the log-odds of ``classes_[1]``; probabilities by the sigmoid."""

    loss_name = "binary_crossentropy"
    single_binary_output = True

    @staticmethod
    def proba(Z):
        return np.hstack([expit(-Z), expit(Z)])

    @staticmethod
    def log_proba(Z):
        return np.hstack([log_expit(-Z), log_expit(Z)])


class MultilabelHead(_LabelHead):
    """A 0/1 indicator matrix: one score per label, each label its own two-class problem (sigmoid).

    The matrix is its own encoding; ``classes_`` are the label indices. No
    class weights (``sample_weight`` weighs rows), no stratified split.
    """

    loss_name = "binary_crossentropy"

    @staticmethod
    def _classes(y):
        return np.arange(y.shape[1])

    def encode(self, y, first_call, incremental, classes=None):
        n_labels = self._check_classes(y, first_call, incremental, classes)
        if y.shape[1] != n_labels:
            raise ValueError(f"y has {y.shape[1]} labels, but {n_labels} were seen at the first call.")
        return y

    def weights(self, Y, sample_weight, incremental):
        if self.est.class_weight is not None:
            raise ValueError("class_weight is not supported for multilabel y; pass sample_weight instead.")
        return sample_weight

    def stratify(self, Y):
        return None

    def labels(self, Z):
        """0/1 indicators: each label whose score is positive."""
        return (Z > 0).astype(int)

    def predict(self, Z):
        return self.labels(Z)

    def decision(self, Z):
        return Z

    @staticmethod
    def proba(Z):
        return expit(Z)

    @staticmethod
    def log_proba(Z):
        return log_expit(Z)


class HingeHead(_LabelHead):
    """The notes' hinge loss on raw scores: one score for two classes, one-vs-rest for more; no probabilities."""

    loss_name = "hinge"
    single_binary_output = True
    probabilities = False
