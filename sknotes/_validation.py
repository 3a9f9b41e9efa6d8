"""Small helpers of the scikit-learn front end: parameter choices, warnings at the caller, partial_fit's presence."""

import functools
import os
import sys
import types
from pathlib import Path

import sklearn
from sklearn.utils._param_validation import StrOptions

from .nn import OPTIMIZERS

_OWN_FILES = tuple(
    str(Path(module.__file__).resolve().parent) + os.sep for module in (sys.modules[__package__], sklearn)
)


def choices(names):
    """A ``StrOptions`` constraint whose error message lists ``names`` in sorted order (not a set's random one)."""
    constraint = StrOptions(set(names))
    constraint.options = sorted(constraint.options)  # membership tests work on the list as on the set
    return constraint


def caller_stacklevel():
    """The ``stacklevel`` of ``warnings.warn`` that points at the user's code.

    Counts the frames from the caller of this function up to the first one
    outside sknotes and scikit-learn (whose ``fit`` wrappers, pipelines and
    searches sit between the user's line and the warning).
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_OWN_FILES):
        frame, level = frame.f_back, level + 1
    return level


def _one_of(solvers):
    """``solver='adam', solver='rmsprop' or solver='sgd'``: the epoch-wise solvers, in sorted order."""
    names = [f"solver='{name}'" for name in sorted(solvers)]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


class stochastic_only:
    """Decorator: the method exists only for the epoch-wise solvers, as scikit-learn's ``available_if``.

    ``hasattr(est, "partial_fit")`` is False with ``solver='lbfgs'`` (so that
    ``dask_ml``'s ``Incremental`` refuses the estimator up front), and calling
    it raises an ``AttributeError`` that says which solvers have it.
    """

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.method
        if obj.solver == "lbfgs":
            raise AttributeError(
                f"{type(obj).__name__}.{self.method.__name__} is not available with solver='lbfgs', which "
                f"minimises the full-batch objective; it needs {_one_of(OPTIMIZERS)}."
            )
        return types.MethodType(self.method, obj)
