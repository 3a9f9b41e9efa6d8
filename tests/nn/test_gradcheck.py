"""Tests for sknotes.nn.gradcheck: the finite-difference gradient and the relative-error check."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknotes.nn import check_gradient, numerical_gradient

#: The seed of the ``rng`` fixture (tests/conftest.py) in this module: the draws these tests were written with.
RNG_SEED = 99


def _quadratic(rng, n=5):
    """f(x) = 1/2 x^T A x + c^T x with a non-symmetric A; its gradient is (A + A^T) x / 2 + c."""
    A, c = rng.normal(size=(n, n)), rng.normal(size=n)

    def f(x):
        return 0.5 * x @ A @ x + c @ x

    def grad(x):
        return 0.5 * (A + A.T) @ x + c

    return f, grad


def test_numerical_gradient_of_quadratic(rng):
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)
    assert_allclose(numerical_gradient(f, x), grad(x), rtol=1e-6, atol=1e-8)


def test_numerical_gradient_ignores_extra_return_value(rng):
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)

    def f_and_junk(x):
        return f(x), "ignored"

    assert_allclose(numerical_gradient(f_and_junk, x), grad(x), rtol=1e-6, atol=1e-8)


def test_numerical_gradient_leaves_theta_alone_and_returns_float64(rng):
    f, grad = _quadratic(rng)
    x = rng.normal(size=5).astype(np.float32)
    x0 = x.copy()
    g = numerical_gradient(f, x)
    assert_array_equal(x, x0)
    assert g.dtype == np.float64
    assert_allclose(g, grad(x.astype(np.float64)), rtol=1e-6, atol=1e-8)


def test_numerical_gradient_step_size(rng):
    # central differences are exact for a quadratic whatever eps, up to rounding
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)
    assert_allclose(numerical_gradient(f, x, eps=1e-2), grad(x), rtol=1e-9, atol=1e-11)
    # and have O(eps^2) error on a cubic: sum(x^3) -> 3 x^2, error eps^2 per coordinate
    g = numerical_gradient(lambda t: float(np.sum(t**3)), x, eps=1e-2)
    assert_allclose(g - 3 * x**2, 1e-4, rtol=1e-6)


def test_check_gradient_accepts_correct_gradient(rng):
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)
    assert check_gradient(lambda t: (f(t), grad(t)), x) < 1e-8


def test_check_gradient_passes_a_copy(rng):
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)
    x0 = x.copy()

    def objective(t):
        value, g = f(t), grad(t)
        t += 1.0  # a misbehaving objective that writes into its argument
        return value, g

    check_gradient(objective, x)
    assert_array_equal(x, x0)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda g, x: -g,  # sign flip
        lambda g, x: 2 * g,  # a forgotten factor 1/2
        lambda g, x: g + np.eye(g.size)[0] * 5.0,  # one wrong coordinate
        lambda g, x: np.zeros_like(g),  # no gradient at all
    ],
)
def test_check_gradient_flags_wrong_gradient(corrupt, rng):
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)
    error = check_gradient(lambda t: (f(t), corrupt(grad(t), t)), x)
    assert error > 0.1


def test_check_gradient_relative_error_value(rng):
    # an analytic gradient off by a factor (1 + a) has relative error a / (2 + a)
    f, grad = _quadratic(rng)
    x = rng.normal(size=5)
    a = 0.1
    error = check_gradient(lambda t: (f(t), (1 + a) * grad(t)), x)
    assert_allclose(error, a / (2 + a), rtol=1e-5)


def test_check_gradient_zero_gradient_is_not_nan():
    error = check_gradient(lambda t: (1.0, np.zeros_like(t)), np.ones(3))
    assert error == 0.0
