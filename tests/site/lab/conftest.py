"""JupyterLab (with jupyterlab-myst) on 127.0.0.1 and headless Chromium driven by Playwright.

``make lab-test`` (part of ``make test``) runs these tests. The server gets a random
free port, a random token, and its own configuration, data, runtime, settings and
workspace folders in a temporary directory, so nothing a user set up changes what
it shows. Playwright drives the system Chromium (Debian's ``chromium``, or
``$CHROMIUM``); it never downloads a browser of its own. Without Chromium the tests
are skipped with a message saying so; ``.ci/run`` installs it and sets
``NNMATH_REQUIRE_BROWSER=1``, which turns that skip into a failure.
"""

import asyncio
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chromium import require_browser

ROOT = Path(__file__).resolve().parents[3]
# Settings the test server starts with (user settings folder of a fresh profile):
SETTINGS = {
    # every cell in the DOM, not only those scrolled into view
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "kernelShutdown": True},
    # no news or update check (the machine is offline; the test must not wait on it)
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


@pytest.fixture(scope="session")
def chromium_path():
    return require_browser("JupyterLab browser tests")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab_url(tmp_path_factory):
    """Start ``jupyter lab`` and yield its base URL with the token; stop it afterwards."""
    home = tmp_path_factory.mktemp("jupyter")
    settings = home / "settings"
    for name, values in SETTINGS.items():
        path = settings / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    port, token = free_port(), secrets.token_hex(24)
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"),
           "JUPYTER_DATA_DIR": str(home / "data"), "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "IPYTHONDIR": str(home / "ipython"), "JUPYTER_PLATFORM_DIRS": "1"}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
           "--port-retries=0", f"--IdentityProvider.token={token}",
           "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: open notebooks by command
           f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={home / 'ws'}",
           "--LabApp.extension_manager=readonly", "--ServerApp.open_browser=False",
           # checkpoints (written on opening a notebook) go to the temporary folder
           f"--FileCheckpoints.checkpoint_dir={home / 'checkpoints'}"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # CI runs as root
    log = (home / "server.log").open("w")
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"jupyter lab exited with {server.returncode}:\n"
                            + (home / "server.log").read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not answer within 60 s")
                time.sleep(0.1)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


PAGES = 2  # browser tabs working at once: one per core


async def open_lab(browser, base, token):
    """A new tab with JupyterLab loaded and restored (a fresh workspace)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 1600})
    page = await context.new_page()
    page.set_default_timeout(60_000)
    await page.goto(f"{base}/lab?reset&token={token}")
    await page.wait_for_function("window.jupyterapp !== undefined")
    await page.evaluate("async () => { await window.jupyterapp.started;"
                        " await window.jupyterapp.restored; }")
    # Render only: opening a notebook starts no kernel (the Notebook factory's
    # preference, as "No Kernel" would set it), which keeps the test light.
    await page.evaluate("() => { window.jupyterapp.docRegistry"
                        ".getWidgetFactory('Notebook')._preferKernel = false; }")
    return page


@pytest.fixture(scope="session")
def run_in_lab(lab_url, chromium_path):
    """``run_in_lab(work)``: run ``await work(page, i)`` in PAGES JupyterLab tabs at once."""
    from playwright.async_api import async_playwright

    base, token = lab_url

    def run(work):
        async def main():
            async with async_playwright() as p:
                browser = await p.chromium.launch(
                    executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"])
                try:
                    pages = await asyncio.gather(*(open_lab(browser, base, token)
                                                   for _ in range(PAGES)))
                    return await asyncio.gather(*(work(page, i) for i, page in enumerate(pages)))
                finally:
                    await browser.close()
        return asyncio.run(main())

    return run
