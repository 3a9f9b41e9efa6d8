"""Tests for sknotes.nn.activations: derivatives by finite differences, dtype and numerical stability."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit

from sknotes.nn import ACTIVATIONS, HIDDEN_ACTIVATIONS

EPS = 1e-6


def _inputs(rng, shape=(6, 4)):
    """float64 inputs with every entry at least 0.1 away from 0 (the ReLU kink)."""
    magnitude = rng.uniform(0.1, 3.0, size=shape)
    sign = rng.choice([-1.0, 1.0], size=shape)
    return sign * magnitude


def _numerical_vjp(forward, Z, dA, eps=EPS):
    """Central-difference gradient of ``sum(dA * forward(Z))`` with respect to ``Z``: ``J^T dA``."""
    grad = np.empty_like(Z)
    for index in np.ndindex(Z.shape):
        Zp, Zm = Z.copy(), Z.copy()
        Zp[index] += eps
        Zm[index] -= eps
        grad[index] = (np.sum(dA * forward(Zp)) - np.sum(dA * forward(Zm))) / (2 * eps)
    return grad


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_backward_matches_finite_differences(name, rng):
    act = ACTIVATIONS[name]
    Z = _inputs(rng)
    dA = rng.normal(size=Z.shape)
    A = act.forward(Z)
    dZ = act.backward(A, dA)
    assert dZ.shape == Z.shape
    assert_allclose(dZ, _numerical_vjp(act.forward, Z, dA), rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_forward_and_backward_keep_float32(name, rng):
    act = ACTIVATIONS[name]
    Z = _inputs(rng).astype(np.float32)
    dA = rng.normal(size=Z.shape).astype(np.float32)
    A = act.forward(Z)
    assert A.dtype == np.float32
    assert act.backward(A, dA).dtype == np.float32
    # float32 results agree with the float64 computation to float32 precision
    assert_allclose(A, act.forward(Z.astype(np.float64)), rtol=1e-6, atol=1e-7)


def test_hidden_activations_are_registered():
    assert set(HIDDEN_ACTIVATIONS) <= set(ACTIVATIONS)
    assert "softmax" not in HIDDEN_ACTIVATIONS


def test_relu_is_max_with_zero(rng):
    Z = _inputs(rng)
    A = ACTIVATIONS["relu"].forward(Z)
    assert_array_equal(A, np.where(Z > 0, Z, 0.0))
    dA = rng.normal(size=Z.shape)
    assert_array_equal(ACTIVATIONS["relu"].backward(A, dA), np.where(Z > 0, dA, 0.0))


def test_sigmoid_matches_expit(rng):
    Z = rng.normal(scale=5.0, size=(20, 3))
    assert_allclose(ACTIVATIONS["sigmoid"].forward(Z), expit(Z), rtol=1e-15)
    assert_allclose(ACTIVATIONS["sigmoid"].forward(Z), 1.0 / (1.0 + np.exp(-Z)), rtol=1e-12)


def test_softmax_matches_max_shifted_formula(rng):
    Z = rng.normal(scale=5.0, size=(20, 4))
    E = np.exp(Z - Z.max(axis=1, keepdims=True))
    expected = E / E.sum(axis=1, keepdims=True)
    A = ACTIVATIONS["softmax"].forward(Z)
    assert_allclose(A, expected, rtol=1e-12)
    assert_allclose(A.sum(axis=1), 1.0, rtol=1e-12)


def test_softmax_is_row_wise_and_shift_invariant(rng):
    Z = rng.normal(size=(5, 3))
    shift = rng.normal(scale=100.0, size=(5, 1))
    softmax = ACTIVATIONS["softmax"].forward
    assert_allclose(softmax(Z + shift), softmax(Z), rtol=1e-10)
    # each row depends on that row only
    assert_allclose(softmax(Z[2:3]), softmax(Z)[2:3], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["sigmoid", "softmax", "tanh"])
def test_saturating_activations_are_stable_for_huge_inputs(name, dtype, rng):
    act = ACTIVATIONS[name]
    Z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -999.0], [1000.0, 1000.0, 1000.0]], dtype=dtype)
    dA = rng.normal(size=Z.shape).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            A = act.forward(Z)
            dZ = act.backward(A, dA)
    assert A.dtype == dtype
    assert np.all(np.isfinite(A)) and np.all(np.isfinite(dZ))
    assert np.all((A >= -1) & (A <= 1))
    if name == "softmax":
        assert_allclose(A.sum(axis=1), 1.0, rtol=1e-6)
        # the largest logit of a row takes (almost) all the mass; ties share it equally
        assert_allclose(A[0], [1.0, 0.0, 0.0], atol=1e-6)
        assert_allclose(A[2], np.full(3, 1 / 3), rtol=1e-6)
        e = np.exp(1.0)
        assert_allclose(A[1], [1 / (2 + e), 1 / (2 + e), e / (2 + e)], rtol=1e-5)
    elif name == "sigmoid":
        assert_allclose(A[0], [1.0, 0.0, 0.5], atol=1e-7)
