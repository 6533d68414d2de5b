"""The built HTML: every page there, math typeset-ready, no errors, nothing remote.

Reads ``_build/html`` (or ``$NNMATH_HTML``) with BeautifulSoup; ``make test``
runs this right after the strict build. What a browser makes of the pages is
checked in ``test_browser.py``.
"""

import re
from urllib.parse import unquote, urldefrag, urlparse

import pytest

from nnmath.book.identities import REGISTRY

from .conftest import CHAPTERS, PAGES, ROOT, toc_pages

REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
CSS_REMOTE = re.compile(r"(@import\s+|url\(\s*)['\"]?(https?:)?//", re.IGNORECASE)
# Text that only a parser left untouched would show: display math delimiters and
# the inline delimiters MathJax looks for.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\\begin\{")
NOT_TEXT = {"script", "style", "pre", "code", "textarea", "kbd"}


def _is_internal(href):
    return bool(href) and not REMOTE.match(href) and not href.startswith(
        ("mailto:", "javascript:", "data:", "#"))


def _resolve(html_dir, docname, href):
    """File and fragment an internal ``href`` on page ``docname`` points at."""
    url, fragment = urldefrag(href)
    path = unquote(urlparse(url).path)
    target = (html_dir / docname).parent / path if path else html_dir / f"{docname}.html"
    return target.resolve(), fragment


# -- the table of contents and the sources agree --------------------------------

def test_toc_has_no_duplicates():
    assert len(PAGES) == len(set(PAGES)), f"a page is listed twice in _toc.yml: {PAGES}"


def test_no_orphan_sources():
    """Every page source in book/ and derivations/ is in _toc.yml (nothing is left out)."""
    sources = {str(p.relative_to(ROOT).with_suffix(""))
               for folder in ("book", "derivations")
               for p in (ROOT / folder).iterdir()
               if p.suffix in {".md", ".ipynb"}}
    assert sources - set(PAGES) == set(), "sources missing from _toc.yml"
    assert set(PAGES) - sources == set(), "_toc.yml lists pages without a source"


# -- each page -------------------------------------------------------------------

@pytest.mark.parametrize("docname", PAGES)
def test_page_was_built(html_dir, docname):
    assert (html_dir / f"{docname}.html").is_file()


@pytest.mark.parametrize("docname", CHAPTERS)
def test_chapter_has_math_markup(soup, docname):
    math = soup(docname).select("span.math, div.math")
    assert math, f"{docname}: no span.math / div.math: was the math parsed?"


@pytest.mark.parametrize("docname", PAGES)
def test_no_raw_tex_outside_math(soup, docname):
    """``$$``, ``\\(`` or ``\\begin{`` in plain text means math went unparsed."""
    page = soup(docname).body
    offenders = [f"navigation: {a.get_text().strip()}"
                 for a in page.select("nav a, .bd-toc a") if "$" in a.get_text()]
    for text in page.find_all(string=RAW_TEX):
        parents = {p.name for p in text.parents}
        classes = {c for p in text.parents for c in (p.get("class") or ())}
        if parents & NOT_TEXT or "math" in classes:
            continue
        offenders.append(text.strip()[:80])
    assert not offenders, f"{docname}: unrendered TeX in text: {offenders}"


@pytest.mark.parametrize("docname", PAGES)
def test_no_error_output(soup, docname):
    page = soup(docname)
    bad = page.select(".output.traceback, .output.error, .output.stderr, "
                      ".system-message, .problematic")
    assert not bad, f"{docname}: error output or docutils problem: {bad[0].get_text()[:300]}"
    text = page.get_text()
    for marker in ("Traceback (most recent call last)", "ansi-red-intense-fg"):
        assert marker not in text, f"{docname}: {marker!r} on the page"


