"""Finding Chromium for the browser tests (tests/site/built and tests/site/lab); never downloads one.

``$CHROMIUM`` names a binary to try first. Without Chromium the browser tests
are skipped, and say so; with ``NNMATH_REQUIRE_BROWSER=1`` they fail instead.
"""

import os
import shutil

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser():
    """The path of the first Chromium found ($CHROMIUM, then BROWSERS), or None."""
    for name in (os.environ.get("CHROMIUM"),) + BROWSERS:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def require_browser(tests):
    """The path of Chromium, or skip (fail, under NNMATH_REQUIRE_BROWSER=1) naming ``tests``."""
    path = find_browser()
    if path is None:
        message = ("Chromium not found (looked for " + ", ".join(BROWSERS) + " and $CHROMIUM): "
                   f"{tests} SKIPPED, not passed. Install it, e.g. "
                   "`apt-get install chromium`, to run them.")
        if os.environ.get("NNMATH_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return path
