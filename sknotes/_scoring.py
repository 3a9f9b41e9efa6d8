"""Early stopping on any score, on held-out rows or on a validation set given to ``fit``.

The estimators' ``scoring`` follows scikit-learn's convention for
:class:`~sklearn.ensemble.HistGradientBoostingClassifier`: higher is better,
and

- ``'loss'`` (the default) scores the parameters by minus the mean loss of
  the validation rows, the data term of the objective ``J`` (no weight decay:
  it does not depend on the data) in the units of the loss;
- ``None`` by the estimator's own ``score``: accuracy for classifiers, R^2 for
  regressors;
- a scorer name (:func:`sklearn.metrics.get_scorer_names`) or a callable
  ``scorer(estimator, X, y)`` by that scorer.

:func:`early_stopping_scores` gives the training loop its
``validation_score(theta)`` (:func:`sknotes._training.train`), a
:class:`EarlyStoppingScores`, which also scores the training rows (at most
:data:`MAX_TRAIN_SCORE_ROWS`, evenly spaced) for ``train_scores_``. The
validation rows are those held out by ``validation_fraction``
(:meth:`~sknotes._base.BaseNetworkEstimator._split`), or ``X_val``, ``y_val``
and ``sample_weight_val`` given to ``fit``, checked here like ``X`` and ``y``.
A scorer sees the estimator as if training stopped at ``theta`` (its fitted
attributes set from ``theta``) and the validated rows (a NumPy array or a
sparse matrix), as HistGradientBoosting's scorers see binned rows.
"""

import copy
from functools import partial

import numpy as np
from sklearn.base import is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.validation import _check_sample_weight, validate_data

from ._solvers import SOLVERS, step_solvers_phrase
from ._validation import choices
from .nn import weighted_loss

#: scoring: 'loss', any scorer name of scikit-learn, a callable ``scorer(estimator, X, y)``, or None.
SCORING_CONSTRAINT = [choices({"loss", *get_scorer_names()}), callable, None]
#: The training scores (``train_scores_``) are computed on at most this many training rows, evenly spaced, as
#: HistGradientBoosting computes its scorers' training scores on at most 10,000 rows.
MAX_TRAIN_SCORE_ROWS = 10_000


def check_validation_arguments(est, X_val, y_val, sample_weight_val):
    """Refuse, before anything changes, a validation set ``fit`` cannot use: one of the pair, or no early stopping."""
    if X_val is None and y_val is None:
        if sample_weight_val is not None:
            raise ValueError("sample_weight_val is given, but X_val and y_val were not: pass all three, or none.")
        return None
    if y_val is None:
        raise ValueError("X_val is provided, but y_val was not provided: pass both, or neither.")
    if X_val is None:
        raise ValueError("y_val is provided, but X_val was not provided: pass both, or neither.")
    if not est.early_stopping:
        raise ValueError(
            "X_val and y_val are passed to fit, but early_stopping=False: they are only used for early stopping. "
            "Set early_stopping=True, or do not pass them."
        )
    if not SOLVERS[est.solver].takes_steps:
        raise ValueError(
            f"X_val and y_val are passed to fit, but solver={est.solver!r} does not stop early (it minimises the "
            f"full-batch objective). Use {step_solvers_phrase()}, or do not pass them."
        )
    return X_val, y_val, sample_weight_val


