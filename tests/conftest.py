"""Fixtures shared by the whole test suite: the random generator, the BLAS-thread limit, and the estimators.

The estimator fixtures are the one way a test runs once per estimator class. A test takes one of them as an
argument and runs once per class of the list of ``tests/estimators.py`` it is built from, with the class name as
the test id: ``Estimator`` (``ESTIMATORS``), ``Classifier``, ``Regressor``, ``MLP``, ``LinearModel``,
``SmoothLinearModel``, ``MultilabelClassifier``, ``SingleLabelClassifier`` and ``ProbabilisticClassifier`` (the
lists of the same names there, each filtered from ``ESTIMATORS``, itself found from ``sknotes.__all__``: a new
estimator is covered without editing any list). The test's other parameters come from ``pytest.mark.parametrize``
beside the fixture; no test parametrises over the classes itself.
"""

import numpy as np
import pytest
from estimators import (
    CLASSIFIERS,
    ESTIMATORS,
    LINEAR_MODELS,
    MLPS,
    MULTILABEL_CLASSIFIERS,
    PROBABILISTIC_CLASSIFIERS,
    REGRESSORS,
    SINGLE_LABEL_CLASSIFIERS,
    SMOOTH_LINEAR_MODELS,
    name,
)
from threadpoolctl import threadpool_limits


@pytest.fixture
def rng(request):
    """A seeded random generator, ``np.random.default_rng(RNG_SEED)``: every random draw of a test comes from it.

    ``RNG_SEED`` is 0, or the test module's own constant of that name: some tests' tolerances were set on the
    draws of a given seed (a gradient check next to a kink of the absolute error, a cancellation at 1e-14).
    """
    return np.random.default_rng(getattr(request.module, "RNG_SEED", 0))


@pytest.fixture(scope="module")
def single_blas_thread():
    """One BLAS thread for a whole module: its problems are tiny, and on a busy 2-core machine a multi-threaded
    OpenBLAS only adds contention (3x slower; a reference LogisticRegression on digits took 10-50 s instead of
    ~0.05 s). A module asks for it with ``pytestmark = pytest.mark.usefixtures("single_blas_thread")``."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(params=ESTIMATORS, ids=name)
def Estimator(request):
    """Each public estimator class in turn."""
    return request.param


@pytest.fixture(params=CLASSIFIERS, ids=name)
def Classifier(request):
    """Each public classifier class in turn."""
    return request.param


@pytest.fixture(params=REGRESSORS, ids=name)
def Regressor(request):
    """Each public regressor class in turn."""
    return request.param


@pytest.fixture(params=MLPS, ids=name)
def MLP(request):
    """Each public estimator with hidden layers (``hidden_layer_sizes``, ``activation``, ...) in turn."""
    return request.param


@pytest.fixture(params=LINEAR_MODELS, ids=name)
def LinearModel(request):
    """Each public estimator without hidden layers (a linear model) in turn."""
    return request.param


@pytest.fixture(params=MULTILABEL_CLASSIFIERS, ids=name)
def MultilabelClassifier(request):
    """Each public classifier that takes a label indicator matrix (its scikit-learn tags say so) in turn."""
    return request.param


@pytest.fixture(params=SINGLE_LABEL_CLASSIFIERS, ids=name)
def SingleLabelClassifier(request):
    """Each public classifier that takes one label per sample only in turn."""
    return request.param


@pytest.fixture(params=SMOOTH_LINEAR_MODELS, ids=name)
def SmoothLinearModel(request):
    """Each public linear model whose loss has a gradient everywhere (not the hinge's kink) in turn."""
    return request.param


@pytest.fixture(params=PROBABILISTIC_CLASSIFIERS, ids=name)
def ProbabilisticClassifier(request):
    """Each public classifier with probabilities (``predict_proba``) in turn."""
    return request.param
