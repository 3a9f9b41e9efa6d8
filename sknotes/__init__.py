"""sknotes: the deep-learning lecture notes as fast, scikit-learn-compatible estimators.

Every estimator is a thin scikit-learn front end over one small NumPy backprop
core (:mod:`sknotes.nn`) and one training loop.
"""

from ._linear import LinearRegressorGD, LinearSVMGD, SoftmaxClassifier
from ._mlp import MLPFromScratch, MLPRegressorFromScratch

__version__ = "0.1.0"

__all__ = [
    "LinearRegressorGD",
    "LinearSVMGD",
    "MLPFromScratch",
    "MLPRegressorFromScratch",
    "SoftmaxClassifier",
    "__version__",
]