def early_stopping_scores(est, head, network, X, Y, y, sample_weight, state, validation):
    """The training rows and the early-stopping scores of one ``fit``.

    Parameters
    ----------
    est : BaseNetworkEstimator
        The estimator being fitted (its ``classes_`` and head already set).
    head : output head
    network : sknotes.nn.Network
    X, Y, y, sample_weight
        The validated training data: ``Y`` encoded by the head, ``y`` as
        validated, ``sample_weight`` with the class weights folded in.
    state : TrainingState
        Its ``rng`` splits the rows; its ``loss_unit`` scales ``tol`` for
        ``scoring='loss'``.
    validation : tuple or None
        ``(X_val, y_val, sample_weight_val)`` as given to ``fit``, or None
        to hold out ``validation_fraction`` of the rows.

    Returns
    -------
    X, Y, sample_weight
        The rows to train on.
    scores : EarlyStoppingScores
    """
    if validation is None:
        X, X_val, Y, Y_val, y, y_val, sample_weight, sw_val = _split(est, head, X, Y, y, sample_weight, state.rng)
    else:
        X_val, Y_val, y_val, sw_val = _validated(est, head, X, Y, *validation)
    scoring = est.scoring
    train_rows = X, Y, y, sample_weight
    if X.shape[0] > MAX_TRAIN_SCORE_ROWS:
        rows = np.arange(0, X.shape[0], -(-X.shape[0] // MAX_TRAIN_SCORE_ROWS))
        train_rows = tuple(None if A is None else A[rows] for A in train_rows)
    train = _Score(est, head, network, scoring, *train_rows)
    validation_score = _Score(est, head, network, scoring, X_val, Y_val, y_val, sw_val)
    unit = state.loss_unit if scoring == "loss" else 1.0
    return X, Y, sample_weight, EarlyStoppingScores(validation_score, train, unit)


class EarlyStoppingScores:
    """``validation_score(theta)`` for the training loop, with the training score and the unit of ``tol``.

    Parameters
    ----------
    validation : callable
        ``validation(theta) -> float``, on the validation rows.
    train : callable
        ``train(theta) -> float``, the same score on the training rows (``train_scores_``).
    unit : float
        An epoch improves when the validation score rises by more than
        ``tol * unit``: for ``scoring='loss'`` the regressors' unit of the
        objective (``tol`` relative, as for the objective itself), else 1.
    """

    def __init__(self, validation, train, unit):
        self.validation, self.train, self.unit = validation, train, unit

    def __call__(self, theta):
        return self.validation(theta)


class _Score:
    """The ``scoring`` of the parameters ``theta`` on fixed rows: ``score(theta) -> float``, higher is better."""

    def __init__(self, est, head, network, scoring, X, Y, y, sample_weight):
        self.head, self.network, self.scoring = head, network, scoring
        self.X, self.Y, self.y, self.sample_weight = X, Y, y, sample_weight
        self.est = est
        if scoring == "loss":
            self.loss = head.bound_loss()
        elif scoring is not None:
            self.scorer = check_scoring(est, scoring)

    def __call__(self, theta):
        if self.scoring == "loss":
            Z = self.network.forward(theta, self.X)[0]
            return -weighted_loss(self.loss, self.Y, Z, self.sample_weight)[0]
        if self.scoring is None:  # the estimator's score: accuracy or R^2, from the raw outputs
            return self.head.score(self.network.forward(theta, self.X)[0], self.Y, self.sample_weight)
        # the estimator as if training stopped at theta: fitted attributes from theta, predictions on validated rows
        view = copy.copy(self.est)
        theta = theta.copy()  # (training goes on changing theta in place)
        view._store_parameters(self.network, theta)
        view._forward = partial(_raw_outputs, self.network, theta)
        weights = {} if self.sample_weight is None else {"sample_weight": self.sample_weight}
        return float(self.scorer(view, self.X, self.y, **weights))


def _raw_outputs(network, theta, X):
    """The network's raw outputs at ``theta`` for validated rows ``X`` (what ``_forward`` gives a fitted estimator)."""
    return network.forward(theta, X)[0]


def _validated(est, head, X, Y, X_val, y_val, sample_weight_val):
    """``X_val``, its encoded and validated targets and its weights, checked as ``fit`` checks ``X`` and ``y``."""
    try:
        X_val = validate_data(est, X_val, reset=False, accept_sparse="csr", dtype=X.dtype)
    except ValueError as error:
        raise ValueError(f"X_val: {error}") from None
    labels = is_classifier(est)
    y_val = check_array(y_val, ensure_2d=False, dtype=None if labels else "numeric", input_name="y_val")
    check_consistent_length(X_val, y_val)
    if labels:
        Y_val, sample_weight_val = _encoded_labels(est, head, X, Y, X_val, y_val, sample_weight_val)
    else:
        Y_val = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        if Y_val.shape[1] != Y.shape[1]:
            raise ValueError(f"y_val has {Y_val.shape[1]} targets, but y has {Y.shape[1]}.")
        Y_val = head.check_domain(Y_val, "y_val").astype(X.dtype)
        sample_weight_val = _weights(sample_weight_val, X_val)
    if sample_weight_val is not None and not sample_weight_val.sum() > 0:
        raise ValueError("sample_weight_val: the validation rows have no positive weight (class weights included).")
    return X_val, Y_val, y_val, sample_weight_val


def _weights(sample_weight_val, X_val):
    """``sample_weight_val`` checked as ``fit`` checks ``sample_weight``, errors naming it."""
    if sample_weight_val is None:
        return None
    try:
        return _check_sample_weight(sample_weight_val, X_val, dtype=X_val.dtype, ensure_non_negative=True)
    except ValueError as error:
        raise ValueError(f"sample_weight_val: {error}") from None


def _encoded_labels(est, head, X, Y, X_val, y_val, sample_weight_val):
    """Labels of ``y_val`` checked against ``classes_``, encoded as the head encodes ``y``; class weights folded in."""
    multilabel = head.stratify(Y) is None  # (a label indicator matrix: no class to stratify by)
    if y_val.ndim == 2 and y_val.shape[1] == 1 and not multilabel:
        y_val = column_or_1d(y_val)
    if multilabel:
        if y_val.ndim != 2 or y_val.shape[1] != est.classes_.shape[0]:
            raise ValueError(
                f"y_val must be a label indicator matrix with {est.classes_.shape[0]} columns, as y; got shape "
                f"{y_val.shape}."
            )
    else:
        if y_val.ndim != 1:
            raise ValueError(f"y_val must be 1-D class labels, as y; got shape {y_val.shape}.")
        unseen = ~np.isin(y_val, est.classes_)
        if unseen.any():
            raise ValueError(
                f"y_val has labels {np.unique(y_val[unseen]).tolist()} that are not classes of y "
                f"{est.classes_.tolist()}."
            )
    Y_val = head.encode(y_val, first_call=False, incremental=True).astype(X.dtype, copy=False)
    sample_weight_val = _weights(sample_weight_val, X_val)
    weights = None if multilabel else head.class_weights(Y)  # as on held-out rows: the training data's class weights
    if weights is not None:
        per_sample = weights[head.class_index(Y_val)].astype(X.dtype)
        sample_weight_val = per_sample if sample_weight_val is None else sample_weight_val * per_sample
    return Y_val, sample_weight_val


def _split(est, head, X, Y, y, sample_weight, rng):
    """Hold out ``validation_fraction`` of the rows (of ``X``, ``Y``, ``y`` and the weights) for early stopping.

    Stratified by class for classifiers when every class has at least two
    rows and each side of the split has room for every class; otherwise a
    plain random split, as scikit-learn's MLP makes for 3+ classes.
    """
    n_val = int(np.ceil(est.validation_fraction * X.shape[0]))  # train_test_split's rounding
    if n_val < 2:
        raise ValueError(
            f"The validation set is too small: validation_fraction={est.validation_fraction} of "
            f"{X.shape[0]} rows is {n_val}. Increase validation_fraction or the size of your dataset, or set "
            "early_stopping=False."
        )
    labels = head.stratify(Y)
    if labels is not None:
        counts = np.bincount(labels)
        counts = counts[counts > 0]
        if counts.min() < 2 or min(n_val, X.shape[0] - n_val) < counts.size:
            labels = None
    sw = np.ones(X.shape[0], dtype=X.dtype) if sample_weight is None else sample_weight
    X, X_val, Y, Y_val, y, y_val, sw, sw_val = train_test_split(
        X, Y, y, sw, test_size=n_val, random_state=rng, stratify=labels
    )
    labels = head.stratify(Y)
    too_few_classes = labels is not None and np.unique(labels[sw > 0]).size < 2
    if not (sw.sum() > 0 and sw_val.sum() > 0) or too_few_classes:
        raise ValueError(
            f"early_stopping: holding out validation_fraction={est.validation_fraction} of the rows left "
            f"{'too few classes' if too_few_classes else 'no positive sample weight'} on one side of the "
            "split. Change validation_fraction, or set early_stopping=False."
        )
    return X, X_val, Y, Y_val, y, y_val, *((sw, sw_val) if sample_weight is not None else (None, None))
