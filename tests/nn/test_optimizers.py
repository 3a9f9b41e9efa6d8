"""Tests for sknotes.nn.optimizers: closed-form updates, and what every optimizer of the registry promises.

The closed forms are each optimizer's own. The promises are checked for every configuration of ``CONFIGS``, which
holds every optimizer of :data:`~sknotes.nn.OPTIMIZERS` (a new one is added at its declared defaults): state that
pickles mid-way and is never shared, a learning rate read at every step, float32 kept, a work array that is not
state and a step that allocates nothing after the first, ``HYPERPARAMETERS`` for every constructor argument, and
``STATE`` exactly what a step changes.
"""

import copy
import inspect
import pickle
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sknotes import MLPFromScratch
from sknotes.nn import OPTIMIZERS, SGD, Adam, RMSProp
from sknotes.nn.settings import Setting

N_PARAMS = 6

# every configuration whose state must survive a pickle round trip
CONFIGS = {
    "sgd": lambda: SGD(learning_rate=0.1),
    "momentum": lambda: SGD(learning_rate=0.1, momentum=0.9),
    "nesterov": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    # full-batch 'sgd' with learning_rate='auto' on a linear model: the step grows, and a rise is taken back
    "bold driver": lambda: SGD(learning_rate=0.1, momentum=0.9, nesterov=True, grow=1.1),
    "rmsprop": lambda: RMSProp(learning_rate=0.01),
    "adam": lambda: Adam(learning_rate=0.01),
}


def _at_declared_defaults(Optimizer):
    """The optimizer at the estimators' defaults of its hyperparameters (their constructors': one source)."""
    defaults = MLPFromScratch().get_params()
    return lambda: Optimizer(0.01, **{name: defaults[name] for name in Optimizer.HYPERPARAMETERS})


# an optimizer added to the registry is checked here too, at the estimators' defaults of its hyperparameters
for _name, _Optimizer in OPTIMIZERS.items():
    CONFIGS.setdefault(_name, _at_declared_defaults(_Optimizer))

#: The objective's values given to the steps of the configurations that use them (full-batch descent): falls and
#: rises, so that momentum restarts and the bold driver grows its step, and takes a rising one back.
LOSSES = {"momentum": [1.0, 0.8, 0.9, 0.5, 0.6, 0.4], "bold driver": [1.0, 0.8, 0.9, 0.5, 0.6, 0.4]}

#: SGD's constructor arguments that the estimators set themselves (not estimator parameters): no declaration.
SET_BY_THE_ESTIMATORS = {SGD: {"restart", "grow"}}


#: The seed of the ``rng`` fixture (tests/conftest.py) in this module: the draws these tests were written with.
RNG_SEED = 123


def run(name, optimizer, params, grads, first=0):
    """Steps with ``grads`` in place on ``params``, given the objective's values where ``name`` uses them."""
    losses = LOSSES.get(name)
    for k, g in enumerate(grads, start=first):
        optimizer.step(params, g, None if losses is None else losses[k])


def state(optimizer):
    """A copy of the attributes ``STATE`` lists."""
    return {attribute: copy.deepcopy(getattr(optimizer, attribute)) for attribute in type(optimizer).STATE}


def assert_same_values(a, b):
    """Two dicts of attribute values (arrays, numbers, None) equal bit for bit."""
    assert a.keys() == b.keys()
    for key in a:
        if isinstance(a[key], np.ndarray) or isinstance(b[key], np.ndarray):
            assert_array_equal(a[key], b[key], err_msg=key)
            assert np.asarray(a[key]).dtype == np.asarray(b[key]).dtype, key
        else:
            assert a[key] == b[key], key


def test_registry():
    assert OPTIMIZERS["sgd"] is SGD
    assert OPTIMIZERS["rmsprop"] is RMSProp
    assert OPTIMIZERS["adam"] is Adam


def test_every_optimizer_of_the_registry_is_configured_here():
    assert set(OPTIMIZERS.values()) <= {type(make()) for make in CONFIGS.values()}


