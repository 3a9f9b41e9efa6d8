"""Small helpers of the front end (sknotes/_validation.py): option lists in sorted order, warnings that point at the
user's line, and partial_fit only where a solver takes steps."""

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning

from sknotes import LinearRegressorGD, MLPFromScratch, SoftmaxClassifier
from sknotes.nn import OPTIMIZERS


@pytest.fixture
def classification():
    return make_classification(n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0)


def test_allowed_values_are_listed_in_sorted_order(classification):
    X, y = classification
    expected = "{'identity', 'logistic', 'relu', 'sigmoid', 'tanh'}"
    for _ in range(3):  # a set would print in an order that changes from run to run (string hashing)
        with pytest.raises(ValueError, match="among " + expected.replace("{", r"\{").replace("}", r"\}")):
            MLPFromScratch(activation="softplus").fit(X, y)
    with pytest.raises(ValueError, match=r"\{'adam', 'lbfgs', 'rmsprop', 'sgd'\}"):
        SoftmaxClassifier(solver="newton").fit(X, y)


def test_convergence_warning_points_at_the_callers_line(classification):
    X, y = classification
    with pytest.warns(ConvergenceWarning) as record:
        SoftmaxClassifier(max_iter=1).fit(X, y)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="ignored by solver='lbfgs'") as record:
        SoftmaxClassifier(solver="lbfgs", learning_rate=0.1).fit(X, y)
    assert record[0].filename == __file__


def test_partial_fit_with_lbfgs_names_every_solver_that_has_it():
    X = np.random.RandomState(0).normal(size=(20, 3))
    est = LinearRegressorGD(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match=r"not available with solver='lbfgs'") as excinfo:
        est.partial_fit(X, X[:, 0])
    for solver in OPTIMIZERS:
        assert hasattr(LinearRegressorGD(solver=solver), "partial_fit")
        assert f"solver='{solver}'" in str(excinfo.value), solver
