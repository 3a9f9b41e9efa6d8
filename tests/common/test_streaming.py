"""The contract, streams: ``partial_fit`` learns what ``fit`` learns, step for step and chunk by chunk.

N ``partial_fit`` calls on the same rows are N epochs of ``fit`` (numeric learning rate, ``shuffle=False``), for
every solver, full batch and mini-batch, momentum included: whatever a solver does between steps in ``fit``, it does
between calls. Over chunks of a stream, the coordinates training works in follow all the rows seen (an exact change
of variables, the optimizer's state carried over), so a first chunk with a constant feature, or chunks that drift,
end where ``fit`` on the same rows ends. The classes declared to the first call decide the output head. Every public
estimator (``tests/estimators.py``).
"""

import io
import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from estimators import (
    STEP_SOLVERS,
    data,
    is_mlp,
    make,
    params,
    pf_kwargs,
    quietly,
    regression_targets,
    target_domain,
)
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier

from sknotes import LinearRegressorGD, MLPRegressorFromScratch

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def _epochs_both_ways(est, X, y, n):
    """``est`` fitted for n epochs, and a clone given n partial_fit calls on the same rows.

    Both have ``max_iter=n`` (the horizon of a cosine schedule). The fit has ``tol=0`` (it runs all n epochs) except
    with the 'adaptive' schedule, whose stalls, judged by ``tol`` in both, divide the rate.
    """
    adaptive = est.get_params().get("learning_rate_schedule") == "adaptive"
    fitted = quietly(clone(est).set_params(max_iter=n, **({} if adaptive else {"tol": 0.0})).fit, X, y)
    streamed = clone(est).set_params(max_iter=n)
    for _ in range(n):
        streamed.partial_fit(X, y, **pf_kwargs(est, y))
    return fitted, streamed


#: The learning-rate schedules, each with settings that make it change the rate within 25 epochs of 60 rows
#: ('adaptive': no epoch but the first improves by tol=1e3, so one stall every 3 epochs, whatever the rounding).
SCHEDULES = {
    "constant": {},
    "invscaling": {"learning_rate_schedule": "invscaling", "power_t": 0.25},
    "adaptive": {"learning_rate_schedule": "adaptive", "tol": 1e3, "n_iter_no_change": 2},
    "cosine": {"learning_rate_schedule": "cosine", "warmup": 5},
}


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("batch_size", [None, 16], ids=["full batch", "mini-batch"])
@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_n_partial_fit_calls_are_n_epochs_of_fit(Estimator, solver, batch_size, schedule):
    """scikit-learn's invariant (its test_partial_fit_classification/regression), with momentum and Nesterov on,
    for every learning-rate schedule: partial_fit continues the schedule where the last call left it."""
    X, y = data(Estimator)
    est = make(Estimator, solver=solver, batch_size=batch_size, learning_rate=0.05, momentum=0.9, shuffle=False)
    fitted, streamed = _epochs_both_ways(est.set_params(**SCHEDULES[schedule]), X, y, 25)
    assert_allclose(params(streamed), params(fitted), rtol=1e-9, atol=1e-12)
    assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=1e-9)
    assert_allclose(streamed.learning_rate_curve_, fitted.learning_rate_curve_, rtol=1e-12)
    assert streamed.n_iter_ == 25


def test_the_auto_step_adapts_between_partial_fit_calls_on_the_same_rows_as_between_epochs(SmoothLinearModel):
    """'auto' on full batches grows its step and restarts momentum by the objective; partial_fit does it too.

    (A linear model's: an MLP's 'auto' does not adapt; and a kinked loss's fit follows a smoothing continuation
    where partial_fit takes the loss itself, so the two part ways: ``StepPolicy.smoothings``.)"""
    X, y = data(SmoothLinearModel)
    X = X * [1.0, 30.0, 0.1]  # unequal scales: the adapted step differs from 1 / L
    est = make(SmoothLinearModel, shuffle=False)
    fitted, streamed = _epochs_both_ways(est, X, y, 30)
    # (each call starts from the true parameters, re-expressed: near the optimum a rise of J by round-off may be
    # seen in one and not the other, and the two take back different tiny steps)
    assert_allclose(params(streamed), params(fitted), rtol=1e-6, atol=1e-9)
    state = streamed._training_state
    assert state.optimizer.learning_rate != pytest.approx(state.auto_learning_rate, rel=0.05)  # it adapted, as fit's
    assert state.optimizer.learning_rate == pytest.approx(fitted._training_state.optimizer.learning_rate, rel=1e-12)


def test_the_declared_classes_decide_the_head_not_the_first_chunk(Classifier):
    X, y = data(Classifier, n_samples=90)
    first = y < 2  # the first chunk has classes 0 and 1 of the three declared
    est = make(Classifier).partial_fit(X[first], y[first], classes=[0, 1, 2])
    reference = quietly(make(Classifier, max_iter=2).fit, X, y)
    assert est.out_activation_ == reference.out_activation_
    assert est.decision_function(X).shape == reference.decision_function(X).shape == (90, 3)
    est.partial_fit(X[~first], y[~first])
    assert est.predict(X).shape == (90,)
    assert 0 <= est.score(X, y) <= 1  # scikit-learn's metrics take the predictions
    with pytest.raises(ValueError, match="classes"):  # and the head, once chosen, is that of the three classes
        make(Classifier).partial_fit(X[first], y[first], classes=[0, 1]).partial_fit(X, y)


