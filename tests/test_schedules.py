"""Learning-rate schedules: the recorded rates follow each schedule's formula, 'constant' is the plain optimizer bit
for bit, 'adaptive' divides and stops as scikit-learn's MLP does, partial_fit (and a pickle) continues a schedule.

Every count of epochs asserted here is set by the test's own settings (a tol no epoch can meet, tol=0), never by
where rounding puts an objective value.
"""

import pickle
import warnings

import numpy as np
import pytest
from estimators import STEP_SOLVERS, data, is_mlp, make, params, pf_kwargs, quietly
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sknotes import LinearRegressorGD, SoftmaxClassifier
from sknotes.nn import OPTIMIZERS, Network
from sknotes.nn.losses import bind
from sknotes.nn.schedules import SCHEDULES, Adaptive, Clock, Cosine, InvScaling

pytestmark = pytest.mark.usefixtures("single_blas_thread")

ETA = 0.05


def _fit(est, X, y):
    return quietly(est.fit, X, y)


# ---- the formulas --------------------------------------------------------------------------------------------


def _invscaling(n_epochs, n_samples, power_t):
    return [ETA / (e * n_samples + 1) ** power_t for e in range(n_epochs)]


def _cosine(n_epochs, warmup, max_iter):
    rates = []
    for e in range(n_epochs):
        if e < warmup:
            rates.append(ETA * (e + 1) / warmup)
        else:
            rates.append(ETA * (1 + np.cos(np.pi * (e - warmup) / (max_iter - warmup))) / 2)
    return rates


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_the_recorded_rates_follow_each_schedules_formula(Estimator, solver):
    X, y = data(Estimator)
    est = make(Estimator, solver=solver, learning_rate=ETA, batch_size=16, max_iter=20, tol=0.0)
    constant = _fit(clone(est), X, y)
    assert constant.learning_rate_curve_ == [ETA] * 20  # exactly the step given
    inv = _fit(clone(est).set_params(learning_rate_schedule="invscaling", power_t=0.3), X, y)
    assert_allclose(inv.learning_rate_curve_, _invscaling(20, X.shape[0], 0.3), rtol=1e-12)
    cos = _fit(clone(est).set_params(learning_rate_schedule="cosine", warmup=4), X, y)
    assert_allclose(cos.learning_rate_curve_, _cosine(20, 4, 20), rtol=1e-12, atol=1e-15)
    for fitted in (constant, inv, cos):
        assert len(fitted.learning_rate_curve_) == len(fitted.loss_curve_) == fitted.n_iter_ == 20


def test_invscaling_is_scikit_learns():
    """The rates scikit-learn's MLP sets (its SGDOptimizer, told the samples seen after each epoch: its t_)."""
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    X, y = data(SoftmaxClassifier)
    est = _fit(make(SoftmaxClassifier, learning_rate=ETA, learning_rate_schedule="invscaling", power_t=0.5,
                    max_iter=8, tol=0.0), X, y)  # fmt: skip
    optimizer = SGDOptimizer([np.zeros(1)], learning_rate_init=ETA, lr_schedule="invscaling", power_t=0.5)
    expected = []
    for epoch in range(8):
        expected.append(optimizer.learning_rate)
        optimizer.iteration_ends((epoch + 1) * X.shape[0])
    assert_allclose(est.learning_rate_curve_, expected, rtol=1e-12)


def test_the_cosine_warm_up_rises_then_the_rate_falls_to_zero():
    X, y = data(LinearRegressorGD)
    est = _fit(make(LinearRegressorGD, solver="adam", learning_rate=ETA, learning_rate_schedule="cosine", warmup=5,
                    max_iter=30, tol=0.0), X, y)  # fmt: skip
    rates = np.array(est.learning_rate_curve_)
    assert (np.diff(rates[:5]) > 0).all() and rates[0] == pytest.approx(ETA / 5)
    assert rates[4] == rates[5] == ETA  # the top: the warm-up's last epoch and the decay's first
    assert (np.diff(rates[5:]) < 0).all() and 0 < rates[-1] < 0.01 * ETA
    assert Cosine(max_iter=30, warmup=5).factor(Clock(epoch=30)) == 0.0  # and 0 beyond the horizon


@pytest.mark.parametrize("early_stopping", [False, True], ids=["objective", "validation score"])
def test_adaptive_divides_by_5_at_each_stall_and_stops_at_1e_6(Estimator, early_stopping):
    """tol=1e3: no epoch but the first improves, so a stall ends every n_iter_no_change + 1 epochs after the
    first; 0.05 / 5^7 = 6.4e-7 is the first rate at or below 1e-6, and the stall at that rate stops training."""
    X, y = data(Estimator, n_samples=90)
    est = make(Estimator, solver="sgd", learning_rate=ETA, batch_size=16, learning_rate_schedule="adaptive", tol=1e3,
               n_iter_no_change=2, early_stopping=early_stopping, max_iter=1000)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop by the schedule is convergence
        est.fit(X, y)
    expected = [ETA] * 4 + [rate for k in range(1, 8) for rate in [ETA / 5**k] * 3]
    assert_allclose(est.learning_rate_curve_, expected, rtol=1e-12)
    assert est.learning_rate_curve_[-1] <= Adaptive.MIN_RATE < est.learning_rate_curve_[-4]
    assert est.n_iter_ == len(expected)


