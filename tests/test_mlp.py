"""MLPFromScratch and MLPRegressorFromScratch: hidden layers on the same core and training loop."""

import pickle
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.base import is_regressor
from sklearn.datasets import (
    load_digits,
    make_friedman1,
    make_moons,
)
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sknotes import LinearRegressorGD, MLPFromScratch, MLPRegressorFromScratch, SoftmaxClassifier
from sknotes.nn import Network, check_gradient
from sknotes.nn.coordinates import Standardisation

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture
def moons():
    return make_moons(n_samples=300, noise=0.2, random_state=0)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize(
    "make_est, target",
    [
        (lambda **kw: MLPFromScratch(**kw), "binary"),
        (lambda **kw: MLPFromScratch(**kw), "multiclass"),
        (lambda **kw: MLPFromScratch(**kw), "multilabel"),
        (lambda **kw: MLPRegressorFromScratch(loss="squared_error", **kw), "continuous"),
        (lambda **kw: MLPRegressorFromScratch(loss="huber", delta=0.5, **kw), "continuous"),
        (lambda **kw: MLPRegressorFromScratch(loss="absolute_error", **kw), "continuous"),
        (lambda **kw: MLPRegressorFromScratch(loss="poisson", **kw), "counts"),
    ],
    ids=["binary", "softmax", "multilabel", "squared", "huber", "absolute", "poisson"],
)
def test_estimator_objective_gradient_matches_finite_differences(make_est, target, depth, activation):
    rng = np.random.RandomState(depth)
    X = rng.normal(size=(12, 4))
    y = {
        "binary": rng.randint(0, 2, 12),
        "multiclass": rng.randint(0, 3, 12),
        "multilabel": rng.randint(0, 2, (12, 3)),
        "continuous": rng.normal(size=(12, 2)),
        "counts": rng.poisson(2.0, size=(12, 2)),
    }[target]
    est = make_est(hidden_layer_sizes=(5,) * depth, activation=activation, weight_decay=0.1, max_iter=1)
    est.set_params(solver="sgd", random_state=0).fit(X, y)
    state, unit = est._training_state, est._training_state.loss_unit  # the objective training minimises, J / unit,
    network = Network(  # in its standardised coordinates
        [4, *est.hidden_layer_sizes, est.n_outputs_], activation, est.out_activation_,
        coordinates=Standardisation(**state.coordinates),
    )  # fmt: skip
    loss = est._head.bound_loss(1.0 / unit)
    objective = partial(network.objective, loss=loss, weight_decay=est.weight_decay / unit)
    theta = network.from_layers(est._layers()) + 0.05 * rng.normal(size=network.n_params)
    Y = est._head.encode(y, first_call=False, incremental=False).astype(float)
    sw = rng.uniform(0.5, 2, size=12)

    def value_and_gradient(t):  # the objective reuses its gradient array: copy it before the next call
        J, grad = objective(t, X, Y, sample_weight=sw)
        return J, grad.copy()

    error = check_gradient(value_and_gradient, theta)
    assert error < 1e-6


