"""The PDF of the book (``make pdf``, ``_build/pdf/nnmath.pdf``), read back with poppler.

``pdftotext`` gives its text, ``pdfimages -list`` its images, ``pdfinfo`` its pages;
the LaTeX log of the build is read too. Every chapter title is in the text; the
theorems, exercises, solutions and numbered equations of the sources are all there;
every figure the notebooks hold is embedded; every cited work is in the bibliography;
no MyST or TeX markup is left raw; no character was dropped for want of a glyph.

``make pdf-test`` builds the PDF first and sets ``NNMATH_REQUIRE_PDF=1``, which turns
the skip for a missing PDF into a failure.
"""

import json
import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
PDF = Path(os.environ.get("NNMATH_PDF", ROOT / "_build" / "pdf" / "nnmath.pdf"))
LOG = ROOT / "_build" / "latex" / "nnmath.log"


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", ()):
        files += [c["file"] for c in part.get("chapters", ()) if "file" in c]
    return files


def source(docname):
    """The markdown of a page: a .md file, or the markdown cells of a notebook."""
    path = ROOT / f"{docname}.md"
    if path.exists():
        return path.read_text(encoding="utf-8")
    cells = json.loads((ROOT / f"{docname}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells
                       if c["cell_type"] == "markdown" and "remove-cell" not in
                       c["metadata"].get("tags", []))


def all_sources():
    return "\n\n".join(source(doc) for doc in toc_files())


def without_code_spans(text):
    """Markdown without ``double-backtick`` spans (role syntax shown as an example)."""
    # exactly two backticks on each side, within a line (a ``` fence is not a span)
    return re.sub(r"(?<!`)``(?!`)[^\n]+?(?<!`)``(?!`)", "", text)


def normalise(text):
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = text.replace("\u2010", "-").replace("\u2011", "-").replace("\ufb01", "fi")
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=None)
def pdf_text():
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="session")
def pdf():
    if not PDF.exists():
        message = f"no PDF at {PDF}: run `make pdf` first"
        if os.environ.get("NNMATH_REQUIRE_PDF") == "1":
            pytest.fail(message)
        pytest.skip(message)
    missing = [tool for tool in ("pdftotext", "pdfimages", "pdfinfo") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"{missing} not found: install Debian's poppler-utils (make pdf does)")
    return PDF


def test_page_count_is_sane(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    chapters = len(toc_files())
    assert 5 * chapters <= pages <= 40 * chapters, f"{pages} pages for {chapters} pages of the toc"


@pytest.mark.parametrize("docname", toc_files()[1:])  # the root page is the title page
def test_chapter_title_is_in_the_text(pdf, docname):
    title = re.search(r"^# (.+)$", source(docname), re.M).group(1)
    text = normalise(pdf_text())
    # maths in a title comes out as math-italic letters: look for the words around it
    for words in re.split(r"\$[^$]*\$", title):
        words = normalise(words)
        if words:
            assert words in text, f"{docname}: title words {words!r} not in the PDF"


def test_no_raw_markup(pdf):
    """No MyST or TeX left as text; role syntax shown on purpose in inline code is allowed."""
    text = pdf_text()
    literals = {m.group(2) for m in re.finditer(r"(`+)(.+?)\1", all_sources(), re.S)}
    patterns = {
        "label line": r"(?m)^\([a-z][\w:.-]*\)=$",
        "role": r"\{(eq|ref|numref|doc|cite(:[a-z]+)?|prf:[a-z]+|index|term)\}`[^`\n]*`?",
        "directive fence": r"(```|:::)\s*\{",
        "directive option": r"(?m)^:(label|class|nonumber|name):",
        "display maths": r"\$\$",
        "TeX environment": r"\\begin\{",
        "macro frontmatter": r"(?m)The book's LaTeX macros|^math:$",
    }
    raw = [(kind, m.group(0)) for kind, pattern in patterns.items()
           for m in re.finditer(pattern, text)
           if not any(m.group(0) in literal for literal in literals)]
    assert not raw, f"raw markup in the PDF: {raw[:10]}"


def test_theorems_exercises_and_solutions(pdf):
    sources, text = all_sources(), pdf_text()
    for directive, pattern in (("prf:theorem", r"Theorem (\d+(?:\.\d+)+) \("),
                               ("exercise", r"(?m)^Exercise (\d+(?:\.\d+)+)$"),
                               ("solution", r"Solution to Exercise (\d+(?:\.\d+)+)")):
        expected = len(re.findall(r"```\{" + re.escape(directive) + r"\}", sources))
        found = set(re.findall(pattern, text))
        assert len(found) >= expected, (
            f"{directive}: {expected} in the sources, {len(found)} numbered in the PDF")
    assert len(re.findall(r"(?m)^Proof\.", text)) >= len(re.findall(r"```\{prf:proof\}", sources))


def test_equations_are_numbered(pdf):
    labelled = len(re.findall(r"\$\$\s*\([^()\s]+\)\s*$", all_sources(), re.M))
    numbers = set(re.findall(r"\((\d+\.\d+)\)", pdf_text()))
    assert len(numbers) >= labelled, f"{labelled} labelled equations, {len(numbers)} numbers"


def test_every_figure_is_embedded(pdf):
    figures = 0
    for docname in toc_files():
        path = ROOT / f"{docname}.ipynb"
        if path.exists():
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            figures += sum("image/png" in out.get("data", {})
                           for c in cells for out in c.get("outputs", ()))
        else:
            figures += len(re.findall(r"```\{figure\}|!\[", source(docname)))
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True,
                             text=True, check=True).stdout.splitlines()[2:]
    images = [row for row in listing if row.split()[2] == "image"]
    assert figures > 0 and len(images) >= figures, f"{figures} figures, {len(images)} images"


def test_cited_works_are_in_the_bibliography(pdf):
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    entries = {m.group(1): m.group(2) for m in re.finditer(
        r"@\w+\{([^,\s]+),.*?\btitle\s*=\s*[{\"](.+?)[}\"],?\s*\n", bib, re.S)}
    cited = set()
    for m in re.finditer(r"\{cite(?::[a-z]+)?\}`([^`]+)`", without_code_spans(all_sources())):
        cited |= {key.strip() for key in m.group(1).split(",")}
    assert cited, "no citation in the sources"
    text = normalise(pdf_text()).lower()
    for key in sorted(cited):
        words = normalise(re.sub(r"[{}\\]", "", entries[key]))[:40].lower()
        assert words in text, f"{key}: {words!r} not in the PDF"


def test_latex_log_is_clean(pdf):
    log = LOG.read_text(encoding="utf-8", errors="replace")
    assert not re.findall(r"(?m)^! ", log), "LaTeX errors in " + str(LOG)
    missing = sorted(set(re.findall(r"Missing character: There is no (\S+)", log)))
    assert not missing, f"characters without a glyph, dropped from the PDF: {missing}"
