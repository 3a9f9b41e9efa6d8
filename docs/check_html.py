"""Check the built HTML documentation as a reader's browser will load it, offline.

Every local link, anchor, image, script and stylesheet of every page (every ``.html`` file outside ``_static/``,
whose HTML files are the theme's templates) must exist (and so must the files that a
local stylesheet points to with ``url(...)``), and no page or stylesheet may load anything from another site: no
CDN, so the pages work without a network. Links to other sites (``<a href="https://...">``) are not followed.

Usage::

    python docs/check_html.py docs/_build/html

It prints one line per problem and exits with status 1 if there is any; otherwise it prints what it checked.
Standard library only.
"""

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

#: The attribute of each tag that names another file.
REFERENCE_ATTRIBUTES = {"a": "href", "link": "href", "img": "src", "script": "src", "iframe": "src", "source": "src"}

#: The ``rel`` values of a ``<link>`` whose target the browser loads with the page.
LOADED_LINK_RELS = {"stylesheet", "preload", "modulepreload", "prefetch", "icon", "shortcut", "manifest"}

#: Schemes that name no file: nothing to check.
NOT_FILES = {"mailto", "javascript", "data", "tel"}

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


class _PageParser(HTMLParser):
    """Collects the anchors of a page (``id``, and ``name`` of ``<a>``) and its references to other files."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.anchors = set()
        self.references = []  # (tag, target, loaded by the browser with the page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.anchors.update(value for key, value in attrs.items() if key == "id" or (key == "name" and tag == "a"))
        target = attrs.get(REFERENCE_ATTRIBUTES.get(tag, ""))
        if target is not None:
            rels = set((attrs.get("rel") or "").lower().split())
            loaded = tag != "a" and (tag != "link" or bool(rels & LOADED_LINK_RELS))
            self.references.append((tag, target.strip(), loaded))


def parse_page(path):
    """The anchors of the HTML page at ``path``, and its references as (tag, target, loaded) tuples."""
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser.anchors, parser.references


def _is_external(target):
    return bool(urlsplit(target).netloc)


def _local_file(source, target):
    """The file that ``target`` (a relative or root-relative URL in the file ``source``) names, or None if it only
    names a spot in ``source`` itself."""
    path = unquote(urlsplit(target).path)
    if not path:
        return None
    resolved = (source.parent / path).resolve()
    return resolved / "index.html" if path.endswith("/") or resolved.is_dir() else resolved


def check_css(path):
    """Problems of one stylesheet: ``url(...)`` and ``@import`` targets that are missing or on another site."""
    problems = []
    for match in _CSS_URL.finditer(path.read_text(encoding="utf-8", errors="replace")):
        target = (match.group(2) or match.group(4)).strip()
        if urlsplit(target).scheme in NOT_FILES or target.startswith("#"):
            continue
        if _is_external(target):
            problems.append(f"{path}: loads {target} from another site")
        elif not _local_file(path, target).is_file():
            problems.append(f"{path}: url({target}) is missing")
    return problems


class Site:
    """The built documentation under ``root``: its pages, parsed once each."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        self._pages = {}

    def page(self, path):
        if path not in self._pages:
            self._pages[path] = parse_page(path)
        return self._pages[path]

    def check_reference(self, source, tag, target, loaded):
        """The problem with one reference of the page ``source``, or None."""
        split = urlsplit(target)
        if split.scheme in NOT_FILES:
            return None
        if _is_external(target):
            return f"<{tag}> loads {target} from another site" if loaded else None
        file = _local_file(source, target) or source
        if not file.is_file():
            return f"<{tag}> {target}: no such file"
        if split.fragment and file.suffix == ".html" and unquote(split.fragment) not in self.page(file)[0]:
            return f"<{tag}> {target}: no anchor #{split.fragment}"
        return None

    def check(self):
        """Every problem of the site, and the numbers of pages, references and stylesheets checked."""
        problems, n_references, stylesheets = [], 0, set()
        pages = sorted(path for path in self.root.rglob("*.html") if "_static" not in path.relative_to(self.root).parts)
        for source in pages:
            for tag, target, loaded in self.page(source)[1]:
                n_references += 1
                problem = self.check_reference(source, tag, target, loaded)
                if problem:
                    problems.append(f"{source.relative_to(self.root)}: {problem}")
                elif tag == "link" and loaded and not _is_external(target) and target.split("?")[0].endswith(".css"):
                    stylesheets.add(_local_file(source, target))
        for stylesheet in sorted(stylesheets):
            problems.extend(check_css(stylesheet))
        return problems, len(pages), n_references, len(stylesheets)


def main(argv=None):
    """Check the site named on the command line; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not (Path(argv[0]) / "index.html").is_file():
        print("usage: python docs/check_html.py BUILD_DIR  (the folder holding index.html)", file=sys.stderr)
        return 2
    problems, n_pages, n_references, n_stylesheets = Site(argv[0]).check()
    for problem in problems:
        print(problem)
    print(
        f"{len(problems)} problem(s) in {n_pages} pages, {n_references} links and assets, {n_stylesheets} stylesheets"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
