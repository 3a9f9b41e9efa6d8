"""Tests for sknotes.nn.losses: gradients by finite differences, closed forms, weighting and stability."""

import warnings
from functools import partial

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.metrics import hinge_loss, log_loss

from sknotes.nn import ACTIVATIONS, LOSSES, weighted_loss
from sknotes.nn.losses import (
    absolute_error,
    binary_crossentropy,
    categorical_crossentropy,
    hinge,
    huber,
    squared_error,
)

EPS = 1e-6
N_SAMPLES, N_OUTPUTS = 8, 3


#: The seed of the ``rng`` fixture (tests/conftest.py) in this module: the draws these tests were written with.
RNG_SEED = 42


def _targets(name, rng, n_samples=N_SAMPLES, n_outputs=N_OUTPUTS):
    """Targets of the kind each loss expects: one-hot rows, 0/1 indicators or floats."""
    if name == "categorical_crossentropy":
        return np.eye(n_outputs)[rng.integers(n_outputs, size=n_samples)]
    if name in ("binary_crossentropy", "hinge"):
        return rng.integers(0, 2, size=(n_samples, n_outputs)).astype(np.float64)
    if LOSSES[name].domain == "non-negative":  # counts, zeros included
        return rng.poisson(2.0, size=(n_samples, n_outputs)).astype(np.float64)
    return rng.normal(size=(n_samples, n_outputs))


def _kink_distance(Y, Z, delta=1.0):
    """Distance of every entry from the kinks of the piecewise losses (r = 0, abs(r) = delta, t z = 1)."""
    R = Z - Y
    return np.minimum.reduce([np.abs(R), np.abs(np.abs(R) - delta), np.abs(1 - (2 * Y - 1) * Z)])


def _scores(Y, rng, margin=0.05, scale=2.0):
    """Raw scores with every entry at least ``margin`` away from any kink of any loss."""
    Z = rng.normal(scale=scale, size=Y.shape)
    while True:
        near = _kink_distance(Y, Z) < margin
        if not near.any():
            return Z
        Z[near] = rng.normal(scale=scale, size=near.sum())