def _stream_data(Est):
    """6000 rows of 5 standard normal features and a linear rule (a class, or a value of the estimator's domain)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6000, 5))
    score = X @ rng.normal(size=5)
    if is_classifier(Est()):
        return X, (score > 0).astype(int)
    return X, regression_targets(rng, score, target_domain(Est))


def _stream(est, X, y, passes):
    chunks = [slice(start, start + 1000) for start in range(0, X.shape[0], 1000)]
    for _ in range(passes):
        for chunk in chunks:
            est.partial_fit(X[chunk], y[chunk], **pf_kwargs(est, y))
    return est


@pytest.mark.parametrize("case", ["constant first chunk", "drifting chunks"])
def test_partial_fit_over_chunks_learns_what_fit_learns_on_the_same_rows(Estimator, case):
    """A feature that is 0 in the first chunk only (a sensor off), or chunks sorted by a feature (time order).

    The first chunk's statistics used to fix the coordinates forever: the steps on the constant feature were
    1 / s_j^2 too large, and drifting chunks diverged. Linear models: 5 passes; MLPs take 10 (their fit
    runs for ~100 epochs, a pass is one epoch).
    """
    X, y = _stream_data(Estimator)
    if case == "constant first chunk":
        X[:1000, 3] = 0.0
        margin = 0.02
    else:
        order = np.argsort(X[:, 0])
        X, y = X[order], y[order]
        margin = 0.03
    streamed = _stream(Estimator(random_state=0), X, y, passes=10 if is_mlp(Estimator) else 5)
    fitted = quietly(Estimator(random_state=0).fit, X, y)
    assert streamed.score(X, y) > fitted.score(X, y) - margin


@pytest.mark.parametrize("batch_size", [None, 32], ids=["full batch", "mini-batch"])
def test_a_stream_of_scaled_digits_learns_as_sgd_regressor_does(batch_size):
    """MinMax-scaled digits in 10 chunks, y the digit: every call's 'auto' step is safe for its own rows (it used
    to diverge at the fourth), and 5 passes learn as much as scikit-learn's SGDRegressor's partial_fit."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDRegressor
    from sklearn.preprocessing import MinMaxScaler

    X, y = load_digits(return_X_y=True)
    X, y = MinMaxScaler().fit_transform(X), y.astype(float)
    est, peer = LinearRegressorGD(batch_size=batch_size), SGDRegressor(random_state=0)
    for _ in range(5):
        for rows in np.array_split(np.arange(len(y)), 10):
            est.partial_fit(X[rows], y[rows])
            peer.partial_fit(X[rows], y[rows])
    assert est.score(X, y) > peer.score(X, y) - 0.02


def test_a_constant_feature_keeps_learning_after_a_save():
    """scikit-learn's test_partial_fit_regression-like case: a model saved after fit([[2]], [4]) is then taught
    [[2]] -> 1 by partial_fit; its coordinate for the constant feature is not stuck at 0."""
    est = MLPRegressorFromScratch(
        hidden_layer_sizes=(42,), solver="sgd", momentum=0, learning_rate=0.01, random_state=0
    )
    est.fit([[2.0]], [4.0])
    buffer = io.BytesIO()
    joblib.dump(est, buffer)
    loaded = joblib.load(io.BytesIO(buffer.getvalue()))
    for _ in range(200):
        loaded.partial_fit([[2.0]], [1.0])
    assert loaded.predict([[2.0]])[0] == pytest.approx(1.0, abs=1e-3)


def test_sparse_chunks_learn_what_dense_chunks_learn(Estimator):
    X, y = _stream_data(Estimator)
    X[np.abs(X) < 0.7] = 0.0  # about half the entries
    dense = _stream(Estimator(random_state=0), X, y, passes=2)
    sparse = _stream(Estimator(random_state=0), sp.csr_matrix(X), y, passes=2)
    assert_allclose(params(sparse), params(dense), rtol=1e-6, atol=1e-9)


def test_new_coordinates_change_no_prediction(Estimator):
    """Moving to new coordinates between chunks is an exact change of variables: a chunk that moves them and
    teaches nothing (learning_rate tiny) leaves every prediction as it was, to round-off."""
    X, y = _stream_data(Estimator)
    est = make(Estimator, solver="sgd", learning_rate=0.05, momentum=0.0)
    est.partial_fit(X[:500], y[:500], **pf_kwargs(est, y))
    before = est.predict(X) if not is_classifier(est) else est.decision_function(X)
    coordinates = {k: None if v is None else v.copy() for k, v in est._training_state.coordinates.items()}
    est.set_params(learning_rate=1e-300).partial_fit(10 * X[500:1000] + 5, y[500:1000])  # far from the first rows
    moved = est._training_state.coordinates
    assert not np.allclose(moved["input_offset"], coordinates["input_offset"])
    after = est.predict(X) if not is_classifier(est) else est.decision_function(X)
    assert_allclose(after, before, rtol=1e-9, atol=1e-9)
    assert_array_equal(pickle.loads(pickle.dumps(est)).predict(X), est.predict(X))
