"""Every notebook of the book, opened in JupyterLab with jupyterlab-myst, renders as MyST.

One JupyterLab page opens the notebooks one after another (``docmanager:open``),
waits until every markdown cell is rendered by the MyST renderer and the page stops
changing, and reads what the reader sees: the rendered markdown, with code removed.
It must hold no maths error (an undefined macro such as ``\\vb`` is one), no raw MyST
markup (``(label)=``, a role such as ``{eq}`...```, a directive fence, ``$$``), no
unknown directive but the book's own ``{identities}``, and no reference that is not
a label of the book and no citation that is not in ``book/references.bib``. Two things
JupyterLab cannot resolve, since jupyterlab-myst renders one notebook at a time and
reads no bibliography: a reference to a label in another notebook or page, and a
citation; both show as the label or key with a warning mark. One chapter is photographed, into
``_build/screenshots/``.
"""

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from PIL import Image

from .conftest import PAGES, ROOT

NOTEBOOKS = [str(p.relative_to(ROOT)) for p in
             sorted(ROOT.glob("derivations/*.ipynb")) + sorted(ROOT.glob("book/*.ipynb"))]
SCREENSHOT = "derivations/05_matrix_by_matrix.ipynb"
SHOTS = ROOT / "_build" / "screenshots"
# Sphinx extension of the book (book/_ext): rendered from the registry at build time,
# which JupyterLab cannot do; there it is a folded "Unknown Directive" box.
BUILD_TIME_DIRECTIVES = {"identities"}
# What jupyterlab-myst flags but cannot resolve in a single notebook (checked below to
# name a label or a key that the book does define).
UNRESOLVABLE = ("Cross Reference Not Found", "Citation Not Found")

RAW_MYST = {
    "label line": re.compile(r"(^|\n)\s*\([\w:.-]+\)=\s*(\n|$)"),
    "role": re.compile(r"\{[a-z]+(:[a-z]+)?\}`"),
    "directive fence": re.compile(r"(```|:::)\s*\{"),
    "directive option": re.compile(r"(^|\n)\s*:(label|class|nonumber|name):"),
    "raw TeX": re.compile(r"\$\$|\\begin\{|\\\(|\\\[|\\(vb|pd|T|R)\b"),
}

# Opens one notebook, waits for the MyST renderer, and reports what it shows.
OPEN_AND_READ = """async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.revealed;
  const expected = panel.content.model.cells.length;
  const markdown = () => Array.from(panel.node.querySelectorAll('.jp-MarkdownCell'));
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  let last = -1;
  for (let i = 0; i < 600; i++) {   // 60 s at most
    const cells = markdown();
    const done = panel.content.widgets.length === expected &&
                 cells.every(c => c.querySelector('.myst')) &&
                 cells.length === panel.content.widgets.filter(w => w.model.type === 'markdown').length;
    const size = panel.node.innerHTML.length;
    if (done && size === last) { break; }
    last = done ? size : -1;
    await sleep(done ? 250 : 100);
  }
  const cells = markdown().map(cell => {
    const view = cell.querySelector('.myst');
    const text = view ? (() => {
      const copy = view.cloneNode(true);
      copy.querySelectorAll('pre, code, .katex, script, style').forEach(e => e.remove());
      return copy.textContent;
    })() : null;
    const flagged = view ? Array.from(view.querySelectorAll('[title]'))
      .filter(e => /text-(yellow|red|orange)-/.test(e.getAttribute('class') || ''))
      .map(e => [e.getAttribute('title'), e.textContent.trim(),
                   e.parentElement.textContent.slice(0, 200)]) : [];
    const unknown = view ? Array.from(view.querySelectorAll('summary, div'))
      .filter(e => / - Unknown Directive$/.test(e.textContent.trim()) && !e.querySelector('div'))
      .map(e => e.textContent.trim().replace(/ - Unknown Directive$/, '')) : [];
    return {text, flagged, unknown,
            katex: view ? view.querySelectorAll('.katex').length : 0,
            katexErrors: view ? view.querySelectorAll('.katex-error').length : 0};
  });
  const outputs = panel.node.querySelectorAll('.jp-OutputArea');
  const mathjaxErrors = Array.from(panel.node.querySelectorAll(
      '.jp-OutputArea mjx-merror, .jp-OutputArea [data-mjx-error]')).map(e => e.textContent);
  const undefinedMacros = Array.from(panel.node.querySelectorAll('.jp-OutputArea mjx-mtext'))
      .filter(e => /red/.test(e.getAttribute('style') || '') || e.getAttribute('mathcolor') === 'red')
      .map(e => e.textContent);
  return {id: panel.id, cells, outputs: outputs.length, mathjaxErrors, undefinedMacros,
          codeCells: panel.content.widgets.filter(w => w.model.type === 'code').length};
}"""

