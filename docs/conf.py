"""Sphinx configuration: numpydoc API pages, the sphinx-gallery examples (executed), pydata theme.

Build with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import ast
import importlib.util
import re
from pathlib import Path

from docutils import nodes

import sknotes

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
EXAMPLES = sorted((ROOT / "examples").glob("plot_*.py"))

project = "sknotes"
author = "the sknotes developers"
copyright = "the sknotes developers"
version = release = sknotes.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # serves MathJax from the build's _static/mathjax: formulas render with no network
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_title = f"sknotes {release}"
html_static_path = ["_static"]
html_css_files = ["sknotes.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 8,  # every page of the top-level toctree in the header, none under "More"
    "navbar_align": "left",  # the links next to the title, and a search button: room for them in one row
    "navbar_persistent": ["search-button"],
    # the right sidebar: this page's sections and its source. The home page has no sections; an example's few are
    # the gallery's business, and its code wants the width (page names, since two wildcard patterns may not overlap)
    "secondary_sidebar_items": {
        "**": ["page-toc", "sourcelink"],
        "index": [],
        **{f"auto_examples/{script.stem}": [] for script in EXAMPLES},
    },
}
# The left sidebar ("Section Navigation") lists a page's sub-pages. Only the pages with a toctree have any (the API
# reference; the gallery's pages are generated): leave the sidebar out of the others, and give their content its width.
_PAGES_WITHOUT_SUB_PAGES = sorted(page.stem for page in DOCS.glob("*.rst") if "toctree" not in page.read_text())
html_sidebars = {name: [] for name in [*_PAGES_WITHOUT_SUB_PAGES, "search", "genindex", "py-modindex"]}

toc_object_entries_show_parents = "hide"  # "fit()", not "MLPFromScratch.fit()", in a class page's contents

autosummary_generate = True
autodoc_default_options = {"member-order": "groupwise"}
numpydoc_show_class_members = False  # the class template lists the methods itself
numpydoc_xref_param_type = False

# Every reference to an sknotes object must resolve; references to other projects (scikit-learn, NumPy)
# are plain text here, since the build has no network for intersphinx.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!sknotes\b).*")]
nitpick_ignore = [("py:mod", "sknotes._training")]  # the private training loop, named in sknotes.nn's docstring


def _missing_modules(script):
    """The top-level modules that ``script`` imports (absolute imports) and this Python cannot find, sorted."""
    imported = set()
    for node in ast.walk(ast.parse(script.read_text())):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            imported.add(node.module)
    top_level = {name.split(".")[0] for name in imported}
    return sorted(name for name in top_level if importlib.util.find_spec(name) is None)


#: The modules that sknotes imports from an optional extra and this Python lacks (skl2onnx, onnx without the ``onnx``
#: extra): autodoc and autosummary import stand-ins for them, so the API reference of a module that needs an extra,
#: such as ``sknotes.onnx``, builds with the ``docs`` extra alone. Its docstrings are all the pages use of it.
autodoc_mock_imports = sorted({name for path in (ROOT / "sknotes").rglob("*.py") for name in _missing_modules(path)})

#: Examples that cannot run here (say, plot_scaling_out.py without the ``dask`` extra), with what they miss: the
#: gallery shows their code without executing them, and a note on their page says so.
NOT_EXECUTED = {script.name: missing for script in EXAMPLES if (missing := _missing_modules(script))}


def _filename_pattern(examples, not_executed):
    """sphinx-gallery's ``filename_pattern``: a regular expression matching the paths of the examples to execute."""
    names = [script.name for script in examples if script.name not in not_executed]
    return "(" + "|".join(re.escape("/" + name) for name in names) + ")$" if names else "$^"


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": _filename_pattern(EXAMPLES, NOT_EXECUTED),
    "doc_module": ("sknotes",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sknotes": None},
    "min_reported_time": 1,
    "remove_config_comments": True,
    "write_computation_times": False,  # its pages load jQuery and DataTables from CDNs: the docs must work offline
}


def _test_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """``:test:`tests/nn/test_losses.py::test_name``` -- a test, checked to exist when the docs are built."""
    path, _, function = text.partition("::")
    source = ROOT / path
    problems = []
    if not source.is_file():
        problems.append(f"no test file {path}")
    elif function and not re.search(rf"^\s*def {re.escape(function.split('[')[0])}\(", source.read_text(), re.M):
        problems.append(f"no test function {function} in {path}")
    messages = [inliner.reporter.warning(problem, line=lineno) for problem in problems]
    return [_breakable_literal(rawtext, text, classes=["sknotes-test"])], messages


_BREAK_AFTER = re.compile(r"(?<=::)|(?<=[/_])(?!$)")


def _breakable_literal(rawtext, text, classes):
    """A literal that a narrow table column may wrap after ``/``, ``::`` or ``_`` (an HTML ``<wbr>``, which copies
    as nothing): ``tests/nn/test_losses.py::test_weighted_loss`` rather than a break every few characters."""
    literal = nodes.literal(rawtext, "", classes=classes)
    for k, piece in enumerate(_BREAK_AFTER.split(text)):
        if k:
            literal += nodes.raw("", "<wbr>", format="html")
        literal += nodes.Text(piece)
    return literal


_SKLEARN_ROLE = re.compile(r":(?:ref|term):`([^`<]*?)\s*(?:<[^>]*>)?`")


def _plain_sklearn_roles(app, what, name, obj, options, lines):
    """Methods inherited from scikit-learn (``score``, ``set_fit_request``, ...) link to labels and glossary
    terms of scikit-learn's own documentation, which this build cannot reach: keep their text, drop the link."""
    if getattr(obj, "__module__", "").startswith("sklearn"):
        lines[:] = [_SKLEARN_ROLE.sub(r"``\1``", line) for line in lines]


_TITLE_UNDERLINE = re.compile(r"^=+\n", re.M)


def _note_not_executed(app, docname, source):
    """On the page of an example that was not executed, say so under its title, and what it needed."""
    folder, _, name = docname.partition("/")
    missing = NOT_EXECUTED.get(name + ".py") if folder == sphinx_gallery_conf["gallery_dirs"] else None
    if missing:
        modules = ", ".join(f"``{module}``" for module in missing)
        verb = "was" if len(missing) == 1 else "were"
        note = (
            f"\n.. note::\n\n   This example was not run when these pages were built, since {modules} {verb} "
            "not installed: its code is shown without its output and figures.\n"
        )
        source[0] = _TITLE_UNDERLINE.sub(lambda match: match.group(0) + note, source[0], count=1)


def setup(app):
    app.add_role("test", _test_role)
    app.connect("autodoc-process-docstring", _plain_sklearn_roles)
    app.connect("source-read", _note_not_executed)
