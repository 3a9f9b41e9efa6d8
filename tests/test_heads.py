"""Output heads (sknotes/_heads.py), seen through the estimators: which head a target type gets, and what it makes
of the raw outputs (labels, decision scores, probabilities, or none).

The estimators' common contract (valid probabilities for any input, labels from ``classes_``) is in ``tests/common/``.
"""

import warnings

import numpy as np
import pytest
from estimators import scaled_data
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_digits, load_iris, load_wine, make_classification, make_multilabel_classification
from sklearn.exceptions import ConvergenceWarning

from sknotes import LinearSVMGD, MLPFromScratch, MLPRegressorFromScratch, SoftmaxClassifier


def fit_quietly(est, *args, **kwargs):
    """Fit when a ConvergenceWarning is expected and irrelevant to the test (a deliberately small max_iter)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_output_layer_by_target_type():
    X, _ = make_classification(n_samples=60, n_features=5, random_state=0)
    binary = MLPFromScratch((4,), max_iter=5).fit(X, np.arange(60) % 2 == 0)
    multi = MLPFromScratch((4,), max_iter=5).fit(X, np.arange(60) % 3)
    Y = make_multilabel_classification(n_samples=60, n_features=5, n_classes=4, random_state=0)[1]
    multilabel = MLPFromScratch((4,), max_iter=5).fit(X, Y)
    assert (binary.out_activation_, binary.n_outputs_, binary.n_layers_) == ("sigmoid", 1, 3)
    assert binary.decision_function(X).shape == (60,)
    np.testing.assert_array_equal(binary.predict(X), binary.classes_[(binary.decision_function(X) > 0).astype(int)])
    assert (multi.out_activation_, multi.n_outputs_) == ("softmax", 3)
    assert (multilabel.out_activation_, multilabel.n_outputs_) == ("sigmoid", 4)
    assert multilabel.predict(X).shape == (60, 4) and set(np.unique(multilabel.predict(X))) <= {0, 1}
    for clf in (binary, multi):
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1)
        np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba), rtol=1e-10)
    reg = MLPRegressorFromScratch((4,), max_iter=5).fit(X, np.c_[X[:, 0], X[:, 1]])
    assert (reg.out_activation_, reg.n_outputs_, reg.predict(X).shape) == ("identity", 2, (60, 2))


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_string_labels_and_two_classes(solver):
    X, y = scaled_data(load_iris)
    X, y = X[y > 0], np.array(["versicolor", "virginica"])[y[y > 0] - 1]
    est = SoftmaxClassifier(solver=solver, weight_decay=1e-3, random_state=0).fit(X, y)
    assert_array_equal(est.classes_, ["versicolor", "virginica"])
    assert est.coef_.shape == (2, X.shape[1])
    assert est.intercept_.shape == (2,)

    scores = est.decision_function(X)
    assert scores.shape == (X.shape[0],)
    Z = X @ est.coef_.T + est.intercept_
    assert_allclose(scores, Z[:, 1] - Z[:, 0], rtol=1e-10, atol=1e-12)
    assert_array_equal(est.predict(X), est.classes_[(scores > 0).astype(int)])
    assert est.predict(X).dtype == y.dtype

    proba = est.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(proba[:, 1], 1 / (1 + np.exp(-scores)), rtol=1e-10)
    log_proba = est.predict_log_proba(X)
    finite = proba > 0
    assert_allclose(log_proba[finite], np.log(proba[finite]), rtol=1e-10, atol=1e-12)
    assert est.score(X, y) > 0.9


def test_multiclass_probabilities_and_log_probabilities():
    X, y = scaled_data(load_wine)
    est = SoftmaxClassifier(random_state=0).fit(X, y)
    scores, proba, log_proba = est.decision_function(X), est.predict_proba(X), est.predict_log_proba(X)
    assert scores.shape == proba.shape == (X.shape[0], 3)
    assert_allclose(scores, X @ est.coef_.T + est.intercept_, rtol=1e-10, atol=1e-12)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(log_proba, np.log(proba), rtol=1e-10, atol=1e-12)
    assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])


def test_linear_svm_has_scores_and_no_probabilities():
    X, y = load_digits(return_X_y=True)
    svm = LinearSVMGD(max_iter=5).set_params(random_state=0)
    assert not hasattr(svm, "predict_proba") and not hasattr(svm, "predict_log_proba")
    fit_quietly(svm, X, y)
    assert svm.decision_function(X[:3]).shape == (3, 10) and svm.coef_.shape == (10, 64)
    assert svm.out_activation_ == "identity"
    assert_array_equal(svm.predict(X[:20]), svm.classes_[svm.decision_function(X[:20]).argmax(axis=1)])


def test_a_misspelt_class_weight_key_is_named():
    X, y = make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0)
    with pytest.raises(ValueError, match=r"class_weight has labels that are not classes of y: \[5\]"):
        SoftmaxClassifier(class_weight={0: 1.0, 5: 2.0}).fit(X, y)