def test_tol_0_never_stalls_an_adaptive_schedule():
    X, y = data(LinearRegressorGD)
    est = _fit(make(LinearRegressorGD, solver="sgd", learning_rate=ETA, learning_rate_schedule="adaptive", tol=0.0,
                    max_iter=40), X, y)  # fmt: skip
    assert est.learning_rate_curve_ == [ETA] * 40


# ---- 'constant' is the optimizer as it was ---------------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [None, 16], ids=["full batch", "mini-batch"])
@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_constant_is_the_plain_optimizer_bit_for_bit(solver, batch_size):
    """With conditioning=None and a numeric step, fit is the optimizer's steps on the objective, nothing else: the
    schedule's factor 1 changes no bit (the loop written out here with the core's parts)."""
    X, y = data(SoftmaxClassifier)
    est = SoftmaxClassifier(solver=solver, learning_rate=ETA, batch_size=batch_size, weight_decay=1e-3,
                            conditioning=None, shuffle=False, max_iter=15, tol=0.0)  # fmt: skip
    fitted = _fit(est, X, y)
    network, loss, Y = Network([3, 3], "identity", "softmax"), bind("categorical_crossentropy"), np.eye(3)[y]
    theta = network.from_layers([(np.zeros((3, 3)), np.zeros(3))])
    Optimizer = OPTIMIZERS[solver]
    settings = {name: est.get_params()[name] for name in Optimizer.HYPERPARAMETERS}
    optimizer = Optimizer(learning_rate=ETA, **settings)
    size = X.shape[0] if batch_size is None else batch_size
    for _ in range(15):
        for start in range(0, X.shape[0], size):
            rows = slice(start, start + size)
            J, grad = network.objective(theta, X[rows], Y[rows], loss, weight_decay=1e-3)
            optimizer.step(theta, grad, J if batch_size is None else None)
    ((W, b),) = network.to_layers(theta)
    assert_array_equal(fitted.coef_, W.T)
    assert_array_equal(fitted.intercept_, b)


def test_auto_composes_with_a_schedule_as_its_base_step():
    """Full-batch 'sgd' at 'auto': 'constant' keeps the adapted step (the bold driver); a schedule multiplies the
    safe 1 / L instead, so its rates are 1 / L times its factors."""
    X, y = data(LinearRegressorGD)
    adapted = _fit(LinearRegressorGD(max_iter=30, tol=0.0), X, y)
    assert len(set(adapted.learning_rate_curve_)) > 1  # grown and halved by the objective
    est = _fit(LinearRegressorGD(learning_rate_schedule="cosine", warmup=3, max_iter=30, tol=0.0), X, y)
    step = est._training_state.auto_learning_rate
    assert step == adapted._training_state.auto_learning_rate
    assert_allclose(np.array(est.learning_rate_curve_) / step, np.array(_cosine(30, 3, 30)) / ETA, rtol=1e-12)


def test_float32_stays_float32_under_a_schedule():
    X, y = data(LinearRegressorGD)
    est = _fit(LinearRegressorGD(learning_rate_schedule="cosine", max_iter=20), X.astype(np.float32), y)
    assert est.coef_.dtype == np.float32 and est.predict(X.astype(np.float32)).dtype == np.float32


# ---- partial_fit continues a schedule --------------------------------------------------------------------------

#: Settings under which each schedule changes the rate within 12 epochs of 60 rows.
SETTINGS = {
    "invscaling": {"power_t": 0.25},
    "adaptive": {"tol": 1e3, "n_iter_no_change": 1},
    "cosine": {"warmup": 3},
}


@pytest.mark.parametrize("schedule", SETTINGS)
def test_partial_fit_continues_a_schedule_through_a_pickle(Estimator, schedule):
    """12 partial_fit calls, pickled after the 5th, are the 12 epochs of fit (max_iter=12, the cosine's horizon)."""
    X, y = data(Estimator)
    est = make(Estimator, solver="adam" if is_mlp(Estimator) else "sgd", learning_rate=ETA, shuffle=False, max_iter=12,
               learning_rate_schedule=schedule, **SETTINGS[schedule])  # fmt: skip
    fitted = _fit(clone(est).set_params(**({} if schedule == "adaptive" else {"tol": 0.0})), X, y)
    streamed = clone(est)
    for call in range(12):
        if call == 5:
            streamed = pickle.loads(pickle.dumps(streamed))
        streamed.partial_fit(X, y, **pf_kwargs(est, y))
    assert len(set(fitted.learning_rate_curve_)) > 2  # the schedule changed the rate
    assert_allclose(streamed.learning_rate_curve_, fitted.learning_rate_curve_, rtol=1e-12)
    assert_allclose(params(streamed), params(fitted), rtol=1e-9, atol=1e-12)