CLOSE = """async (id) => {
  const panel = Array.from(window.jupyterapp.shell.widgets('main')).find(w => w.id === id);
  if (panel) { await panel.sessionContext.shutdown(); panel.dispose(); }
}"""


@lru_cache(maxsize=None)
def bib_keys():
    text = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\{([^,\s]+),", text, re.M))


@lru_cache(maxsize=None)
def book_labels():
    """Every label defined in the book's notebooks and pages: ``(x)=``, ``:label: x``, ``$$ (x)``."""
    labels = set()
    for path in sorted(ROOT.glob("derivations/*.ipynb")) + sorted(ROOT.glob("book/*.*")):
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        elif path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
        else:
            continue
        labels |= set(re.findall(r"^\(([^()\s]+)\)=\s*$", text, re.M))
        labels |= set(re.findall(r"^:label:\s*(\S+)", text, re.M))
        labels |= set(re.findall(r"\$\$\s*\(([^()\s]+)\)\s*$", text, re.M))
        if path.suffix == ".ipynb":  # figures: myst-nb reads their label from cell metadata
            labels |= {c["metadata"]["mystnb"]["figure"]["name"] for c in cells
                       if c["metadata"].get("mystnb", {}).get("figure", {}).get("name")}
    return labels


@pytest.fixture(scope="session")
def rendered(run_in_lab):
    """``{notebook: what JupyterLab shows}``; photographs SCREENSHOT on the way."""
    async def work(page, i):
        results = {}
        for path in NOTEBOOKS[i::PAGES]:
            result = await page.evaluate(OPEN_AND_READ, path)
            if path == SCREENSHOT:
                SHOTS.mkdir(parents=True, exist_ok=True)
                await page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
                await page.evaluate("""() => { const p = document.querySelector(
                    '.jp-NotebookPanel:not(.lm-mod-hidden) .myst-proof');
                    if (p) { p.scrollIntoView({block: 'center'}); } }""")
                await page.wait_for_timeout(300)
                await page.screenshot(path=str(SHOTS / "jupyterlab_05_matrix_by_matrix.png"))
            await page.evaluate(CLOSE, result["id"])
            results[path] = result
        return results

    return {path: result for part in run_in_lab(work) for path, result in part.items()}


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_renders_as_myst(rendered, path):
    result = rendered[path]
    cells = result["cells"]
    assert cells, f"{path}: no markdown cell rendered"
    unrendered = [i for i, c in enumerate(cells) if c["text"] is None]
    assert not unrendered, f"{path}: markdown cells {unrendered} not rendered by jupyterlab-myst"
    assert sum(c["katex"] for c in cells) > 0, f"{path}: no formula typeset"

    errors = [(i, title, text) for i, c in enumerate(cells) for title, text, _ in c["flagged"]
              if title not in UNRESOLVABLE]
    assert not errors, f"{path}: rendering errors (cell, message, source): {errors}"
    assert not any(c["katexErrors"] for c in cells), f"{path}: KaTeX errors"
    assert not result["mathjaxErrors"], f"{path}: MathJax errors in outputs: {result['mathjaxErrors']}"
    assert not result["undefinedMacros"], (
        f"{path}: undefined macros in outputs: {result['undefinedMacros']}")

    unknown = {d for c in cells for d in c["unknown"]} - BUILD_TIME_DIRECTIVES
    assert not unknown, f"{path}: directives jupyterlab-myst does not know: {sorted(unknown)}"

    known = {"Cross Reference Not Found": book_labels(), "Citation Not Found": bib_keys()}
    missing = sorted({(title, text, where) for c in cells for title, text, where in c["flagged"]
                      if title in known and text not in known[title]})
    assert not missing, f"{path}: references to labels or keys the book does not define: {missing}"

    raw = [(i, kind, c["text"][max(m.start() - 60, 0):m.end() + 20]) for i, c in enumerate(cells)
           for kind, pattern in RAW_MYST.items() for m in pattern.finditer(c["text"])]
    assert not raw, f"{path}: raw MyST markup shown (cell, kind, text): {raw[:10]}"


def test_screenshot_of_one_chapter(rendered):
    png = SHOTS / "jupyterlab_05_matrix_by_matrix.png"
    assert png.is_file() and png.stat().st_size > 10_000, f"no screenshot at {png}"
    with Image.open(png) as image:
        assert image.size == (1280, 1600), f"{png}: {image.size}"
        colours = image.convert("L").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 16, f"{png} looks blank"
