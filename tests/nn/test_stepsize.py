"""Tests for sknotes.nn.stepsize: the 'auto' step 1 / L of linear models."""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose

from sknotes.nn import stepsize
from sknotes.nn.stepsize import largest_eigenvalue, largest_row_norm, lipschitz_bound


@pytest.fixture
def random_state():
    """``np.random.RandomState(0)``, not the shared ``rng``: these tests were written on its draws, and on other
    draws of the same kind of problem a bound may hold less tightly (50 steps of 1 / L halve the loss on these)."""
    return np.random.RandomState(0)


def _problem(rng, n_samples=300, n_features=6):
    """Correlated raw features on very different scales, with weights."""
    X = rng.normal(size=(n_samples, n_features)) @ rng.normal(size=(n_features, n_features))
    X = X * np.logspace(-2, 3, n_features) + 7.0
    weights = rng.uniform(0.1, 2.0, size=n_samples)
    mu = np.average(X, axis=0, weights=weights)
    s = np.sqrt(np.average((X - mu) ** 2, axis=0, weights=weights))
    return X, weights, mu, s


def _exact_eigenvalue(X, weights, mu, s, mixing=None):
    """Top eigenvalue of the weighted second moment of ``[((x - mu) / s) M, 1]`` (the bias's input is the 1)."""
    Xt = (X - mu) / s
    Xt = np.hstack([Xt if mixing is None else Xt @ mixing, np.ones((X.shape[0], 1))])
    return np.linalg.eigvalsh((Xt.T * (weights / weights.sum())) @ Xt)[-1]


@pytest.mark.parametrize("path", ["gram", "power iteration"])
@pytest.mark.parametrize("sparse", [False, True])
def test_largest_eigenvalue_is_that_of_the_standardised_second_moment(path, sparse, random_state, monkeypatch):
    X, weights, mu, s = _problem(random_state)
    if path == "power iteration":
        monkeypatch.setattr(stepsize, "MAX_GRAM", 0)
    estimate = largest_eigenvalue(sp.csr_matrix(X) if sparse else X, weights, mu, s, n_iter=500, rtol=1e-12)
    assert estimate == pytest.approx(_exact_eigenvalue(X, weights, mu, s), rel=1e-8)


def test_largest_eigenvalue_of_many_rows_comes_from_evenly_spaced_rows(random_state, monkeypatch):
    X, weights, mu, s = _problem(random_state, n_samples=2000)
    monkeypatch.setattr(stepsize, "MAX_ROWS", 500)
    estimate = largest_eigenvalue(X, weights, mu, s)
    assert estimate == pytest.approx(_exact_eigenvalue(X[::4], weights[::4], mu, s), rel=1e-10)
    assert estimate == pytest.approx(_exact_eigenvalue(X, weights, mu, s), rel=0.1)  # a good estimate of all


@pytest.mark.parametrize("sparse", [False, True])
def test_largest_row_norm(sparse, random_state):
    X, _, mu, s = _problem(random_state)
    expected = np.max(np.sum(((X - mu) / s) ** 2, axis=1)) + 1  # and the bias's input, 1
    assert largest_row_norm(sp.csr_matrix(X) if sparse else X, mu, s) == pytest.approx(expected, rel=1e-12)


def test_lipschitz_bound_of_the_full_batch_is_the_largest_curvature_of_the_squared_error(random_state):
    """For the squared error in standardised coordinates the Hessian is known exactly: the bound is its top."""
    X, weights, mu, s = _problem(random_state)
    lam = 0.3
    p = weights / weights.sum()
    Xt = np.hstack([(X - mu) / s, np.ones((X.shape[0], 1))])  # standardised inputs and the bias
    hessian = (Xt.T * p) @ Xt
    hessian[:-1, :-1] += np.diag(lam / s**2)  # the penalty on the true weights W = V / s; the bias is not decayed
    L = lipschitz_bound(X, weights, mu, s, curvature=1.0, weight_decay=lam, batch_size=X.shape[0])
    top = np.linalg.eigvalsh(hessian)[-1]
    assert top <= L * (1 + 1e-10)
    assert L < 2 * top  # and not far above it


