"""The built book in a real browser, offline: math typeset, figures loaded.

Headless Chromium opens the pages of the table of contents from disk
(``file://``) with the network cut off (no host name resolves and all traffic
goes to a closed port). A copy of the site gets two additions: a small probe at
the top of each page, which records the resources that failed to load and the
natural size of every image, and a harness page that loads the pages one after
another in a frame, waits for MathJax to finish typesetting each, and writes
what the browser made of them into its own DOM, which Chromium's
``--dump-dom`` prints. It also asks the search page for a word and keeps the
hits (the search box works offline). It ends by showing one chapter over the whole
window, which Chromium's ``--screenshot`` captures in the same run. Two
browsers share the pages, so two chapters are photographed: the two with the
most display equations; the PNGs go to ``_build/screenshots/`` (next to the
``html`` folder). One browser for many pages keeps this quick; reading the
frames needs ``--allow-file-access-from-files``.

Without Chromium the tests are skipped with a message saying so; ``.ci/run``
installs it and sets ``NNMATH_REQUIRE_BROWSER=1``, which turns that skip into
a failure.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from bs4 import BeautifulSoup
from PIL import Image

from chromium import require_browser

from .conftest import CHAPTERS, PAGES

OFFLINE_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
    # the network, off: no name resolves and every request goes to a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    # virtual time runs as fast as the pages allow; the budget only caps a hang
    "--virtual-time-budget=120000",
)
# Chapters whose screenshots are kept: the two with the most display equations
# (picked in screenshot_pages below); these are the fallbacks.
SEARCH_WORD = "Jacobian"  # the search test looks it up; chapters 3 to 5 are about it
SCREENSHOT_DEFAULT = ("derivations/05_matrix_by_matrix", "derivations/07_one_layer")

# Runs first in <head> of each page: records failed loads and image sizes.
PROBE = """<script>
(function () {
  var root = document.documentElement, failed = [];
  window.addEventListener('error', function (e) {
    var t = e.target;
    if (t && t !== window && (t.src || t.href)) {
      failed.push(t.src || t.href);
      root.setAttribute('data-probe-failed', failed.join(' '));
    }
  }, true);
  window.addEventListener('load', function () {
    for (var img of document.images) {
      img.setAttribute('data-probe-size', img.naturalWidth + 'x' + img.naturalHeight);
    }
    root.setAttribute('data-probe-loaded', '1');
  });
})();
</script>"""

# Loads each page in a frame, waits for MathJax, keeps the resulting DOM; then
# shows one page over the whole window for the screenshot.
HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<pre id="results" hidden></pre><script>
const pages = %s, shot = %s, results = {};
async function mathjaxState(frame) {
  const mj = frame.contentWindow.MathJax;
  if (!mj) { return 'absent'; }
  if (!(mj.startup && mj.startup.promise)) { return 'not started'; }
  try { await mj.startup.promise; return 'done'; } catch (e) { return 'error ' + e; }
}
function open(src, style) {
  return new Promise(resolve => {
    const frame = document.createElement('iframe');
    frame.style.cssText = style;
    frame.onload = () => resolve(frame);
    frame.src = src;
    document.body.appendChild(frame);
  });
}
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));
(async () => {
  for (const doc of pages) {
    const frame = await open(doc + '.html', 'width:1280px;height:1600px;border:0');
    let mathjax, html = '';
    try {
      mathjax = await mathjaxState(frame);
      html = frame.contentDocument.documentElement.outerHTML;
    } catch (e) { mathjax = 'unreadable ' + e; }
    results[doc] = {mathjax: mathjax, html: html};
    frame.remove();
  }
  // the search box: the theme's search page, asked for a word every chapter uses
  const search = await open('search.html?q=' + %s, 'width:1280px;height:1600px;border:0');
  let hits = [];
  for (let i = 0; i < 100 && !hits.length; i++) {
    await sleep(100);
    hits = Array.from(search.contentDocument.querySelectorAll('#search-results li a'))
                .map(a => a.textContent);
  }
  results['search'] = hits;
  search.remove();
  document.getElementById('results').textContent = JSON.stringify(results);
  const frame = await open(shot + '.html', 'position:fixed;top:0;left:0;width:100%%;height:100%%;border:0');
  document.documentElement.setAttribute('data-shot', await mathjaxState(frame));
  document.documentElement.setAttribute('data-done', '1');
})();
</script></body></html>"""

RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{")
NOT_TEXT = {"script", "style", "pre", "code", "textarea", "kbd", "mjx-assistive-mml"}


@pytest.fixture(scope="session")
def browser():
    return require_browser("browser tests")


def run_browser(browser, url, *extra, timeout=300):
    with tempfile.TemporaryDirectory(prefix="nnmath-chromium-") as profile:
        cmd = [browser, *OFFLINE_FLAGS, f"--user-data-dir={profile}",
               "--window-size=1280,1600", *extra, url]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited with {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


@pytest.fixture(scope="session")
def probed(html_dir, browser, tmp_path_factory):
    """Every page through the harness: ``{docname: (MathJax state, DOM)}``, screenshots."""
    site = tmp_path_factory.mktemp("site") / "html"
    shutil.copytree(html_dir, site, symlinks=True)
    for docname in PAGES:
        page = site / f"{docname}.html"
        text = page.read_text(encoding="utf-8")
        head = re.search(r"<head[^>]*>", text)
        assert head, f"{docname}: no <head>"
        page.write_text(text[:head.end()] + PROBE + text[head.end():], encoding="utf-8")
    shots_dir = html_dir.parent / "screenshots"
    shots_dir.mkdir(exist_ok=True)
    # two browsers, each with every other page: both cores busy, half the wall time
    runs = []
    for i, shot in enumerate(screenshot_pages(html_dir)):
        batch = PAGES[i::2]
        harness = site / f"_nnmath_harness_{i}.html"
        harness.write_text(HARNESS % (json.dumps(batch), json.dumps(shot), json.dumps(SEARCH_WORD)),
                           encoding="utf-8")
        png = shots_dir / (shot.replace("/", "_") + ".png")
        png.unlink(missing_ok=True)
        runs.append((batch, shot, png, harness.as_uri()))
    with ThreadPoolExecutor(len(runs)) as pool:
        dumps = list(pool.map(lambda run: run_browser(
            browser, run[3], "--dump-dom", f"--screenshot={run[2]}",
            "--allow-file-access-from-files"), runs))
    results, shots, searches = {}, {}, []
    for (batch, shot, png, _), dump in zip(runs, dumps):
        page = BeautifulSoup(dump, "html.parser")
        assert page.find("html").get("data-done") == "1", (
            f"the browser did not get through {batch} within the time budget")
        found = json.loads(page.find(id="results").get_text())
        searches.append(found.pop("search"))
        for docname, result in found.items():
            results[docname] = (result["mathjax"], BeautifulSoup(result["html"], "html.parser"))
        shots[shot] = (page.find("html").get("data-shot"), png)
    assert sorted(results) == sorted(PAGES)
    return results, shots, searches


@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_offline(probed, docname):
    _, dom = probed[0][docname]
    root = dom.find("html")
    assert root is not None and root.get("data-probe-loaded") == "1", (
        f"{docname}: the load event never fired")
    failed = root.get("data-probe-failed", "").split()
    assert not failed, f"{docname}: resources failed to load offline: {failed}"
    remote = [el.get("src") or el.get("href") for el in dom.select(
        "script[src], link[href], img[src], iframe[src]")
        if re.match(r"(https?:)?//", el.get("src") or el.get("href") or "")]
    assert not remote, f"{docname}: the page, once scripts ran, refers to {remote}"


@pytest.mark.parametrize("docname", PAGES)
def test_math_is_typeset(probed, html_dir, docname):
    state, dom = probed[0][docname]
    source = BeautifulSoup((html_dir / f"{docname}.html").read_text(encoding="utf-8"),
                           "html.parser")
    expected = len(source.select("span.math, div.math"))
    if not expected:
        return
    assert state == "done", f"{docname}: MathJax did not finish ({state})"
    untypeset = [m.get_text()[:60] for m in dom.select("span.math, div.math")
                 if not m.find("mjx-container")]
    assert not untypeset, f"{docname}: math left as TeX: {untypeset}"
    assert len(dom.find_all("mjx-container")) >= expected
    errors = dom.select("mjx-merror, [data-mjx-error]")
    assert not errors, f"{docname}: TeX errors: {[e.get('data-mjx-error') or e.get_text() for e in errors]}"
    undefined = [m for m in dom.select("mjx-mtext")
                 if "red" in (m.get("style") or "") or m.get("mathcolor") == "red"]
    where = [(m.find_parent("mjx-container").find("mjx-assistive-mml") or m).get_text(" ", strip=True)
             for m in undefined]
    assert not undefined, f"{docname}: {len(undefined)} undefined macro(s), shown in red in: {where}"
    raw = []
    for text in dom.find("article").find_all(string=RAW_TEX):
        if {p.name for p in text.parents} & NOT_TEXT:
            continue
        raw.append(text.strip()[:80])
    assert not raw, f"{docname}: raw TeX in the rendered text: {raw}"


@pytest.mark.parametrize("docname", PAGES)
def test_figures_loaded(probed, html_dir, docname):
    for img in probed[0][docname][1].select("article img"):
        src = img.get("src", "")
        assert (html_dir / docname).parent.joinpath(src).resolve().is_file(), f"{docname}: {src} missing"
        width, height = map(int, img.get("data-probe-size", "0x0").split("x"))
        assert width > 0 and height > 0, f"{docname}: {src} did not load (natural size {width}x{height})"


def screenshot_pages(html_dir):
    """The two chapters with the most display equations (ties: book order)."""
    counts = []
    for i, docname in enumerate(CHAPTERS):
        path = html_dir / f"{docname}.html"
        if path.exists():
            counts.append((-path.read_text(encoding="utf-8").count('<div class="math'), i, docname))
    best = [doc for n, _, doc in sorted(counts) if n < 0][:2]
    return best if len(best) == 2 else list(SCREENSHOT_DEFAULT)


def test_screenshots_of_two_chapters(probed):
    shots = probed[1]
    assert len(shots) == 2
    for docname, (state, png) in shots.items():
        assert state == "done", f"{docname}: MathJax did not finish in the screenshot ({state})"
        assert png.is_file() and png.stat().st_size > 10_000, f"{docname}: no screenshot"
        with Image.open(png) as image:
            assert image.size == (1280, 1600), f"{png}: {image.size}"
            colours = image.convert("L").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 16, f"{png} looks blank"


def test_search_box_works_offline(probed):
    """The theme's search (Ctrl+K) runs on the local index: a search finds chapters."""
    for hits in probed[2]:
        chapters = [hit for hit in hits if re.match(r"\d+\. ", hit)]
        assert chapters, f"searching for {SEARCH_WORD!r} found no chapter: {hits}"