# ---------------------------------------------------------------------------------------------
# closed forms
# ---------------------------------------------------------------------------------------------


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


@pytest.mark.parametrize("Optimizer", [Adam, RMSProp], ids=["adam", "rmsprop"])
def test_per_weight_steps_are_invariant_to_gradient_scale(Optimizer, rng):
    """Adam and RMSProp divide each step by a running root mean square of the gradients: scaling every gradient by
    1000 leaves the steps as they were."""
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(3, N_PARAMS))
    p1, p2 = p0.copy(), p0.copy()
    opt1, opt2 = Optimizer(0.01, epsilon=1e-12), Optimizer(0.01, epsilon=1e-12)
    for g in grads:
        opt1.step(p1, g)
        opt2.step(p2, 1000.0 * g)
    assert_allclose(p1, p2, rtol=1e-8)


def test_rmsprop_matches_formula_over_several_steps(rng):
    """``v <- rho v + (1 - rho) g^2``, ``theta <- theta - eta g / (sqrt(v) + epsilon)``."""
    lr, rho, eps = 0.05, 0.8, 1e-6
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(4, N_PARAMS))
    p = p0.copy()
    opt = RMSProp(learning_rate=lr, rho=rho, epsilon=eps)
    expected, v = p0.copy(), np.zeros(N_PARAMS)
    for t, g in enumerate(grads, start=1):
        opt.step(p, g)
        v = rho * v + (1 - rho) * g**2
        expected = expected - lr * g / (np.sqrt(v) + eps)
        assert_allclose(p, expected, rtol=1e-12)
        assert_allclose(opt.v, v, rtol=1e-12)
        assert opt.t == t
    # written out for t = 1: v = (1 - rho) g^2, step = eta g / (sqrt(1 - rho) |g| + epsilon)
    q = p0.copy()
    RMSProp(learning_rate=lr, rho=rho, epsilon=eps).step(q, grads[0])
    g = grads[0]
    assert_allclose(q, p0 - lr * g / (np.sqrt(1 - rho) * np.abs(g) + eps), rtol=1e-12)


def test_rmsprop_first_step_has_size_learning_rate_over_root_one_minus_rho(rng):
    lr, rho = 0.01, 0.9
    g = rng.choice([-1.0, 1.0], size=N_PARAMS) * np.logspace(-2, 3, N_PARAMS)  # scales 1e-2 .. 1e3
    g[2] = 0.0
    p0 = rng.normal(size=N_PARAMS)
    p = p0.copy()
    RMSProp(learning_rate=lr, rho=rho).step(p, g)
    step = p - p0
    nonzero = g != 0
    assert_allclose(np.abs(step[nonzero]), lr / np.sqrt(1 - rho), rtol=1e-5)
    assert_array_equal(np.sign(step[nonzero]), -np.sign(g[nonzero]))
    assert step[2] == 0.0


def test_sgd_bold_driver_grows_the_step_after_a_fall_and_takes_a_rise_back(rng):
    """With ``grow > 1`` and the objective given: ``grow`` times the step after a fall; after a rise, the parameters
    of the last fall back and half the step."""
    lr, grow = 0.1, 1.5
    p0, g1, g2, g3 = (rng.normal(size=N_PARAMS) for _ in range(4))
    p = p0.copy()
    opt = SGD(learning_rate=lr, grow=grow)
    opt.step(p, g1, 1.0)  # no previous value: a plain step
    assert_allclose(p, p0 - lr * g1, rtol=1e-14)
    p1 = p.copy()
    opt.step(p, g2, 0.5)  # fell: the step grows first
    assert opt.learning_rate == lr * grow
    assert_allclose(p, p1 - lr * grow * g2, rtol=1e-14)
    opt.step(p, g3, 0.7)  # rose: back to the parameters of the last fall, the step halved, no step taken
    assert_array_equal(p, p1)
    assert opt.learning_rate == lr * grow * 0.5


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


