"""Training diagnostics (``diagnostics=True``, ``diagnostics_``): per layer and per epoch, of the true weights.

Each number is checked against an independent computation on the model's true weights, with a network built
without conditioned coordinates (:class:`sknotes.nn.Network`, whose gradient ``tests/nn/test_network.py`` checks by
finite differences): gradient norms against ``Network.objective`` at the parameters the epoch started from (full
batch) or ended at ('lbfgs'), dead and saturated units against the pre-activations at those parameters. Nothing
here depends on an iteration count or on the last digits of a result.
"""

from functools import partial

import numpy as np
import pytest
from estimators import ESTIMATORS, SOLVERS, STEP_SOLVERS, data, is_mlp, make, params, pf_kwargs, quietly
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknotes import LinearRegressorGD, MLPFromScratch, MLPRegressorFromScratch
from sknotes._diagnostics import COLUMNS, SATURATION_ROWS, SATURATION_SLOPE
from sknotes.nn import ACTIVATIONS, LOSSES, Network, check_gradient

pytestmark = pytest.mark.usefixtures("single_blas_thread")


def frame(est):
    """``diagnostics_`` as a dict of arrays."""
    return {column: np.asarray(values) for column, values in est.diagnostics_.items()}


def last_epoch(est):
    """The rows of the last epoch recorded, by layer (1, 2, ...)."""
    d = frame(est)
    rows = d["epoch"] == d["epoch"].max()
    return {column: values[rows] for column, values in d.items()}


def layers_of(est):
    """The true ``(W, b)`` of each layer of a fitted estimator, in float64."""
    return [(W.astype(np.float64), b.astype(np.float64)) for W, b in est._layers()]


def true_objective(est, layers, X, Y):
    """``(J, grad, network)`` of the estimator's objective at true ``layers``, on a network without coordinates."""
    activation = est._architecture()[1]
    sizes = [W.shape[0] for W, _ in layers] + [layers[-1][0].shape[1]]
    network = Network(sizes, activation, est.out_activation_)
    theta = network.pack(layers)
    loss = LOSSES[est._head.loss].function
    objective = lambda t: network.objective(t, X, Y, loss, weight_decay=est.weight_decay)  # noqa: E731
    J, grad = objective(theta)
    assert check_gradient(objective, theta) < 1e-5  # the reference gradient is itself right
    return J, grad, network


def gradient_norms(est, layers, X, Y):
    _, grad, network = true_objective(est, layers, X, Y)
    return [np.linalg.norm(gW) for gW, _ in network.unpack(grad)]


# ---------------------------------------------------------------------------------------------
# off by default, and the same fit on or off
# ---------------------------------------------------------------------------------------------


def test_off_by_default_stores_none(Estimator):
    X, y = data(Estimator)
    est = quietly(make(Estimator).fit, X, y)
    assert est.get_params()["diagnostics"] is False
    assert est.diagnostics_ is None


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_fit_is_bit_for_bit_the_same_with_diagnostics_on(Estimator, solver):
    X, y = data(Estimator)
    extra = {"hidden_layer_sizes": (6, 5)} if is_mlp(Estimator) else {}
    for batch_size in (None, 16):
        off = make(Estimator, solver=solver, batch_size=batch_size, max_iter=8, **extra)
        on = clone(off).set_params(diagnostics=True)
        quietly(off.fit, X, y)
        quietly(on.fit, X, y)
        assert_array_equal(params(on), params(off))
        assert on.loss_curve_ == off.loss_curve_
        assert set(on.diagnostics_) == set(COLUMNS)
        n_layers = len(on._layers())
        assert on.diagnostics_["epoch"] == [e for e in range(1, on.n_iter_ + 1) for _ in range(n_layers)]
        assert on.diagnostics_["layer"] == list(range(1, n_layers + 1)) * on.n_iter_


