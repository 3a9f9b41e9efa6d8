"""Tests for sknotes.nn.settings: every setting the core declares (the optimizers' hyperparameters, the losses'
parameters) is well formed, so that the constraints and documentation built from it are."""

import inspect

import pytest
from sklearn.base import BaseEstimator

import sknotes
from sknotes.nn import LOSSES, OPTIMIZERS
from sknotes.nn.settings import Setting

ESTIMATORS = [
    getattr(sknotes, name)
    for name in sknotes.__all__
    if inspect.isclass(getattr(sknotes, name)) and issubclass(getattr(sknotes, name), BaseEstimator)
]
DECLARED = [
    *(
        (f"{solver}.{name}", setting)
        for solver, optimizer in OPTIMIZERS.items()
        for name, setting in optimizer.HYPERPARAMETERS.items()
    ),
    *((f"{loss}.{name}", setting) for loss, entry in LOSSES.items() for name, setting in entry.parameters.items()),
]


def test_something_is_declared():
    names = {where for where, _ in DECLARED}
    assert {"sgd.momentum", "rmsprop.rho", "adam.epsilon", "huber.delta"} <= names


@pytest.mark.parametrize("where, setting", DECLARED, ids=[where for where, _ in DECLARED])
def test_a_declared_setting_is_well_formed_and_every_estimator_default_is_allowed(where, setting):
    """The defaults are the estimators' constructors' (scikit-learn's one source of them): each lies among the
    values the setting allows, for every estimator that has the parameter."""
    assert isinstance(setting, Setting)
    assert setting.doc.strip().endswith(".")
    assert setting.kind in ("real", "int", "bool") and setting.closed in ("left", "right", "both", "neither")
    name = where.split(".")[-1]
    defaults = [Est().get_params()[name] for Est in ESTIMATORS if name in Est().get_params()]
    assert defaults, f"no estimator has the parameter {name}"
    for default in defaults:
        if setting.kind == "bool":
            assert isinstance(default, bool)
            continue
        assert isinstance(default, float if setting.kind == "real" else int)
        low_ok = setting.low is None or (
            default >= setting.low if setting.closed in ("left", "both") else default > setting.low
        )
        high_ok = setting.high is None or (
            default <= setting.high if setting.closed in ("right", "both") else default < setting.high
        )
        assert low_ok and high_ok, (name, default, setting)
