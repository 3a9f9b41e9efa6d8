"""docs/check_html.py: the check of the built documentation's links and assets (standard library only)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / "docs" / "check_html.py"


@pytest.fixture(scope="module")
def check_html():
    spec = importlib.util.spec_from_file_location("check_html", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


GOOD_SITE = {
    "index.html": """<html><head>
        <link rel="stylesheet" href="_static/site.css?digest=abc">
        <script src="_static/site.js"></script>
        <link rel="canonical" href="https://example.org/docs/">
        </head><body>
        <a href="guide/page.html#install">install</a> <a href="#top" id="top">top</a> <a href="guide/">guide</a>
        <a href="https://example.org/elsewhere">another site</a> <a href="mailto:someone@example.org">mail</a>
        <img src="_images/plot%20one.png"> <img src="data:image/png;base64,AAAA">
        </body></html>""",
    "guide/index.html": "<html><body><a href='../index.html'>home</a></body></html>",
    "guide/page.html": "<html><body><h2 id='install'>Install</h2><a name='old-anchor'></a></body></html>",
    "_static/site.css": "body { background: url('../_images/plot%20one.png'); } .x { background: url(data:,) }",
    "_static/site.js": "",
    "_static/template.html": "<link href=\"{{ pathto('missing.css', 1) }}\" rel='stylesheet'>",
    "_images/plot one.png": "",
}


def test_a_site_whose_links_and_assets_all_exist_passes(check_html, tmp_path, capsys):
    root = write(tmp_path, GOOD_SITE)
    problems, n_pages, n_references, n_stylesheets = check_html.Site(root).check()
    assert problems == []
    assert (n_pages, n_stylesheets) == (3, 1)  # the theme's templates in _static/ are not pages
    assert check_html.main([str(root)]) == 0
    assert capsys.readouterr().out.startswith("0 problem(s) in 3 pages")


@pytest.mark.parametrize(
    "html, problem",
    [
        ('<a href="missing.html">', "<a> missing.html: no such file"),
        ('<a href="guide/page.html#uninstall">', "<a> guide/page.html#uninstall: no anchor #uninstall"),
        ('<a href="#nowhere">', "<a> #nowhere: no anchor #nowhere"),
        ('<img src="_images/missing.png">', "<img> _images/missing.png: no such file"),
        ('<script src="_static/missing.js"></script>', "<script> _static/missing.js: no such file"),
        ('<link rel="stylesheet" href="_static/missing.css">', "<link> _static/missing.css: no such file"),
        (
            '<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
            "<script> loads https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js from another site",
        ),
        ('<script src="//cdn.example.org/x.js"></script>', "<script> loads //cdn.example.org/x.js from another site"),
        (
            '<link rel="stylesheet" href="https://fonts.example.org/font.css">',
            "<link> loads https://fonts.example.org/font.css from another site",
        ),
        ('<img src="http://example.org/badge.svg">', "<img> loads http://example.org/badge.svg from another site"),
    ],
)
def test_each_broken_reference_is_reported_with_its_page(check_html, tmp_path, html, problem, capsys):
    root = write(tmp_path, {**GOOD_SITE, "bad.html": f"<html><body>{html}</body></html>"})
    problems, *_ = check_html.Site(root).check()
    assert problems == [f"bad.html: {problem}"]
    assert check_html.main([str(root)]) == 1
    assert f"bad.html: {problem}" in capsys.readouterr().out


def test_a_stylesheet_that_imports_from_another_site_or_points_at_a_missing_file_is_reported(check_html, tmp_path):
    css = "@import 'https://fonts.example.org/font.css'; .icon { background: url(../fonts/missing.woff2) }"
    root = write(tmp_path, {**GOOD_SITE, "_static/site.css": css})
    problems, *_ = check_html.Site(root).check()
    stylesheet = root / "_static" / "site.css"
    assert problems == [
        f"{stylesheet}: loads https://fonts.example.org/font.css from another site",
        f"{stylesheet}: url(../fonts/missing.woff2) is missing",
    ]


def test_usage_without_a_built_site(check_html, tmp_path, capsys):
    assert check_html.main([str(tmp_path)]) == 2
    assert "usage" in capsys.readouterr().err
