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
RegressionHead    values, one or several columns    one per target, identity        none
SoftmaxHead       labels                            one score per class             softmax
SigmoidHead       two labels, or a 0/1 matrix       one score (two classes), or     sigmoid
                  (multilabel)                      one per label
HingeHead         labels                            one score (two classes), or     none
                                                    one per class (one-vs-rest)
================  ================================  ==============================  =================

Heads hold no data: the fitted attributes they set and read (``classes_``,
``out_activation_``) stay on the estimator, so a fitted estimator pickles as
its attributes alone, and an estimator class holds its head objects.
"""

from numbers import Real

import numpy as np
from scipy.special import expit, log_expit, log_softmax, softmax
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call

from .nn import LOSSES


class RegressionHead:
    """Real-valued targets, one network output each, compared by the estimator's ``loss``."""

    probabilities = False

    @staticmethod
    def loss(est):
        return est.loss

    @staticmethod
    def encode(est, y, first_call, incremental, classes=None):
        """``y`` as a 2-D float matrix; remembers whether it was 1-D, to predict the same shape."""
        if first_call:
            est._y_1d = y.ndim == 1
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        if not first_call and Y.shape[1] != est._n_outputs():
            raise ValueError(
                f"y has {Y.shape[1]} targets, but {type(est).__name__} was fitted with {est._n_outputs()}."
            )
        return Y

    @staticmethod
    def weights(est, Y, sample_weight, incremental):
        return sample_weight

    @staticmethod
    def stratify(est, Y):
        return None

    @staticmethod
    def score(est, Z, Y, sample_weight):
        """R^2, the early-stopping score of regressors."""
        return r2_score(Y, Z, sample_weight=sample_weight)

    @staticmethod
    def predict(est, Z):
        return Z.ravel() if est._y_1d else Z


class _LabelHead:
    """Class labels: one-hot (or 0/1 indicator) targets, class weights, stratification, accuracy.

    ``single_binary_output``: two classes make one output, the score of
    ``classes_[1]`` (else two); a 0/1 indicator matrix ``y`` (multilabel)
    passes as it is, one output per label. The estimator's ``_target`` is the
    type of its targets (scikit-learn's ``type_of_target``), which chose the head.
    """

    single_binary_output = False
    probabilities = True

    def encode(self, est, y, first_call, incremental, classes=None):
        """Check ``y`` against ``classes_`` (set on the first call) and encode it for the loss."""
        multilabel = y.ndim == 2
        if incremental:
            _check_partial_fit_first_call(est, classes)
        elif first_call:  # unique_labels(y), without one more type_of_target (a few hundred microseconds)
            est.classes_ = np.arange(y.shape[1]) if multilabel else np.unique(y)
        n_classes = est.classes_.shape[0]
        if first_call and n_classes < 2 and not multilabel:
            raise ValueError(
                f"{type(est).__name__} needs samples of at least 2 classes in the data, but the data contains "
                f"only one class: {est.classes_[0]!r}."
            )
        if multilabel:
            if y.shape[1] != n_classes:
                raise ValueError(f"y has {y.shape[1]} labels, but {n_classes} were seen at the first call.")
            return y
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
    def _class_index(Y):
        """Class index of every row of encoded single-label targets."""
        return (Y[:, 0] > 0.5).astype(int) if Y.shape[1] == 1 else Y.argmax(axis=1)

    def weights(self, est, Y, sample_weight, incremental):
        """Fold ``class_weight`` into the sample weights, refusing what cannot be weighted."""
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
        multilabel = est._target == "multilabel-indicator"
        if est.class_weight is not None:
            if multilabel:
                raise ValueError("class_weight is not supported for multilabel y; pass sample_weight instead.")
            if incremental and est.class_weight == "balanced":
                raise ValueError(
                    "class_weight='balanced' is not supported by partial_fit: the class frequencies of the whole "
                    "data are unknown. Pass class_weight as a dict, or use fit."
                )
            index = self._class_index(Y)
            weights = compute_class_weight(est.class_weight, classes=est.classes_, y=est.classes_[index])
            per_sample = weights[index].astype(Y.dtype)
            sample_weight = per_sample if sample_weight is None else sample_weight * per_sample
        if not incremental and sample_weight is not None and not multilabel:
            weight_per_class = np.bincount(self._class_index(Y), sample_weight, est.classes_.shape[0])
            if np.count_nonzero(weight_per_class > 0) < 2:
                raise ValueError(
                    f"{type(est).__name__} needs samples of at least 2 classes with positive weight, but only "
                    f"class {est.classes_[weight_per_class.argmax()]!r} has any."
                )
        return sample_weight

    def stratify(self, est, Y):
        """Class of every row, to stratify an early-stopping split by (none for multilabel targets)."""
        return None if est._target == "multilabel-indicator" else self._class_index(Y)

    def labels(self, Z):
        """Class indices from raw scores: the sign of a single score, else the highest score."""
        return (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else Z.argmax(axis=1)

    def score(self, est, Z, Y, sample_weight):
        """Accuracy, the early-stopping score of classifiers (``Y - 1/2`` decodes like scores)."""
        return accuracy_score(self.labels(Y - 0.5), self.labels(Z), sample_weight=sample_weight)

    def predict(self, est, Z):
        labels = self.labels(Z)
        return labels if labels.ndim == 2 else est.classes_[labels]

    def decision(self, est, Z):
        """Decision scores: the raw outputs, one column for two classes (positive means ``classes_[1]``)."""
        return Z.ravel() if Z.shape[1] == 1 else Z


class SoftmaxHead(_LabelHead):
    """One score per class, also for two classes; probabilities by the softmax."""

    @staticmethod
    def loss(est):
        return "categorical_crossentropy"

    def labels(self, Z):
        return Z.argmax(axis=1)

    def decision(self, est, Z):
        """One score per class; for two classes the log-odds of ``classes_[1]`` (as scikit-learn's binary ones)."""
        return Z[:, 1] - Z[:, 0] if Z.shape[1] == 2 else Z

    @staticmethod
    def proba(Z):
        return softmax(Z, axis=1)

    @staticmethod
    def log_proba(Z):
        return log_softmax(Z, axis=1)


class SigmoidHead(_LabelHead):
    """One score for two classes, or one per label of a 0/1 matrix; probabilities by the sigmoid."""

    single_binary_output = True

    @staticmethod
    def loss(est):
        return "binary_crossentropy"

    def labels(self, Z):
        """The sign of each score: a class index for two classes, 0/1 indicators for multilabel targets."""
        return (Z[:, 0] > 0).astype(int) if Z.shape[1] == 1 else (Z > 0).astype(int)

    @staticmethod
    def proba(Z):
        return np.hstack([expit(-Z), expit(Z)]) if Z.shape[1] == 1 else expit(Z)

    @staticmethod
    def log_proba(Z):
        return np.hstack([log_expit(-Z), log_expit(Z)]) if Z.shape[1] == 1 else log_expit(Z)


class HingeHead(_LabelHead):
    """The notes' hinge loss on raw scores: one score for two classes, one-vs-rest for more; no probabilities."""

    single_binary_output = True
    probabilities = False

    @staticmethod
    def loss(est):
        return "hinge"


def out_activation(head, est):
    """The output activation the head's loss is written for (the registry of losses says)."""
    return LOSSES[head.loss(est)].out_activation