def test_every_fit_restarts_the_schedule_and_warm_start_continues_the_curve():
    X, y = data(LinearRegressorGD)
    est = make(LinearRegressorGD, solver="adam", learning_rate=ETA, learning_rate_schedule="cosine", max_iter=10,
               tol=0.0, warm_start=True)  # fmt: skip
    _fit(est, X, y)
    first = list(est.learning_rate_curve_)
    _fit(est, X, y)  # a warm restart: the schedule from its start, the curve grows as loss_curve_ does
    assert_allclose(est.learning_rate_curve_, first + first, rtol=1e-12)
    assert len(est.learning_rate_curve_) == len(est.loss_curve_) == 20


# ---- lbfgs and bad values --------------------------------------------------------------------------------------


def test_lbfgs_warns_that_a_schedule_is_ignored():
    X, y = data(SoftmaxClassifier)
    with pytest.warns(UserWarning, match="learning_rate_schedule='cosine' is ignored by solver='lbfgs'"):
        est = SoftmaxClassifier(solver="lbfgs", learning_rate_schedule="cosine").fit(X, y)
    assert est.learning_rate_curve_ is None
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        SoftmaxClassifier(solver="lbfgs").fit(X, y)  # 'constant' says nothing


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"learning_rate_schedule": "linear"}, "learning_rate_schedule.*'adaptive', 'constant', 'cosine'"),
        ({"learning_rate_schedule": "cosine", "warmup": -1}, "warmup"),
        ({"learning_rate_schedule": "cosine", "warmup": 1.5}, "warmup"),
        ({"learning_rate_schedule": "invscaling", "power_t": -0.5}, "power_t"),
        ({"learning_rate_schedule": "cosine", "warmup": 10, "max_iter": 10}, "warmup=10 must be smaller than max_iter"),
    ],
)
def test_bad_schedule_parameters_raise_clear_errors(Estimator, settings, message):
    X, y = data(Estimator)
    with pytest.raises(ValueError, match=message):
        make(Estimator, **settings).fit(X, y)


def test_the_registry_and_its_parts():
    assert set(SCHEDULES) == {"constant", "invscaling", "adaptive", "cosine"}
    assert InvScaling(power_t=1.0).factor(Clock(seen=9)) == 0.1
    assert Adaptive().factor(Adaptive().stall(Adaptive().stall(Clock(), 1.0), 1.0)) == pytest.approx(1 / 25)


def test_a_divergence_names_the_base_step_not_the_schedules_share_of_it():
    X, y = data(LinearRegressorGD)
    est = LinearRegressorGD(solver="sgd", learning_rate=1e3, momentum=0.0, learning_rate_schedule="cosine",
                            warmup=4, max_iter=10)  # fmt: skip
    with pytest.raises(ValueError, match="learning_rate=1000 is "):
        est.fit(X, y)


def test_an_interrupted_epoch_leaves_the_schedule_where_the_last_completed_one_did(monkeypatch):
    """KeyboardInterrupt in the 4th epoch (at its 2nd mini-batch): 3 rates recorded, and the base step and the clock
    as they were, so that continuing by partial_fit gives the rates of an uninterrupted run."""
    X, y = data(LinearRegressorGD)
    est = make(LinearRegressorGD, solver="adam", learning_rate=ETA, batch_size=20, shuffle=False, max_iter=8,
               tol=0.0, learning_rate_schedule="cosine", warmup=2)  # fmt: skip
    reference = _fit(clone(est), X, y)
    original, calls = Network.objective, {"n": 0}

    def objective(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3 * 3 + 2:
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(Network, "objective", objective)
    with pytest.warns(ConvergenceWarning, match="interrupted"):
        est.fit(X, y)
    monkeypatch.undo()
    assert_allclose(est.learning_rate_curve_, reference.learning_rate_curve_[:3], rtol=1e-12)
    assert est._training_state.optimizer.learning_rate == ETA
    for _ in range(5):
        est.partial_fit(X, y)
    assert_allclose(est.learning_rate_curve_, reference.learning_rate_curve_, rtol=1e-12)
    assert_allclose(params(est), params(reference), rtol=1e-9, atol=1e-12)


def test_the_learning_rate_finder_tries_its_own_rates_whatever_the_schedule():
    from sknotes.lr_finder import find_learning_rate

    X, y = data(SoftmaxClassifier, n_samples=90)
    results = [
        find_learning_rate(make(SoftmaxClassifier, solver="sgd", **settings), X, y, random_state=0)
        for settings in ({}, {"learning_rate_schedule": "invscaling", "power_t": 1.0})
    ]
    assert_array_equal(results[1].losses, results[0].losses)
