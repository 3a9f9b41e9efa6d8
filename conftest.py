"""Test-session setup shared by the doctests (sknotes/) and the test suite (tests/)."""

import os

# scikit-learn's common checks run `check_array_api_input` (NumPy namespace) only when SciPy's
# array-API support is switched on, which must happen before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")
