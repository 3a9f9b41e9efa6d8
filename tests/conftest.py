"""Fixtures shared by the whole test suite: the random generator, the BLAS-thread limit, and the estimators.

``Estimator``, ``Classifier`` and ``Regressor`` run a test once per public estimator of that kind, found from
``sknotes.__all__`` (``tests/estimators.py``): a new estimator is covered without editing any list.
"""

import numpy as np
import pytest
from estimators import CLASSIFIERS, ESTIMATORS, REGRESSORS, name
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
