"""The built book in a real browser, offline: math typeset, figures loaded.

Headless Chromium opens the pages of the table of contents from disk
(``file://``) with the network cut off (no host name resolves and all traffic
goes to a closed port). A copy of the site gets two additions: a small probe at
the top of each page, which records the resources that failed to load and the
natural size of every image, and a harness page that loads the pages one after
another in a frame, waits for MathJax to finish typesetting each, and writes
what the browser made of them into its own DOM, which Chromium's
``--dump-dom`` prints. (One browser for many pages keeps this quick; reading
the frames needs ``--allow-file-access-from-files``.) Screenshots of the two
chapters with the most display equations are saved in ``_build/screenshots/``
(next to the ``html`` folder), each from the real page.

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
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import CHAPTERS, PAGES

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
OFFLINE_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
    # the network, off: no name resolves and every request goes to a closed port
    "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    # virtual time runs as fast as the pages allow; the budget only caps a hang
    "--virtual-time-budget=120000",
)
# Chapters whose screenshots are kept: the two with the most display equations
# (picked in screenshot_pages below); these are the fallbacks.
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

# Loads each page in a frame, waits for MathJax, keeps the resulting DOM.
HARNESS = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<pre id="results"></pre><script>
const pages = %s, results = {};
function check(doc) {
  return new Promise(resolve => {
    const frame = document.createElement('iframe');
    frame.style.width = '1280px'; frame.style.height = '1600px';
    frame.onload = async () => {
      let mathjax = 'absent', html = '';
      try {
        const mj = frame.contentWindow.MathJax;
        if (mj && mj.startup && mj.startup.promise) {
          try { await mj.startup.promise; mathjax = 'done'; }
          catch (e) { mathjax = 'error ' + e; }
        } else if (mj) { mathjax = 'not started'; }
        html = frame.contentDocument.documentElement.outerHTML;
      } catch (e) { mathjax = 'unreadable ' + e; }
      results[doc] = {mathjax: mathjax, html: html};
      frame.remove(); resolve();
    };
    frame.src = doc + '.html';
    document.body.appendChild(frame);
  });
}
(async () => {
  for (const doc of pages) { await check(doc); }
  document.getElementById('results').textContent = JSON.stringify(results);
  document.documentElement.setAttribute('data-done', '1');
})();
</script></body></html>"""

RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{")
NOT_TEXT = {"script", "style", "pre", "code", "textarea", "kbd", "mjx-assistive-mml"}


def find_browser():
    for name in ((os.environ.get("CHROMIUM"),) + BROWSERS):
        if name and shutil.which(name):
            return shutil.which(name)
    return None


@pytest.fixture(scope="session")
def browser():
    path = find_browser()
    if path is None:
        message = ("Chromium not found (looked for " + ", ".join(BROWSERS) + " and $CHROMIUM): "
                   "browser tests SKIPPED, not passed. Install it, e.g. "
                   "`apt-get install chromium`, to run them.")
        if os.environ.get("NNMATH_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run_browser(browser, url, *extra, timeout=90):
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
    """``{docname: (MathJax state, DOM after the browser ran)}`` for every page."""
    site = tmp_path_factory.mktemp("site") / "html"
    shutil.copytree(html_dir, site, symlinks=True)
    for docname in PAGES:
        page = site / f"{docname}.html"
        text = page.read_text(encoding="utf-8")
        head = re.search(r"<head[^>]*>", text)
        assert head, f"{docname}: no <head>"
        page.write_text(text[:head.end()] + PROBE + text[head.end():], encoding="utf-8")
    # two browsers, each with every other page: both cores busy, half the wall time
    batches = [PAGES[i::2] for i in range(2)]
    harnesses = []
    for i, batch in enumerate(batches):
        harness = site / f"_nnmath_harness_{i}.html"
        harness.write_text(HARNESS % json.dumps(batch), encoding="utf-8")
        harnesses.append(harness.as_uri())
    with ThreadPoolExecutor(len(harnesses)) as pool:
        dumps = list(pool.map(lambda url: run_browser(
            browser, url, "--dump-dom", "--allow-file-access-from-files"), harnesses))
    results = {}
    for batch, dump in zip(batches, dumps):
        page = BeautifulSoup(dump, "html.parser")
        assert page.find("html").get("data-done") == "1", (
            f"the browser did not get through {batch} within the time budget")
        for docname, result in json.loads(page.find(id="results").get_text()).items():
            results[docname] = (result["mathjax"], BeautifulSoup(result["html"], "html.parser"))
    assert sorted(results) == sorted(PAGES)
    return results


@pytest.mark.parametrize("docname", PAGES)
def test_page_loads_offline(probed, docname):
    _, dom = probed[docname]
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
    state, dom = probed[docname]
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
    undefined = [m.get_text() for m in dom.select("mjx-mtext")
                 if "red" in (m.get("style") or "") or m.get("mathcolor") == "red"]
    assert not undefined, f"{docname}: undefined macros: {undefined}"
    raw = []
    for text in dom.find("article").find_all(string=RAW_TEX):
        if {p.name for p in text.parents} & NOT_TEXT:
            continue
        raw.append(text.strip()[:80])
    assert not raw, f"{docname}: raw TeX in the rendered text: {raw}"


@pytest.mark.parametrize("docname", PAGES)
def test_figures_loaded(probed, html_dir, docname):
    for img in probed[docname][1].select("article img"):
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


def test_screenshots_of_two_chapters(html_dir, browser):
    out = html_dir.parent / "screenshots"
    out.mkdir(exist_ok=True)
    pages = screenshot_pages(html_dir)
    for docname in pages:
        png = out / (docname.replace("/", "_") + ".png")
        png.unlink(missing_ok=True)
        run_browser(browser, (html_dir / f"{docname}.html").as_uri(), f"--screenshot={png}")
        assert png.is_file() and png.stat().st_size > 10_000, f"{docname}: no screenshot"
        from PIL import Image
        with Image.open(png) as image:
            colours = image.convert("L").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 16, f"{png} looks blank"