@pytest.mark.parametrize("docname", PAGES)
def test_nothing_loaded_from_another_host(soup, docname):
    page = soup(docname)
    remote = []
    for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"),
                      ("source", "src"), ("iframe", "src"), ("video", "src"),
                      ("audio", "src"), ("embed", "src"), ("object", "data")):
        remote += [f"<{tag} {attr}={el[attr]}>" for el in page.find_all(tag)
                   if el.get(attr) and REMOTE.match(el[attr])]
    for script in page.find_all("script", src=False):
        remote += [f"inline script mentions {m}"
                   for m in re.findall(r"https?://[^\s\"']+", script.get_text())]
    for style in page.find_all(style=True):
        if CSS_REMOTE.search(style["style"]):
            remote.append(f"style={style['style'][:80]}")
    assert not remote, f"{docname}: loads from another host: {remote}"


def test_stylesheets_load_nothing_remote(html_dir):
    remote = [str(css.relative_to(html_dir)) for css in html_dir.rglob("*.css")
              if CSS_REMOTE.search(css.read_text(encoding="utf-8", errors="replace"))]
    assert not remote, f"stylesheets importing fonts or CSS from another host: {remote}"


@pytest.mark.parametrize("docname", PAGES)
def test_mathjax_is_local_and_configured(html_dir, soup, docname):
    page = soup(docname)
    sources = [s["src"] for s in page.find_all("script", src=True) if "mathjax" in s["src"].lower()]
    if not page.select("span.math, div.math"):
        assert not sources, f"{docname}: MathJax loaded on a page without math"
        return  # Sphinx adds MathJax only to pages with math
    assert sources, f"{docname}: math on the page but no MathJax script"
    for src in sources:
        target, _ = _resolve(html_dir, docname, src.split("?")[0])
        assert target.is_file(), f"{docname}: MathJax {src} is not in the build"
    config = " ".join(s.get_text() for s in page.find_all("script", src=False))
    assert "window.MathJax" in config and '"vb"' in config, (
        f"{docname}: the mathjax3_config macros (\\vb, \\R, ...) are not on the page")


_IDS = {}


def _ids(soup, docname):
    """The set of element ids of a page (one pass, not one tree search per link)."""
    if docname not in _IDS:
        _IDS[docname] = {tag["id"] for tag in soup(docname).find_all(id=True)}
    return _IDS[docname]


@pytest.mark.parametrize("docname", PAGES)
def test_internal_links_resolve(html_dir, soup, docname):
    """Every internal link (navigation, cross-references, downloads) has a target."""
    broken = []
    for a in soup(docname).find_all("a", href=True):
        href = a["href"]
        if href.startswith("#") and len(href) > 1:
            target, fragment = html_dir / f"{docname}.html", href[1:]
        elif _is_internal(href):
            target, fragment = _resolve(html_dir, docname, href)
        else:
            continue
        if not target.exists():
            broken.append(href)
        elif fragment and target.suffix == ".html":
            rel = str(target.relative_to(html_dir).with_suffix(""))
            if unquote(fragment) not in _ids(soup, rel):
                broken.append(href)
    assert not broken, f"{docname}: links to missing pages or anchors: {broken}"


@pytest.mark.parametrize("docname", PAGES)
def test_navigation_reaches_every_page(html_dir, soup, docname):
    """The sidebar of each page links to every page of the table of contents."""
    nav = soup(docname).select_one("nav.bd-links, .bd-sidebar-primary")
    assert nav is not None, f"{docname}: no navigation sidebar"
    reached = set()
    for a in nav.find_all("a", href=True):
        if _is_internal(a["href"]):
            target, _ = _resolve(html_dir, docname, a["href"])
            reached.add(str(target.relative_to(html_dir).with_suffix("")))
    missing = set(PAGES[1:]) - reached - {docname}  # its own entry is href="#"
    assert not missing, f"{docname}: the sidebar does not link to {sorted(missing)}"


@pytest.mark.parametrize("docname", PAGES)
def test_figures_have_files_alt_text_and_captions(html_dir, soup, docname):
    for img in soup(docname).select("article img"):
        target, _ = _resolve(html_dir, docname, img["src"])
        assert target.is_file() and target.stat().st_size > 0, f"{docname}: {img['src']} missing"
        assert img.get("alt", "").strip(), f"{docname}: image {img['src']} has no alt text"
        figure = img.find_parent("figure")
        caption = figure.find("figcaption") if figure else None
        assert caption is not None and caption.get_text(strip=True), (
            f"{docname}: image {img['src']} has no caption (alt: {img['alt'][:60]!r})")


