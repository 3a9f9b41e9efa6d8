"""The contract, reproducibility and persistence: the same seed gives the same bits, and a saved model (pickle,
joblib or skops) predicts and continues training exactly like the original, also in the middle of training.

Every public estimator (``tests/estimators.py``) and every solver; the sknotes types a skops file may hold, which
``docs/persistence.rst`` tells users to trust, come from the same lists.
"""

import doctest
import pickle
from pathlib import Path

import joblib
import numpy as np
import pytest
import skops.io as sio
from estimators import (
    ESTIMATORS,
    SOLVERS,
    STEP_SOLVERS,
    assert_same_outputs,
    assert_unfitted,
    data,
    is_mlp,
    make,
    outputs,
    params,
    pf_kwargs,
    quietly,
)
from numpy.testing import assert_array_equal
from sklearn.base import clone

from sknotes.nn import OPTIMIZERS

pytestmark = pytest.mark.usefixtures("single_blas_thread")

DOCS = Path(__file__).resolve().parents[2] / "docs"


# ---------------------------------------------------------------------------------------------
# 6. determinism: the same random_state gives bit-identical parameters; a different one differs
# ---------------------------------------------------------------------------------------------


def _random_settings(Est, solver):
    settings = dict(solver=solver, batch_size=8, max_iter=5, shuffle=True)
    if is_mlp(Est) and solver != "lbfgs":
        settings["dropout"] = 0.2
    if solver != "lbfgs":
        settings.update(early_stopping=True, validation_fraction=0.2)
    return settings


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", SOLVERS)
def test_same_random_state_gives_bit_identical_parameters(Estimator, solver, dtype):
    X, y = data(Estimator)
    X = X.astype(dtype)
    settings = _random_settings(Estimator, solver)
    fits = [quietly(make(Estimator, random_state=seed, **settings).fit, X, y) for seed in (7, 7, 8)]
    first, again, other = (params(est) for est in fits)
    assert first.dtype == dtype
    assert_array_equal(first, again)
    assert fits[0].loss_curve_ == fits[1].loss_curve_
    # a RandomState instance seeded alike gives the same bits too
    from_instance = quietly(make(Estimator, random_state=np.random.RandomState(7), **settings).fit, X, y)
    assert_array_equal(params(from_instance), first)
    if is_mlp(Estimator) or solver != "lbfgs":  # random initialisation, shuffling or splitting
        assert not np.array_equal(first, other)
    else:  # linear + lbfgs: zero start, full batch, nothing random; the seed cannot matter
        assert_array_equal(first, other)


# ---------------------------------------------------------------------------------------------
# 7. persistence: pickle, joblib and skops round trips, also in the middle of training
# ---------------------------------------------------------------------------------------------


def skops_roundtrip(est):
    """skops dump/load, trusting exactly the sknotes types the file holds (checked below)."""
    return sio.loads(sio.dumps(est), trusted=trusted_types(est))


def joblib_roundtrip(est, tmp_path):
    path = tmp_path / "model.joblib"
    joblib.dump(est, path)
    return joblib.load(path)


ROUNDTRIPS = {
    "pickle": lambda est, tmp_path: pickle.loads(pickle.dumps(est)),
    "joblib": joblib_roundtrip,
    "skops": lambda est, tmp_path: skops_roundtrip(est),
}


def trusted_types(est):
    """What docs/persistence.rst tells users to pass as ``trusted`` to skops.io.load for this estimator."""
    types = [f"{type(est).__module__}.{type(est).__qualname__}"]
    if hasattr(est, "_training_state"):  # fitted
        types.append("sknotes._training.TrainingState")
        if est.solver != "lbfgs":
            optimizer = OPTIMIZERS[est.solver]
            types.append(f"{optimizer.__module__}.{optimizer.__qualname__}")
    return types


