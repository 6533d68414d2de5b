"""`make pdf-deps` on a machine without TeX: the install branch runs, as root, and only then.

Each test runs the real Makefile recipe with a PATH holding nothing but stubs: no TeX
tools, an `id` that says who we are, and an `apt-get` that records its calls and, on
`install`, puts stub TeX tools, style files and fonts on that PATH, as Debian would.
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
TEX_TOOLS = ("xelatex", "latexmk", "xindy", "pdftotext", "pdfimages")

pytestmark = pytest.mark.skipif(MAKE is None, reason="make is not installed")


def write_script(path, body):
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def stub_path(tmp_path, *, uid, installs=True):
    """A bin folder of stubs; returns (bin, log of apt-get calls)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    log = tmp_path / "apt-get.log"
    for tool in ("wc", "grep"):                 # the check itself needs these two
        os.symlink(shutil.which(tool), bin_ / tool)
    write_script(bin_ / "id", f'echo {uid}\n')
    chmod = shutil.which("chmod")               # the stub's own tool, not on the stub PATH
    tex = "".join(f'printf "#!/bin/sh\\n" > "{bin_}/{t}"; {chmod} +x "{bin_}/{t}"\n'
                  for t in TEX_TOOLS)
    # kpsewhich prints one path per style file asked for; fc-list names the two fonts
    tex += (f'printf \'#!/bin/sh\\nfor f; do echo "/tex/$f"; done\\n\' > "{bin_}/kpsewhich"\n'
            f'printf \'#!/bin/sh\\necho "FreeSerif.otf: FreeSerif"\\n'
            f'echo "DejaVuSansMono.ttf: DejaVu Sans Mono"\\n\' > "{bin_}/fc-list"\n'
            f'{chmod} +x "{bin_}/kpsewhich" "{bin_}/fc-list"\n')
    write_script(bin_ / "apt-get",
                 f'echo "$*" >> "{log}"\n'
                 + (f'case "$*" in *install*) {tex};; esac\n' if installs else ""))
    return bin_, log


def run_pdf_deps(bin_):
    return subprocess.run([MAKE, "--no-print-directory", "-C", str(ROOT), "pdf-deps"],
                          env={"PATH": str(bin_), "HOME": os.environ.get("HOME", "/")},
                          capture_output=True, text=True, timeout=60)


def tex_debs():
    text = (ROOT / "Makefile").read_text()
    block = text.split("TEX_DEBS :=", 1)[1].split("\n\n", 1)[0].split("TEX_STYS", 1)[0]
    return block.replace("\\", " ").split()


def test_root_without_tex_installs_the_debian_packages(tmp_path):
    bin_, log = stub_path(tmp_path, uid=0)
    done = run_pdf_deps(bin_)
    assert done.returncode == 0, done.stdout + done.stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "update -qq"
    install = calls[1].split()
    assert install[:4] == ["install", "-y", "-qq", "--no-install-recommends"]
    assert install[4:] == tex_debs() and "texlive-xetex" in install
    assert "installing TeX from Debian" in done.stdout


def test_root_with_an_install_that_leaves_tex_missing_fails_clearly(tmp_path):
    bin_, log = stub_path(tmp_path, uid=0, installs=False)
    done = run_pdf_deps(bin_)
    assert done.returncode != 0
    assert len(log.read_text().splitlines()) == 2
    assert "still incomplete after apt-get install" in done.stderr


def test_not_root_prints_the_command_and_installs_nothing(tmp_path):
    bin_, log = stub_path(tmp_path, uid=1000)
    done = run_pdf_deps(bin_)
    assert done.returncode != 0
    assert not log.exists()
    assert "make pdf needs TeX: apt-get install --no-install-recommends texlive-xetex" in done.stderr


def test_tex_present_installs_nothing(tmp_path):
    bin_, log = stub_path(tmp_path, uid=0)
    subprocess.run([str(bin_ / "apt-get"), "install"], check=True)   # put the stub TeX in place
    log.unlink()
    done = run_pdf_deps(bin_)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not log.exists() and done.stdout == ""
