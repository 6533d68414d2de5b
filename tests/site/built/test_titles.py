"""Browser tab titles and the search index read as text: no raw TeX in either.

A ``$L$`` in a heading is typeset in the page body, but the ``<title>`` of the
page (the browser tab) and the search index store the heading as plain text,
where it would show as ``\\(L\\)`` or ``3\\sin(20x)``.
"""

import json
import re

import pytest

from .conftest import PAGES

# TeX that plain text must not contain: math delimiters and control words.
RAW_TEX = re.compile(r"\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]+")


def _search_index(html_dir):
    text = (html_dir / "searchindex.js").read_text(encoding="utf-8")
    match = re.search(r"Search\.setIndex\((.*)\)\s*;?\s*$", text, flags=re.DOTALL)
    assert match, "searchindex.js: no Search.setIndex(...) call"
    return json.loads(match.group(1))


@pytest.mark.parametrize("docname", PAGES)
def test_browser_tab_title_has_no_raw_tex(soup, docname):
    title = soup(docname).title
    assert title is not None, f"{docname}: no <title>"
    text = title.get_text()
    assert not RAW_TEX.search(text), f"{docname}: raw TeX in the tab title {text!r}"


def test_search_index_titles_have_no_raw_tex(html_dir):
    index = _search_index(html_dir)
    titles = list(index.get("titles", []))
    titles += list(index.get("alltitles", {}))           # every section title
    assert titles, "searchindex.js lists no titles"
    offenders = [t for t in titles if RAW_TEX.search(t)]
    assert not offenders, f"raw TeX in search-index titles: {offenders}"


def test_the_tex_pattern_catches_what_it_must():
    """The check above can fail: it flags the titles that used to be in the index."""
    for bad in ("Backpropagation through \\(L\\) layers", "Fitting 3\\sin(20x)",
                "What the $\\tfrac12$ changes"):
        assert RAW_TEX.search(bad)
    assert not RAW_TEX.search("Backpropagation through a chain of layers")
