"""Tests for sknotes.nn.settings: every setting the core declares (the optimizers' hyperparameters, the losses'
parameters) is well formed, so that the constraints and documentation built from it are."""

import pytest

from sknotes.nn import LOSSES, OPTIMIZERS
from sknotes.nn.settings import Setting

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
def test_a_declared_setting_has_its_default_among_its_allowed_values(where, setting):
    assert isinstance(setting, Setting)
    assert setting.doc.strip().endswith(".")
    if setting.kind == "bool":
        assert isinstance(setting.default, bool)
        return
    assert setting.kind == "real" and isinstance(setting.default, float)
    assert setting.closed in ("left", "right", "both", "neither")
    low_ok = setting.low is None or (
        setting.default >= setting.low if setting.closed in ("left", "both") else setting.default > setting.low
    )
    high_ok = setting.high is None or (
        setting.default <= setting.high if setting.closed in ("right", "both") else setting.default < setting.high
    )
    assert low_ok and high_ok, setting