def test_one_full_batch_sgd_step_equals_the_hand_derived_update():
    """One step of plain gradient descent on J / var(y), taken in the standardised coordinates, derived by hand."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(6, 2)) * [3.0, 0.5] + [1.0, -2.0], 10.0 * rng.normal(size=6) + 4.0
    lr, lam = 0.1, 0.01
    reg = MLPRegressorFromScratch(
        (3,), "tanh", solver="sgd", learning_rate=lr, momentum=0.0, batch_size=None, weight_decay=lam, max_iter=1,
        random_state=0, tol=0.0,
    )  # fmt: skip
    mu, s = X.mean(axis=0), np.sqrt(X.var(axis=0) + lam)  # inputs: x~ = (x - mu) / s
    m, t = y.mean(), y.std()  # outputs: f = t f~ + m
    unit = y.var()  # training minimises J / var(y)
    V1, c1, V2, c2 = _initial_parameters(reg, X, y)  # drawn in the standardised coordinates
    W1, b1 = V1 / s[:, None], c1 - mu @ (V1 / s[:, None])
    W2, b2 = V2 * t, c2 * t + m
    # forward: h = tanh(X W1 + b1), f = h W2 + b2; J = mean((f - y)^2 / 2) + lam / 2 (|W1|^2 + |W2|^2)
    H = np.tanh(X @ W1 + b1)
    G = (H @ W2 + b2 - y[:, None]) / len(y)  # dJ/df
    dH = G @ W2.T * (1 - H**2)  # chain rule through tanh
    gW1, gb1, gW2, gb2 = X.T @ dH + lam * W1, dH.sum(axis=0), H.T @ G + lam * W2, G.sum(axis=0)
    # the chain rule on to the stored coordinates, and the step there
    V1 = V1 - lr * (gW1 - np.outer(mu, gb1)) / s[:, None] / unit
    c1 = c1 - lr * gb1 / unit
    V2, c2 = V2 - lr * gW2 * t / unit, c2 - lr * gb2 * t / unit
    reg.fit(X, y)
    np.testing.assert_allclose(reg.coefs_[0], V1 / s[:, None], rtol=1e-12)
    np.testing.assert_allclose(reg.intercepts_[0], c1 - mu @ (V1 / s[:, None]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(reg.coefs_[1], V2 * t, rtol=1e-12)
    np.testing.assert_allclose(reg.intercepts_[1], c2 * t + m, rtol=1e-12)


def _initial_parameters(reg, X, y):
    """The starting point of a fit in the stored coordinates: the initialisation with the estimator's seed."""
    from sklearn.utils import check_random_state

    seed = check_random_state(reg.random_state).randint(np.iinfo(np.int32).max)
    network = Network((X.shape[1], *reg.hidden_layer_sizes, 1), reg.activation)
    theta = network.init_params(np.random.RandomState(seed), init=reg.init)
    (V1, c1), (V2, c2) = network.unpack(theta)
    return V1, c1, V2, c2


@pytest.mark.parametrize("init", ["glorot", "he"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "identity"])
def test_initialisation_glorot_by_default_he_on_request(activation, init):
    rng = np.random.RandomState(0)
    X, y = StandardScaler().fit_transform(rng.normal(size=(10, 400))), np.arange(10) % 2  # mean 0, variance 1
    clf = MLPFromScratch(
        (200,), activation, init=init, weight_decay=0.0, learning_rate=1e-300, max_iter=1, random_state=0
    )
    W1, W2 = clf.fit(X, y).coefs_
    factor = 2.0 if activation == "sigmoid" else 6.0  # scikit-learn's Glorot factors
    bound1 = np.sqrt(6 / 400) if init == "he" else np.sqrt(factor / 600)
    bound2 = np.sqrt(6 / 200) if init == "he" else np.sqrt(2.0 / 201)  # the output is a sigmoid
    for W, bound in ((W1, bound1), (W2, bound2)):
        # the largest of >= 200 uniform draws is above 0.9 of the bound but for a chance of 0.9**200 (1e-9); the
        # other scheme's bound is at most 0.82 or at least 1.22 times this one, so either check tells them apart
        assert np.abs(W).max() <= bound * (1 + 1e-12) and np.abs(W).max() > 0.9 * bound


def test_affine_feature_scaling_changes_nothing_without_weight_decay(MLP, moons):
    """Training runs in standardised coordinates: raw features on any scale give the MinMax-scaled fit."""
    X, y = moons
    if is_regressor(MLP()):
        y = X[:, 0] * 30 + np.sin(3 * X[:, 1]) * 100 + 1000
    raw = X * [1000.0, 0.001] + [-50.0, 7.0]
    params = dict(hidden_layer_sizes=(8,), weight_decay=0.0, max_iter=20, random_state=0)
    scaled = make_pipeline(MinMaxScaler(), MLP(**params)).fit(X, y)
    direct = MLP(**params).fit(raw, y)
    np.testing.assert_allclose(direct.loss_curve_, scaled[-1].loss_curve_, rtol=1e-6)
    out = "predict" if is_regressor(MLP()) else "predict_proba"
    np.testing.assert_allclose(getattr(direct, out)(raw), getattr(scaled, out)(X), rtol=1e-5, atol=1e-8)


