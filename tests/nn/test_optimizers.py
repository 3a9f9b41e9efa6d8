"""Tests for sknotes.nn.optimizers: closed-form updates, state that pickles, learning-rate changes, dtypes."""

import copy
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknotes.nn import OPTIMIZERS, SGD, Adam

N_PARAMS = 6

# every configuration whose state must survive a pickle round trip
CONFIGS = {
    "sgd": lambda: SGD(learning_rate=0.1),
    "momentum": lambda: SGD(learning_rate=0.1, momentum=0.9),
    "nesterov": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "adam": lambda: Adam(learning_rate=0.01),
}


#: The seed of the ``rng`` fixture (tests/conftest.py) in this module: the draws these tests were written with.
RNG_SEED = 123


def test_registry():
    assert OPTIMIZERS["sgd"] is SGD
    assert OPTIMIZERS["adam"] is Adam


def test_sgd_step_is_gradient_step(rng):
    p0, g = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = SGD(learning_rate=0.05)
    assert opt.step(p, g) is None  # in place
    assert_allclose(p, p0 - 0.05 * g, rtol=1e-15)
    g2 = rng.normal(size=N_PARAMS)
    opt.step(p, g2)
    assert_allclose(p, p0 - 0.05 * g - 0.05 * g2, rtol=1e-14)


def test_sgd_momentum_two_steps(rng):
    lr, mu = 0.1, 0.8
    p0, g1, g2 = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = SGD(learning_rate=lr, momentum=mu)
    # v1 = -lr g1, p1 = p0 + v1
    opt.step(p, g1)
    assert_allclose(p, p0 - lr * g1, rtol=1e-14)
    # v2 = mu v1 - lr g2 = -mu lr g1 - lr g2, p2 = p1 + v2
    opt.step(p, g2)
    assert_allclose(p, p0 - lr * (1 + mu) * g1 - lr * g2, rtol=1e-14)
    assert_allclose(opt.velocity, -mu * lr * g1 - lr * g2, rtol=1e-14)


def test_sgd_nesterov_two_steps(rng):
    lr, mu = 0.1, 0.8
    p0, g1, g2 = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = SGD(learning_rate=lr, momentum=mu, nesterov=True)
    # v1 = -lr g1, p1 = p0 + mu v1 - lr g1
    opt.step(p, g1)
    assert_allclose(p, p0 - lr * (1 + mu) * g1, rtol=1e-14)
    # v2 = mu v1 - lr g2, p2 = p1 + mu v2 - lr g2
    opt.step(p, g2)
    assert_allclose(p, p0 - lr * (1 + mu + mu**2) * g1 - lr * (1 + mu) * g2, rtol=1e-14)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_restarts_when_the_objective_rises(nesterov, rng):
    """Function-value restart: a rise of the loss given to step() zeroes the velocity first."""
    lr, mu = 0.1, 0.9
    grads = [rng.normal(size=N_PARAMS) for _ in range(3)]
    restarted = SGD(lr, mu, nesterov)
    plain = SGD(lr, mu, nesterov, restart=False)
    params_r, params_p = np.zeros(N_PARAMS), np.zeros(N_PARAMS)
    for g, loss in zip(grads[:2], [1.0, 0.5]):  # falling: no restart, the same steps as without
        restarted.step(params_r, g, loss)
        plain.step(params_p, g, loss)
    assert_array_equal(params_r, params_p)
    before = params_r.copy()
    restarted.step(params_r, grads[2], 0.7)  # rising: the velocity starts from zero, a plain gradient step
    assert_allclose(restarted.velocity, -lr * grads[2])
    expected = before - lr * grads[2] + (mu * restarted.velocity if nesterov else 0)
    assert_allclose(params_r, expected if nesterov else before - lr * grads[2])
    plain.step(params_p, grads[2], 0.7)
    assert not np.allclose(params_p, params_r)
    # without losses (mini-batches), or after a step without one, no restart is ever made
    unknown = SGD(lr, mu, nesterov)
    unknown.step(np.zeros(N_PARAMS), grads[0], 1.0)
    unknown.step(np.zeros(N_PARAMS), grads[1])
    unknown.step(np.zeros(N_PARAMS), grads[2], 5.0)
    assert not np.allclose(unknown.velocity, -lr * grads[2])


def test_sgd_momentum_zero_equals_plain(rng):
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(3, N_PARAMS))
    p_plain, p_nesterov = p0.copy(), p0.copy()
    plain, nesterov = SGD(0.1), SGD(0.1, momentum=0.0, nesterov=True)
    for g in grads:
        plain.step(p_plain, g)
        nesterov.step(p_nesterov, g)
    assert_allclose(p_nesterov, p_plain, rtol=1e-15)
    assert_allclose(p_plain, p0 - 0.1 * grads.sum(axis=0), rtol=1e-13)


def test_adam_first_step_has_size_learning_rate(rng):
    lr = 0.01
    g = rng.choice([-1.0, 1.0], size=N_PARAMS) * np.logspace(-2, 3, N_PARAMS)  # scales 1e-2 .. 1e3
    g[2] = 0.0
    p0 = rng.normal(size=N_PARAMS)
    p = p0.copy()
    Adam(learning_rate=lr).step(p, g)
    step = p - p0
    nonzero = g != 0
    assert_allclose(np.abs(step[nonzero]), lr, rtol=1e-3)
    assert_array_equal(np.sign(step[nonzero]), -np.sign(g[nonzero]))
    assert step[2] == 0.0


