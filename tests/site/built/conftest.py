"""Shared fixtures for the tests of the built book (``make test`` runs them after the build).

The book is looked for in ``$NNMATH_HTML`` (default ``_build/html``). Without a
build these tests are skipped with a message saying so; ``make test`` sets
``NNMATH_REQUIRE_BUILD=1``, which turns that skip into a failure.
"""

import os
from functools import lru_cache
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[3]
HTML = Path(os.environ.get("NNMATH_HTML", ROOT / "_build" / "html")).resolve()


def toc_pages():
    """``(docname, numbered)`` for every page of ``_toc.yml``, in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [(toc["root"], False)]

    def walk(entries, numbered):
        for entry in entries or ():
            if "file" in entry:
                pages.append((str(Path(entry["file"]).with_suffix("")), numbered))
            walk(entry.get("sections"), numbered)

    for part in toc.get("parts", ()):
        walk(part.get("chapters"), bool(part.get("numbered", False)))
    walk(toc.get("chapters"), bool(toc.get("numbered", False)))
    return pages


PAGES = [doc for doc, _ in toc_pages()]
CHAPTERS = [doc for doc, numbered in toc_pages() if numbered]


@pytest.fixture(scope="session")
def html_dir():
    if not (HTML / "index.html").exists():
        message = (f"no built book at {HTML}: run `make book` first "
                   "(or point NNMATH_HTML at a build)")
        if os.environ.get("NNMATH_REQUIRE_BUILD") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return HTML


@lru_cache(maxsize=None)
def _parse(path):
    return BeautifulSoup(Path(path).read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="session")
def soup(html_dir):
    """``soup(docname)``: the parsed HTML of a page (cached)."""
    def get(docname):
        path = html_dir / f"{docname}.html"
        assert path.exists(), f"{docname}: {path} was not built"
        return _parse(str(path))
    return get
