"""Test-session setup shared by the doctests (sknotes/) and the test suite (tests/)."""

import os
from importlib.util import find_spec

# scikit-learn's common checks run `check_array_api_input` (NumPy namespace) only when SciPy's
# array-API support is switched on, which must happen before SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# sknotes/onnx.py needs the optional extra `onnx`: without it, its doctest is not collected (importing it would fail).
collect_ignore = [] if all(find_spec(name) for name in ("skl2onnx", "onnx", "onnxruntime")) else ["sknotes/onnx.py"]
