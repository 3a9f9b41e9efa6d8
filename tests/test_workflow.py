"""The user's scikit-learn workflow: scaler + sknotes estimator in a Pipeline, cross-validated and grid-searched.

With default parameters the sknotes estimators must score like their scikit-learn peers (LinearRegression,
LogisticRegression) under the same 5-fold cross-validation; the references are computed here, not hard-coded.
"""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import load_diabetes, load_digits, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import LinearRegressorGD, MLPFromScratch, MLPRegressorFromScratch, SoftmaxClassifier

CV = KFold(5, shuffle=True, random_state=0)


pytestmark = pytest.mark.usefixtures("single_blas_thread")


def pipeline(est):
    return Pipeline([("scale", MinMaxScaler()), ("est", est)])


def cv_score(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # the defaults converge on scaled data
        return cross_val_score(pipeline(est), X, y, cv=CV, error_score="raise").mean()


def test_regressor_defaults_match_linear_regression_in_cross_validation():
    X, y = load_diabetes(return_X_y=True)
    ours = cv_score(LinearRegressorGD(), X, y)
    ref = cv_score(LinearRegression(), X, y)
    assert ref > 0.4  # sanity of the reference
    assert abs(ours - ref) < 0.02, (ours, ref)


@pytest.mark.parametrize("loader", [load_digits, load_wine], ids=["digits", "wine"])
def test_classifier_defaults_match_logistic_regression_in_cross_validation(loader):
    X, y = loader(return_X_y=True)
    ours = cv_score(SoftmaxClassifier(), X, y)
    ref = cv_score(LogisticRegression(max_iter=5000), X, y)
    assert ref > 0.9
    assert abs(ours - ref) < 0.02, (ours, ref)


def check_cv_results(search, n_candidates):
    results = search.cv_results_
    assert len(results["params"]) == n_candidates
    score_keys = [key for key in results if key.endswith("test_score") and not key.startswith("rank")]
    assert len(score_keys) == 2 + CV.get_n_splits()  # mean, std and one per split
    for key in score_keys:
        assert np.isfinite(np.asarray(results[key], dtype=float)).all(), key
    assert search.best_score_ == np.max(results["mean_test_score"])


def test_grid_search_regressor_learning_rate_and_weight_decay():
    X, y = load_diabetes(return_X_y=True)
    grid = {"est__learning_rate": [0.01, 0.1], "est__weight_decay": [1e-4, 1e-2]}
    search = GridSearchCV(pipeline(LinearRegressorGD(solver="sgd", random_state=0)), grid, cv=CV, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # some grid points may stop at max_iter; not the point
        search.fit(X, y)
    check_cv_results(search, 4)
    # the learning rate matters with 'sgd' (it would be ignored by 'lbfgs')
    assert len(set(np.round(search.cv_results_["mean_test_score"], 10))) == 4
    reference = cv_score(LinearRegressorGD(), X, y)
    assert abs(search.best_score_ - reference) < 0.02, (search.best_score_, reference)
    assert search.best_estimator_.named_steps["est"].get_params()["solver"] == "sgd"
    assert search.score(X, y) > 0.4


def test_grid_search_classifier_learning_rate_and_weight_decay():
    X, y = load_wine(return_X_y=True)
    grid = {"est__learning_rate": [0.01, 0.1], "est__weight_decay": [1e-4, 1e-2]}
    search = GridSearchCV(pipeline(SoftmaxClassifier(random_state=0)), grid, cv=CV, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    check_cv_results(search, 4)
    reference = cv_score(SoftmaxClassifier(), X, y)
    assert search.best_score_ >= reference - 0.02, (search.best_score_, reference)


def test_fitted_pipeline_pickles_and_keeps_its_predictions():
    X, y = load_wine(return_X_y=True)
    model = pipeline(SoftmaxClassifier(random_state=0)).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict(X), model.predict(X))
    assert_allclose(restored.predict_proba(X), model.predict_proba(X))
    assert model.score(X, y) > 0.95


GRID_DATA = {  # the data each estimator is grid-searched on (classification or regression)
    "LinearRegressorGD": load_diabetes,
    "SoftmaxClassifier": load_wine,
    "MLPFromScratch": load_wine,
    "MLPRegressorFromScratch": load_diabetes,
}


@pytest.mark.parametrize(
    "est",
    [LinearRegressorGD(), SoftmaxClassifier(), MLPFromScratch(max_iter=30), MLPRegressorFromScratch(max_iter=30)],
    ids=lambda est: type(est).__name__,
)
def test_a_grid_over_learning_rate_at_default_parameters_changes_every_fitted_model(est):
    """The user's grid, learning_rate x weight_decay at otherwise default parameters: every learning rate fits its
    own model (the default solver uses it), and each score is finite. (Log-loss for the classifiers: accuracy
    takes few values, and different models may share one.)"""
    X, y = GRID_DATA[type(est).__name__](return_X_y=True)
    grid = {"est__learning_rate": [0.001, 0.01, 0.1], "est__weight_decay": [0.0, 1e-3]}
    scoring = "neg_log_loss" if is_classifier(est) else None
    search = GridSearchCV(pipeline(est.set_params(random_state=0)), grid, cv=CV, scoring=scoring, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    scores = np.asarray(search.cv_results_["mean_test_score"]).reshape(3, 2)  # learning rates x weight decays
    for column in scores.T:  # for each weight decay, three different learning rates give three different scores
        assert len(set(np.round(column, 12))) == 3, scores


def test_a_learning_rate_far_beyond_the_auto_step_is_refused_clearly():
    """On MinMax-scaled diabetes the 'auto' step 1/L is about 0.25; a grid point of 1.0 makes gradient descent with
    momentum diverge, and the fit says so (GridSearchCV records it) instead of returning NaN weights."""
    X, y = load_diabetes(return_X_y=True)
    auto = pipeline(LinearRegressorGD()).fit(X, y).named_steps["est"]._training_state.auto_learning_rate
    assert 0.1 < auto < 0.5
    with pytest.raises(ValueError, match="Training diverged at epoch .* smaller learning_rate"):
        pipeline(LinearRegressorGD(learning_rate=1.0)).fit(X, y)


def test_a_numeric_learning_rate_with_lbfgs_warns_that_it_is_ignored():
    X, y = load_wine(return_X_y=True)
    with pytest.warns(UserWarning, match=r"learning_rate=0\.1 is ignored by solver='lbfgs'"):
        SoftmaxClassifier(solver="lbfgs", learning_rate=0.1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        SoftmaxClassifier(solver="lbfgs").fit(X, y)  # 'auto', the default: nothing to warn about
