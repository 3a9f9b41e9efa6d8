"""scikit-learn's estimator checks on every public estimator, with default parameters and no expected failures."""

import inspect

from estimators import ESTIMATORS
from sklearn.utils.estimator_checks import parametrize_with_checks


def test_all_public_estimators_are_checked():
    assert {Est.__name__ for Est in ESTIMATORS} >= {
        "LinearRegressorGD",
        "SoftmaxClassifier",
        "LinearSVMGD",
        "MLPFromScratch",
        "MLPRegressorFromScratch",
    }


@parametrize_with_checks([Est() for Est in ESTIMATORS])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


def test_init_only_stores_parameters(Estimator):
    params = {parameter: "not-a-valid-value" for parameter in inspect.signature(Estimator).parameters}
    est = Estimator(**params)  # __init__ only stores parameters: no validation in __init__
    assert est.get_params() == params