@pytest.mark.parametrize("roundtrip", ROUNDTRIPS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_a_saved_model_predicts_identically(Estimator, solver, roundtrip, tmp_path):
    X, y = data(Estimator)
    est = quietly(make(Estimator, solver=solver, max_iter=10).fit, X, y)
    loaded = ROUNDTRIPS[roundtrip](est, tmp_path)
    assert type(loaded) is type(est)
    assert_same_outputs(outputs(loaded, X), outputs(est, X))
    assert loaded.score(X, y) == est.score(X, y)
    assert loaded.get_params() == est.get_params()
    assert loaded.n_iter_ == est.n_iter_ and loaded.loss_curve_ == est.loss_curve_


@pytest.mark.parametrize("roundtrip", ROUNDTRIPS)
@pytest.mark.parametrize("solver", STEP_SOLVERS)
def test_partial_fit_state_survives_saving(Estimator, solver, roundtrip, tmp_path):
    """Saving in the middle of training and continuing equals continuing without saving: optimizer state
    (momentum, Adam moments, step count), random state (shuffling, dropout) and bookkeeping all travel."""
    X, y = data(Estimator)
    settings = dict(solver=solver, batch_size=16, momentum=0.9, nesterov=True)
    if is_mlp(Estimator):
        settings["dropout"] = 0.1
    est = make(Estimator, **settings)
    est.partial_fit(X, y, **pf_kwargs(est, y)).partial_fit(X, y)
    loaded = ROUNDTRIPS[roundtrip](est, tmp_path)
    for _ in range(3):
        est.partial_fit(X, y)
        loaded.partial_fit(X, y)
    assert_array_equal(params(loaded), params(est))
    assert loaded.loss_curve_ == est.loss_curve_ and loaded.n_iter_ == est.n_iter_ == 5
    # a warm-started fit after loading continues identically too
    quietly(est.set_params(warm_start=True, max_iter=2).fit, X, y)
    quietly(loaded.set_params(warm_start=True, max_iter=2).fit, X, y)
    assert_array_equal(params(loaded), params(est))


@pytest.mark.parametrize("solver", SOLVERS)
def test_skops_reports_exactly_the_documented_untrusted_types(Estimator, solver):
    X, y = data(Estimator)
    unfitted = make(Estimator, solver=solver)
    assert sorted(sio.get_untrusted_types(data=sio.dumps(unfitted))) == sorted(trusted_types(unfitted))
    est = quietly(make(Estimator, solver=solver, max_iter=5).fit, X, y)
    dumped = sio.dumps(est)
    assert sorted(sio.get_untrusted_types(data=dumped)) == sorted(trusted_types(est))
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(dumped)  # nothing is trusted by default
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(dumped, trusted=trusted_types(est)[:1])  # the estimator type alone is not enough
    loaded = sio.loads(dumped, trusted=ALL_SKNOTES_TYPES)  # the documented full list works for every estimator
    assert_same_outputs(outputs(loaded, X), outputs(est, X))


#: Every sknotes type a saved model may hold: the estimators, the training state, the optimizers.
ALL_SKNOTES_TYPES = [
    *(f"{Est.__module__}.{Est.__qualname__}" for Est in ESTIMATORS),
    "sknotes._training.TrainingState",
    *(f"{optimizer.__module__}.{optimizer.__qualname__}" for optimizer in OPTIMIZERS.values()),
]


def test_persistence_docs_list_the_trusted_types_and_their_examples_run():
    text = (DOCS / "persistence.rst").read_text()
    for type_name in ALL_SKNOTES_TYPES:
        assert f'"{type_name}"' in text, type_name
    assert "arbitrary code" in text  # the pickle caveat
    result = doctest.testfile(
        str(DOCS / "persistence.rst"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
        report=True,
    )
    assert result.attempted >= 10
    assert result.failed == 0


def test_clone_of_a_fitted_estimator_refits_identically():
    for Est in ESTIMATORS:
        X, y = data(Est)
        est = quietly(make(Est, solver="adam", batch_size=16, max_iter=5).fit, X, y)
        again = quietly(clone(est).fit, X, y)
        assert_array_equal(params(again), params(est))
        assert_unfitted(clone(est))