def test_rmsprop_learning_rate_change_takes_effect(rng):
    rho, eps = 0.9, 1e-8
    p0, g1, g2 = rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS), rng.normal(size=N_PARAMS)
    p = p0.copy()
    opt = RMSProp(learning_rate=0.1)
    opt.step(p, g1)
    p1 = p.copy()
    opt.learning_rate = 0.001
    opt.step(p, g2)
    v = rho * (1 - rho) * g1**2 + (1 - rho) * g2**2
    assert_allclose(p, p1 - 0.001 * g2 / (np.sqrt(v) + eps), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# what every optimizer promises
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_state_pickles_mid_way(name, rng):
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(6, N_PARAMS))
    reference, p_ref = CONFIGS[name](), p0.copy()
    run(name, reference, p_ref, grads)
    opt, p = CONFIGS[name](), p0.copy()
    run(name, opt, p, grads[:3])
    restored = pickle.loads(pickle.dumps(opt))
    p_restored = p.copy()
    run(name, restored, p_restored, grads[3:], first=3)
    run(name, opt, p, grads[3:], first=3)
    assert_array_equal(p_restored, p_ref)
    assert_array_equal(p, p_ref)
    assert restored.t == reference.t == 6


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_state_is_not_shared_between_instances(name, rng):
    p0 = rng.normal(size=N_PARAMS)
    g = rng.normal(size=N_PARAMS)
    a, b = CONFIGS[name](), CONFIGS[name]()
    pa, pb = p0.copy(), p0.copy()
    run(name, a, pa, [g, g])
    run(name, b, pb, [g, g])
    assert_array_equal(pa, pb)
    for attribute in type(a).STATE:  # each instance has arrays of its own
        value = getattr(a, attribute)
        if isinstance(value, np.ndarray):
            assert not np.shares_memory(value, getattr(b, attribute)), attribute


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_learning_rate_change_takes_effect_at_the_next_step(name, rng):
    """``learning_rate`` is read at every step: a change moves the next step, and setting it back before that
    step gives bit for bit the step that was never changed."""
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(4, N_PARAMS))
    opt, p = CONFIGS[name](), p0.copy()
    run(name, opt, p, grads[:3])  # (the bold driver: the objective falls at the 4th step)
    steps = {}
    for learning_rate in [opt.learning_rate, opt.learning_rate / 10]:
        twin, q = copy.deepcopy(opt), p.copy()
        twin.learning_rate = learning_rate
        run(name, twin, q, grads[3:], first=3)
        steps[learning_rate] = q - p
    unchanged, changed = steps.values()
    assert not np.allclose(changed, unchanged)
    back = copy.deepcopy(opt)
    back.learning_rate /= 10
    back.learning_rate = opt.learning_rate
    q = p.copy()
    run(name, back, q, grads[3:], first=3)
    assert_array_equal(q - p, unchanged)


