"""The book's LaTeX macros have one source, _config.yml, and every notebook carries a copy.

MathJax (the HTML book) reads ``mathjax3_config`` in _config.yml; the PDF gets
``\\newcommand``s made from it (book/_ext/latex_macros.py); JupyterLab's MyST renderer
reads the frontmatter of each notebook's first cell, which ``make macros``
(.ci/sync_macros.py) writes. These tests fail while any copy differs.
"""

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("sync_macros", ROOT / ".ci" / "sync_macros.py")
sync_macros = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sync_macros)

NOTEBOOKS = sync_macros.notebooks()
MACROS = sync_macros.config_macros()


def frontmatter(cell):
    source = cell.source
    assert source.startswith("---\n") and source.endswith("\n---"), "not a frontmatter block"
    return yaml.safe_load(source[4:-4])


def test_config_defines_the_book_macros():
    assert {"R", "vb", "T", "diag", "tr", "pd"} <= set(MACROS)
    assert MACROS["vb"][1] == 1 and MACROS["pd"][1] == 2


def test_every_notebook_is_covered():
    assert len(NOTEBOOKS) >= 14
    assert {p.parent.name for p in NOTEBOOKS} == {"derivations", "book"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_the_config_macros(path):
    nb = nbformat.read(path, as_version=4)
    first = nb.cells[0]
    hint = f"{path.name}: run `make macros`"
    assert first.get("id") == sync_macros.CELL_ID and first.cell_type == "markdown", (
        f"{hint} (the first cell is not the macro cell)")
    # Jupyter Book leaves the cell out of the HTML and the PDF
    assert "remove-cell" in first.metadata.get("tags", []), hint
    math = frontmatter(first)["math"]
    expected = {"\\" + name: body for name, (body, _) in MACROS.items()}
    assert math == expected, f"{hint}: the macros differ from _config.yml"
    # KaTeX takes the number of arguments from the highest #n in the body
    for name, (body, nargs) in MACROS.items():
        used = [n for n in range(1, 10) if f"#{n}" in body]
        assert max(used, default=0) == nargs, f"\\{name}: {nargs} arguments, body uses {used}"
    assert sum(sync_macros.is_macro_cell(c) for c in nb.cells) == 1, f"{hint}: two macro cells"


def test_sync_detects_a_changed_macro(tmp_path):
    """The check can fail: a notebook written with other macros is reported stale."""
    path = tmp_path / "nb.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    nbformat.write(nb, path)
    assert sync_macros.sync(path, MACROS) is True          # inserted
    assert sync_macros.sync(path, MACROS) is False         # idempotent
    changed = {**MACROS, "R": ("\\mathbf{R}", 0)}
    assert sync_macros.sync(path, changed, write=False) is True
    assert sync_macros.main(["--check", str(path)]) == 0
    sync_macros.sync(path, changed)
    assert sync_macros.main(["--check", str(path)]) == 1
    cells = nbformat.read(path, as_version=4).cells
    assert [c.cell_type for c in cells] == ["markdown", "markdown"]
    assert cells[1].source == "# Title"