def test_lipschitz_bound_runs_from_single_samples_to_the_full_batch(random_state):
    X, weights, mu, s = _problem(random_state)
    n = X.shape[0]
    bounds = [lipschitz_bound(X, weights, mu, s, 0.5, 1e-3, b) for b in (1, 2, 10, 100, n, 10 * n)]
    decay = np.max(1e-3 / s**2)
    assert bounds[0] == pytest.approx(0.5 * largest_row_norm(X, mu, s) + decay, rel=1e-12)
    assert bounds[-2] == bounds[-1]  # a batch larger than the data is the full batch
    assert bounds[-1] == pytest.approx(0.5 * _exact_eigenvalue(X, weights, mu, s) + decay, rel=1e-10)
    assert np.all(np.diff(bounds[:-1]) < 0)  # larger batches, smoother objectives


def test_a_step_of_one_over_L_never_raises_the_squared_error(random_state):
    """Gradient descent on a quadratic with step 1 / L decreases it at every step, however badly scaled the data."""
    X, weights, mu, s = _problem(random_state)
    y = X @ random_state.normal(size=X.shape[1]) / s.sum() + random_state.normal(size=X.shape[0])
    Xt, p = (X - mu) / s, weights / weights.sum()
    L = lipschitz_bound(X, weights, mu, s, curvature=1.0, weight_decay=0.0, batch_size=X.shape[0])
    v, c, losses = np.zeros(X.shape[1]), 0.0, []
    for _ in range(50):
        r = Xt @ v + c - y
        losses.append(0.5 * p @ r**2)
        v, c = v - (Xt.T @ (p * r)) / L, c - (p @ r) / L
    assert np.all(np.diff(losses) <= 1e-12)
    assert losses[-1] < 0.5 * losses[0]
    assert_allclose(lipschitz_bound(X, None, mu, s, 1.0, 0.0, X.shape[0]), _unweighted(X, mu, s), rtol=1e-10)


def _unweighted(X, mu, s):
    return _exact_eigenvalue(X, np.ones(X.shape[0]), mu, s)  # mu is the weighted mean: the rows are not centred


@pytest.mark.parametrize("path", ["gram", "power iteration"])
def test_uncentred_rows_couple_the_bias_and_the_bound_says_by_how_much(path, random_state, monkeypatch):
    """Rows far from the offset (a chunk of a drifting stream): the bias's 1 makes the top eigenvalue grow."""
    X, weights, mu, s = _problem(random_state)
    if path == "power iteration":
        monkeypatch.setattr(stepsize, "MAX_GRAM", 0)
    shifted = mu - 3 * s  # the rows sit 3 scales away from the offset
    estimate = largest_eigenvalue(X, weights, shifted, s, n_iter=500, rtol=1e-12)
    assert estimate == pytest.approx(_exact_eigenvalue(X, weights, shifted, s), rel=1e-8)
    assert estimate > 1 + 9 * X.shape[1] * 0.9  # ||offset shift||^2 + 1, near enough


@pytest.mark.parametrize("path", ["gram", "power iteration"])
def test_whitened_coordinates_make_the_squared_error_round(path, random_state, monkeypatch):
    """With the coordinates' whitening M, the squared error's curvature is 1 in every direction: L = 1."""
    from sknotes.nn.coordinates import Moments, Standardisation

    X, weights, mu, s = _problem(random_state)
    centred = X - mu
    coords = Standardisation.from_moments(Moments(weights.sum(), mu, (centred.T * weights) @ centred))
    assert coords.input_mixing is not None
    if path == "power iteration":
        monkeypatch.setattr(stepsize, "MAX_GRAM", 0)
    args = X, weights, coords.input_offset, coords.input_scale
    assert largest_eigenvalue(*args, coords.input_mixing, n_iter=500, rtol=1e-12) == pytest.approx(1.0, rel=1e-6)
    assert largest_eigenvalue(*args) > 2  # the features are correlated: standardising alone leaves them so
    L = lipschitz_bound(*args, curvature=1.0, weight_decay=0.0, batch_size=X.shape[0], mixing=coords.input_mixing)
    assert L == pytest.approx(1.0, rel=1e-6)
