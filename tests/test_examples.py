"""Every script in examples/ runs to the end (headless), or is skipped when it needs an extra that is missing."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
#: The modules an example may import from an optional extra (pyproject.toml), and that extra. An example that
#: fails to import one of them is skipped; any other missing module fails the test.
OPTIONAL_MODULES = {"matplotlib": "plot", "dask": "dask", "distributed": "dask", "dask_ml": "dask"}


def test_there_are_examples():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib", reason="examples need the 'plot' extra (matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    try:
        runpy.run_path(str(path), run_name="__main__")
    except ModuleNotFoundError as exc:
        if exc.name not in OPTIONAL_MODULES:
            raise
        pytest.skip(f"{path.name} needs {exc.name}: pip install -e '.[{OPTIONAL_MODULES[exc.name]}]'")
    finally:
        plt.close("all")