def test_partial_fit_appends_and_keeps_the_same_parameters(Estimator):
    X, y = data(Estimator)
    off, on = make(Estimator, batch_size=20), make(Estimator, batch_size=20, diagnostics=True)
    for _ in range(3):
        off.partial_fit(X, y, **pf_kwargs(off, y))
        on.partial_fit(X, y, **pf_kwargs(on, y))
    assert_array_equal(params(on), params(off))
    n_layers = len(on._layers())
    assert on.diagnostics_["epoch"] == [1] * n_layers + [2] * n_layers + [3] * n_layers
    # a new fit starts the records afresh, a warm start continues them
    quietly(on.set_params(max_iter=2).fit, X, y)
    assert on.diagnostics_["epoch"] == [1] * n_layers + [2] * n_layers
    quietly(on.set_params(warm_start=True).fit, X, y)
    assert on.diagnostics_["epoch"] == [e for e in (1, 2, 3, 4) for _ in range(n_layers)]
    # turned off, nothing is stored
    quietly(on.set_params(diagnostics=False).fit, X, y)
    assert on.diagnostics_ is None


@parametrize_with_checks([Est(diagnostics=True) for Est in ESTIMATORS])
def test_scikit_learn_checks_pass_with_diagnostics_on(estimator, check):
    """(``tests/common/test_checks.py`` runs them at the defaults, diagnostics off.)"""
    check(estimator)


def test_an_interrupted_epoch_leaves_no_records_and_a_diverged_call_leaves_them_as_they_were(monkeypatch):
    X, y = data(MLPRegressorFromScratch)  # 60 rows, batches of 16: 4 per epoch
    est = make(MLPRegressorFromScratch, solver="sgd", batch_size=16, learning_rate=0.01, max_iter=10, tol=0.0,
               diagnostics=True)  # fmt: skip
    original, calls = Network.objective, {"n": 0}

    def interrupted(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 10:  # the second batch of epoch 3
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Network, "objective", interrupted)
        with pytest.warns(ConvergenceWarning, match="interrupted"):
            est.fit(X, y)
    assert est.n_iter_ == 2 and est.diagnostics_["epoch"] == [1, 1, 2, 2]
    before = {column: list(values) for column, values in est.diagnostics_.items()}
    with pytest.raises(ValueError, match="diverged"):
        est.set_params(learning_rate=1e8).partial_fit(X, y * 1e6)
    assert est.diagnostics_ == before


def test_pandas_takes_the_records_as_they_are():
    pd = pytest.importorskip("pandas")
    X, y = data(MLPFromScratch)
    est = quietly(make(MLPFromScratch, hidden_layer_sizes=(4, 3), max_iter=3, diagnostics=True).fit, X, y)
    df = pd.DataFrame(est.diagnostics_)
    assert list(df.columns) == list(COLUMNS)
    assert df.shape == (3 * 3, len(COLUMNS))
    assert df.groupby("layer")["grad_norm"].count().tolist() == [3, 3, 3]


# ---------------------------------------------------------------------------------------------
# the numbers: of the true weights, whatever the coordinates training steps in
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("conditioning", ["auto", None])
def test_lbfgs_gradient_norms_are_those_of_the_true_gradient_at_each_iterate(conditioning, dtype):
    """A regressor on targets of scale 100 around 500: conditioned coordinates and the objective's unit both apply."""
    X, y = make_regression(n_samples=80, n_features=4, noise=5.0, random_state=0)
    X, y = (X * [1.0, 10.0, 0.1, 3.0] + 2.0).astype(dtype), (y * 3.0 + 500.0).astype(dtype)
    est = MLPRegressorFromScratch(
        (6, 5), activation="tanh", solver="lbfgs", conditioning=conditioning, max_iter=15, weight_decay=1e-3,
        random_state=0, diagnostics=True,
    )  # fmt: skip
    quietly(est.fit, X, y)
    last = last_epoch(est)
    expected = gradient_norms(est, layers_of(est), X.astype(np.float64), y.reshape(-1, 1).astype(np.float64))
    assert_allclose(last["grad_norm"], expected, rtol=1e-6 if dtype == np.float64 else 2e-3)
    assert_allclose(last["weight_norm"], [np.linalg.norm(W) for W, _ in layers_of(est)], rtol=1e-6)


