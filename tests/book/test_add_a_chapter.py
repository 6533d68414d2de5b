"""The README's recipe for adding a chapter works: scaffold, registry, verify, tests, cheat sheet.

Everything happens in a temporary copy of the repository, with that copy's
``nnmath`` first on the path, so the real tree is never touched.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NAME, ENTRY = "99_throwaway_topic", "throwaway_topic_example"


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """The tracked files of the repository, copied, with a new chapter scaffolded."""
    dest = tmp_path_factory.mktemp("repo")
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for rel in filter(None, files):
        if (ROOT / rel).is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dest / rel)
    out = _run(dest, "-m", "nnmath", "new-chapter", NAME, "--title", "A throwaway chapter",
               "--root", str(dest))
    assert out.returncode == 0, out.stderr
    return dest


def _run(repo, *args, cmd=None):
    env = {**os.environ, "PYTHONPATH": str(repo), "MPLBACKEND": "Agg"}
    return subprocess.run(cmd or [sys.executable, *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)


def test_scaffold_writes_the_three_files_and_the_toc_line(copy):
    assert (copy / "derivations" / f"{NAME}.ipynb").is_file()
    assert (copy / "nnmath" / "book" / "identities" / f"ch{NAME}.py").is_file()
    assert (copy / "nnmath" / "book" / "chapters" / f"ch{NAME}.py").is_file()
    toc = yaml.safe_load((copy / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert f"derivations/{NAME}" in files


def test_the_scaffolded_notebook_has_the_macro_cell(copy):
    out = _run(copy, ".ci/sync_macros.py", "--check")
    assert out.returncode == 0, out.stdout + out.stderr


def test_scaffold_refuses_to_overwrite_and_bad_names(copy):
    again = _run(copy, "-m", "nnmath", "new-chapter", NAME, "--title", "x", "--root", str(copy))
    assert again.returncode == 2 and "would overwrite" in again.stderr
    bad = _run(copy, "-m", "nnmath", "new-chapter", "Topic", "--title", "x", "--root", str(copy))
    assert bad.returncode == 2 and "name must look like" in bad.stderr


def test_the_new_identity_is_verified(copy):
    out = _run(copy, "-m", "nnmath", "verify", "--only", ENTRY)
    assert out.returncode == 0, out.stdout + out.stderr
    assert ENTRY in out.stdout and "all 1 identities verified" in out.stdout


def test_the_new_identity_is_in_the_tests(copy):
    out = _run(copy, "-m", "pytest", "tests/book/test_identities.py", "-q", "-k", ENTRY)
    assert out.returncode == 0, out.stdout[-2000:]
    assert " passed" in out.stdout and "deselected" in out.stdout


def test_the_new_identity_is_on_the_cheat_sheet(copy):
    """A small build (index, cheat sheet, the new chapter) renders the new entry."""
    (copy / "_toc.yml").write_text(yaml.safe_dump({
        "format": "jb-book", "root": "book/index",
        "parts": [{"caption": "New", "numbered": True,
                   "chapters": [{"file": f"derivations/{NAME}"}, {"file": "book/cheatsheet"}]}]}))
    config = yaml.safe_load((copy / "_config.yml").read_text())
    config["sphinx"]["config"]["nnmath_prove_at_build"] = False  # the tests above prove it
    (copy / "_config.yml").write_text(yaml.safe_dump(config))
    jb = Path(sys.executable).with_name("jupyter-book")
    out = _run(copy, cmd=[str(jb), "build", str(copy), "--keep-going"])
    assert out.returncode == 0, out.stdout[-3000:]
    sheet = (copy / "_build" / "html" / "book" / "cheatsheet.html").read_text()
    chapter = (copy / "_build" / "html" / "derivations" / f"{NAME}.html").read_text()
    assert f'id="identity-{ENTRY}"' in sheet
    assert f'id="identity-{ENTRY}"' in chapter
