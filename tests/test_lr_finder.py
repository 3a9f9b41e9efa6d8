"""sknotes.lr_finder: the learning-rate range test, on every estimator and solver, and what it suggests."""

import numpy as np
import pytest
from estimators import (
    STEP_SOLVERS,
    assert_same_outputs,
    assert_unfitted,
    data,
    make,
    outputs,
    quietly,
)
from numpy.testing import assert_array_equal
from sklearn.base import is_classifier
from sklearn.datasets import load_iris, make_regression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknotes import LinearRegressorGD, MLPFromScratch, SoftmaxClassifier
from sknotes.lr_finder import LearningRateFinderResult, find_learning_rate


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


# ---- the suggestion on convex problems ---------------------------------------------------------------------------


def one_over_L(X):
    """1 / L for the squared error's objective J = |X w + b - y|^2 / (2 n): L is the largest eigenvalue of A'A / n."""
    A = np.column_stack([X, np.ones(X.shape[0])])
    return 1.0 / np.linalg.eigvalsh(A.T @ A / X.shape[0])[-1]


@pytest.mark.parametrize("seed", [0, 1])
def test_suggestion_is_within_a_factor_of_10_of_one_over_L(regression, seed):
    """Plain gradient descent on the raw parameters (conditioning=None): 1 / L computed here, independently."""
    X, y = regression
    est = LinearRegressorGD(solver="sgd", momentum=0.0, conditioning=None, random_state=0)
    result = find_learning_rate(est, X, y, batch_size=X.shape[0], random_state=seed)
    assert 0.1 < result.suggestion / one_over_L(X) < 10, (result.suggestion, one_over_L(X))
    # and 'auto' is that 1 / L here (a bound on L: a safe step, not smaller than a tenth of it)
    assert 0.1 < result.auto_learning_rate / one_over_L(X) <= 1 + 1e-9


@pytest.mark.parametrize("batch_size", [None, 32], ids=["full batch", "batch of 32"])
def test_suggestion_is_within_a_factor_of_10_of_auto(SmoothLinearModel, batch_size, iris, regression):
    """In the coordinates training uses, 'auto' is 1 / L for plain SGD on a linear model (of a smooth loss)."""
    X, y = iris if is_classifier(SmoothLinearModel()) else regression
    estimator = SmoothLinearModel(solver="sgd", momentum=0.0, random_state=0)
    result = find_learning_rate(estimator, X, y, batch_size=batch_size, random_state=0)
    assert 0.1 < result.ratio < 10, result
    assert result.ratio == result.suggestion / result.auto_learning_rate
    assert f"suggestion / auto = {result.ratio:.3g}" in repr(result)


def test_the_suggestion_is_where_the_smoothed_objective_falls_fastest():
    """On a made-up curve (a sigmoid fall in log(rate), steepest at 1e-2), with a dip at the start to ignore."""
    from sknotes.lr_finder import _steepest

    rates = np.logspace(-6, 1, 100)
    losses = 2.0 - np.tanh(np.log10(rates) + 2.0)
    losses[3] = 0.5  # a noisy low in the first tenth
    assert _steepest(rates, losses, window=5) == pytest.approx(1e-2, rel=0.2)
    # an objective that never falls: the rate at its lowest, divided by 10 (here the first)
    assert _steepest(rates, np.linspace(1, 2, 100), window=5) == rates[0]


# ---- every estimator, every solver that takes steps --------------------------------------------------------------


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_every_estimator_and_solver(Estimator, solver):
    X, y = data(Estimator, n_samples=40)
    result = find_learning_rate(make(Estimator, solver=solver), X, y, n_steps=20, batch_size=10, random_state=0)
    assert isinstance(result, LearningRateFinderResult)
    n = len(result.learning_rates)
    assert 2 <= n <= 20 and result.losses.shape == result.raw_losses.shape == (n,)
    assert np.all(np.diff(result.learning_rates) > 0) and result.learning_rates[0] == 1e-6
    assert np.isfinite(result.losses).all() and np.isfinite(result.raw_losses).all()
    assert result.suggestion in result.learning_rates or result.suggestion == result.learning_rates[-1] / 10
    assert result.auto_learning_rate > 0 and result.estimator_name == Estimator.__name__
    assert result.stopped in ("end of range", "diverged", "training diverged")


def test_the_estimator_is_left_unchanged(Estimator):
    X, y = data(Estimator, n_samples=40)
    est = make(Estimator, solver="adam")
    params = est.get_params()
    find_learning_rate(est, X, y, n_steps=10, random_state=0)
    assert_unfitted(est)
    assert est.get_params() == params
    quietly(est.fit, X, y)
    before, fitted = outputs(est, X), dict(vars(est))
    find_learning_rate(est, X, y, n_steps=10, random_state=0)
    assert_same_outputs(outputs(est, X), before)
    assert est.get_params() == params and vars(est).keys() == fitted.keys()
    assert est.loss_curve_ == fitted["loss_curve_"]


