"""The documentation: docs/conf.py (the gallery executes the examples whose imports are installed, and says which it
could not run), and the built pages as a reader sees them (header, sidebars, math, test names)."""

import importlib.util
import os
import re
import runpy
import subprocess
import sys
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


def test_without_the_onnx_extra_its_modules_are_mocked(monkeypatch):
    conf = load_conf(monkeypatch, hidden={"onnx", "skl2onnx", "onnxruntime"})
    assert conf["autodoc_mock_imports"] == ["onnx", "skl2onnx"]  # what sknotes/onnx.py imports (not onnxruntime)


def test_with_every_module_installed_nothing_is_mocked(monkeypatch):
    pytest.importorskip("skl2onnx", reason="needs the 'onnx' extra")
    assert load_conf(monkeypatch)["autodoc_mock_imports"] == []


def test_the_api_reference_imports_sknotes_onnx_without_the_onnx_extra():
    """What autosummary does for the API page, in a Python where the onnx extra's modules cannot be imported."""
    code = """
import importlib.util, runpy, sys
HIDDEN = {"onnx", "skl2onnx", "onnxruntime"}
class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, NotInstalled())
find_spec = importlib.util.find_spec
importlib.util.find_spec = lambda name, *args: None if name in HIDDEN else find_spec(name, *args)
try:
    import sknotes.onnx
except ImportError as exc:
    print("without stand-ins:", exc.__cause__.name)
conf = runpy.run_path("docs/conf.py")
from sphinx.ext.autodoc.mock import mock
with mock(conf["autodoc_mock_imports"]):
    import sknotes.onnx
print(sknotes.onnx.to_onnx.__doc__.splitlines()[0])
"""
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "without stand-ins: onnx",
        "Convert a fitted sknotes estimator, or a pipeline containing one, to an ONNX model.",
    ]


def test_install_commands_install_from_the_clone():
    """sknotes is on no package index: ``pip install "sknotes[onnx]"`` would fail (or install someone else's)."""
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst")), ROOT / "sknotes" / "onnx.py"]
    commands = [
        (path.name, command) for path in sources for command in re.findall(r"pip install [^`\n]*", path.read_text())
    ]
    assert len(commands) >= 10
    from_index = [(name, command) for name, command in commands if re.search(r"install +[\"']?sknotes\b", command)]
    assert from_index == []


def test_the_readme_grid_search_beats_the_defaults_by_the_numbers_it_states():
    readme = (ROOT / "README.md").read_text()
    code = readme.split("In your own code", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    namespace = {}
    exec(code, namespace)
    default, search = namespace["default"], namespace["search"]
    assert search.best_params_["linearregressorgd__weight_decay"] == 1e-4  # (both learning rates score alike)
    assert search.best_score_ > default + 0.3
    # the search's best fit is near its optimum: its score is stated to 2 decimals (a comment, the text); the default
    # fit is stopped by max_iter on its way to the overfit optimum, where rounding moves it: it is stated as a bound
    assert readme.count(f"R^2 {search.best_score_:.2f}") >= 1 and readme.count(f"to {search.best_score_:.2f}") >= 1
    assert default < 0.1 and "below 0.1" in readme


def test_the_performance_page_gives_its_results_as_a_table_not_a_log():
    page = (ROOT / "docs" / "performance.rst").read_text()
    defaults = page.split("Defaults end to end\n---", 1)[1].split("\n---", 1)[0]  # up to the next title's underline
    table = defaults.split(".. csv-table::", 1)[1].split("\n\n", 2)[1]
    assert len(table.splitlines()) == 42  # the 42 cases of benchmarks/defaults.py, one row each
    assert ".. code-block:: text" not in defaults  # (a preformatted table is cut off on a narrow screen)
    assert "Tried, measured and dropped" not in page


def test_no_page_keeps_an_unfilled_placeholder():
    """A line such as ``{table}`` is a template slot that was never filled (Sphinx prints it as text)."""
    sources = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.rst"))]
    slots = [f"{path.name}: {line.strip()}" for path in sources for line in path.read_text().splitlines()
             if re.fullmatch(r"\s*\{\w+\}\s*", line)]  # fmt: skip
    assert slots == []


# ---- the built pages (python -m sphinx -b html docs docs/_build/html, or $SKNOTES_DOCS_HTML) ---------------------

BUILD = Path(os.environ.get("SKNOTES_DOCS_HTML", ROOT / "docs" / "_build" / "html"))


@pytest.fixture(scope="module")
def page():
    """A function that parses one built page."""
    if not (BUILD / "index.html").is_file():
        pytest.skip(f"the documentation is not built in {BUILD}")
    bs4 = pytest.importorskip("bs4")
    return lambda name: bs4.BeautifulSoup((BUILD / name).read_text(encoding="utf-8"), "html.parser")


def top_level_pages():
    """The documents of the home page's toctree, in order."""
    toctree = (ROOT / "docs" / "index.rst").read_text().split(".. toctree::", 1)[1]
    return re.findall(r"^   ([\w/]+)$", toctree, re.M)


def test_the_header_links_every_top_level_page_with_none_under_more(page):
    header = page("index.html").select_one("header.bd-header")
    links = header.select("ul.navbar-nav > li.nav-item > a.nav-link")
    assert [link["href"].removesuffix(".html") for link in links] == top_level_pages()
    assert not header.select("ul.navbar-nav li.dropdown")  # the "More" menu


@pytest.mark.parametrize("name", ["getting_started.html", "notes_to_code.html", "performance.html", "search.html"])
def test_a_page_without_sub_pages_has_no_left_sidebar_on_a_wide_screen(page, name):
    sidebar = page(name).select_one("#pst-primary-sidebar")
    assert "hide-on-wide" in sidebar["class"]
    assert not sidebar.select("nav.bd-docs-nav")


@pytest.mark.parametrize("name", ["api.html", "auto_examples/index.html", "auto_examples/plot_red_blue_dots.html"])
def test_the_api_reference_and_the_gallery_keep_their_section_navigation(page, name):
    sidebar = page(name).select_one("#pst-primary-sidebar")
    assert "hide-on-wide" not in sidebar["class"]
    assert len(sidebar.select("nav.bd-docs-nav a")) >= 5


def test_math_is_typeset_by_the_mathjax_of_the_build(page):
    scripts = [  # (a rebuild over an old build adds Sphinx's cache-busting "?v=<checksum>")
        script["src"].split("?")[0]
        for script in page("notes_to_code.html").select("script[src]")
        if "mathjax" in script["src"]
    ]
    assert scripts == ["_static/mathjax/tex-chtml.js"]
    assert (BUILD / scripts[0]).is_file()


def test_the_performance_table_is_a_real_table(page):
    table = page("performance.html").select_one("table.sknotes-results")
    assert len(table.select("tbody tr")) == 42
    headers = [th.get_text(strip=True) for th in table.select("thead th")]
    assert headers[:2] == ["data, X", "sknotes / scikit-learn peer"]


def test_test_names_wrap_between_words_and_copy_whole(page):
    names = page("notes_to_code.html").select("code.sknotes-test")
    assert len(names) > 20
    first = names[0]
    assert first.get_text() == "tests/nn/test_losses.py::test_weighted_loss_matches_explicit_formula"
    assert len(first.select("wbr")) == first.get_text().count("_") + first.get_text().count("/") + 1
