"""The one training loop: stopping, divergence guard, interruption, early stopping, L-BFGS."""

import warnings
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from sknotes._training import TrainingConfig, TrainingState, _RowGatherer, train
from sknotes.nn import LOSSES, SGD, Adam, Network


@pytest.fixture
def problem():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(64, 3))
    Y = X @ np.array([[1.0], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.normal(size=(64, 1))
    net = Network((3, 1))
    objective = partial(_objective, net, LOSSES["squared_error"].function, 0.0)
    return net, objective, X, Y


def _objective(net, loss, weight_decay, theta, X, Y, sample_weight=None, rng=None):
    return net.objective(theta, X, Y, loss, sample_weight, weight_decay, rng)


def _state(optimizer=None, seed=0):
    return TrainingState(rng=np.random.RandomState(seed), optimizer=optimizer)


def run(objective, theta, state, X, Y, sw=None, validation_score=None, on_epoch_end=None, **config):
    """:func:`train` with the :class:`TrainingConfig` fields as keywords."""
    return train(objective, theta, state, X, Y, sw, TrainingConfig(**config), validation_score, on_epoch_end)


def test_sgd_reaches_least_squares_and_stops_on_tol(problem):
    net, objective, X, Y = problem
    result = run(objective, np.zeros(net.n_params), _state(SGD(0.1, 0.9, True)), X, Y, batch_size=16, tol=1e-6)
    Xb = np.hstack([X, np.ones((64, 1))])
    exact = np.linalg.lstsq(Xb, Y, rcond=None)[0].ravel()
    np.testing.assert_allclose(result.theta, exact, atol=1e-2)
    assert result.converged
    assert result.state.n_iter == len(result.state.loss_curve) < 200


def test_full_batch_gd_loss_curve_is_the_objective_at_each_epoch_start(problem):
    net, objective, X, Y = problem
    theta0 = np.zeros(net.n_params)
    result = run(objective, theta0, _state(SGD(0.05)), X, Y, batch_size=None, max_iter=3, tol=None)
    theta, expected = theta0.copy(), []
    for _ in range(3):
        J, grad = objective(theta, X, Y, None, None)
        expected.append(J)
        theta -= 0.05 * grad
    np.testing.assert_allclose(result.state.loss_curve, expected)
    np.testing.assert_allclose(result.theta, theta)
    assert np.all(theta0 == 0), "train must not modify the parameters it is given"


def test_mini_batch_epoch_loss_is_weighted_mean_of_batch_objectives(problem):
    net, objective, X, Y = problem
    sw = np.random.RandomState(1).uniform(0.5, 2, size=64)
    theta0 = np.zeros(net.n_params)
    result = run(objective, theta0, _state(SGD(0.0001)), X, Y, sw, batch_size=24, shuffle=False, max_iter=1)
    theta, total = theta0.copy(), 0.0
    for rows in (slice(0, 24), slice(24, 48), slice(48, 64)):
        J, grad = objective(theta, X[rows], Y[rows], sw[rows], None)
        total += J * sw[rows].sum() / sw.sum()
        theta -= 0.0001 * grad
    assert result.state.loss_curve == pytest.approx([total])


@pytest.mark.parametrize("solver_state", [SGD(10.0), Adam(1e6)], ids=["sgd", "adam"])
def test_divergence_raises_naming_epoch_and_learning_rate(problem, solver_state):
    net, objective, X, Y = problem
    state = _state(solver_state)
    with pytest.raises(ValueError, match=r"epoch \d+.*learning_rate"):
        run(objective, np.zeros(net.n_params), state, X * 100, Y, batch_size=8)


def test_keyboard_interrupt_keeps_last_completed_epoch(problem):
    net, objective, X, Y = problem
    calls = {"n": 0}

    def interrupted(theta, X, Y, sample_weight=None, rng=None):
        calls["n"] += 1
        if calls["n"] == 10:  # inside epoch 3 of 4 batches per epoch
            raise KeyboardInterrupt
        return objective(theta, X, Y, sample_weight, rng)

    reference = run(objective, np.zeros(net.n_params), _state(SGD(0.01)), X, Y, batch_size=16, max_iter=2, tol=None)
    with pytest.warns(ConvergenceWarning, match="interrupted"):
        result = run(interrupted, np.zeros(net.n_params), _state(SGD(0.01)), X, Y, batch_size=16, tol=None)
    assert result.interrupted and not result.converged
    assert result.state.n_iter == 2
    np.testing.assert_array_equal(result.theta, reference.theta)


def test_early_stopping_returns_best_parameters(problem):
    net, objective, X, Y = problem
    scores, thetas = iter([0.1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.9]), []

    def validation_score(theta):
        thetas.append(theta.copy())
        return next(scores)

    result = run(
        objective, np.zeros(net.n_params), _state(SGD(0.01)), X, Y, batch_size=None, tol=0.0,
        n_iter_no_change=3, validation_score=validation_score,
    )  # fmt: skip
    assert result.converged
    # 4 epochs without improvement is more than n_iter_no_change=3: stop before the 0.9
    assert result.state.validation_scores == [0.1, 0.5, 0.4, 0.3, 0.2, 0.1]
    assert result.state.best_validation_score == 0.5
    np.testing.assert_array_equal(result.theta, thetas[1])


@pytest.mark.parametrize("score_unit, n_epochs", [(1.0, 3), (1e-3, 6)])
def test_validation_improvements_are_measured_in_score_units_and_training_scores_recorded(
    problem, score_unit, n_epochs
):
    net, objective, X, Y = problem
    scores = iter([0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07])  # each epoch 0.01 better
    trained = iter(range(100))

    def train_score(theta):
        return float(next(trained))

    result = train(
        objective, np.zeros(net.n_params), _state(SGD(0.01)), X, Y, None,
        TrainingConfig(batch_size=None, tol=0.1, n_iter_no_change=1, max_iter=6, score_unit=score_unit),
        lambda theta: next(scores), train_score=train_score,
    )  # fmt: skip
    # tol=0.1 in units of 1: no epoch improves, 2 in a row stop training; in units of 1e-3 every epoch does
    assert result.state.n_iter == n_epochs
    assert result.state.train_scores == list(range(n_epochs))
    assert len(result.state.validation_scores) == n_epochs


def test_zero_weight_batches_are_skipped(problem):
    net, objective, X, Y = problem
    sw = np.r_[np.zeros(32), np.ones(32)]
    result = run(objective, np.zeros(net.n_params), _state(SGD(0.05)), X, Y, sw, batch_size=32, shuffle=False)
    reference = run(objective, np.zeros(net.n_params), _state(SGD(0.05)), X[32:], Y[32:], batch_size=32)
    np.testing.assert_allclose(result.theta, reference.theta)


def test_lbfgs_reaches_optimum_with_tight_tol(problem):
    net, objective, X, Y = problem
    Y = Y + np.random.RandomState(2).normal(size=Y.shape)  # J of order 1: ftol is relative there
    result = run(objective, np.zeros(net.n_params), _state(), X, Y, solver="lbfgs", tol=1e-12, max_iter=500)
    Xb = np.hstack([X, np.ones((64, 1))])
    exact = np.linalg.lstsq(Xb, Y, rcond=None)[0].ravel()
    np.testing.assert_allclose(result.theta, exact, rtol=1e-7)
    assert result.converged
    assert result.state.loss_curve[-1] == pytest.approx(objective(result.theta, X, Y, None, None)[0])


def test_lbfgs_max_iter_reports_not_converged(problem):
    net, objective, X, Y = problem
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = run(objective, np.zeros(net.n_params), _state(), X, Y, solver="lbfgs", tol=1e-12, max_iter=2)
    assert not result.converged and result.state.n_iter == 2


def test_float32_stays_float32(problem):
    net, objective, X, Y = problem
    theta = np.zeros(net.n_params, dtype=np.float32)
    for solver, optimizer in (("sgd", SGD(0.1)), ("adam", Adam(0.01)), ("lbfgs", None)):
        result = run(objective, theta, _state(optimizer), X.astype(np.float32), Y.astype(np.float32), solver=solver)
        assert result.theta.dtype == np.float32


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_on_epoch_end_sees_every_epoch_and_can_stop(problem, solver):
    net, objective, X, Y = problem
    seen = []

    def on_epoch_end(state, theta):
        seen.append((state.n_iter, state.loss_curve[-1], theta.copy()))
        return state.n_iter == 3

    optimizer = SGD(0.01) if solver == "sgd" else None
    result = run(objective, np.zeros(net.n_params), _state(optimizer), X, Y, solver=solver, on_epoch_end=on_epoch_end)
    assert [n for n, _, _ in seen] == [1, 2, 3] and result.converged
    assert result.state.loss_curve == [loss for _, loss, _ in seen]
    np.testing.assert_array_equal(result.theta, seen[-1][2])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_row_gatherer_gathers_rows_into_one_reused_array(dtype):
    rng = np.random.RandomState(0)
    A = rng.normal(size=(10, 3)).astype(dtype)
    order = rng.permutation(10)
    gather = _RowGatherer(A, batch_size=4)
    first = gather(order[:4])
    np.testing.assert_array_equal(first, A[order[:4]])
    assert first.dtype == dtype and first.flags.c_contiguous
    second = gather(order[4:8])
    np.testing.assert_array_equal(second, A[order[4:8]])
    assert np.shares_memory(first, second)  # the same buffer, refilled
    last = gather(order[8:])  # a short last batch
    np.testing.assert_array_equal(last, A[order[8:]])
    assert not np.shares_memory(gather(slice(0, 4)), gather.buffer)  # slices are views of A, not gathered
    assert np.shares_memory(gather(slice(0, 4)), A)
    sparse = _RowGatherer(sp.csr_matrix(A), batch_size=4)
    np.testing.assert_array_equal(sparse(order[:4]).toarray(), A[order[:4]])


def test_lbfgs_gets_its_own_copy_of_a_reused_gradient_array(problem):
    """An objective that returns the same gradient array at every call (buffers) reaches the same optimum."""
    net, objective, X, Y = problem
    buffers = {}

    def reusing(theta, X, Y, sample_weight=None, rng=None):
        return net.objective(theta, X, Y, LOSSES["squared_error"].function, sample_weight, 0.0, rng, buffers)

    fresh = run(objective, np.zeros(net.n_params), _state(), X, Y, solver="lbfgs", tol=1e-10)
    reused = run(reusing, np.zeros(net.n_params), _state(), X, Y, solver="lbfgs", tol=1e-10)
    np.testing.assert_array_equal(reused.theta, fresh.theta)
    assert reused.state.n_iter == fresh.state.n_iter


def test_a_fixed_step_stays_what_it_was_set_to(problem):
    """Training never changes a step the optimizer does not adapt itself: a numeric learning_rate means what it says."""
    net, objective, X, Y = problem
    Y = Y + np.random.RandomState(3).normal(size=Y.shape)  # noisy targets: a noisy mini-batch gradient
    for batch_size in (4, None):
        result = run(objective, np.zeros(net.n_params), _state(SGD(0.2, 0.9, True)), X, Y, batch_size=batch_size,
                     tol=1e-4, n_iter_no_change=3, max_iter=500)  # fmt: skip
        assert result.converged and result.state.optimizer.learning_rate == 0.2


def test_tol_zero_never_stops_on_the_objective(problem):
    net, objective, X, Y = problem
    result = run(objective, np.zeros(net.n_params), _state(SGD(0.3, 0.9, True)), X, Y, batch_size=None, tol=0.0,
                 n_iter_no_change=1, max_iter=300)  # fmt: skip
    assert result.state.n_iter == 300 and not result.converged  # long after the objective stopped improving
    assert result.reason.startswith("max_iter")


def test_a_step_taken_back_counts_neither_way(problem):
    """The bold driver's rejected steps do not use up n_iter_no_change: tol decides when training stops."""
    net, objective, X, Y = problem
    lstsq = np.linalg.lstsq(np.hstack([X, np.ones((64, 1))]), Y, rcond=None)[0]
    optimizer = SGD(5.0, 0.9, True, grow=1.1)  # far too large at first: steps are taken back, again and again
    result = run(objective, np.zeros(net.n_params), _state(optimizer), X, Y, batch_size=None, tol=1e-12,
                 n_iter_no_change=2, max_iter=5000)  # fmt: skip
    assert result.converged
    W, b = net.to_layers(result.theta)[0]
    np.testing.assert_allclose(np.vstack([W, b]), lstsq, atol=1e-5)


def test_verbose_prints_every_epoch_and_why_training_stopped(problem, capsys):
    net, objective, X, Y = problem
    run(objective, np.zeros(net.n_params), _state(SGD(0.3)), X, Y, tol=1e-3, n_iter_no_change=2, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Epoch 1: loss = ")
    assert lines[-1].startswith(f"Stopped after {len(lines) - 1} epochs in all: the objective did not improve")
    assert "tol=0.001 for 3 epochs in a row" in lines[-1]
    run(objective, np.zeros(net.n_params), _state(SGD(1e-6)), X, Y, max_iter=2, verbose=True)
    assert capsys.readouterr().out.splitlines()[-1] == "Stopped after 2 epochs in all: max_iter=2 epochs reached."
    run(objective, np.zeros(net.n_params), _state(), X, Y, solver="lbfgs", verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(set(lines)) == len(lines)  # no line twice
    assert lines[-1].startswith(f"Stopped after {len(lines) - 1} iterations in all: L-BFGS says: ")
