"""scikit-learn's estimator checks on every public estimator, with default parameters and no expected failures."""

import inspect

import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sknotes

ESTIMATORS = [
    getattr(sknotes, name)
    for name in sknotes.__all__
    if inspect.isclass(getattr(sknotes, name)) and issubclass(getattr(sknotes, name), BaseEstimator)
]


def test_all_public_estimators_are_checked():
    assert {est.__name__ for est in ESTIMATORS} >= {"LinearRegressorGD", "SoftmaxClassifier"}


@parametrize_with_checks([Est() for Est in ESTIMATORS])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("Est", ESTIMATORS, ids=lambda est: est.__name__)
def test_init_only_stores_parameters(Est):
    params = {name: "not-a-valid-value" for name in inspect.signature(Est).parameters}
    est = Est(**params)  # no validation in __init__
    assert est.get_params() == params
