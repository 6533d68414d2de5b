"""The notebooks' macro cell (for JupyterLab; see .ci/sync_macros.py) stays out of the book."""

import pytest

from .conftest import PAGES


@pytest.mark.parametrize("docname", [d for d in PAGES if d.startswith("derivations/")
                                     or d == "book/experiments"])
def test_macro_frontmatter_is_not_rendered(soup, docname):
    text = soup(docname).find("article").get_text()
    assert "The book's LaTeX macros" not in text and "math:" not in text, (
        f"{docname}: the notebook's macro cell shows in the book")
