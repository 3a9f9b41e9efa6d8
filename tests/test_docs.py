"""docs/conf.py: the gallery executes the examples whose imports are installed, and says which it could not run."""

import importlib.util
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

pytest.importorskip("sphinx_gallery", reason="the documentation needs the 'docs' extra")


def load_conf(monkeypatch, hidden=()):
    """The namespace of docs/conf.py, as if the modules ``hidden`` were not installed."""
    find_spec = importlib.util.find_spec

    def find_spec_without_hidden(name, *args):
        return None if name in hidden else find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec_without_hidden)
    return runpy.run_path(str(ROOT / "docs" / "conf.py"))


def executed(conf):
    """The names of the examples that sphinx-gallery will execute."""
    pattern = conf["sphinx_gallery_conf"]["filename_pattern"]
    return {path.name for path in EXAMPLES if re.search(pattern, str(path))}


def test_without_dask_the_scaling_out_example_is_shown_but_not_run(monkeypatch):
    conf = load_conf(monkeypatch, hidden={"distributed"})
    assert conf["NOT_EXECUTED"] == {"plot_scaling_out.py": ["distributed"]}
    assert executed(conf) == {path.name for path in EXAMPLES} - {"plot_scaling_out.py"}


def test_the_page_of_an_example_not_run_says_so_under_its_title(monkeypatch):
    conf = load_conf(monkeypatch, hidden={"distributed"})
    page = ".. _label:\n\n\nScaling out\n===========\n\nThe docstring.\n"
    source = [page]
    conf["_note_not_executed"](None, "auto_examples/plot_scaling_out", source)
    after_title = source[0].split("===========\n", 1)[1]
    assert after_title.index("This example was not run") < after_title.index("The docstring.")
    assert "``distributed`` was not installed" in after_title
    for docname in ("auto_examples/plot_red_blue_dots", "getting_started"):
        source = [page]
        conf["_note_not_executed"](None, docname, source)
        assert source == [page]


def test_with_every_extra_installed_every_example_runs(monkeypatch):
    pytest.importorskip("distributed", reason="needs the 'dask' extra")
    conf = load_conf(monkeypatch)
    assert conf["NOT_EXECUTED"] == {}
    assert executed(conf) == {path.name for path in EXAMPLES}