def test_adam_matches_formula_over_several_steps(rng):
    lr, b1, b2, eps = 0.05, 0.8, 0.95, 1e-6
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(4, N_PARAMS))
    p = p0.copy()
    opt = Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    expected = p0.copy()
    m, v = np.zeros(N_PARAMS), np.zeros(N_PARAMS)
    for t, g in enumerate(grads, start=1):
        opt.step(p, g)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        expected = expected - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
        assert_allclose(p, expected, rtol=1e-12)
        assert_allclose(opt.m, m, rtol=1e-12)
        assert_allclose(opt.v, v, rtol=1e-12)
        assert opt.t == t
    # written out for t = 1: m = (1 - b1) g, v = (1 - b2) g^2, step = lr g / (|g| + eps / sqrt(1 - b2))
    q = p0.copy()
    Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps).step(q, grads[0])
    g = grads[0]
    assert_allclose(q, p0 - lr * g / (np.abs(g) + eps / np.sqrt(1 - b2)), rtol=1e-12)


def test_adam_is_invariant_to_gradient_scale(rng):
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(3, N_PARAMS))
    p1, p2 = p0.copy(), p0.copy()
    opt1, opt2 = Adam(0.01, epsilon=1e-12), Adam(0.01, epsilon=1e-12)
    for g in grads:
        opt1.step(p1, g)
        opt2.step(p2, 1000.0 * g)
    assert_allclose(p1, p2, rtol=1e-8)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_state_pickles_mid_way(name, rng):
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(6, N_PARAMS))
    reference, p_ref = CONFIGS[name](), p0.copy()
    for g in grads:
        reference.step(p_ref, g)
    opt, p = CONFIGS[name](), p0.copy()
    for g in grads[:3]:
        opt.step(p, g)
    restored = pickle.loads(pickle.dumps(opt))
    p_restored = p.copy()
    for g in grads[3:]:
        restored.step(p_restored, g)
        opt.step(p, g)
    assert_array_equal(p_restored, p_ref)
    assert_array_equal(p, p_ref)
    assert restored.t == reference.t == 6


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_state_is_not_shared_between_instances(name, rng):
    p0 = rng.normal(size=N_PARAMS)
    g = rng.normal(size=N_PARAMS)
    a, b = CONFIGS[name](), CONFIGS[name]()
    pa, pb = p0.copy(), p0.copy()
    a.step(pa, g)
    a.step(pa, g)
    b.step(pb, g)
    b.step(pb, g)
    assert_array_equal(pa, pb)


def test_sgd_learning_rate_change_takes_effect(rng):
    p0, g1, g2 = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = SGD(learning_rate=0.1)
    opt.step(p, g1)
    opt.learning_rate = 0.01
    opt.step(p, g2)
    assert_allclose(p, p0 - 0.1 * g1 - 0.01 * g2, rtol=1e-14)


def test_sgd_momentum_learning_rate_change_takes_effect(rng):
    mu = 0.5
    p0, g1, g2 = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = SGD(learning_rate=0.1, momentum=mu)
    opt.step(p, g1)
    opt.learning_rate = 0.02
    opt.step(p, g2)
    # v1 = -0.1 g1, v2 = mu v1 - 0.02 g2
    assert_allclose(p, p0 - 0.1 * g1 + mu * (-0.1 * g1) - 0.02 * g2, rtol=1e-14)


def test_adam_learning_rate_change_takes_effect(rng):
    b1, b2, eps = 0.9, 0.999, 1e-8
    p0, g1, g2 = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = Adam(learning_rate=0.1)
    opt.step(p, g1)
    p1 = p.copy()
    opt.learning_rate = 0.001
    opt.step(p, g2)
    m = b1 * (1 - b1) * g1 + (1 - b1) * g2
    v = b2 * (1 - b2) * g1**2 + (1 - b2) * g2**2
    assert_allclose(p, p1 - 0.001 * np.sqrt(1 - b2**2) / (1 - b1**2) * m / (np.sqrt(v) + eps), rtol=1e-12)


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_float32_params_stay_float32(name, grad_dtype, rng):
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(4, N_PARAMS))
    p32, p64 = p0.astype(np.float32), p0.copy()
    opt32, opt64 = CONFIGS[name](), CONFIGS[name]()
    for g in grads:
        opt32.step(p32, g.astype(grad_dtype))
        opt64.step(p64, g)
    assert p32.dtype == np.float32
    for attr in ("velocity", "m", "v"):
        state = getattr(opt32, attr, None)
        if state is not None:
            assert state.dtype == np.float32, attr
    assert_allclose(p32, p64, rtol=1e-5, atol=1e-6)


def test_adam_scratch_array_is_neither_pickled_nor_copied(rng):
    """The update's work array is not state: it is left out of pickles and copies, and recreated."""
    opt, p = Adam(learning_rate=0.01), rng.normal(size=N_PARAMS)
    opt.step(p, rng.normal(size=N_PARAMS))
    assert opt._work is not None
    for twin in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert twin._work is None
        assert_array_equal(twin.m, opt.m)
        q, g = p.copy(), rng.normal(size=N_PARAMS)
        twin.step(q, g)
        expected = p.copy()
        copy.deepcopy(opt).step(expected, g)
        assert_array_equal(q, expected)


def test_adam_step_allocates_no_new_arrays_after_the_first(rng):
    opt, p = Adam(learning_rate=0.01), rng.normal(size=N_PARAMS)
    opt.step(p, rng.normal(size=N_PARAMS))
    arrays = (opt.m, opt.v, opt._work)
    opt.step(p, rng.normal(size=N_PARAMS))
    assert all(new is old for new, old in zip((opt.m, opt.v, opt._work), arrays))