def test_root_index_leads_to_the_book(html_dir):
    """README: open _build/html/index.html; it forwards to the book's first page."""
    refresh = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"',
                        (html_dir / "index.html").read_text(encoding="utf-8"))
    root = PAGES[0]
    if refresh:
        assert (html_dir / refresh.group(1)).resolve() == (html_dir / f"{root}.html").resolve()
    else:
        assert root == "index", "index.html neither is the root page nor forwards to it"


# -- the cheat sheet ------------------------------------------------------------

def test_cheat_sheet_lists_exactly_the_registry(soup):
    entries = soup("book/cheatsheet").select("div.nnmath-identity")
    names = [e["id"].removeprefix("identity-") for e in entries]
    assert len(names) == len(set(names)), f"an identity appears twice: {names}"
    assert set(names) == set(REGISTRY), (
        f"missing: {sorted(set(REGISTRY) - set(names))}; "
        f"not in the registry: {sorted(set(names) - set(REGISTRY))}")


def test_cheat_sheet_is_grouped_by_chapter_in_book_order(soup):
    page = soup("book/cheatsheet")
    order = [doc for doc, _ in toc_pages()]
    seen = []
    for entry in page.select("div.nnmath-identity"):
        chapter = REGISTRY[entry["id"].removeprefix("identity-")].chapter
        section = entry.find_parent("section")
        assert section is not None and section.get("id") == "identities-" + chapter.replace("/", "-")
        if chapter not in seen:
            seen.append(chapter)
    assert seen == sorted(seen, key=order.index), f"chapters out of book order: {seen}"


def test_cheat_sheet_links_to_the_deriving_chapters(html_dir, soup):
    page = soup("book/cheatsheet")
    for entry in page.select("div.nnmath-identity"):
        identity = REGISTRY[entry["id"].removeprefix("identity-")]
        links = entry.select("a.nnmath-chapter-link")
        assert links, f"{identity.name}: no link to its chapter"
        target, fragment = _resolve(html_dir, "book/cheatsheet", links[0]["href"])
        assert target == (html_dir / f"{identity.chapter}.html").resolve(), (
            f"{identity.name}: links to {links[0]['href']}, not to {identity.chapter}")
        assert target.is_file()
        if fragment:
            assert soup(identity.chapter).find(id=fragment), f"{identity.name}: #{fragment} missing"
        assert entry.select("div.math"), f"{identity.name}: no formula"
        assert "Shapes:" in entry.get_text() and "Verified" in entry.get_text()
    for heading in page.select("section[id^=identities-] > h2"):
        link = heading.find("a", class_="nnmath-chapter-link")
        assert link is not None, f"chapter heading {heading.get_text()!r} is not a link"
        assert _resolve(html_dir, "book/cheatsheet", link["href"])[0].is_file()


def test_bibliography_page_has_entries_for_every_citation(html_dir, soup):
    """Each citation in the book links to an entry of the bibliography page."""
    bib = soup("book/bibliography")
    for docname in PAGES:
        for a in soup(docname).select("a[href*='bibliography.html#']"):
            _, fragment = _resolve(html_dir, docname, a["href"])
            assert bib.find(id=fragment), f"{docname}: citation {a.get_text()} has no entry"


def test_source_downloads_exist(html_dir, soup):
    """The download button offers each page's source (.ipynb for notebooks)."""
    for docname in PAGES:
        buttons = soup(docname).select("a.btn-download-source-button")
        assert buttons, f"{docname}: no source download button"
        target, _ = _resolve(html_dir, docname, buttons[0]["href"])
        assert target.is_file(), f"{docname}: {buttons[0]['href']} missing"
        if (ROOT / f"{docname}.ipynb").exists():
            assert target.suffix == ".ipynb", f"{docname}: the download is not the notebook"