def test_a_full_batch_epoch_reports_the_true_gradient_at_its_start_and_its_update(Estimator):
    """(A linear regressor's: whitened coordinates, a mixing matrix, and the regressors' unit; an MLP's: two
    sigmoid layers.)"""
    X, y = data(Estimator, n_samples=90)
    X = X * [1.0, 30.0, 0.2] + [0.0, -50.0, 4.0]  # unscaled features: the coordinates matter
    extra = {"hidden_layer_sizes": (7, 6), "activation": "sigmoid"} if is_mlp(Estimator) else {}
    est = make(Estimator, solver="sgd", learning_rate=0.01, batch_size=None, weight_decay=1e-3, max_iter=3, **extra)
    quietly(est.fit, X, y)  # somewhere away from the start
    start = layers_of(est)
    quietly(est.set_params(warm_start=True, max_iter=1, diagnostics=True).fit, X, y)
    Y = np.eye(3)[y] if is_classifier(est) else y.reshape(-1, 1)
    last = last_epoch(est)
    assert_allclose(last["grad_norm"], gradient_norms(est, start, X, Y), rtol=1e-6)
    end = layers_of(est)
    ratios = [np.linalg.norm(W1 - W0) / np.linalg.norm(W1) for (W0, _), (W1, _) in zip(start, end)]
    assert_allclose(last["update_ratio"], ratios, rtol=1e-6)
    assert np.all(last["update_ratio"] > 0)


def test_a_mini_batch_epoch_reports_the_mean_of_its_batch_gradients():
    """Batches of 30 rows in order, the notes' plain step: the epoch's gradient is the mean of its 3 batches'."""
    X, y = data(MLPFromScratch, n_samples=90)
    est = make(MLPFromScratch, hidden_layer_sizes=(4,), solver="sgd", momentum=0.0, learning_rate=0.1,
               conditioning=None, batch_size=30, shuffle=False)  # fmt: skip
    est.partial_fit(X, y, classes=[0, 1, 2])
    layers = layers_of(est)
    est.set_params(diagnostics=True).partial_fit(X, y)
    Y, grads = np.eye(3)[y], []
    for rows in (slice(0, 30), slice(30, 60), slice(60, 90)):  # theta <- theta - eta grad J_batch(theta), by hand
        _, grad, network = true_objective(est, layers, X[rows], Y[rows])
        grads.append(grad)
        theta = network.pack(layers) - 0.1 * grad
        layers = [(W.copy(), b.copy()) for W, b in network.unpack(theta)]
    mean = network.unpack(np.mean(grads, axis=0))
    assert_allclose(last_epoch(est)["grad_norm"], [np.linalg.norm(gW) for gW, _ in mean], rtol=1e-6)
    by_hand = np.concatenate([W.ravel() for W, _ in layers] + [b for _, b in layers])
    assert_allclose(params(est), by_hand, rtol=1e-10)  # (the steps were those of the epoch)


# ---------------------------------------------------------------------------------------------
# dead ReLU units, saturated sigmoid and tanh units
# ---------------------------------------------------------------------------------------------