@pytest.mark.parametrize("grad_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_float32_params_stay_float32(name, grad_dtype, rng):
    p0 = rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(4, N_PARAMS))
    p32, p64 = p0.astype(np.float32), p0.copy()
    opt32, opt64 = CONFIGS[name](), CONFIGS[name]()
    run(name, opt32, p32, [g.astype(grad_dtype) for g in grads])
    run(name, opt64, p64, grads)
    assert p32.dtype == np.float32
    for attribute in ("velocity", "m", "v", *type(opt32).STATE):
        value = getattr(opt32, attribute, None)
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32, attribute
    assert_allclose(p32, p64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_scratch_array_is_neither_pickled_nor_copied(name, rng):
    """The update's work array is not state: it is left out of pickles and copies, and recreated."""
    opt, p = CONFIGS[name](), rng.normal(size=N_PARAMS)
    run(name, opt, p, rng.normal(size=(2, N_PARAMS)))
    assert opt._work is not None
    for twin in (pickle.loads(pickle.dumps(opt)), copy.deepcopy(opt)):
        assert twin._work is None
        assert_same_values(state(twin), state(opt))
        q, g = p.copy(), rng.normal(size=N_PARAMS)
        run(name, twin, q, [g], first=2)
        expected = p.copy()
        run(name, copy.deepcopy(opt), expected, [g], first=2)
        assert_array_equal(q, expected)


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_step_allocates_no_new_arrays_after_the_first(name, rng):
    n = 50_000  # 400 kB of float64: any temporary the size of the parameters shows
    opt, p = CONFIGS[name](), rng.normal(size=n)
    grads = rng.normal(size=(4, n))
    run(name, opt, p, grads[:1])
    arrays = {key: value for key, value in vars(opt).items() if isinstance(value, np.ndarray)}
    tracemalloc.start()
    try:
        run(name, opt, p, grads[1:], first=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < p.nbytes / 10, peak
    for key, value in vars(opt).items():  # the same arrays, refilled (bold driver: ``accepted`` is made once)
        if isinstance(value, np.ndarray) and key in arrays:
            assert value is arrays[key], key


@pytest.mark.parametrize("Optimizer", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_hyperparameters_are_declared_for_every_constructor_argument_but_the_learning_rate(Optimizer):
    arguments = set(inspect.signature(Optimizer).parameters) - {"learning_rate"}
    assert set(Optimizer.HYPERPARAMETERS) == arguments - SET_BY_THE_ESTIMATORS.get(Optimizer, set())
    for name, setting in Optimizer.HYPERPARAMETERS.items():
        assert isinstance(setting, Setting), name


def test_a_setting_shared_by_name_is_the_same_in_every_optimizer():
    """The estimators have one parameter per name (epsilon for RMSProp and Adam): its declarations must agree."""
    declared = {}
    for Optimizer in OPTIMIZERS.values():
        for name, setting in Optimizer.HYPERPARAMETERS.items():
            declared.setdefault(name, []).append(setting)
    assert any(len(settings) > 1 for settings in declared.values())  # epsilon, today
    for name, settings in declared.items():
        assert all(setting == settings[0] for setting in settings), name


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_state_lists_what_a_step_changes(name, rng):
    """Restoring exactly the ``STATE`` attributes after a step gives back the optimizer's next step bit for bit;
    no other attribute (but the work array) ever changes."""
    opt, p = CONFIGS[name](), rng.normal(size=N_PARAMS)
    grads = rng.normal(size=(6, N_PARAMS))
    fixed = {key: copy.deepcopy(value) for key, value in vars(opt).items() if key not in type(opt).STATE}
    for k, g in enumerate(grads):
        before, p_before = state(opt), p.copy()
        run(name, opt, p, [g], first=k)
        after, p_after = state(opt), p.copy()
        for key, value in before.items():  # restore exactly those, then take the same step again
            setattr(opt, key, copy.deepcopy(value))
        p[...] = p_before
        run(name, opt, p, [g], first=k)
        assert_array_equal(p, p_after)
        assert_same_values(state(opt), after)
    rest = {key: value for key, value in vars(opt).items() if key not in type(opt).STATE and key != "_work"}
    assert_same_values(rest, {key: value for key, value in fixed.items() if key != "_work"})


@pytest.mark.parametrize("Optimizer", OPTIMIZERS.values(), ids=list(OPTIMIZERS))
def test_every_state_attribute_is_changed_by_some_step(Optimizer, rng):
    """``STATE`` lists nothing that no step changes (over this module's configurations of the optimizer)."""
    changed = set()
    for name, make in CONFIGS.items():
        opt = make()
        if type(opt) is not Optimizer:
            continue
        p, grads = rng.normal(size=N_PARAMS), rng.normal(size=(6, N_PARAMS))
        for k, g in enumerate(grads):
            before = state(opt)
            run(name, opt, p, [g], first=k)
            after = state(opt)
            for key in before:
                if isinstance(before[key], np.ndarray) or isinstance(after[key], np.ndarray):
                    if before[key] is None or not np.array_equal(before[key], after[key]):
                        changed.add(key)
                elif before[key] != after[key]:
                    changed.add(key)
    assert changed == set(Optimizer.STATE)