def _numerical_jacobian(f, Z, eps=EPS):
    """Central differences of a vector-valued ``f(Z) -> (n_samples,)``: shape (n_samples, *Z.shape)."""
    n = f(Z).shape[0]
    J = np.empty((n,) + Z.shape)
    for index in np.ndindex(Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[index] += eps
        Zm[index] -= eps
        J[(slice(None),) + index] = (f(Zp) - f(Zm)) / (2 * eps)
    return J


def _numerical_gradient(f, Z, eps=EPS):
    """Central differences of a scalar ``f(Z)``."""
    return _numerical_jacobian(lambda Z: np.atleast_1d(f(Z)), Z, eps)[0]


def _per_sample_jacobian(dZ):
    """The Jacobian of per-sample losses implied by a per-sample gradient: row i only moves sample i."""
    n = dZ.shape[0]
    J = np.zeros((n,) + dZ.shape)
    J[np.arange(n), np.arange(n)] = dZ
    return J


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradient_matches_finite_differences(name, rng):
    loss = LOSSES[name].function
    Y = _targets(name, rng)
    Z = _scores(Y, rng)
    per_sample, dZ = loss(Y, Z)
    assert per_sample.shape == (N_SAMPLES,)
    assert dZ.shape == Z.shape
    numeric = _numerical_jacobian(lambda Z: loss(Y, Z)[0], Z)
    assert_allclose(_per_sample_jacobian(dZ), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("delta", [0.3, 2.5])
def test_huber_gradient_with_non_default_delta(delta, rng):
    Y = rng.normal(size=(10, 4))
    # residuals on both sides of delta, at least 0.05 away from the kink
    inside = rng.uniform(0.0, delta - 0.05, size=Y.shape)
    outside = rng.uniform(delta + 0.05, delta + 3.0, size=Y.shape)
    R = np.where(rng.random(Y.shape) < 0.5, inside, outside) * rng.choice([-1.0, 1.0], size=Y.shape)
    assert (np.abs(R) < delta).any() and (np.abs(R) > delta).any()
    Z = Y + R
    loss = partial(huber, delta=delta)
    per_sample, dZ = loss(Y, Z)
    assert_allclose(dZ, np.clip(R, -delta, delta), rtol=1e-12)
    numeric = _numerical_jacobian(lambda Z: loss(Y, Z)[0], Z)
    assert_allclose(_per_sample_jacobian(dZ), numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_matches_piecewise_formula(delta, rng):
    Y = rng.normal(size=(12, 2))
    Z = Y + rng.normal(scale=2.0, size=Y.shape)
    expected = np.zeros(Y.shape[0])
    for i in range(Y.shape[0]):
        for k in range(Y.shape[1]):
            r = Z[i, k] - Y[i, k]
            expected[i] += 0.5 * r**2 if abs(r) <= delta else delta * (abs(r) - delta / 2)
    per_sample, _ = huber(Y, Z, delta=delta)
    assert_allclose(per_sample, expected, rtol=1e-12)
    if delta == 1.0:
        assert_allclose(huber(Y, Z)[0], expected, rtol=1e-12)


def test_huber_is_continuous_at_delta():
    delta = 0.7
    Y = np.zeros((2, 1))
    Z = np.array([[delta - 1e-9], [delta + 1e-9]])
    per_sample, dZ = huber(Y, Z, delta=delta)
    assert_allclose(per_sample[0], per_sample[1], rtol=1e-8)
    assert_allclose(dZ[:, 0], delta, rtol=1e-8)


def test_squared_error_is_half_squared_residual(rng):
    Y, Z = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    per_sample, dZ = squared_error(Y, Z)
    assert_allclose(per_sample, 0.5 * ((Z - Y) ** 2).sum(axis=1), rtol=1e-12)
    assert_allclose(dZ, Z - Y, rtol=1e-12)


def test_absolute_error_is_absolute_residual(rng):
    Y, Z = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    per_sample, dZ = absolute_error(Y, Z)
    assert_allclose(per_sample, np.abs(Z - Y).sum(axis=1), rtol=1e-12)
    assert_array_equal(dZ, np.sign(Z - Y))


def test_binary_crossentropy_matches_log_loss(rng):
    Y = rng.integers(0, 2, size=(30, 3)).astype(np.float64)
    Z = rng.normal(scale=3.0, size=Y.shape)
    per_sample, dZ = binary_crossentropy(Y, Z)
    P = expit(Z)
    # log_loss is a mean over samples of one binary output; the loss sums over outputs
    expected = sum(log_loss(Y[:, k], P[:, k], labels=[0, 1]) for k in range(Y.shape[1]))
    assert_allclose(per_sample.mean(), expected, rtol=1e-10)
    for i in range(Y.shape[0]):
        row = sum(log_loss(Y[i : i + 1, k], P[i : i + 1, k], labels=[0, 1]) for k in range(Y.shape[1]))
        assert_allclose(per_sample[i], row, rtol=1e-10)
    assert_allclose(dZ, P - Y, rtol=1e-12, atol=1e-15)


def test_categorical_crossentropy_matches_log_loss(rng):
    n_classes = 4
    labels = rng.integers(n_classes, size=40)
    Y = np.eye(n_classes)[labels]
    Z = rng.normal(scale=3.0, size=Y.shape)
    per_sample, dZ = categorical_crossentropy(Y, Z)
    P = ACTIVATIONS["softmax"].forward(Z)
    assert_allclose(per_sample.mean(), log_loss(labels, P, labels=np.arange(n_classes)), rtol=1e-10)
    assert_allclose(per_sample, -np.log(P[np.arange(len(labels)), labels]), rtol=1e-10)
    # the fused gradient of softmax + cross-entropy is softmax(z) - y
    assert_allclose(dZ, P - Y, rtol=1e-10, atol=1e-15)


def test_categorical_crossentropy_accepts_soft_targets(rng):
    Y = rng.dirichlet(np.ones(3), size=6)
    Z = rng.normal(size=Y.shape)
    per_sample, dZ = categorical_crossentropy(Y, Z)
    P = ACTIVATIONS["softmax"].forward(Z)
    assert_allclose(per_sample, -(Y * np.log(P)).sum(axis=1), rtol=1e-10)
    assert_allclose(dZ, P - Y, rtol=1e-10, atol=1e-15)


def test_hinge_matches_sklearn_hinge_loss(rng):
    Y = rng.integers(0, 2, size=(25, 1)).astype(np.float64)
    Z = _scores(Y, rng)
    per_sample, dZ = hinge(Y, Z)
    T = 2 * Y - 1
    assert_allclose(per_sample, np.maximum(0, 1 - T * Z).sum(axis=1), rtol=1e-12)
    assert_allclose(per_sample.mean(), hinge_loss(T[:, 0], Z[:, 0]), rtol=1e-12)
    assert_array_equal(dZ, np.where(T * Z < 1, -T, 0.0))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_weighted_loss_matches_explicit_formula(name, rng):
    loss = LOSSES[name].function
    Y = _targets(name, rng)
    Z = _scores(Y, rng)
    s = rng.uniform(0.1, 3.0, size=N_SAMPLES)
    per_sample, _ = loss(Y, Z)
    value, dZ = weighted_loss(loss, Y, Z, s)
    assert isinstance(value, float)
    assert_allclose(value, np.sum(s * per_sample) / np.sum(s), rtol=1e-12)
    numeric = _numerical_gradient(lambda Z: weighted_loss(loss, Y, Z, s)[0], Z)
    assert_allclose(dZ, numeric, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_weighted_loss_without_weights_is_the_mean(name, rng):
    loss = LOSSES[name].function
    Y = _targets(name, rng)
    Z = _scores(Y, rng)
    value, dZ = weighted_loss(loss, Y, Z)
    per_sample, grad = loss(Y, Z)
    assert_allclose(value, per_sample.mean(), rtol=1e-12)
    assert_allclose(dZ, grad / N_SAMPLES, rtol=1e-12)
    value_ones, dZ_ones = weighted_loss(loss, Y, Z, np.ones(N_SAMPLES))
    assert_allclose(value_ones, value, rtol=1e-12)
    assert_allclose(dZ_ones, dZ, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_integer_sample_weights_equal_repeated_rows(name, rng):
    loss = LOSSES[name].function
    Y = _targets(name, rng)
    Z = _scores(Y, rng)
    s = rng.integers(0, 4, size=N_SAMPLES)
    s[0] = 0  # a zero weight drops the row
    s[1] = 3
    value, dZ = weighted_loss(loss, Y, Z, s)
    rep = np.repeat(np.arange(N_SAMPLES), s)
    value_rep, dZ_rep = weighted_loss(loss, Y[rep], Z[rep])
    assert_allclose(value, value_rep, rtol=1e-12)
    # the gradient of a weighted row is the sum of the gradients of its copies
    summed = np.zeros_like(dZ)
    np.add.at(summed, rep, dZ_rep)
    assert_allclose(dZ, summed, rtol=1e-12, atol=1e-15)
    assert_array_equal(dZ[0], 0.0)


@pytest.mark.parametrize("name", ["binary_crossentropy", "categorical_crossentropy"])
def test_crossentropies_are_stable_for_huge_logits(name, rng):
    loss = LOSSES[name].function
    Y = _targets(name, rng, n_samples=20)
    Z = rng.choice([-1e4, 1e4], size=Y.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            per_sample, dZ = loss(Y, Z)
            value, dZw = weighted_loss(loss, Y, Z, rng.uniform(0.5, 2.0, size=20))
    assert np.all(np.isfinite(per_sample)) and np.all(np.isfinite(dZ))
    assert np.isfinite(value) and np.all(np.isfinite(dZw))
    assert np.all(per_sample >= 0)
    P = ACTIVATIONS[LOSSES[name].out_activation].forward(Z)
    assert_allclose(dZ, P - Y, atol=1e-12)


def test_binary_crossentropy_huge_logits_values():
    # log(1 + exp(z)) - y z: about abs(z) when the logit points the wrong way, about 0 otherwise
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    Z = np.array([[1e4, -1e4, 1e4, -1e4]])
    per_sample_outputs = [binary_crossentropy(Y[:, [k]], Z[:, [k]])[0][0] for k in range(4)]
    assert_allclose(per_sample_outputs, [1e4, 1e4, 0.0, 0.0], rtol=1e-12, atol=1e-300)


def test_categorical_crossentropy_huge_logits_values():
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    Z = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0]])
    per_sample, dZ = categorical_crossentropy(Y, Z)
    # right class wins by 1e4: loss ~ 0; wrong class loses by 2e4: loss ~ 2e4
    assert_allclose(per_sample, [0.0, 2e4], rtol=1e-12, atol=1e-300)
    assert_allclose(dZ, [[0.0, 0.0, 0.0], [1.0, -1.0, 0.0]], atol=1e-12)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_float32_inputs_give_float32_gradients(name, rng):
    loss = LOSSES[name].function
    Y = _targets(name, rng)
    Z = _scores(Y, rng)
    Y32, Z32 = Y.astype(np.float32), Z.astype(np.float32)
    per_sample, dZ = loss(Y32, Z32)
    assert dZ.dtype == np.float32
    assert_allclose(per_sample, loss(Y, Z)[0], rtol=1e-5, atol=1e-6)
    for sample_weight in (None, rng.uniform(0.5, 2.0, size=N_SAMPLES)):
        value, dZw = weighted_loss(loss, Y32, Z32, sample_weight)
        assert dZw.dtype == np.float32
        assert_allclose(value, weighted_loss(loss, Y, Z, sample_weight)[0], rtol=1e-5)


def test_out_activations_are_registered():
    for loss in LOSSES.values():
        assert loss.out_activation in ACTIVATIONS
    assert LOSSES["binary_crossentropy"].out_activation == "sigmoid"
    assert LOSSES["categorical_crossentropy"].out_activation == "softmax"
