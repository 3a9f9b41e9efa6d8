"""The estimators under test: every public estimator class of ``sknotes.__all__``, found, never listed by hand.

A new estimator exported by ``sknotes`` is covered by every contract test (``tests/common/``) and by every
test that takes the ``Estimator``, ``Classifier`` or ``Regressor`` fixture (``tests/conftest.py``), with no
list to edit. The solvers come from the optimizer registry in the same way.

(The lists live here, not in ``tests/conftest.py``, because test modules import them to build their
parametrisations, and a conftest cannot be imported reliably: the repository root has a ``conftest.py``
too, and pytest imports both under the module name ``conftest``.)
"""

import inspect

from sklearn.base import BaseEstimator, is_classifier, is_regressor

import sknotes
from sknotes.nn import OPTIMIZERS

#: Every public estimator class, in the order of ``sknotes.__all__``.
ESTIMATORS = tuple(
    getattr(sknotes, name)
    for name in sknotes.__all__
    if inspect.isclass(getattr(sknotes, name)) and issubclass(getattr(sknotes, name), BaseEstimator)
)
CLASSIFIERS = tuple(Est for Est in ESTIMATORS if is_classifier(Est()))
REGRESSORS = tuple(Est for Est in ESTIMATORS if is_regressor(Est()))

#: The solvers that take steps (one optimizer of the registry each), and all solvers.
STOCHASTIC = tuple(OPTIMIZERS)
SOLVERS = (*STOCHASTIC, "lbfgs")


def name(Est):
    """The test id of an estimator class (or instance): its class name."""
    return Est.__name__ if inspect.isclass(Est) else type(Est).__name__


def is_mlp(Est):
    """Whether the estimator has hidden layers (the MLP parameters)."""
    return "hidden_layer_sizes" in Est().get_params()


def supports_multilabel(Est):
    """Whether the classifier accepts a label indicator matrix (its scikit-learn tags say so)."""
    return is_classifier(Est()) and Est().__sklearn_tags__().classifier_tags.multi_label


def has_probabilities(Est):
    """Whether the estimator (class or instance) has ``predict_proba``: LinearSVMGD, by design, has not."""
    return hasattr(Est() if inspect.isclass(Est) else Est, "predict_proba")
