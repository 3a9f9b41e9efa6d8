"""The contract, faults: divergence, interruption, the numerical range, and running out of epochs.

A fit whose objective becomes non-finite or explodes raises a ValueError naming the epoch and suggesting a smaller
learning_rate or scaled inputs, and leaves the estimator exactly as it was before the call; a KeyboardInterrupt
keeps the last completed epoch, warns, and returns a usable estimator; extreme inputs never give NaN scores or
probabilities; reaching ``max_iter`` warns. Every public estimator (``tests/estimators.py``) and every solver.
"""

import pickle
import re
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
from estimators import (
    SOLVERS,
    STEP_SOLVERS,
    assert_same_outputs,
    assert_unfitted,
    assert_valid_outputs,
    data,
    has_probabilities,
    is_mlp,
    make,
    outputs,
    params,
    pf_kwargs,
    quietly,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import is_classifier, is_regressor
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.utils.validation import check_is_fitted

import sknotes._base
import sknotes._scoring
from sknotes.nn import OPTIMIZERS, Network

pytestmark = pytest.mark.usefixtures("single_blas_thread")


@contextmanager
def keyboard_interrupt_at(monkeypatch, owner, attribute, n):
    """Make ``owner.attribute`` (a method) raise KeyboardInterrupt on its n-th call; yields the call counter."""
    original = getattr(owner, attribute)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(owner, attribute, wrapper)
        yield calls


# ---------------------------------------------------------------------------------------------
# 3. divergence: ValueError naming the epoch; the estimator exactly as before the call
# ---------------------------------------------------------------------------------------------


def assert_divergence_message(excinfo):
    message = str(excinfo.value)
    assert re.search(r"epoch \d+", message), message
    assert "smaller learning_rate" in message  # (and, since training is scale-free, not to scale the inputs)


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_divergence_of_a_fresh_fit_leaves_it_unfitted(Estimator, solver):
    X, y = data(Estimator)
    for method in ["fit", "partial_fit"]:
        est = make(Estimator, solver=solver, learning_rate=1e6, batch_size=16)
        before = dict(vars(est))
        kwargs = pf_kwargs(est, y) if method == "partial_fit" else {}
        with pytest.raises(ValueError, match="diverged") as excinfo:
            getattr(est, method)(X * 100, y, **kwargs)
        assert_divergence_message(excinfo)
        assert_unfitted(est)
        assert vars(est) == before


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_divergence_of_warm_start_or_partial_fit_keeps_the_previous_model(Estimator, solver):
    X, y = data(Estimator)
    est = quietly(
        make(Estimator, solver=solver, learning_rate=1e-3, batch_size=16, max_iter=3, warm_start=True).fit, X, y
    )
    est.partial_fit(X, y)
    before, before_outputs = pickle.dumps(est), outputs(est, X)
    for method in ["fit", "partial_fit"]:
        est.set_params(learning_rate=1e6)
        with pytest.raises(ValueError, match="diverged") as excinfo:
            getattr(est, method)(X, y)
        assert_divergence_message(excinfo)
        est.set_params(learning_rate=1e-3)
        assert pickle.dumps(est) == before  # parameters, optimizer state, random state, loss curve: all as before
        assert_same_outputs(outputs(est, X), before_outputs)
    # and it goes on exactly as if the failed calls had never happened
    reference = pickle.loads(before)
    est.partial_fit(X, y)
    reference.partial_fit(X, y)
    assert_array_equal(params(est), params(reference))
    assert np.isfinite(params(est)).all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_an_objective_that_is_infinite_from_the_start_is_divergence(Regressor, solver):
    X, y = data(Regressor)
    est = make(Regressor, solver=solver, max_iter=5)
    try:
        quietly(est.fit, X, y * 1e200)  # finite targets, but (1/2) r^2 overflows
    except ValueError as exc:
        assert "diverged" in str(exc) and re.search(r"epoch \d+", str(exc))
        assert_unfitted(est)
    else:
        assert np.isfinite(est.loss_curve_).all(), est.loss_curve_


def test_grid_search_scores_a_diverging_candidate_nan_and_completes(Estimator):
    X, y = data(Estimator)
    est = make(Estimator, solver="sgd", batch_size=16, max_iter=10)
    search = GridSearchCV(est, {"learning_rate": [1e6, 1e-2]}, cv=KFold(3, shuffle=True, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.filterwarnings("ignore", message="One or more of the test scores are non-finite")
        with pytest.warns(FitFailedWarning, match="3 fits failed"):
            search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert np.isnan(scores[0]) and np.isfinite(scores[1])
    assert search.best_params_ == {"learning_rate": 1e-2}
    assert np.isfinite(params(search.best_estimator_)).all()
    assert np.isfinite(search.predict(X).astype(float)).all()


def test_divergence_across_full_batch_partial_fit_calls_is_detected(Estimator):
    """With batch_size=None each partial_fit call is one gradient step. A learning rate far too large makes J
    grow by many orders of magnitude per call; the contract says an exploding objective raises the divergence
    error, so this must not go on silently until the parameters overflow."""
    X, y = data(Estimator)
    X = X * 100.0  # unscaled
    est = make(Estimator, solver="sgd", batch_size=None, learning_rate=1e-9)
    est.partial_fit(X, y, **pf_kwargs(est, y))
    J_start = est.loss_curve_[-1]
    est.set_params(learning_rate=1e8)  # far beyond 1 / L in the standardised coordinates training uses
    with pytest.raises(ValueError) as excinfo:
        for _ in range(4):
            est.partial_fit(X, y)
    assert_divergence_message(excinfo)
    assert np.isfinite(params(est)).all()
    assert est.loss_curve_[0] == J_start


# ---------------------------------------------------------------------------------------------
# 4. interruption: KeyboardInterrupt keeps the last completed epoch, warns, and returns a usable estimator
# ---------------------------------------------------------------------------------------------


def assert_usable(est, X, y):
    check_is_fitted(est)
    assert np.isfinite(params(est)).all()
    if has_probabilities(est):
        proba = est.predict_proba(X)
        assert_allclose(proba.sum(axis=1), 1.0)
    if is_classifier(est):
        assert np.isfinite(est.decision_function(X)).all()
    assert np.isfinite(est.score(X, y))
    pickle.loads(pickle.dumps(est))  # persistable


@pytest.mark.parametrize("solver", SOLVERS)
def test_keyboard_interrupt_in_a_batch_keeps_the_last_completed_epoch(Estimator, solver, monkeypatch):
    X, y = data(Estimator)  # 60 rows, batch_size=16: 4 batches per epoch
    settings = dict(solver=solver, batch_size=16, max_iter=10, tol=0.0, learning_rate=0.01)
    est = make(Estimator, **settings)
    n = 10 if solver != "lbfgs" else 3  # sgd/adam: the 2nd batch of epoch 3; lbfgs: an iteration or two in
    with keyboard_interrupt_at(monkeypatch, Network, "objective", n) as calls:
        with pytest.warns(ConvergenceWarning, match="interrupted"):
            returned = est.fit(X, y)
    assert calls["n"] == n  # it stopped right there
    assert returned is est
    completed = est.n_iter_
    if solver == "lbfgs":
        assert completed >= 1
    else:
        assert completed == 2
    reference = quietly(make(Estimator, **{**settings, "max_iter": completed}).fit, X, y)
    assert_array_equal(params(est), params(reference))
    assert est.loss_curve_ == reference.loss_curve_
    assert_usable(est, X, y)
    quietly(est.set_params(warm_start=True).fit, X, y)  # training can go on
    assert est.n_iter_ > completed


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_keyboard_interrupt_in_an_optimizer_step_keeps_the_last_completed_epoch(Estimator, solver, monkeypatch):
    X, y = data(Estimator)
    optimizer = OPTIMIZERS[solver]
    settings = dict(solver=solver, batch_size=16, max_iter=10, tol=0.0, learning_rate=0.01)
    est = make(Estimator, **settings)
    with keyboard_interrupt_at(monkeypatch, optimizer, "step", 7):  # 3rd step of epoch 2
        with pytest.warns(ConvergenceWarning, match="interrupted"):
            est.fit(X, y)
    assert est.n_iter_ == 1
    reference = quietly(make(Estimator, **{**settings, "max_iter": 1}).fit, X, y)
    assert_array_equal(params(est), params(reference))
    assert_usable(est, X, y)


@pytest.mark.parametrize("solver", SOLVERS)
def test_keyboard_interrupt_before_the_first_epoch_completes_gives_the_initial_model(Estimator, solver, monkeypatch):
    X, y = data(Estimator)
    est = make(Estimator, solver=solver, batch_size=16)
    with keyboard_interrupt_at(monkeypatch, Network, "objective", 1):
        with pytest.warns(ConvergenceWarning, match="interrupted"):
            est.fit(X, y)
    assert est.n_iter_ == 0 and est.loss_curve_ == []
    if is_mlp(Estimator):  # the random initial weights of this random_state
        first_step = quietly(make(Estimator, solver="sgd", learning_rate=1e-300, batch_size=None, max_iter=1).fit, X, y)
        for W, W_ref in zip(est.coefs_, first_step.coefs_):
            assert_allclose(W, W_ref, rtol=1e-12, atol=1e-290)  # one step of size ~1e-300
        # (biases start at zero in the standardised coordinates; not compared here)
    else:  # linear models start at zero weights, which predict the mean of y (regression) or equal scores
        assert not np.ravel(est.coef_).any()
        expected = np.mean(y) if is_regressor(est) else 0.0
        assert_allclose(est.intercept_, expected, rtol=1e-12, atol=1e-12)
    assert_usable(est, X, y)


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_keyboard_interrupt_in_partial_fit_keeps_the_previous_epoch(Estimator, solver, monkeypatch):
    X, y = data(Estimator)
    est = make(Estimator, solver=solver, batch_size=16)
    est.partial_fit(X, y, **pf_kwargs(est, y))
    before = {"params": params(est), "n_iter_": est.n_iter_, "loss_curve_": list(est.loss_curve_)}
    before_outputs = outputs(est, X)
    with keyboard_interrupt_at(monkeypatch, Network, "objective", 3):
        with pytest.warns(ConvergenceWarning, match="interrupted"):
            est.partial_fit(X, y)
    assert_array_equal(params(est), before["params"])
    assert (est.n_iter_, est.loss_curve_) == (before["n_iter_"], before["loss_curve_"])
    assert_same_outputs(outputs(est, X), before_outputs)
    assert_usable(est, X, y)
    est.partial_fit(X, y)
    assert est.n_iter_ == before["n_iter_"] + 1


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_keyboard_interrupt_leaves_the_training_state_of_the_last_completed_epoch(Estimator, solver, monkeypatch):
    X, y = data(Estimator)
    est = make(Estimator, solver=solver, batch_size=16)
    est.partial_fit(X, y, **pf_kwargs(est, y))
    reference = pickle.loads(pickle.dumps(est))
    with keyboard_interrupt_at(monkeypatch, Network, "objective", 3):
        with pytest.warns(ConvergenceWarning, match="interrupted"):
            est.partial_fit(X, y)
    # attribute by attribute (the whole pickle also encodes which objects are shared, which may differ)
    assert sorted(vars(est)) == sorted(vars(reference))
    for name_, value in vars(est).items():
        assert pickle.dumps(value) == pickle.dumps(getattr(reference, name_)), name_
    for name_, value in vars(est._training_state).items():
        assert pickle.dumps(value) == pickle.dumps(getattr(reference._training_state, name_)), name_
    for _ in range(2):
        est.partial_fit(X, y)
        reference.partial_fit(X, y)
    assert_array_equal(params(est), params(reference))


def test_keyboard_interrupt_during_validation_scoring_keeps_the_completed_epochs(Estimator, monkeypatch):
    X, y = data(Estimator)
    est = make(Estimator, solver="sgd", batch_size=16, max_iter=10, early_stopping=True, learning_rate=0.01)
    with keyboard_interrupt_at(monkeypatch, sknotes._scoring.EarlyStoppingScores, "__call__", 3):
        try:
            with pytest.warns(ConvergenceWarning, match="interrupted"):
                est.fit(X, y)
        except KeyboardInterrupt:  # must not reach pytest, which would stop the whole session
            pytest.fail("KeyboardInterrupt escaped from fit")
    assert est.n_iter_ >= 2
    assert len(est.validation_scores_) == len(est.train_scores_) == len(est.loss_curve_) == est.n_iter_
    assert_usable(est, X, y)


# ---------------------------------------------------------------------------------------------
# 5. numerical range: no NaN/inf probabilities, rows sum to 1, finite log-probabilities
# ---------------------------------------------------------------------------------------------

#: Targets of every kind a classifier may be fitted on (the 3 classes of ``data``, made into others); a label
#: indicator matrix (``MULTILABEL``) only by a multilabel classifier.
TARGETS = {
    "3 classes": lambda y: y,
    "2 classes": lambda y: (y == 0).astype(int),
    "2 string labels": lambda y: np.array(["no", "yes"])[(y == 0).astype(int)],
}
MULTILABEL = {"multilabel": lambda y: np.stack([y == 0, y == 1, y != 1], axis=1).astype(int)}


def assert_extreme_features_give_valid_outputs(Est, target, dtype):
    X, y = data(Est)
    X = X.astype(dtype)
    est = quietly(make(Est, solver="lbfgs", max_iter=100).fit, X, target(y))
    scales = [1.0, 1e6, -1e6, 1e-6, 1e30] + ([1e150, -1e150] if dtype == np.float64 else [])
    for scale in scales:
        assert_valid_outputs(est, (X * scale).astype(dtype))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", TARGETS)
def test_extreme_features_at_predict_give_valid_probabilities(Classifier, target, dtype):
    assert_extreme_features_give_valid_outputs(Classifier, TARGETS[target], dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", MULTILABEL)
def test_extreme_features_at_predict_give_valid_multilabel_probabilities(MultilabelClassifier, target, dtype):
    assert_extreme_features_give_valid_outputs(MultilabelClassifier, MULTILABEL[target], dtype)


def assert_huge_logits_give_valid_outputs(Est, target):
    X, y = data(Est)
    if not is_mlp(Est):
        est = quietly(make(Est, solver="lbfgs", max_iter=50).fit, X, target(y))
        est.coef_ = est.coef_ / np.abs(est.coef_).max() * 1e300 / (3 * np.abs(X).max())
        est.intercept_ = np.linspace(-1e299, 1e299, est.intercept_.shape[0])
    else:
        est = quietly(make(Est, solver="lbfgs", activation="tanh", max_iter=50).fit, X, target(y))
        est.coefs_[-1] = est.coefs_[-1] / np.abs(est.coefs_[-1]).max() * 1e300 / 6  # tanh units are in [-1, 1]
    scores = est.decision_function(X)
    assert np.abs(scores).max() > 1e290  # the logits really are huge
    assert_valid_outputs(est, X)


@pytest.mark.parametrize("target", TARGETS)
def test_huge_logits_give_valid_probabilities(Classifier, target):
    assert_huge_logits_give_valid_outputs(Classifier, TARGETS[target])


@pytest.mark.parametrize("target", MULTILABEL)
def test_huge_logits_give_valid_multilabel_probabilities(MultilabelClassifier, target):
    assert_huge_logits_give_valid_outputs(MultilabelClassifier, MULTILABEL[target])


@pytest.mark.parametrize("scale", [1e6, 1e-6])
@pytest.mark.parametrize("solver", SOLVERS)
def test_fitting_badly_scaled_features_never_gives_nan(Estimator, solver, scale):
    X, y = data(Estimator)
    est = make(Estimator, solver=solver, max_iter=20)
    try:
        quietly(est.fit, X * scale, y)
    except ValueError as exc:  # the only acceptable failure: the divergence error, leaving it unfitted
        assert "diverged" in str(exc) and "learning_rate" in str(exc)
        assert_unfitted(est)
        return
    assert np.isfinite(params(est)).all()
    assert np.isfinite(est.loss_curve_).all()
    if is_classifier(est):
        assert_valid_outputs(est, X * scale)
    else:
        assert np.isfinite(est.predict(X * scale)).all()


# ---------------------------------------------------------------------------------------------
# 6. running out of epochs: a ConvergenceWarning naming max_iter
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
def test_convergence_warning_when_max_iter_is_reached(Estimator, solver):
    X, y = data(Estimator)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        make(Estimator, solver=solver, max_iter=2).fit(X, y)
