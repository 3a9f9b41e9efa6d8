"""Tests for sknotes.nn.network: the back-propagated gradient of the objective, parameter packing and init."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sknotes.nn import ACTIVATIONS, HIDDEN_ACTIVATIONS, LOSSES, Dense, Network, check_gradient, weighted_loss
from sknotes.nn.coordinates import Standardisation

N_SAMPLES, N_FEATURES = 7, 3
HIDDEN = {0: (), 1: (5,), 2: (5, 4)}


#: The seed of the ``rng`` fixture (tests/conftest.py) in this module: the draws these tests were written with.
RNG_SEED = 2024


def _targets(loss_name, n_outputs, rng, n_samples=N_SAMPLES):
    if loss_name == "categorical_crossentropy":
        return np.eye(n_outputs)[rng.integers(n_outputs, size=n_samples)]
    if loss_name in ("binary_crossentropy", "hinge"):
        return rng.integers(0, 2, size=(n_samples, n_outputs)).astype(np.float64)
    if LOSSES[loss_name].domain == "non-negative":  # counts, zeros included
        return rng.poisson(2.0, size=(n_samples, n_outputs)).astype(np.float64)
    return rng.normal(size=(n_samples, n_outputs))


def _problem(loss_name, activation, depth, rng, dropout=0.0):
    """A small network, data with positive sample weights, and parameters with no zero entry."""
    n_outputs = 3 if loss_name == "categorical_crossentropy" else 2
    net = Network(
        (N_FEATURES, *HIDDEN[depth], n_outputs),
        activation=activation,
        out_activation=LOSSES[loss_name].out_activation,
        dropout=dropout,
    )
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    Y = _targets(loss_name, n_outputs, rng)
    sample_weight = rng.uniform(0.2, 2.0, size=N_SAMPLES)
    # a random start plus small noise, so that biases are non-zero and nothing sits on a symmetric point
    theta = net.init_params(rng) + 0.1 * rng.normal(size=net.n_params)
    return net, X, Y, sample_weight, theta


def _hidden_preactivations(net, theta, X):
    """Pre-activations ``A_{l-1} W_l + b_l`` of every hidden layer (no dropout)."""
    out, A = [], X
    for W, b in net.unpack(theta)[:-1]:
        Z = A @ W + b
        out.append(Z)
        A = ACTIVATIONS[net.activation].forward(Z)
    return out


def _kink_distance(Y, Z, delta=1.0):
    """Distance of the outputs from the kinks of absolute_error, huber and hinge."""
    R = Z - Y
    return np.minimum.reduce([np.abs(R), np.abs(np.abs(R) - delta), np.abs(1 - (2 * Y - 1) * Z)])


def _assert_away_from_kinks(net, theta, X, Y, loss_name):
    """The finite differences are valid only if no ReLU input and no piecewise-loss residual is near its kink."""
    if net.activation == "relu":
        for Z in _hidden_preactivations(net, theta, X):
            assert np.abs(Z).min() > 1e-4
    if loss_name in ("absolute_error", "huber", "hinge"):
        Z, _ = net.forward(theta, X)
        assert _kink_distance(Y, Z).min() > 1e-4


@pytest.mark.parametrize("depth", sorted(HIDDEN))
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_objective_gradient(activation, loss_name, depth, rng):
    net, X, Y, sample_weight, theta = _problem(loss_name, activation, depth, rng)
    _assert_away_from_kinks(net, theta, X, Y, loss_name)
    loss = LOSSES[loss_name].function

    def objective(t):
        return net.objective(t, X, Y, loss, sample_weight=sample_weight, weight_decay=0.1)

    J, grad = objective(theta)
    assert np.isfinite(J)
    assert grad.shape == theta.shape and grad.dtype == np.float64
    assert np.linalg.norm(grad) > 1e-3
    assert check_gradient(objective, theta) < 1e-6


@pytest.mark.parametrize("depth", [1, 2])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_objective_gradient_with_dropout(activation, depth, rng):
    loss_name = "squared_error"
    net, X, Y, sample_weight, theta = _problem(loss_name, activation, depth, rng, dropout=0.3)
    _assert_away_from_kinks(net, theta, X, Y, loss_name)
    loss = LOSSES[loss_name].function
    seed = 11

    def objective(t):
        # a fresh generator with the same seed draws the same masks at every call
        return net.objective(t, X, Y, loss, sample_weight, weight_decay=0.05, rng=np.random.RandomState(seed))

    J, grad = objective(theta)
    J_again, grad_again = objective(theta)
    assert J == J_again
    assert_array_equal(grad, grad_again)
    # dropout is really applied: the objective differs from the one without masks
    J_plain, grad_plain = net.objective(theta, X, Y, loss, sample_weight, weight_decay=0.05)
    assert not np.isclose(J, J_plain)
    assert check_gradient(objective, theta) < 1e-6
    # and the gradient without masks is not what the check just accepted
    assert np.linalg.norm(grad - grad_plain) > 1e-6 * np.linalg.norm(grad)


def test_objective_value_is_weighted_loss_plus_penalty(rng):
    net, X, Y, sample_weight, theta = _problem("huber", "tanh", 2, rng)
    loss = LOSSES["huber"].function
    lam = 0.3
    J, _ = net.objective(theta, X, Y, loss, sample_weight=sample_weight, weight_decay=lam)
    # the forward recurrence written out: A_l = tanh(A_{l-1} W_l + b_l), Z = A_{L-1} W_L + b_L
    (W1, b1), (W2, b2), (W3, b3) = net.unpack(theta)
    Z = np.tanh(np.tanh(X @ W1 + b1) @ W2 + b2) @ W3 + b3
    per_sample, _ = loss(Y, Z)
    expected = np.sum(sample_weight * per_sample) / np.sum(sample_weight)
    expected += lam / 2 * (np.sum(W1**2) + np.sum(W2**2) + np.sum(W3**2))
    assert_allclose(J, expected, rtol=1e-12)


def test_objective_with_sparse_input_matches_dense(rng):
    net, X, Y, sample_weight, theta = _problem("categorical_crossentropy", "relu", 1, rng)
    X = X * (rng.random(X.shape) < 0.5)
    loss = LOSSES["categorical_crossentropy"].function
    J, grad = net.objective(theta, X, Y, loss, sample_weight, weight_decay=0.1)
    J_sparse, grad_sparse = net.objective(theta, sp.csr_matrix(X), Y, loss, sample_weight, weight_decay=0.1)
    assert_allclose(J_sparse, J, rtol=1e-12)
    assert_allclose(grad_sparse, grad, rtol=1e-12, atol=1e-15)


def test_objective_float32(rng):
    net, X, Y, sample_weight, theta = _problem("binary_crossentropy", "sigmoid", 1, rng)
    loss = LOSSES["binary_crossentropy"].function
    f32 = np.float32
    J32, grad32 = net.objective(theta.astype(f32), X.astype(f32), Y.astype(f32), loss, sample_weight.astype(f32), 0.1)
    J64, grad64 = net.objective(theta, X, Y, loss, sample_weight, 0.1)
    assert grad32.dtype == np.float32
    assert_allclose(J32, J64, rtol=1e-5)
    assert_allclose(grad32, grad64, rtol=1e-4, atol=1e-6)


def test_pack_unpack_round_trip(rng):
    net = Network((4, 3, 2, 5))
    theta = rng.normal(size=net.n_params)
    params = net.unpack(theta)
    assert [W.shape for W, _ in params] == [(4, 3), (3, 2), (2, 5)]
    assert [b.shape for _, b in params] == [(3,), (2,), (5,)]
    assert net.n_params == sum(W.size + b.size for W, b in params) == theta.size
    packed = net.pack(params)
    assert_array_equal(packed, theta)
    assert not np.shares_memory(packed, theta)
    # pack(unpack(theta)) == theta and unpack(pack(params)) == params
    params_again = net.unpack(net.pack([(W.copy(), b.copy()) for W, b in params]))
    for (W, b), (W2, b2) in zip(params, params_again):
        assert_array_equal(W, W2)
        assert_array_equal(b, b2)


def test_pack_casts_to_requested_dtype(rng):
    net = Network((3, 2))
    params = [(rng.normal(size=(3, 2)), rng.normal(size=2))]
    packed = net.pack(params, dtype=np.float32)
    assert packed.dtype == np.float32
    assert_array_equal(packed, net.pack(params).astype(np.float32))


def test_pack_keeps_dtype_by_default(rng):
    net = Network((3, 2))
    params = [(rng.normal(size=(3, 2)).astype(np.float32), np.zeros(2, dtype=np.float32))]
    assert net.pack(params).dtype == np.float32


def test_unpack_returns_views(rng):
    net = Network((4, 3, 2))
    theta = rng.normal(size=net.n_params)
    params = net.unpack(theta)
    for W, b in params:
        assert np.shares_memory(W, theta) and np.shares_memory(b, theta)
    (W1, b1), (W2, b2) = params
    W1[1, 2] = 100.0
    b1[0] = 200.0
    W2[2, 1] = 300.0
    b2[1] = 400.0
    # flat layout: W1 row-major, then b1, then W2, then b2
    assert theta[1 * 3 + 2] == 100.0
    assert theta[4 * 3] == 200.0
    assert theta[4 * 3 + 3 + 2 * 2 + 1] == 300.0
    assert theta[-1] == 400.0
    # and writing into theta shows through the views
    theta[0] = -1.0
    assert W1[0, 0] == -1.0


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState])
@pytest.mark.parametrize("init", ["glorot", "he"])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_init_params_is_reproducible(activation, init, make_rng):
    net = Network((4, 6, 3, 2), activation=activation, out_activation="sigmoid")
    theta1, theta2 = net.init_params(make_rng(5), init=init), net.init_params(make_rng(5), init=init)
    assert theta1.shape == (net.n_params,) and theta1.dtype == np.float64
    assert_array_equal(theta1, theta2)
    assert not np.array_equal(theta1, net.init_params(make_rng(6), init=init))
    for k, (W, b) in enumerate(net.unpack(theta1)):
        assert_array_equal(b, 0.0)
        assert np.all(W != 0)
        layer = net.layers[k]
        following = activation if k < len(net.layers) - 1 else "sigmoid"
        factor = 2.0 if following == "sigmoid" else 6.0  # scikit-learn's Glorot factors
        bound = np.sqrt(6.0 / layer.n_in) if init == "he" else np.sqrt(factor / (layer.n_in + layer.n_out))
        assert np.abs(W).max() <= bound
        assert np.abs(W).max() > 0.5 * bound


@pytest.mark.parametrize("init", ["glorot", "he"])
def test_init_params_matches_dense_init(init):
    net = Network((4, 6, 2), activation="relu", out_activation="sigmoid")
    rng = np.random.RandomState(8)
    W1, b1 = Dense(4, 6).init(rng, init, ACTIVATIONS["relu"].init_factor)
    W2, b2 = Dense(6, 2).init(rng, init, ACTIVATIONS["sigmoid"].init_factor)
    expected = np.concatenate([W1.ravel(), b1, W2.ravel(), b2])
    assert_array_equal(net.init_params(np.random.RandomState(8), init=init), expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_init_params_zero_without_hidden_layers(dtype):
    net = Network((5, 3), out_activation="softmax")
    rng = np.random.default_rng(0)
    theta = net.init_params(rng, dtype=dtype)
    assert theta.dtype == dtype
    assert theta.shape == (5 * 3 + 3,)
    assert_array_equal(theta, 0.0)


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_init_params_float32_is_float64_cast(depth):
    net = Network((4, *HIDDEN[depth], 3), activation="tanh")
    theta32 = net.init_params(np.random.default_rng(9), dtype=np.float32)
    theta64 = net.init_params(np.random.default_rng(9), dtype=np.float64)
    assert theta32.dtype == np.float32
    assert_array_equal(theta32, theta64.astype(np.float32))


def test_l2_penalty_excludes_biases(rng):
    net = Network((4, 3, 2))
    theta = rng.normal(size=net.n_params)
    lam = 0.7
    (W1, b1), (W2, b2) = net.unpack(theta)
    penalty = net.l2_penalty(theta, lam)
    assert_allclose(penalty, lam / 2 * (np.sum(W1**2) + np.sum(W2**2)), rtol=1e-12)
    # changing the biases leaves the penalty unchanged
    theta_b = theta.copy()
    for _, b in net.unpack(theta_b):
        b += 10.0
    assert_allclose(net.l2_penalty(theta_b, lam), penalty, rtol=1e-12)
    # its gradient lambda W is added to the weights only: the objective with and without weight decay differ by it
    X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    J, grad = net.objective(theta, X, Y, LOSSES["squared_error"].function, weight_decay=lam)
    J0, grad0 = net.objective(theta, X, Y, LOSSES["squared_error"].function)
    assert_allclose(J, J0 + penalty, rtol=1e-12)
    for (W, _), (g, gb), (g0, gb0) in zip(net.unpack(theta), net.unpack(grad), net.unpack(grad0)):
        assert_allclose(g, g0 + lam * W, rtol=1e-12)
        assert_array_equal(gb, gb0)


def test_l2_penalty_zero_weight_decay(rng):
    net = Network((4, 3, 2))
    theta = rng.normal(size=net.n_params)
    assert net.l2_penalty(theta, 0.0) == 0.0


@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_predict_applies_output_activation(loss_name, rng):
    net, X, _, _, theta = _problem(loss_name, "tanh", 1, rng)
    Z, _ = net.forward(theta, X)
    out = ACTIVATIONS[net.out_activation].forward(Z)
    P = net.predict(theta, X)
    assert_allclose(P, out, rtol=1e-12)
    (W1, b1), (W2, b2) = net.unpack(theta)
    assert_allclose(Z, np.tanh(X @ W1 + b1) @ W2 + b2, rtol=1e-12)
    if net.out_activation == "softmax":
        assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)
    if net.out_activation == "sigmoid":
        assert np.all((P > 0) & (P < 1))
        assert not np.allclose(P, Z)


def test_predict_applies_no_dropout(rng):
    net, X, _, _, theta = _problem("squared_error", "relu", 2, rng, dropout=0.5)
    Z_plain, _ = net.forward(theta, X)
    Z_dropped, _ = net.forward(theta, X, rng=np.random.RandomState(0))
    assert not np.allclose(Z_plain, Z_dropped)
    assert_allclose(net.predict(theta, X), Z_plain, rtol=1e-12)
    assert_array_equal(net.predict(theta, X), net.predict(theta, X))


def test_objective_does_not_modify_theta(rng):
    net, X, Y, sample_weight, theta = _problem("squared_error", "relu", 2, rng, dropout=0.2)
    theta0 = theta.copy()
    net.objective(theta, X, Y, LOSSES["squared_error"].function, sample_weight, 0.1, np.random.RandomState(0))
    assert_array_equal(theta, theta0)


def test_objective_data_term_matches_weighted_loss_at_depth_zero(rng):
    # with no hidden layer the gradient is X^T dZ and sum(dZ): the linear model of the notes
    net, X, Y, sample_weight, theta = _problem("squared_error", "identity", 0, rng)
    loss = LOSSES["squared_error"].function
    J, grad = net.objective(theta, X, Y, loss, sample_weight)
    ((W, b),) = net.unpack(theta)
    value, dZ = weighted_loss(loss, Y, X @ W + b, sample_weight)
    assert_allclose(J, value, rtol=1e-12)
    assert_allclose(grad, np.concatenate([(X.T @ dZ).ravel(), dZ.sum(axis=0)]), rtol=1e-12)


@pytest.mark.parametrize("ends", ["inputs", "outputs", "both"])
@pytest.mark.parametrize("scaled", [False, True], ids=["offset", "offset+scale"])
@pytest.mark.parametrize("depth", [0, 1, 2])
def test_standardised_coordinates_gradient_and_same_model(depth, scaled, ends, rng):
    """Standardised coordinates store the first and last layers differently: same model, same J, right gradient."""
    plain, X, Y, sample_weight, _ = _problem("squared_error", "tanh", depth, rng)
    n_features, n_outputs = X.shape[1], Y.shape[1]
    coordinates = Standardisation()
    if ends in ("inputs", "both"):
        coordinates.input_offset = X.mean(axis=0) + 1.0
        coordinates.input_scale = rng.uniform(0.1, 10.0, size=n_features) if scaled else None
    if ends in ("outputs", "both"):
        coordinates.output_offset = rng.normal(size=n_outputs)
        coordinates.output_scale = rng.uniform(0.1, 10.0, size=n_outputs) if scaled else None
    net = Network(plain.layer_sizes, "tanh", plain.out_activation, coordinates=coordinates)
    theta = net.init_params(rng) + 0.1 * rng.normal(size=net.n_params)
    loss = LOSSES["squared_error"].function
    assert check_gradient(lambda t: net.objective(t, X, Y, loss, sample_weight, 0.1), theta) < 1e-6
    layers = net.to_layers(theta)
    assert_allclose(net.forward(theta, X)[0], plain.forward(plain.pack(layers), X)[0], rtol=1e-12)
    assert_allclose(net.forward(layers, X)[0], net.forward(theta, X)[0], rtol=1e-12)
    assert_allclose(net.from_layers(layers), theta, rtol=1e-12, atol=1e-15)
    # only the first and last layers are stored differently from the true parameters
    differs = net.pack(layers) != theta
    changed = np.zeros(net.n_params, dtype=bool)
    if ends != "outputs":
        changed[: net.layers[0].n_params] = True
    if ends != "inputs":
        changed[net.n_params - net.layers[-1].n_params :] = True
    assert differs.any() and not (differs & ~changed).any()
    # the objective, L2 term included, is that of the true parameters: the optimum is the same
    assert net.l2_penalty(theta, 0.3) == pytest.approx(plain.l2_penalty(plain.pack(layers), 0.3))
    J, _ = net.objective(theta, X, Y, loss, sample_weight, 0.3)
    assert J == pytest.approx(plain.objective(plain.pack(layers), X, Y, loss, sample_weight, 0.3)[0], rel=1e-12)


def test_standardised_coordinates_start_at_the_mean_without_hidden_layers(rng):
    X, Y = rng.normal(size=(20, 3)) * 50 + 7, rng.normal(size=(20, 2)) * 30 + 100
    coordinates = Standardisation(X.mean(axis=0), X.std(axis=0), Y.mean(axis=0), Y.std(axis=0))
    net = Network((3, 2), coordinates=coordinates)
    Z, _ = net.forward(net.init_params(rng), X)
    assert_allclose(Z, np.broadcast_to(Y.mean(axis=0), Z.shape), rtol=1e-12)


@pytest.mark.parametrize("dropout", [0.0, 0.4])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_objective_with_buffers_equals_objective_with_new_arrays(dropout, dtype, rng):
    """Reused buffers change nothing: batches of one size, a short last batch, then the first size again."""
    net = Network((N_FEATURES, 6, 5, 3), activation="relu", out_activation="softmax", dropout=dropout)
    theta = net.init_params(rng, dtype=dtype)
    loss, buffers = LOSSES["categorical_crossentropy"].function, {}
    for seed, n_samples in enumerate((8, 8, 3, 8)):
        X = rng.normal(size=(n_samples, N_FEATURES)).astype(dtype)
        Y = _targets("categorical_crossentropy", 3, rng, n_samples).astype(dtype)
        sw = rng.uniform(0.5, 2.0, size=n_samples).astype(dtype)
        J, grad = net.objective(theta, X, Y, loss, sw, 0.1, np.random.RandomState(seed), buffers=buffers)
        J_new, grad_new = net.objective(theta, X, Y, loss, sw, 0.1, np.random.RandomState(seed))
        assert J == J_new
        assert_array_equal(grad, grad_new)
        assert grad.dtype == dtype


def test_objective_with_buffers_reuses_its_arrays(rng):
    """A second call on a batch of the same shape allocates nothing new and returns the same gradient array."""
    net = Network((N_FEATURES, 6, 2), activation="tanh")
    theta = net.init_params(rng)
    loss, buffers = LOSSES["squared_error"].function, {}
    X, Y = rng.normal(size=(N_SAMPLES, N_FEATURES)), rng.normal(size=(N_SAMPLES, 2))
    _, grad = net.objective(theta, X, Y, loss, weight_decay=0.1, buffers=buffers)
    grad_first, kept = grad.copy(), dict(buffers)
    _, grad_again = net.objective(theta, 2 * X, Y, loss, weight_decay=0.1, buffers=buffers)
    assert grad_again is grad  # overwritten in place: valid until the next call, as documented
    assert buffers.keys() == kept.keys() and all(buffers[k] is kept[k] for k in kept)
    assert not np.allclose(grad_again, grad_first)  # and it holds the new batch's gradient


def test_objective_with_buffers_and_sparse_input(rng):
    net = Network((N_FEATURES, 5, 2), activation="relu")
    theta = net.init_params(rng)
    X, Y = rng.normal(size=(N_SAMPLES, N_FEATURES)), rng.normal(size=(N_SAMPLES, 2))
    X[X < 0.3] = 0.0
    loss = LOSSES["squared_error"].function
    J, grad = net.objective(theta, sp.csr_matrix(X), Y, loss, weight_decay=0.1, buffers={})
    J_dense, grad_dense = net.objective(theta, X, Y, loss, weight_decay=0.1)
    assert_allclose(J, J_dense, rtol=1e-12)
    assert_allclose(grad, grad_dense, rtol=1e-12, atol=1e-15)
