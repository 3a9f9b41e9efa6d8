"""Small helpers of the front end (sknotes/_validation.py): option lists in sorted order, warnings that point at the
user's line, and partial_fit only where a solver takes steps."""

import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

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


def test_in_a_grid_search_the_warning_points_at_the_callers_line_not_at_joblib(classification):
    X, y = classification
    search = GridSearchCV(make_pipeline(MinMaxScaler(), SoftmaxClassifier(max_iter=1)), {}, cv=2)  # n_jobs=None
    with pytest.warns(ConvergenceWarning) as record:
        search.fit(X, y)  # joblib runs the fits even without n_jobs
    assert {warning.filename for warning in record if warning.category is ConvergenceWarning} == {__file__}


def test_with_no_callers_line_on_the_stack_the_warning_points_at_the_outermost_scikit_learn_call(classification):
    X, y = classification
    model = SoftmaxClassifier(max_iter=1)
    with pytest.warns(ConvergenceWarning) as record:  # (catches the warnings of every thread)
        thread = threading.Thread(target=model.fit, args=(X, y))  # threading, then the fit: no line of this file
        thread.start()
        thread.join()
    warning = next(warning for warning in record if warning.category is ConvergenceWarning)
    assert Path(warning.filename).resolve().is_relative_to(Path(sklearn.__file__).resolve().parent)
    assert "threading" not in warning.filename and "joblib" not in warning.filename


def test_the_documented_way_silences_a_search_in_worker_processes():
    """Getting started's catch_warnings around a search's fit silences the fits in joblib's worker processes too
    (scikit-learn passes its filters on); the same search without it warns from there, naming no joblib file."""
    code = """
import warnings
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sknotes import SoftmaxClassifier
X, y = make_classification(n_samples=60, n_features=4, random_state=0)
GridSearchCV(SoftmaxClassifier(max_iter=2), {"learning_rate": [0.1, 0.2]}, cv=2, n_jobs=2).fit(X, y)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    GridSearchCV(SoftmaxClassifier(max_iter=3), {"learning_rate": [0.1, 0.2]}, cv=2, n_jobs=2).fit(X, y)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if "ConvergenceWarning" in line]
    assert sum("max_iter=2 epochs" in line for line in warned) >= 4  # the four fits in the workers, and the refit
    assert not any("max_iter=3 epochs" in line for line in warned)
    assert not any("joblib" in line for line in warned)


def test_partial_fit_with_lbfgs_names_every_solver_that_has_it():
    X = np.random.RandomState(0).normal(size=(20, 3))
    est = LinearRegressorGD(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match=r"not available with solver='lbfgs'") as excinfo:
        est.partial_fit(X, X[:, 0])
    for solver in OPTIMIZERS:
        assert hasattr(LinearRegressorGD(solver=solver), "partial_fit")
        assert f"solver='{solver}'" in str(excinfo.value), solver
