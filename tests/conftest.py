"""Fixtures shared by the whole test suite."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded random generator: every random draw of a test comes from it."""
    return np.random.RandomState(0)
