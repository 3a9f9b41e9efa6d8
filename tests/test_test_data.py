"""The test data of ``tests/estimators.py``: a regressor's targets are drawn from the domain its loss declares.

The loss registry (``sknotes.nn.LOSSES``) may declare a loss's targets (its ``domain``): "real" (any target; also
a loss that declares none) or "non-negative" (>= 0 with a positive sum, as a Poisson loss needs). Every helper that
draws regression targets for an arbitrary regressor draws them from its domain (``target_domain``).
"""

import numpy as np
import pytest
from estimators import REGRESSION_LOSSES, data, into_domain, make, regression_targets, target_domain

from sknotes.nn import LOSSES

DOMAINS = ("real", "non-negative")


def assert_in_domain(y, domain):
    assert domain in DOMAINS, f"no check for the target domain {domain!r}: add one here and in tests/estimators.py"
    y = np.asarray(y, dtype=float)
    assert np.isfinite(y).all()
    if domain == "non-negative":
        columns = y.reshape(y.shape[0], -1)
        assert (columns >= 0).all(), y
        assert (columns.sum(axis=0) > 0).all(), y


@pytest.mark.parametrize("loss", REGRESSION_LOSSES)
def test_every_regressor_gets_data_inside_the_domain_of_its_loss(Regressor, loss):
    est = make(Regressor, loss=loss)
    domain = target_domain(est)
    assert domain == getattr(LOSSES[loss], "domain", "real")
    for n_samples in (1, 40, 60, 90, 100):
        _, y = data(est, n_samples=n_samples)
        assert y.shape == (n_samples,)
        assert_in_domain(y, domain)
    # targets drawn anywhere on the real line (the property tests' strategy), moved into the domain
    rng = np.random.default_rng(0)
    for y in (rng.normal(size=20) * 100, np.zeros((5, 2)), np.hstack([np.zeros((4, 1)), -np.ones((4, 1))])):
        assert_in_domain(into_domain(y, domain), domain)


def test_a_classifier_has_no_target_domain(Classifier):
    assert target_domain(Classifier) is None
    assert target_domain(make(Classifier)) is None


@pytest.mark.parametrize("loss", [name for name, entry in LOSSES.items() if entry.domain == "non-negative"])
def test_a_loss_declaring_non_negative_targets_gets_counts_that_are_not_all_zero(Regressor, loss):
    est = make(Regressor, loss=loss)
    assert target_domain(est) == "non-negative"
    for n_samples in (1, 40, 60):
        X, y = data(est, n_samples=n_samples)
        assert_in_domain(y, "non-negative")
        assert y.dtype == np.float64 and (y == np.round(y)).all(), y  # counts
    X, y = data(est, n_samples=100)
    assert len(np.unique(y)) >= 3  # counts that vary with the features, not a constant
    score = X @ [1.0, -2.0, 0.5]  # the counts grow with the linear score: a log-link model can fit them
    high = score > np.median(score)
    assert y[high].mean() > 2 * y[~high].mean()


def test_an_unknown_domain_gets_no_data():
    rng = np.random.RandomState(0)
    with pytest.raises(ValueError, match="'positive'"):
        regression_targets(rng, np.zeros(3), "positive")
    with pytest.raises(ValueError, match="'positive'"):
        into_domain(np.zeros(3), "positive")
