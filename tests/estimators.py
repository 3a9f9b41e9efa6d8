"""The estimators under test: every public estimator class of ``sknotes.__all__``, found, never listed by hand.

A new estimator exported by ``sknotes`` is covered by every contract test (``tests/common/``) and by every
test that takes the ``Estimator``, ``Classifier`` or ``Regressor`` fixture (``tests/conftest.py``), with no
list to edit. The solvers come from the optimizer registry in the same way. Below the lists: small seeded
instances and data for any estimator, and what a fitted one says (the helpers of the contract tests).

(The lists live here, not in ``tests/conftest.py``, because test modules import them to build their
parametrisations, and a conftest cannot be imported reliably: the repository root has a ``conftest.py``
too, and pytest imports both under the module name ``conftest``.)
"""

import inspect
import warnings
from functools import cache

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.validation import check_is_fitted

import sknotes
from sknotes._solvers import SOLVERS as SOLVER_REGISTRY
from sknotes._solvers import STEP_SOLVERS

#: Every public estimator class, in the order of ``sknotes.__all__``.
ESTIMATORS = tuple(
    getattr(sknotes, name)
    for name in sknotes.__all__
    if inspect.isclass(getattr(sknotes, name)) and issubclass(getattr(sknotes, name), BaseEstimator)
)
CLASSIFIERS = tuple(Est for Est in ESTIMATORS if is_classifier(Est()))
REGRESSORS = tuple(Est for Est in ESTIMATORS if is_regressor(Est()))

#: The solvers that take steps (one optimizer of the registry each), and all solvers, from the solver registry.
STOCHASTIC = STEP_SOLVERS
SOLVERS = tuple(SOLVER_REGISTRY)


def name(Est):
    """The test id of an estimator class (or instance): its class name."""
    return Est.__name__ if inspect.isclass(Est) else type(Est).__name__


def is_mlp(Est):
    """Whether the estimator has hidden layers (the MLP parameters)."""
    return "hidden_layer_sizes" in Est().get_params()


def supports_multilabel(Est):
    """Whether the classifier accepts a label indicator matrix (its scikit-learn tags say so)."""
    return is_classifier(Est()) and Est().__sklearn_tags__().classifier_tags.multi_label


def has_probabilities(Est):
    """Whether the estimator (class or instance) has ``predict_proba``: LinearSVMGD, by design, has not."""
    return hasattr(Est() if inspect.isclass(Est) else Est, "predict_proba")


# ---------------------------------------------------------------------------------------------
# small seeded instances and data, and what a fitted estimator says
# ---------------------------------------------------------------------------------------------


def make(Est, **params):
    """A small, seeded estimator (an MLP gets one hidden layer of 5 units)."""
    est = Est()
    if is_mlp(Est):
        est.set_params(hidden_layer_sizes=(5,))
    return est.set_params(**{"random_state": 0, **params})


def data(Est, n_samples=60, seed=0):
    """Well-scaled data for the estimator: 3 classes (classifiers) or a noisy linear target (regressors)."""
    rng = np.random.RandomState(seed)
    if is_classifier(Est()):
        y = np.arange(n_samples) % 3
        X = rng.normal(size=(n_samples, 3)) + 1.5 * np.eye(3)[y]
        return X, y
    X = rng.normal(size=(n_samples, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=n_samples)


def pf_kwargs(est, y):
    """The ``classes`` a classifier's first ``partial_fit`` needs."""
    return {"classes": np.unique(y)} if is_classifier(est) else {}


def params(est):
    """The fitted parameters, one flat vector."""
    arrays = est.coefs_ + est.intercepts_ if hasattr(est, "coefs_") else [est.coef_, est.intercept_]
    return np.concatenate([np.ravel(a) for a in arrays])


def quietly(method, *args, **kwargs):
    """Call ``method`` ignoring ConvergenceWarning (short runs on purpose); RuntimeWarnings stay errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return method(*args, **kwargs)


def assert_unfitted(est):
    with pytest.raises(NotFittedError):
        check_is_fitted(est)
    assert not any(key.endswith("_") and not key.startswith("__") for key in vars(est)), vars(est).keys()


def output_methods(est):
    """The methods that say something about X: predict, and a classifier's scores (and probabilities if any)."""
    if not is_classifier(est):
        return ["predict"]
    return ["predict", "decision_function"] + (["predict_proba", "predict_log_proba"] if has_probabilities(est) else [])


def outputs(est, X):
    """Everything the fitted estimator says about X."""
    return {method: getattr(est, method)(X) for method in output_methods(est)}


def assert_same_outputs(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert_array_equal(a[key], b[key], err_msg=key)


def assert_valid_outputs(est, X):
    """Finite predictions of the right shape and dtype; for classifiers, valid (log-)probabilities."""
    predicted = est.predict(X)
    assert predicted.shape[0] == X.shape[0]
    if not is_classifier(est):
        assert predicted.dtype == X.dtype and np.isfinite(predicted).all()
        return
    assert np.isfinite(est.decision_function(X)).all()
    if not has_probabilities(est):  # scores only (LinearSVMGD): labels from classes_
        assert np.isin(predicted, est.classes_).all()
        return
    proba, log_proba = est.predict_proba(X), est.predict_log_proba(X)
    assert proba.shape == log_proba.shape == (X.shape[0], len(est.classes_))
    assert proba.dtype == log_proba.dtype == X.dtype
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1).all()
    assert np.isfinite(log_proba).all() and (log_proba <= 0).all()
    tol = 1e-5 if X.dtype == np.float32 else 1e-12
    assert_allclose(np.exp(log_proba), proba, rtol=0, atol=10 * tol)
    if predicted.ndim == 1:  # single label: rows sum to 1, labels from classes_
        assert_allclose(proba.sum(axis=1), 1.0, rtol=tol)
        assert np.isin(predicted, est.classes_).all()
    else:  # multilabel: 0/1 indicators, one column per label
        assert set(np.unique(predicted)) <= {0, 1} and predicted.shape == proba.shape


def check_cv_results(search, n_candidates):
    """A finished search: one row per candidate, finite test scores (mean, std and one per split), the best found."""
    results = search.cv_results_
    assert len(results["params"]) == n_candidates
    score_keys = [key for key in results if key.endswith("test_score") and not key.startswith("rank")]
    assert len(score_keys) == 2 + search.n_splits_
    for key in score_keys:
        assert np.isfinite(np.asarray(results[key], dtype=float)).all(), key
    assert search.best_score_ == np.max(results["mean_test_score"])


@cache
def scaled_data(loader):
    """``loader``'s bundled data set (``load_iris``, ...) with MinMax-scaled features, loaded once per session.

    Shared between tests: never modify the arrays.
    """
    X, y = loader(return_X_y=True)
    return MinMaxScaler().fit_transform(X), y
