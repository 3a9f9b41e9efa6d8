"""Early stopping on any score (``scoring``) and a validation set given to ``fit`` (``X_val``, ``y_val``).

1. A validation set given to ``fit`` is exactly a split the estimator makes itself, on the same rows.
2. What is recorded: each epoch's score is the scorer at that epoch's parameters ('loss', names, callables).
3. Pipelines: ``X_val`` routed by metadata routing and transformed by ``transform_input``; grid searches.
4. Bad input: clear errors, and a fitted estimator left exactly as it was.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from estimators import data, has_probabilities, make, params
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import get_scorer, log_loss
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from sknotes import LinearRegressorGD, SoftmaxClassifier

pytestmark = pytest.mark.usefixtures("single_blas_thread")

#: The settings under which a fit draws nothing after its split: the held-out rows are all that differ.
EXACT = dict(solver="sgd", conditioning=None, shuffle=False, learning_rate=0.05, early_stopping=True, max_iter=12)


def quiet_fit(est, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args, **kwargs)


def split_of(Est, X, y, sample_weight=None, **settings):
    """The rows (and weights) the estimator trains on and holds out, in its order, as a scorer it calls sees them."""
    seen = []

    def recorder(est, X_, y_, sample_weight=None):
        seen.append((X_.copy(), np.array(y_, copy=True), sample_weight))
        return 0.0

    quiet_fit(make(Est, **{**settings, "max_iter": 1}, scoring=recorder), X, y, sample_weight)
    (X_val, y_val, sw_val), (X_train, y_train, sw_train) = sorted(seen[:2], key=lambda rows: rows[0].shape[0])
    return X_train, y_train, sw_train, X_val, y_val, sw_val


# ---------------------------------------------------------------------------------------------
# 1. a validation set given to fit is the estimator's own split, exactly
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_given_validation_set_changes_nothing_but_where_the_rows_come_from(Estimator, weighted):
    X, y = data(Estimator, n_samples=80)
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=80) if weighted else None
    X_train, y_train, sw_train, X_val, y_val, sw_val = split_of(Estimator, X, y, sample_weight, **EXACT)
    assert X_val.shape[0] == 8 and X_train.shape[0] == 72  # ceil(validation_fraction * 80) held out
    assert (sw_val is None) == (not weighted)
    held_out = quiet_fit(make(Estimator, **EXACT), X, y, sample_weight)
    given = quiet_fit(
        make(Estimator, **EXACT), X_train, y_train, sw_train, X_val=X_val, y_val=y_val, sample_weight_val=sw_val
    )
    assert given.best_validation_score_ == held_out.best_validation_score_
    assert given.validation_scores_ == held_out.validation_scores_
    assert given.train_scores_ == held_out.train_scores_
    assert given.loss_curve_ == held_out.loss_curve_
    assert_array_equal(params(given), params(held_out))
    # other validation rows: another history, from the same training
    other = quiet_fit(make(Estimator, **EXACT), X_train, y_train, sw_train, X_val=X_val[:5], y_val=y_val[:5])
    assert other.validation_scores_ != held_out.validation_scores_
    assert other.loss_curve_[0] == held_out.loss_curve_[0]


def test_a_given_validation_set_trains_on_every_row_and_ignores_validation_fraction():
    X, y = data(SoftmaxClassifier, n_samples=90)
    seen = []
    scorer = lambda est, X_, y_: seen.append(X_.shape[0]) or 0.0  # noqa: E731
    est = make(SoftmaxClassifier, early_stopping=True, validation_fraction=0.5, scoring=scorer, max_iter=1)
    quiet_fit(est, X, y, X_val=X[:7], y_val=y[:7])
    assert seen == [7, 90]  # the validation rows given, then all the training rows


# ---------------------------------------------------------------------------------------------
# 2. what is recorded: the scorer at each epoch's parameters
# ---------------------------------------------------------------------------------------------

FITTED = ("coef_", "intercept_", "coefs_", "intercepts_")


def validation_data(Est):
    X, y = data(Est, n_samples=100)
    return X[:70], y[:70], X[70:], y[70:]


def test_each_epochs_score_is_the_scorer_at_that_epochs_parameters(Estimator):
    X, y, X_val, y_val = validation_data(Estimator)
    name_ = "accuracy" if is_classifier(Estimator()) else "r2"
    settings = dict(early_stopping=True, max_iter=8, tol=0.0, n_iter_no_change=8, solver="adam", learning_rate=0.05)
    snapshots = []

    def recorder(est, X_, y_):  # keeps the fitted attributes it is shown at every validation
        if X_.shape[0] == X_val.shape[0]:
            snapshots.append(pickle.loads(pickle.dumps({k: v for k, v in vars(est).items() if k in FITTED})))
        return get_scorer(name_)(est, X_, y_)

    recorded = quiet_fit(make(Estimator, **settings, scoring=recorder), X, y, X_val=X_val, y_val=y_val)
    named = quiet_fit(make(Estimator, **settings, scoring=name_), X, y, X_val=X_val, y_val=y_val)
    by_loss = quiet_fit(make(Estimator, **settings), X, y, X_val=X_val, y_val=y_val)
    assert len(snapshots) == len(named.validation_scores_) == named.n_iter_ == 8
    assert recorded.validation_scores_ == named.validation_scores_
    assert named.best_validation_score_ == max(named.validation_scores_)
    assert by_loss.loss_curve_ == named.loss_curve_  # the scoring changes what is kept, not the training
    for k, snapshot in enumerate(snapshots):
        at_epoch = clone(named)  # a fitted estimator with epoch k's parameters, predicting as any other
        at_epoch.__dict__.update({**vars(named), **snapshot})
        assert_allclose(get_scorer(name_)(at_epoch, X_val, y_val), named.validation_scores_[k], rtol=1e-9)
        if is_classifier(named) and has_probabilities(named):  # 'loss': the cross-entropy of the probabilities
            expected = -log_loss(y_val, at_epoch.predict_proba(X_val), labels=named.classes_)
        elif is_classifier(named):  # the hinge, one-vs-rest (one score for two classes)
            scores = np.atleast_2d(at_epoch.decision_function(X_val).T).T
            signs = np.where(y_val[:, None] == named.classes_[None, :], 1.0, -1.0)
            expected = -np.maximum(0, 1 - signs * scores).sum(axis=1).mean()
        else:  # the squared error, halved
            expected = -0.5 * np.mean((y_val - at_epoch.predict(X_val)) ** 2)
        assert_allclose(by_loss.validation_scores_[k], expected, rtol=1e-7)


def test_training_scores_are_recorded_beside_the_validation_scores(Estimator):
    X, y, X_val, y_val = validation_data(Estimator)
    est = quiet_fit(make(Estimator, early_stopping=True, max_iter=6), X, y, X_val=X_val, y_val=y_val)
    assert len(est.train_scores_) == len(est.validation_scores_) == est.n_iter_
    assert all(score <= 0 for score in est.train_scores_ + est.validation_scores_)  # minus a loss
    on_itself = quiet_fit(clone(est), X, y, X_val=X, y_val=y)  # the same rows, scored alike
    assert on_itself.train_scores_ == on_itself.validation_scores_
    est.set_params(warm_start=True)  # a warm start goes on recording, as loss_curve_
    quiet_fit(est, X, y, X_val=X_val, y_val=y_val)
    assert len(est.train_scores_) == len(est.validation_scores_) == len(est.loss_curve_)
    plain = make(Estimator, max_iter=3)
    quiet_fit(plain, X, y)
    assert plain.train_scores_ is None and plain.validation_scores_ is None


def test_scoring_none_is_the_estimators_own_score_the_one_early_stopping_used_before():
    X, y, X_val, y_val = validation_data(SoftmaxClassifier)
    est = quiet_fit(make(SoftmaxClassifier, early_stopping=True, scoring=None), X, y, X_val=X_val, y_val=y_val)
    assert est.best_validation_score_ == est.score(X_val, y_val)  # the best epoch's parameters are kept
    assert all(0 <= score <= 1 for score in est.validation_scores_)


def test_the_loss_tol_of_regressors_does_not_depend_on_the_units_of_y():
    X, y, X_val, y_val = validation_data(LinearRegressorGD)
    settings = dict(early_stopping=True, solver="adam", learning_rate=0.01, max_iter=500)
    meters = quiet_fit(make(LinearRegressorGD, **settings), X, y, X_val=X_val, y_val=y_val)
    kilometres = quiet_fit(make(LinearRegressorGD, **settings), X, y / 1000, X_val=X_val, y_val=y_val / 1000)
    assert meters.n_iter_ > 3 * (meters.n_iter_no_change + 1)  # it did not stop at the first epochs
    # the same training in other units (up to rounding): as many epochs, every score a millionth (squared error)
    assert abs(kilometres.n_iter_ - meters.n_iter_) <= 2
    n = min(meters.n_iter_, kilometres.n_iter_)
    assert_allclose(kilometres.validation_scores_[:n], np.array(meters.validation_scores_[:n]) / 1e6, rtol=1e-2)


def test_a_scorer_sees_validated_rows_and_no_feature_name_warning():
    X, y = data(SoftmaxClassifier, n_samples=90)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = make(SoftmaxClassifier, early_stopping=True, scoring="accuracy", max_iter=5)
        est.fit(frame[:60], y[:60], X_val=frame[60:], y_val=y[60:])
    assert_array_equal(est.feature_names_in_, ["a", "b", "c"])
    float32 = quiet_fit(make(SoftmaxClassifier, early_stopping=True, max_iter=3), X[:60].astype(np.float32), y[:60],
                        X_val=X[60:], y_val=y[60:])  # fmt: skip
    assert float32.coef_.dtype == np.float32


# ---------------------------------------------------------------------------------------------
# 3. pipelines (metadata routing) and searches
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_a_pipeline_routes_and_transforms_the_validation_set(Estimator, routing):
    X, y, X_val, y_val = validation_data(Estimator)
    X, X_val = 100 * X + 50, 100 * X_val + 50  # far from [0, 1]: the scaler matters
    est = make(Estimator, early_stopping=True, max_iter=20).set_fit_request(X_val=True, y_val=True)
    pipe = Pipeline([("scale", MinMaxScaler()), ("model", est)], transform_input=["X_val"])
    quiet_fit(pipe, X, y, X_val=X_val, y_val=y_val)
    scaler = MinMaxScaler().fit(X)
    by_hand = quiet_fit(clone(est), scaler.transform(X), y, X_val=scaler.transform(X_val), y_val=y_val)
    assert pipe[-1].validation_scores_ == by_hand.validation_scores_
    assert_array_equal(params(pipe[-1]), params(by_hand))
    # without transform_input the pipeline passes X_val on as given: unscaled, another (wrong) history
    untransformed = Pipeline([("scale", MinMaxScaler()), ("model", clone(est))])
    quiet_fit(untransformed, X, y, X_val=X_val, y_val=y_val)
    assert untransformed[-1].validation_scores_ != by_hand.validation_scores_


def test_a_grid_search_over_scoring_and_with_a_routed_validation_set(routing):
    X, y, X_val, y_val = validation_data(SoftmaxClassifier)
    est = make(SoftmaxClassifier, early_stopping=True, max_iter=20).set_fit_request(X_val=True, y_val=True)
    pipe = Pipeline([("scale", MinMaxScaler()), ("model", est)], transform_input=["X_val"])
    grid = {"model__scoring": ["loss", "accuracy", None], "model__weight_decay": [1e-4, 1e-2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(pipe, grid, cv=3).fit(X, y, X_val=X_val, y_val=y_val)
    assert search.best_score_ > 0.7
    assert len(search.best_estimator_[-1].validation_scores_) == search.best_estimator_[-1].n_iter_


def test_a_grid_search_without_routing_still_works():
    X, y = data(SoftmaxClassifier, n_samples=90)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search = GridSearchCV(
            make(SoftmaxClassifier, early_stopping=True, max_iter=20),
            {"scoring": ["loss", "balanced_accuracy", lambda est, X, y: est.score(X, y)]},
            cv=3,
        ).fit(X, y)
    assert search.best_score_ > 0.7


# ---------------------------------------------------------------------------------------------
# 4. bad input: clear errors, and a fitted estimator left as it was
# ---------------------------------------------------------------------------------------------


def bad_calls(Est):
    X, y, X_val, y_val = validation_data(Est)
    unseen = np.full_like(y_val, 7) if is_classifier(Est()) else np.c_[y_val, y_val]
    return [
        ({"X_val": X_val}, "X_val is provided, but y_val was not"),
        ({"y_val": y_val}, "y_val is provided, but X_val was not"),
        ({"sample_weight_val": np.ones(len(y_val))}, "sample_weight_val is given"),
        ({"X_val": X_val[:, :2], "y_val": y_val}, "X_val: X has 2 features"),
        ({"X_val": X_val, "y_val": y_val[:5]}, "inconsistent numbers of samples"),
        ({"X_val": X_val, "y_val": unseen}, "y_val has"),
        ({"X_val": X_val, "y_val": y_val, "sample_weight_val": np.zeros(len(y_val))}, "sample_weight_val: "),
        ({"X_val": X_val, "y_val": y_val, "sample_weight_val": -np.ones(len(y_val))}, "sample_weight_val: "),
    ]


def test_a_bad_validation_set_is_refused_and_leaves_the_fitted_estimator_as_it_was(Estimator):
    X, y, X_val, y_val = validation_data(Estimator)
    est = quiet_fit(make(Estimator, early_stopping=True, max_iter=3), X, y, X_val=X_val, y_val=y_val)
    before = pickle.dumps(est)
    for arguments, message in bad_calls(Estimator):
        for warm_start in (False, True):
            est.set_params(warm_start=warm_start)
            with pytest.raises(ValueError, match=message):
                est.fit(X, y, **arguments)
            est.set_params(warm_start=False)
            assert pickle.dumps(est) == before, arguments
    for settings in ({"early_stopping": False}, {"solver": "lbfgs"}):
        with pytest.raises(ValueError, match=next(iter(settings))):
            est.set_params(**settings).fit(X, y, X_val=X_val, y_val=y_val)
        est.set_params(early_stopping=True, solver=make(Estimator).solver)
        assert pickle.dumps(est) == before


def test_an_unknown_or_failing_scoring_is_refused_and_leaves_the_fitted_estimator_as_it_was(Estimator):
    X, y, X_val, y_val = validation_data(Estimator)
    est = quiet_fit(make(Estimator, early_stopping=True, max_iter=3), X, y)
    before = pickle.dumps(est)
    with pytest.raises(ValueError, match="'scoring' parameter .* must be a str among .*'loss'.*callable"):
        est.set_params(scoring="accuracy_score").fit(X, y)
    assert pickle.dumps(est.set_params(scoring="loss")) == before

    def failing(est, X, y):
        raise RuntimeError("this scorer fails")

    with pytest.raises(RuntimeError, match="this scorer fails"):
        est.set_params(scoring=failing, warm_start=True).fit(X, y, X_val=X_val, y_val=y_val)
    assert pickle.dumps(est.set_params(scoring="loss", warm_start=False)) == before