def test_a_pipeline_tests_its_last_step_on_the_transformed_data(iris):
    X, y = iris
    pipe = make_pipeline(MinMaxScaler(), SoftmaxClassifier(random_state=0))
    result = find_learning_rate(pipe, X, y, n_steps=30, random_state=0)
    direct = find_learning_rate(SoftmaxClassifier(random_state=0), MinMaxScaler().fit_transform(X), y, n_steps=30,
                                random_state=0)  # fmt: skip
    assert_array_equal(result.raw_losses, direct.raw_losses)
    assert result.suggestion == direct.suggestion and result.estimator_name == "SoftmaxClassifier"
    assert not hasattr(pipe[0], "data_min_")  # the user's scaler is not fitted
    assert_unfitted(pipe[-1])


def test_same_random_state_same_result_and_it_matters(iris):
    X, y = iris
    est = SoftmaxClassifier(batch_size=16)  # random_state=None: the finder's random_state seeds it
    first, again = (find_learning_rate(est, X, y, n_steps=20, random_state=0) for _ in range(2))
    other = find_learning_rate(est, X, y, n_steps=20, random_state=1)
    assert_array_equal(first.raw_losses, again.raw_losses)
    assert not np.array_equal(first.raw_losses, other.raw_losses)


# ---- the ends of the range ---------------------------------------------------------------------------------------


def test_a_diverging_objective_ends_the_range_without_raising(regression):
    X, y = regression
    est = LinearRegressorGD(solver="sgd", momentum=0.0, conditioning=None, random_state=0)
    result = find_learning_rate(est, X, y, min_lr=1e-3, max_lr=1e3, n_steps=60, random_state=0)
    assert result.stopped in ("diverged", "training diverged") and len(result.learning_rates) < 60
    assert np.isfinite(result.losses).all()
    assert result.losses[-1] > 4 * result.losses.min() or result.stopped == "training diverged"
    assert result.suggestion < result.learning_rates[-1]


def test_the_estimators_divergence_error_ends_the_range(regression):
    """Steps so large that the next objective explodes: partial_fit raises, and the range ends there."""
    X, y = regression
    est = LinearRegressorGD(solver="sgd", momentum=0.0, conditioning=None, random_state=0)
    result = find_learning_rate(est, X * 100, y, min_lr=1e3, max_lr=1e6, n_steps=10, smoothing=0.0, random_state=0)
    assert result.stopped == "training diverged"
    assert len(result.learning_rates) == 1 and np.isfinite(result.raw_losses).all()


def test_an_objective_that_only_falls_runs_the_whole_range(iris):
    X, y = iris
    result = find_learning_rate(SoftmaxClassifier(random_state=0), X, y, max_lr=1e-2, n_steps=30, random_state=0)
    assert result.stopped == "end of range" and len(result.learning_rates) == 30
    assert result.learning_rates[-1] == pytest.approx(1e-2)
    assert result.losses[-1] < result.losses[0]


# ---- settings ----------------------------------------------------------------------------------------------------


def test_lbfgs_is_refused_naming_the_solvers_that_take_steps(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"\['sgd', 'rmsprop', 'adam'\].*solver='lbfgs'"):
        find_learning_rate(SoftmaxClassifier(solver="lbfgs"), X, y)
    with pytest.raises(ValueError, match="solver='lbfgs'"):
        find_learning_rate(make_pipeline(MinMaxScaler(), MLPFromScratch(solver="lbfgs")), X, y)


@pytest.mark.parametrize(
    "kwargs", [{"min_lr": 0.0}, {"min_lr": 1.0, "max_lr": 0.1}, {"n_steps": 1}, {"smoothing": 1.0}]
)
def test_invalid_ranges_are_refused(iris, kwargs):
    with pytest.raises(ValueError, match="min_lr|smoothing"):
        find_learning_rate(SoftmaxClassifier(), *iris, **kwargs)


def test_the_batch_size_defaults_to_the_estimators_or_200(iris):
    """Checked through the 'auto' step of 'sgd', which depends on the batch size (and through the steps run)."""
    X, y = iris
    big = np.repeat(X, 3, axis=0), np.repeat(y, 3)  # 450 rows
    est = SoftmaxClassifier(solver="sgd", momentum=0.0, random_state=0)
    default = find_learning_rate(est, *big, n_steps=10, random_state=0)
    explicit = find_learning_rate(est, *big, n_steps=10, batch_size=200, random_state=0)
    assert_array_equal(default.raw_losses, explicit.raw_losses)
    own = find_learning_rate(est.set_params(batch_size=50), *big, n_steps=10, random_state=0)
    assert_array_equal(
        own.raw_losses, find_learning_rate(est, *big, n_steps=10, batch_size=50, random_state=0).raw_losses
    )
    assert own.auto_learning_rate != default.auto_learning_rate


def test_balanced_class_weight_becomes_sample_weights(iris):
    X, y = iris
    keep = np.r_[0:50, 50:70, 100:150]  # an unbalanced iris
    est = SoftmaxClassifier(class_weight="balanced", random_state=0)
    result = find_learning_rate(est, X[keep], y[keep], n_steps=20, random_state=0)
    plain = find_learning_rate(est.set_params(class_weight=None), X[keep], y[keep], n_steps=20, random_state=0)
    assert np.isfinite(result.losses).all() and not np.array_equal(result.raw_losses, plain.raw_losses)


def test_classes_missing_from_y_can_be_declared():
    X, y = data(SoftmaxClassifier, n_samples=40)
    result = find_learning_rate(make(SoftmaxClassifier), X, y, classes=[0, 1, 2, 3], n_steps=10, random_state=0)
    assert np.isfinite(result.losses).all()