def test_float32_starts_where_float64_starts_and_stays_float32(moons):
    X, y = moons
    a = MLPFromScratch((8,), learning_rate=1e-12, max_iter=1, random_state=0).fit(X, y)
    b = MLPFromScratch((8,), learning_rate=1e-12, max_iter=1, random_state=0).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in b.coefs_ + b.intercepts_)
    assert b.predict_proba(X.astype(np.float32)).dtype == np.float32
    np.testing.assert_allclose(b.coefs_[0], a.coefs_[0], rtol=1e-5, atol=1e-6)


def test_red_and_blue_dots_need_a_hidden_layer(moons):
    X, y = moons
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    mlp = make_pipeline(MinMaxScaler(), MLPFromScratch((32,), learning_rate=0.03, random_state=0))
    linear = make_pipeline(MinMaxScaler(), SoftmaxClassifier(random_state=0))
    mlp_score, linear_score = cross_val_score(mlp, X, y, cv=cv).mean(), cross_val_score(linear, X, y, cv=cv).mean()
    assert mlp_score >= 0.95
    assert linear_score < 0.9  # a line cannot separate the moons


def test_friedman_mlp_regressor_beats_linear_regression():
    X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    mlp = MLPRegressorFromScratch((64,), learning_rate=0.01, max_iter=300, random_state=0)
    mlp_score = cross_val_score(make_pipeline(MinMaxScaler(), mlp), X, y, cv=cv).mean()
    linear_score = cross_val_score(make_pipeline(MinMaxScaler(), LinearRegressorGD()), X, y, cv=cv).mean()
    assert linear_score < 0.8 and mlp_score > linear_score + 0.1


def test_digits_cross_validation_reaches_sklearn_mlp_accuracy():
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    clf = make_pipeline(MinMaxScaler(), MLPFromScratch((64,), learning_rate=0.003, random_state=0))
    assert cross_val_score(clf, X, y, cv=cv).mean() >= 0.978


def test_grid_search_over_learning_rate_and_weight_decay(moons):
    X, y = moons
    grid = {"mlpfromscratch__learning_rate": [0.001, 0.03], "mlpfromscratch__weight_decay": [1e-4, 1e-2]}
    search = GridSearchCV(make_pipeline(MinMaxScaler(), MLPFromScratch((32,), random_state=0)), grid, cv=3)
    search.fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # too small a step stays on the near-linear plateau; too much decay keeps the network near-linear
    assert search.best_params_ == {"mlpfromscratch__learning_rate": 0.03, "mlpfromscratch__weight_decay": 1e-4}
    assert search.best_score_ > 0.95


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_every_solver_fits_the_moons(moons, solver):
    X, y = moons
    clf = MLPFromScratch((16,), "tanh", solver=solver, learning_rate=0.1 if solver == "sgd" else 0.03, random_state=0)
    assert clf.fit(X, y).score(X, y) > 0.95


def test_sparse_input_equals_dense(moons):
    X, y = moons
    dense = MLPFromScratch((8,), max_iter=20, random_state=0).fit(X, y)
    for fmt in (sparse.csr_matrix, sparse.csc_matrix):
        sp = MLPFromScratch((8,), max_iter=20, random_state=0).fit(fmt(X), y)
        for a, b in zip(dense.coefs_, sp.coefs_):
            np.testing.assert_allclose(a, b, rtol=1e-10)
        np.testing.assert_allclose(sp.predict_proba(fmt(X)), dense.predict_proba(X), rtol=1e-10)