def test_units_forced_dead_are_reported_dead():
    """Half the first layer's units get a bias of -1e3: zero on every row from then on, and reported so."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    est = quietly(MLPFromScratch((16, 8), max_iter=2, random_state=0).fit, X, y)
    killed = np.arange(16) % 2 == 0
    est.intercepts_[0][killed] = -1e3
    est.set_params(warm_start=True, max_iter=4, diagnostics=True)
    quietly(est.fit, X, y)
    d = frame(est)
    first, output = d["layer"] == 1, d["layer"] == 3
    assert np.all(d["dead_fraction"][first] >= 0.5)
    assert np.all(np.isnan(d["dead_fraction"][output]))  # the output layer has no ReLU units
    assert np.all(np.isnan(d["saturated_fraction"]))  # ReLU units do not saturate
    # and exactly the units that are zero on every row, on a full-batch epoch from known parameters
    est.set_params(solver="sgd", batch_size=None, learning_rate=1e-3, max_iter=1)
    start = layers_of(est)
    quietly(est.fit, X, y)
    (W1, b1), (W2, b2) = start[:2]
    H1 = np.maximum(X @ W1 + b1, 0)
    expected = [np.mean(~(H1 > 0).any(axis=0)), np.mean(~((H1 @ W2 + b2) > 0).any(axis=0))]
    assert expected[0] >= 0.5
    assert_allclose(last_epoch(est)["dead_fraction"][:2], expected)


def test_healthy_relu_units_are_not_reported_dead():
    X, y = load_digits(return_X_y=True)
    est = quietly(MLPFromScratch((16,), max_iter=3, random_state=0, diagnostics=True).fit, X[:300], y[:300])
    assert np.all(frame(est)["dead_fraction"][frame(est)["layer"] == 1] < 0.5)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_a_saturating_network_on_unscaled_inputs_reports_saturation_and_conditioning_removes_it(activation):
    """Raw features of scale 1000 saturate the first layer without conditioning; the default coordinates do not."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:300] * 100.0, y[:300]
    raw = MLPFromScratch((16,), activation=activation, conditioning=None, solver="sgd", batch_size=None,
                         learning_rate=1e-3, max_iter=1, random_state=0)  # fmt: skip
    quietly(raw.fit, X, y)
    (W1, b1), _ = layers_of(raw)
    quietly(raw.set_params(warm_start=True, diagnostics=True).fit, X, y)  # one full-batch epoch from (W1, b1)
    saturated = frame(raw)["saturated_fraction"]
    # independently: the slope below 1% of its largest on at least 90% of the rows, at the epoch's start
    Z = X @ W1 + b1
    if activation == "tanh":
        relative_slope = 1 - np.tanh(Z) ** 2
    else:
        relative_slope = 4 * ACTIVATIONS["sigmoid"].forward(Z) * (1 - ACTIVATIONS["sigmoid"].forward(Z))
    expected = np.mean(np.mean(relative_slope < SATURATION_SLOPE, axis=0) >= SATURATION_ROWS)
    assert expected > 0.5
    assert saturated[0] == pytest.approx(expected)
    assert np.isnan(saturated[1]) and np.all(np.isnan(frame(raw)["dead_fraction"]))
    conditioned = MLPFromScratch((16,), activation=activation, max_iter=3, random_state=0, diagnostics=True)
    d = frame(quietly(conditioned.fit, X, y))
    assert np.all(d["saturated_fraction"][d["layer"] == 1] < 0.1)


@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_float32_fits_report_finite_numbers_close_to_float64(solver):
    X, y = data(MLPFromScratch, n_samples=90)
    est = make(MLPFromScratch, hidden_layer_sizes=(6,), solver=solver, max_iter=3, diagnostics=True)
    d64 = frame(quietly(clone(est).fit, X, y))
    d32 = frame(quietly(clone(est).fit, X.astype(np.float32), y))
    for column in ("grad_norm", "update_ratio", "weight_norm"):
        assert np.all(np.isfinite(d32[column]))
        assert_allclose(d32[column], d64[column], rtol=1e-3)


def test_an_lbfgs_iteration_that_ends_away_from_the_last_evaluation_is_evaluated_where_it_ends():
    from sknotes._diagnostics import TrainingDiagnostics

    rng = np.random.RandomState(0)
    network = Network([3, 4, 2], "tanh", "softmax")
    theta, other = network.init_params(rng), network.init_params(rng)
    X, Y = rng.normal(size=(20, 3)), np.eye(2)[rng.randint(2, size=20)]
    loss = LOSSES["categorical_crossentropy"].function
    diagnostics = TrainingDiagnostics(network, theta, per_evaluation=True)
    objective = diagnostics.wrap(lambda: partial(network.objective, loss=loss))()
    objective(theta, X, Y)  # the line search's last evaluation; the iteration ends at ``other``
    diagnostics.end_epoch(1, other)
    _, grad = network.objective(other, X, Y, loss)
    assert_allclose(diagnostics.history()["grad_norm"], [np.linalg.norm(gW) for gW, _ in network.unpack(grad)])


def test_diagnostics_must_be_a_boolean():
    X, y = data(LinearRegressorGD)
    with pytest.raises(ValueError, match="diagnostics"):
        LinearRegressorGD(diagnostics="yes").fit(X, y)
