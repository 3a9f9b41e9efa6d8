"""Every script in examples/ runs to the end (headless)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))
#: Examples that need an extra beyond 'plot': the module whose absence skips them, and the extra.
EXTRAS = {"plot_scaling_out.py": ("distributed", "dask")}


def test_there_are_examples():
    assert EXAMPLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(path, monkeypatch):
    matplotlib = pytest.importorskip("matplotlib", reason="examples need the 'plot' extra (matplotlib)")
    if path.name in EXTRAS:
        module, extra = EXTRAS[path.name]
        pytest.importorskip(module, reason=f"{path.name} needs the '{extra}' extra: pip install -e '.[{extra}]'")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda *args, **kwargs: None)
    runpy.run_path(str(path), run_name="__main__")
    plt.close("all")
