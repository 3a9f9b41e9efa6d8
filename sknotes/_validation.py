"""Small helpers of the scikit-learn front end: parameter choices, warnings at the caller, partial_fit's presence."""

import functools
import os
import sys
import sysconfig
import types
from pathlib import Path

import joblib
import sklearn
from sklearn.utils._param_validation import StrOptions

from ._solvers import SOLVERS, STEP_SOLVERS

#: The folders of the code between a user's line and a warning of sknotes: sknotes, scikit-learn (fit wrappers,
#: pipelines, searches, cross-validation) and joblib (which runs a search's fits, even with ``n_jobs=None``).
_LIBRARY_FOLDERS = tuple(
    str(Path(module.__file__).resolve().parent) + os.sep for module in (sys.modules[__package__], sklearn, joblib)
)
#: The folders of Python's standard library, and those of installed packages (which a system Python may keep inside
#: it): the threads and processes (``threading``, ``multiprocessing``) in which joblib runs fits start in the first.
_STDLIB_FOLDERS, _PACKAGE_FOLDERS = (
    tuple({str(Path(sysconfig.get_paths()[name]).resolve()) + os.sep for name in names})
    for names in (("stdlib", "platstdlib"), ("purelib", "platlib"))
)


def choices(names):
    """A ``StrOptions`` constraint whose error message lists ``names`` in sorted order (not a set's random one)."""
    constraint = StrOptions(set(names))
    constraint.options = sorted(constraint.options)  # membership tests work on the list as on the set
    return constraint


def caller_stacklevel():
    """The ``stacklevel`` of ``warnings.warn`` that points at the user's code.

    Counts the frames from the caller of this function up to the first one
    outside sknotes, scikit-learn and joblib (whose ``fit`` wrappers,
    pipelines, searches and parallel loops sit between the user's line and
    the warning) and outside Python's own library: the user's line, such as
    ``search.fit(X, y)``. A fit run by a search in a worker thread or
    process (``n_jobs=2``) has no user's line on its stack; its warnings
    point at the outermost scikit-learn (or sknotes) call there, which
    names what ran the fit, rather than at joblib's internals.
    """
    frame, level, outermost = sys._getframe(1), 1, 1
    while frame is not None:
        kind = _kind(frame.f_code.co_filename)
        if kind == "user":
            return level
        if kind == "sknotes or scikit-learn":
            outermost = level
        frame, level = frame.f_back, level + 1
    return outermost


@functools.lru_cache(maxsize=512)
def _kind(filename):
    """Whose code ``filename`` holds: "sknotes or scikit-learn", "joblib", "python" (the standard library, and
    ``<frozen ...>`` modules such as runpy) or "user" (anything else, ``<stdin>`` and ``<doctest ...>`` included)."""
    if filename.startswith("<"):
        return "python" if filename.startswith("<frozen ") else "user"
    path = str(Path(filename).resolve())
    if path.startswith(_LIBRARY_FOLDERS[:2]):
        return "sknotes or scikit-learn"
    if path.startswith(_LIBRARY_FOLDERS[2]):
        return "joblib"
    return "python" if path.startswith(_STDLIB_FOLDERS) and not path.startswith(_PACKAGE_FOLDERS) else "user"


def _one_of(solvers):
    """``solver='adam', solver='rmsprop' or solver='sgd'``: the solvers that take steps, in sorted order."""
    names = [f"solver='{name}'" for name in sorted(solvers)]
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


class step_solvers_only:
    """Decorator: the method exists only for the solvers that take steps, as scikit-learn's ``available_if``.

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
        solver = SOLVERS.get(obj.solver)  # (an unknown one: the method's parameter validation says so)
        if solver is not None and not solver.takes_steps:
            raise AttributeError(
                f"{type(obj).__name__}.{self.method.__name__} is not available with solver={obj.solver!r}, which "
                f"minimises the full-batch objective; it needs {_one_of(STEP_SOLVERS)}."
            )
        return types.MethodType(self.method, obj)