def test_dropout_trains_and_is_off_at_prediction(moons):
    X, y = moons
    clf = MLPFromScratch((32,), dropout=0.3, learning_rate=0.03, random_state=0).fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), clf.predict_proba(X))
    assert clf.score(X, y) > 0.9
    no_dropout = MLPFromScratch((32,), learning_rate=0.03, random_state=0, max_iter=clf.n_iter_).fit(X, y)
    assert not np.allclose(no_dropout.coefs_[0], clf.coefs_[0])


def test_partial_fit_equals_one_epoch_of_fit_and_keeps_optimizer_state(moons):
    X, y = moons
    kw = dict(hidden_layer_sizes=(8,), learning_rate=0.01, random_state=0)
    fitted = MLPFromScratch(max_iter=1, **kw).fit(X, y)
    partial = MLPFromScratch(**kw).partial_fit(X, y, classes=[0, 1])
    for a, b in zip(fitted.coefs_, partial.coefs_):
        np.testing.assert_array_equal(a, b)
    restored = pickle.loads(pickle.dumps(partial))
    partial.partial_fit(X, y)
    restored.partial_fit(X, y)
    for a, b in zip(partial.coefs_, restored.coefs_):
        np.testing.assert_array_equal(a, b)
    assert partial._training_state.optimizer.t == 2 * int(np.ceil(len(y) / 200))
    with pytest.raises(ValueError, match="classes"):
        MLPFromScratch(**kw).partial_fit(X, y)


def test_warm_start_continues_and_early_stopping_restores_best(moons):
    X, y = moons
    clf = MLPFromScratch((8,), learning_rate=0.01, max_iter=5, warm_start=True, random_state=0).fit(X, y)
    first_curve = list(clf.loss_curve_)
    clf.fit(X, y)
    assert clf.n_iter_ == 5 and len(clf.loss_curve_) == 10  # epochs of the last fit; the curve keeps growing
    assert clf.loss_curve_[:5] == first_curve and clf.loss_curve_[5] < first_curve[0]
    es = MLPFromScratch((8,), learning_rate=0.03, early_stopping=True, random_state=0).fit(X, y)
    assert len(es.validation_scores_) == es.n_iter_
    assert es.best_validation_score_ == max(es.validation_scores_)


def test_class_weight_equals_sample_weight(moons):
    X, y = moons
    weighted = MLPFromScratch((8,), class_weight={0: 3.0, 1: 1.0}, max_iter=20, random_state=0).fit(X, y)
    sw = np.where(y == 0, 3.0, 1.0)
    explicit = MLPFromScratch((8,), max_iter=20, random_state=0).fit(X, y, sample_weight=sw)
    for a, b in zip(weighted.coefs_, explicit.coefs_):
        np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "params, match",
    # (each parameter's own invalid values: tests/common/test_bad_input.py)
    [({"dropout": 0.5, "solver": "lbfgs"}, "dropout")],
)
def test_bad_parameters_name_the_parameter(moons, params, match):
    X, y = moons
    for Est in (MLPFromScratch, MLPRegressorFromScratch):
        with pytest.raises(ValueError, match=match):
            Est(**params).fit(X, y)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_memory_layout_of_X_does_not_change_the_fit(moons, tmp_path, dtype):
    """Shuffled batches are gathered the same from C-ordered, Fortran-ordered, strided and memory-mapped X."""
    X, y = moons
    X = X.astype(dtype)
    wide = np.repeat(X, 2, axis=1)  # X is every other column of this array: a strided view
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=dtype, shape=X.shape)
    mapped[:] = X
    params = dict(hidden_layer_sizes=(8,), batch_size=32, max_iter=5, random_state=0)
    reference = MLPFromScratch(**params).fit(X, y)
    for layout in (np.asfortranarray(X), wide[:, ::2], mapped):
        est = MLPFromScratch(**params).fit(layout, y)
        np.testing.assert_array_equal(est.coefs_[0], reference.coefs_[0])
        assert est.coefs_[0].dtype == dtype
        np.testing.assert_array_equal(est.loss_curve_, reference.loss_curve_)


