"""The solver registry: every solver declared once, and no code outside it that asks for a solver by name."""

import re
from pathlib import Path

import pytest

import sknotes
from sknotes._solvers import SOLVERS, STEP_SOLVERS, step_solvers_phrase
from sknotes.nn import OPTIMIZERS

PACKAGE = Path(sknotes.__file__).parent
#: A comparison of a solver's name with a literal, either way round (``solver == 'lbfgs'``, ``'sgd' != x.solver``).
NAME_COMPARISON = re.compile(
    r"""solver\s*(==|!=)\s*["']|["']({names})["']\s*(==|!=)""".format(names="|".join(map(re.escape, SOLVERS)))
)


def test_no_solver_is_asked_for_by_name_outside_the_registry():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "_solvers.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if NAME_COMPARISON.search(line)
    ]
    assert not offenders, "\n".join(offenders)


def test_the_comparison_pattern_finds_what_it_is_for():
    """(so that the test above can fail)"""
    for line in ['if self.solver == "lbfgs":', "if est.solver != 'sgd':", 'if "adam" == solver:']:
        assert NAME_COMPARISON.search(line), line
    assert not NAME_COMPARISON.search("SOLVERS[self.solver].takes_steps")


def test_every_update_rule_is_a_step_solver_and_lbfgs_is_not():
    assert STEP_SOLVERS == tuple(OPTIMIZERS)
    assert set(SOLVERS) == {*OPTIMIZERS, "lbfgs"}
    assert not SOLVERS["lbfgs"].takes_steps and SOLVERS["lbfgs"].iterations == "iterations"
    assert all(SOLVERS[s].takes_steps and SOLVERS[s].iterations == "epochs" for s in STEP_SOLVERS)
    # 'auto' is 1 / L and follows the objective for the plain gradient step only (Adam and RMSProp normalise it)
    assert [s for s in SOLVERS if SOLVERS[s].follows_curvature] == ["sgd"]
    assert step_solvers_phrase() == "solver='sgd', 'rmsprop' or 'adam'"


def test_the_estimators_accept_exactly_the_registered_solvers(Estimator):
    for solver in SOLVERS:
        Estimator(solver=solver)._validate_params()
    with pytest.raises(ValueError, match="solver"):
        Estimator(solver="newton")._validate_params()
