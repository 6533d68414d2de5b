"""Copy the book's LaTeX macros from _config.yml into every notebook.

The one source of truth is ``sphinx.config.mathjax3_config.tex.macros`` in
``_config.yml``: MathJax reads it in the HTML book, and ``book/_ext/latex_macros.py``
turns it into ``\\newcommand``s for the PDF. JupyterLab's MyST renderer
(jupyterlab-myst, KaTeX) reads neither; it takes macros only from MyST frontmatter,
``math:`` in a YAML block that opens the notebook's first markdown cell. So each
notebook starts with such a cell, written here, tagged ``remove-cell`` so that
Jupyter Book (which parses notebook cells without frontmatter) leaves it out of
the HTML and the PDF.

    python .ci/sync_macros.py            # write the cell into every notebook
    python .ci/sync_macros.py --check    # exit 1 and name the notebooks out of date
    python .ci/sync_macros.py derivations/05_matrix_by_matrix.ipynb

``tests/book/test_macros.py`` fails while any notebook's cell differs from _config.yml.
"""

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CELL_ID = "nnmath-macros"
TAG = "remove-cell"
NOTEBOOK_GLOBS = ("derivations/*.ipynb", "book/*.ipynb")


def config_macros(config=ROOT / "_config.yml"):
    """``{name: (body, number of arguments)}`` from the MathJax configuration."""
    data = yaml.safe_load(Path(config).read_text(encoding="utf-8"))
    macros = data["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    out = {}
    for name, value in macros.items():
        body, nargs = (value, 0) if isinstance(value, str) else (value[0], int(value[1]))
        out[name] = (body, nargs)
    return out


def cell_source(macros):
    """The frontmatter block: ``math:`` maps ``\\name`` to its body (KaTeX counts ``#n``)."""
    lines = ["---",
             "# The book's LaTeX macros, for JupyterLab (jupyterlab-myst). Generated from",
             "# _config.yml by .ci/sync_macros.py: edit them there, then run `make macros`.",
             "math:"]
    for name, (body, _) in macros.items():
        key = yaml.safe_dump("\\" + name, default_style="'").strip()
        value = yaml.safe_dump(body, default_style="'", width=1000).strip()
        lines.append(f"  {key}: {value}")
    lines.append("---")
    return "\n".join(lines)


def macro_cell(macros):
    cell = nbformat.v4.new_markdown_cell(cell_source(macros), metadata={"tags": [TAG]})
    cell["id"] = CELL_ID
    return cell


def notebooks():
    return sorted(p for pattern in NOTEBOOK_GLOBS for p in ROOT.glob(pattern))


def is_macro_cell(cell):
    return cell.get("id") == CELL_ID


def sync(path, macros, write=True):
    """Put the macro cell first in the notebook at ``path``; True if it changed."""
    nb = nbformat.read(path, as_version=4)
    wanted = macro_cell(macros)
    rest = [c for c in nb.cells if not is_macro_cell(c)]
    if nb.cells and nb.cells[0] == wanted and len(rest) == len(nb.cells) - 1:
        return False
    nb.cells = [wanted] + rest
    if write:
        nbformat.write(nb, path)
    return True


def main(argv):
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or notebooks()
    macros = config_macros()
    stale = [p for p in paths if sync(p, macros, write=not check)]
    for p in stale:
        name = p.relative_to(ROOT) if p.is_relative_to(ROOT) else p
        print(f"{name}: macro cell {'out of date' if check else 'updated'}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
