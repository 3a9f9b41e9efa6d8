"""The estimators under test: every public estimator class of ``sknotes.__all__``, found, never listed by hand.

One way to run a test once per estimator: the test takes as an argument the fixture of ``tests/conftest.py`` named
after the list it runs over, and gets one class of it per run (the test id is the class name):

- ``Estimator``: every estimator (``ESTIMATORS``); ``Classifier`` (``CLASSIFIERS``); ``Regressor`` (``REGRESSORS``);
- ``MLP`` (``MLPS``, with hidden layers); ``LinearModel`` (``LINEAR_MODELS``, without); ``SmoothLinearModel``
  (``SMOOTH_LINEAR_MODELS``, the linear models whose loss has no kink);
- ``MultilabelClassifier`` (``MULTILABEL_CLASSIFIERS``, the classifiers that take a label indicator matrix);
  ``SingleLabelClassifier`` (``SINGLE_LABEL_CLASSIFIERS``, the others); ``ProbabilisticClassifier``
  (``PROBABILISTIC_CLASSIFIERS``, those with ``predict_proba``).

Every list is ``ESTIMATORS`` filtered by what its classes declare, so a new estimator exported by ``sknotes`` is
covered by every contract test (``tests/common/``) and by every test that takes one of these fixtures, with no list
to edit. The test's other parameters (a solver, a target, a case) come from ``pytest.mark.parametrize`` beside the
fixture; cases that differ by kind of estimator make one test per kind, each with its fixture and its own cases,
never a skip. No test parametrises over the classes itself (scikit-learn's ``parametrize_with_checks``, over
instances of ``ESTIMATORS``, aside). The solvers come from the solver registry in the same way.

Below the lists: small seeded instances and data for any estimator, a regressor's targets drawn from the domain its
loss declares (``target_domain``), and what a fitted estimator says (the helpers of the contract tests).

(The lists live here, not in ``tests/conftest.py``, because test modules import them, and a conftest cannot be
imported reliably: the repository root has a ``conftest.py`` too, and pytest imports both under the module name
``conftest``.)
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
from sknotes._solvers import STEP_SOLVERS  # noqa: F401  (the tests import it from here)
from sknotes.nn import LOSSES

#: Every public estimator class, in the order of ``sknotes.__all__``.
ESTIMATORS = tuple(
    getattr(sknotes, name)
    for name in sknotes.__all__
    if inspect.isclass(getattr(sknotes, name)) and issubclass(getattr(sknotes, name), BaseEstimator)
)

#: All solvers, from the solver registry (``STEP_SOLVERS``, imported from it: those that take steps).
SOLVERS = tuple(SOLVER_REGISTRY)

#: The regressors' losses, from the loss registry: its losses of values.
REGRESSION_LOSSES = tuple(loss for loss, entry in LOSSES.items() if entry.targets == "values")


def name(Est):
    """The test id of an estimator class (or instance): its class name."""
    return Est.__name__ if inspect.isclass(Est) else type(Est).__name__


def is_mlp(Est):
    """Whether the estimator has hidden layers (the MLP parameters)."""
    return "hidden_layer_sizes" in Est().get_params()


def supports_multilabel(Est):
    """Whether the classifier accepts a label indicator matrix (its scikit-learn tags say so)."""
    return is_classifier(Est()) and Est().__sklearn_tags__().classifier_tags.multi_label


def has_smooth_loss(Est):
    """Whether every loss the estimator may train on (at its default parameters) has a gradient everywhere: the
    hinge (LinearSVMGD) has a kink, whose 'auto' fit follows a smoothing continuation (``StepPolicy.smoothings``)."""
    est = Est()
    losses = {est.loss} if is_regressor(est) else {Head(est).loss for Head in est._heads.values()}
    return all(LOSSES[loss].smooth for loss in losses)


def has_probabilities(Est):
    """Whether the estimator (class or instance) has ``predict_proba``: LinearSVMGD, by design, has not."""
    return hasattr(Est() if inspect.isclass(Est) else Est, "predict_proba")


#: The kinds of estimator, each filtered from ``ESTIMATORS`` by what its classes declare: the parametrisation of the
#: fixture named after it in ``tests/conftest.py`` (``CLASSIFIERS``: ``Classifier``, ...).
CLASSIFIERS = tuple(Est for Est in ESTIMATORS if is_classifier(Est()))
REGRESSORS = tuple(Est for Est in ESTIMATORS if is_regressor(Est()))
MLPS = tuple(Est for Est in ESTIMATORS if is_mlp(Est))
LINEAR_MODELS = tuple(Est for Est in ESTIMATORS if not is_mlp(Est))
MULTILABEL_CLASSIFIERS = tuple(Est for Est in CLASSIFIERS if supports_multilabel(Est))
SINGLE_LABEL_CLASSIFIERS = tuple(Est for Est in CLASSIFIERS if not supports_multilabel(Est))
PROBABILISTIC_CLASSIFIERS = tuple(Est for Est in CLASSIFIERS if has_probabilities(Est))
SMOOTH_LINEAR_MODELS = tuple(Est for Est in LINEAR_MODELS if has_smooth_loss(Est))


# ---------------------------------------------------------------------------------------------
# small seeded instances and data, and what a fitted estimator says
# ---------------------------------------------------------------------------------------------


def make(Est, **params):
    """A small, seeded estimator (an MLP gets one hidden layer of 5 units)."""
    est = Est()
    if is_mlp(Est):
        est.set_params(hidden_layer_sizes=(5,))
    return est.set_params(**{"random_state": 0, **params})


def target_domain(est):
    """The targets the estimator (class or instance) can be fitted on: for a regressor, the ``domain`` its loss
    declares in the loss registry (``sknotes.nn.LOSSES``): "real" (any real target, also for a loss that declares
    none) or "non-negative" (Poisson: >= 0, with a positive sum); None for a classifier."""
    est = est() if inspect.isclass(est) else est
    if not is_regressor(est):
        return None
    return getattr(LOSSES[est.get_params()["loss"]], "domain", "real")


def counts(rng, log_mean):
    """Poisson counts of mean ``exp(log_mean)`` (floats), not all zero: targets a log-link model can fit."""
    y = rng.poisson(np.exp(log_mean)).astype(float)
    if not y.any():
        y[np.argmax(log_mean)] = 1.0
    return y


def into_domain(y, domain):
    """Targets drawn on the whole real line, moved into ``domain``: the same array ("real"), or the absolute values
    with every target column's sum positive ("non-negative")."""
    if domain == "real":
        return y
    if domain == "non-negative":
        y = np.abs(np.asarray(y, dtype=float))
        columns = y.reshape(y.shape[0], -1)  # a view: one column per target
        columns[0, columns.sum(axis=0) == 0] = 1.0
        return y
    raise ValueError(f"no test data for the target domain {domain!r}")


def regression_targets(rng, linear, domain):
    """Targets in ``domain`` that follow the linear score ``linear`` (one per row): the score plus a little noise
    ("real"), or Poisson counts whose log-mean is a quarter of the score ("non-negative")."""
    if domain == "real":
        return linear + 0.1 * rng.normal(size=linear.shape[0])
    if domain == "non-negative":
        return counts(rng, linear / 4)
    raise ValueError(f"no test data for the target domain {domain!r}")


def data(est, n_samples=60, seed=0):
    """Well-scaled data for the estimator (class or instance): 3 classes (classifiers), or a regressor's targets
    from the domain its loss declares (``target_domain``), along a linear score of the features."""
    rng = np.random.RandomState(seed)
    domain = target_domain(est)
    if domain is None:
        y = np.arange(n_samples) % 3
        X = rng.normal(size=(n_samples, 3)) + 1.5 * np.eye(3)[y]
        return X, y
    X = rng.normal(size=(n_samples, 3))
    return X, regression_targets(rng, X @ np.array([1.0, -2.0, 0.5]), domain)


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
