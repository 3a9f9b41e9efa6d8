"""Tests for sknotes.nn.layers: the Dense layer (forward, backward, sparse input, init) and inverted dropout."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sknotes.nn import Dense, Dropout

EPS = 1e-6


#: The seed of the ``rng`` fixture (tests/conftest.py) in this module: the draws these tests were written with.
RNG_SEED = 7


def _numerical_gradient(f, x, eps=EPS):
    """Central differences of a scalar ``f`` with respect to the array ``x`` (perturbed in place, then restored)."""
    grad = np.empty_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f()
        x[index] = old - eps
        down = f()
        x[index] = old
        grad[index] = (up - down) / (2 * eps)
    return grad


def test_dense_n_params():
    assert Dense(4, 3).n_params == 4 * 3 + 3
    assert Dense(1, 1).n_params == 2


def test_dense_forward_is_affine(rng):
    X, W, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    Z = Dense.forward(X, W, b)
    assert Z.shape == (6, 3)
    assert_allclose(Z, X @ W + b, rtol=1e-12)
    expected = np.array([[sum(X[i, j] * W[j, k] for j in range(4)) + b[k] for k in range(3)] for i in range(6)])
    assert_allclose(Z, expected, rtol=1e-12)


def test_dense_forward_does_not_modify_inputs(rng):
    X, W, b = rng.normal(size=(6, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    X0, W0, b0 = X.copy(), W.copy(), b.copy()
    Dense.forward(X, W, b)
    assert_array_equal(X, X0)
    assert_array_equal(W, W0)
    assert_array_equal(b, b0)


def test_dense_backward_matches_finite_differences(rng):
    X, W, b = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3)
    G = rng.normal(size=(5, 3))  # dJ/dZ for J = sum(G * Z)

    def J():
        return float(np.sum(G * Dense.forward(X, W, b)))

    gW, gb = np.full_like(W, np.nan), np.full_like(b, np.nan)
    dX = Dense.backward(X, W, G, gW, gb)
    assert_allclose(gW, _numerical_gradient(J, W), rtol=1e-5, atol=1e-9)
    assert_allclose(gb, _numerical_gradient(J, b), rtol=1e-5, atol=1e-9)
    assert_allclose(dX, _numerical_gradient(J, X), rtol=1e-5, atol=1e-9)
    assert Dense.backward(X, W, G, gW, gb, need_dX=False) is None


def test_dense_backward_writes_into_views(rng):
    X, W = rng.normal(size=(5, 4)), rng.normal(size=(4, 3))
    G = rng.normal(size=(5, 3))
    flat = np.zeros(W.size + 3)
    gW, gb = flat[: W.size].reshape(W.shape), flat[W.size :]
    Dense.backward(X, W, G, gW, gb)
    assert_allclose(flat[: W.size], (X.T @ G).ravel(), rtol=1e-12)
    assert_allclose(flat[W.size :], G.sum(axis=0), rtol=1e-12)


@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_dense_sparse_input_matches_dense(container, rng):
    X = rng.normal(size=(8, 6)) * (rng.random((8, 6)) < 0.3)
    Xs = container(X)
    W, b = rng.normal(size=(6, 2)), rng.normal(size=2)
    Z_dense, Z_sparse = Dense.forward(X, W, b), Dense.forward(Xs, W, b)
    assert isinstance(Z_sparse, np.ndarray) and not isinstance(Z_sparse, np.matrix)
    assert_allclose(Z_sparse, Z_dense, rtol=1e-12)
    G = rng.normal(size=(8, 2))
    gW_dense, gb_dense = np.empty_like(W), np.empty_like(b)
    gW_sparse, gb_sparse = np.empty_like(W), np.empty_like(b)
    Dense.backward(X, W, G, gW_dense, gb_dense, need_dX=False)
    Dense.backward(Xs, W, G, gW_sparse, gb_sparse, need_dX=False)
    assert_allclose(gW_sparse, gW_dense, rtol=1e-12)
    assert_allclose(gb_sparse, gb_dense, rtol=1e-12)


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState])
@pytest.mark.parametrize("scheme, factor", [("glorot", 6.0), ("glorot", 2.0), ("he", 6.0), ("he", 2.0)])
def test_dense_init_bounds(scheme, factor, make_rng):
    n_in, n_out = 200, 300
    W, b = Dense(n_in, n_out).init(make_rng(0), scheme, factor)
    assert W.shape == (n_in, n_out) and b.shape == (n_out,)
    assert W.dtype == np.float64 and b.dtype == np.float64
    assert_array_equal(b, 0.0)
    # He: sqrt(6 / n_in) whatever the activation; Glorot: sqrt(factor / (n_in + n_out))
    bound = np.sqrt(6.0 / n_in) if scheme == "he" else np.sqrt(factor / (n_in + n_out))
    # uniform on (-bound, bound): 60000 draws get within 0.1% of the bound
    assert np.abs(W).max() <= bound
    assert np.abs(W).max() > 0.999 * bound
    assert W.min() < -0.99 * bound and W.max() > 0.99 * bound
    # and the variance is that of the uniform distribution, bound^2 / 3
    assert_allclose(W.var(), bound**2 / 3, rtol=0.03)


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState])
def test_dense_init_is_reproducible(make_rng):
    layer = Dense(5, 4)
    W1, b1 = layer.init(make_rng(3))
    W2, b2 = layer.init(make_rng(3))
    W3, _ = layer.init(make_rng(4))
    assert_array_equal(W1, W2)
    assert_array_equal(b1, b2)
    assert not np.array_equal(W1, W3)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_mask_scales_survivors(rate, rng):
    A = rng.uniform(0.5, 1.5, size=(200, 50))
    out, mask = Dropout(rate).forward(A, rng)
    assert mask.shape == A.shape
    kept = mask != 0
    assert_allclose(mask[kept], 1.0 / (1.0 - rate), rtol=1e-12)
    assert_allclose(out, A * mask, rtol=1e-12)
    assert_array_equal(out[~kept], 0.0)
    assert_allclose(out[kept], A[kept] / (1.0 - rate), rtol=1e-12)
    # the fraction dropped is Binomial(n, rate) / n: within 5 standard deviations of rate
    n = A.size
    assert abs((~kept).mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / n)


@pytest.mark.parametrize("rate", [0.25, 0.6])
def test_dropout_preserves_expectation(rate, rng):
    A = rng.uniform(0.5, 1.5, size=(4, 5))
    n_draws = 4000
    dropout = Dropout(rate)
    total = np.zeros_like(A)
    for _ in range(n_draws):
        total += dropout.forward(A, rng)[0]
    # each entry's mean is A with standard deviation A sqrt(rate / (1 - rate) / n_draws)
    sd = A * np.sqrt(rate / (1 - rate) / n_draws)
    assert np.all(np.abs(total / n_draws - A) < 5 * sd)


def test_dropout_backward_masks_gradient(rng):
    A = rng.normal(size=(30, 10))
    dropout = Dropout(0.4)
    out, mask = dropout.forward(A, rng)
    dA = rng.normal(size=A.shape)
    dIn = Dropout.backward(dA, mask)
    assert_array_equal(dIn[mask == 0], 0.0)
    assert_allclose(dIn[mask != 0], dA[mask != 0] / 0.6, rtol=1e-12)
    # it is the gradient of sum(dA * dropout(A)) for a fixed mask
    assert_allclose(dIn, _numerical_gradient(lambda: float(np.sum(dA * A * mask)), A), rtol=1e-5, atol=1e-9)


def test_dropout_keeps_float32_and_is_reproducible():
    A = np.ones((10, 10), dtype=np.float32)
    out1, mask1 = Dropout(0.5).forward(A, np.random.RandomState(1))
    out2, mask2 = Dropout(0.5).forward(A, np.random.RandomState(1))
    assert out1.dtype == np.float32 and mask1.dtype == np.float32
    assert_array_equal(mask1, mask2)
    assert_array_equal(out1, out2)
    assert 0 < np.count_nonzero(mask1) < A.size


def test_dropout_does_not_modify_input(rng):
    A = rng.normal(size=(10, 10))
    A0 = A.copy()
    Dropout(0.5).forward(A, rng)
    assert_array_equal(A, A0)