def test_conditioning_none_takes_the_notes_step_of_the_worked_example():
    """scikit-learn's test_fit, the worked backprop example of a 3-2-1 sigmoid network: with conditioning=None one
    partial_fit of 'sgd' (no momentum) is exactly the notes' step theta <- theta - eta grad J(theta)."""
    X, y = np.array([[0.6, 0.8, 0.7]]), np.array([0])
    est = MLPFromScratch(hidden_layer_sizes=2, activation="sigmoid", solver="sgd", learning_rate=0.1,
                         weight_decay=0.1, momentum=0.0, conditioning=None, random_state=1)  # fmt: skip
    est.partial_fit(X, y, classes=[0, 1])  # sets up the model; then the example's weights
    est.coefs_ = [np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])]
    est.intercepts_ = [np.array([0.1, 0.1]), np.array([1.0])]
    est.partial_fit(X, y)
    # the values worked out by hand in scikit-learn's test (to 3 decimals there)
    assert_allclose(est.coefs_[0], [[0.098, 0.195756], [0.2956664, 0.096008], [0.4939998, -0.002244]], atol=1e-3)
    assert_allclose(est.coefs_[1], [[0.04706], [0.154089]], atol=1e-3)
    assert_allclose(est.intercepts_[0], [0.098333, 0.09626], atol=1e-3)
    assert_allclose(est.intercepts_[1], [0.9235], atol=1e-3)
    assert est.predict_proba(X)[0, 1] == pytest.approx(0.739, abs=1e-3)
    # and to round-off, by the chain rule written out here
    W1, W2 = np.array([[0.1, 0.2], [0.3, 0.1], [0.5, 0.0]]), np.array([[0.1], [0.2]])
    b1, b2 = np.array([0.1, 0.1]), np.array([1.0])
    h = 1 / (1 + np.exp(-(X @ W1 + b1)))
    o = 1 / (1 + np.exp(-(h @ W2 + b2)))
    d2 = o - y  # the cross-entropy of a sigmoid: dJ/dz = o - y
    d1 = (d2 @ W2.T) * h * (1 - h)
    assert_allclose(est.coefs_[1], W2 - 0.1 * (h.T @ d2 + 0.1 * W2), rtol=1e-12)
    assert_allclose(est.coefs_[0], W1 - 0.1 * (X.T @ d1 + 0.1 * W1), rtol=1e-12)
    assert_allclose(est.intercepts_[1], b2 - 0.1 * d2[0], rtol=1e-12)
    assert_allclose(est.intercepts_[0], b1 - 0.1 * d1[0], rtol=1e-12)


def test_conditioning_none_takes_the_notes_mini_batch_step():
    """theta <- theta - (eta / |B|) sum_{i in B} grad l_i(theta) - eta lambda W, batch after batch, raw parameters."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(8, 3)) * [1.0, 10.0, 0.1] + 5.0, rng.normal(size=8) * 3.0
    est = LinearRegressorGD(solver="sgd", learning_rate=0.01, weight_decay=0.1, momentum=0.0, batch_size=4,
                            shuffle=False, conditioning=None)  # fmt: skip
    est.partial_fit(X, y)
    w, b = np.zeros(3), 0.0  # a linear model starts at zero: with conditioning=None, the raw parameters
    for rows in (slice(0, 4), slice(4, 8)):
        r = X[rows] @ w + b - y[rows]
        w, b = w - 0.01 * (X[rows].T @ r / 4 + 0.1 * w), b - 0.01 * r.mean()
    assert_allclose(est.coef_, w, rtol=1e-12)
    assert_allclose(est.intercept_, b, rtol=1e-12)
