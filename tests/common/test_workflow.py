"""The contract, the user's scikit-learn workflow: scaler + sknotes estimator in a Pipeline, grid-searched over
learning_rate x weight_decay at otherwise default parameters, pickled. Every public estimator
(``tests/estimators.py``); the comparisons with a scikit-learn peer are each estimator's own (``tests/test_linear.py``).
"""

import pickle
import warnings

import numpy as np
import pytest
from estimators import assert_same_outputs, check_cv_results, has_probabilities, is_mlp, outputs
from sklearn.base import is_classifier
from sklearn.datasets import load_diabetes, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import hinge_loss, make_scorer
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

pytestmark = pytest.mark.usefixtures("single_blas_thread")

CV = KFold(5, shuffle=True, random_state=0)


def pipeline(est):
    return Pipeline([("scale", MinMaxScaler()), ("est", est)])


def grid_data(Est):
    """The data an estimator is grid-searched on: wine (classifiers) or diabetes (regressors)."""
    return (load_wine if is_classifier(Est()) else load_diabetes)(return_X_y=True)


def test_a_grid_over_learning_rate_at_default_parameters_changes_every_fitted_model(Estimator):
    """The user's grid, learning_rate x weight_decay at otherwise default parameters: every learning rate fits its
    own model (the default solver uses it), and each score is finite. (Log-loss for the classifiers, or the hinge
    loss of the scores where there are no probabilities: accuracy takes few values, and different models may share
    one.) The MLPs train 30 epochs."""
    est = Estimator(random_state=0)
    if is_mlp(Estimator):
        est.set_params(max_iter=30)
    X, y = grid_data(Estimator)
    grid = {"est__learning_rate": [0.001, 0.01, 0.1], "est__weight_decay": [0.0, 1e-3]}
    scoring = None
    if is_classifier(est):
        scoring = (
            "neg_log_loss"
            if has_probabilities(est)
            else make_scorer(hinge_loss, greater_is_better=False, response_method="decision_function")
        )
    search = GridSearchCV(pipeline(est), grid, cv=CV, scoring=scoring, error_score="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    check_cv_results(search, 6)
    scores = np.asarray(search.cv_results_["mean_test_score"]).reshape(3, 2)  # learning rates x weight decays
    for column in scores.T:  # for each weight decay, three different learning rates give three different scores
        assert len(set(np.round(column, 12))) == 3, scores


def test_fitted_pipeline_pickles_and_keeps_its_predictions(Estimator):
    X, y = grid_data(Estimator)
    model = pipeline(Estimator(random_state=0)).fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_same_outputs(outputs(restored, X), outputs(model, X))
    assert model.score(X, y) > (0.95 if is_classifier(model) else 0.4)


def test_a_numeric_learning_rate_with_lbfgs_warns_that_it_is_ignored(Estimator):
    X, y = grid_data(Estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.warns(UserWarning, match=r"learning_rate=0\.1 is ignored by solver='lbfgs'"):
            Estimator(solver="lbfgs", learning_rate=0.1).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        if is_mlp(Estimator):  # (an MLP's L-BFGS may take more than max_iter=200 iterations here: not the point)
            warnings.simplefilter("ignore", ConvergenceWarning)
        Estimator(solver="lbfgs").fit(X, y)  # 'auto', the default: nothing to warn about
