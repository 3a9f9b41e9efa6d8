"""The solvers: each one declared once, with what it needs and what it allows.

There are two kinds. A step-taking solver is an update rule of
:data:`sknotes.nn.OPTIMIZERS`, run epoch by epoch by the one training loop
(:func:`sknotes._training.train`): it takes steps of size ``learning_rate``
on mini-batches or full batches, so it has ``partial_fit``, early stopping
and dropout. L-BFGS takes no such steps: scipy runs it iteration by
iteration on the full-batch objective, choosing its own step lengths.

The estimators, the training loop, the docs and the messages ask a
:class:`Solver` what it does; none of them compares a solver's name. A new
update rule added to :data:`~sknotes.nn.OPTIMIZERS` is a new solver here,
with everything the estimators need to know about it.
"""

import inspect
from dataclasses import dataclass
from functools import cached_property

from .nn import OPTIMIZERS


@dataclass(frozen=True)
class Solver:
    """A solver's declarations.

    Parameters
    ----------
    name : str
        The value of the estimators' ``solver`` parameter.
    optimizer : type or None
        The update rule of a step-taking solver; None for L-BFGS.
    """

    name: str
    optimizer: type = None

    @property
    def takes_steps(self):
        """Whether it takes steps of size ``learning_rate``, epoch by epoch: then it has mini-batches,
        ``partial_fit``, early stopping and dropout."""
        return self.optimizer is not None

    @property
    def iterations(self):
        """What one unit of ``max_iter`` and ``n_iter_`` is, in the plural: epochs, or L-BFGS iterations."""
        return "epochs" if self.takes_steps else "iterations"

    @cached_property
    def follows_curvature(self):
        """Whether its step is ``learning_rate`` times the gradient, so that ``learning_rate='auto'`` is
        ``1 / L`` of the data on a linear model and, on full batches, adapts to the objective (the optimizer
        restarts its momentum and grows or takes back its step: it has ``restart`` and ``grow``)."""
        return self.takes_steps and {"restart", "grow"} <= set(inspect.signature(self.optimizer).parameters)


#: Every solver by name: the update rules of :data:`sknotes.nn.OPTIMIZERS`, then L-BFGS.
SOLVERS = {**{name: Solver(name, optimizer) for name, optimizer in OPTIMIZERS.items()}, "lbfgs": Solver("lbfgs")}
#: The names of the solvers that take steps of size ``learning_rate``.
STEP_SOLVERS = tuple(name for name, solver in SOLVERS.items() if solver.takes_steps)


def step_solvers_phrase(prefix="solver="):
    """``"solver='sgd', 'rmsprop' or 'adam'"``: the step-taking solvers, for messages."""
    names = [f"'{name}'" for name in STEP_SOLVERS]
    return prefix + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0])
