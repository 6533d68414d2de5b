"""What a user gets besides the book: the licence, the version, the Binder set-up.

Binder itself cannot run here (no network but the package registries), so these
tests check what can be checked: it pins the Python that the pins are for, installs
exactly those pins, and installs the package itself, so that a launched notebook can
``import nnmath``.
"""

import ast
import os
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import nnmath

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def pins(path):
    names = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, ver = line.split("==")
            names[re.sub(r"[-_.]+", "-", name).lower()] = ver
    return names


def test_licence_is_mit():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 The nnmath authors" in text
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["license"] == {"text": "MIT"}


def test_one_version_number():
    """pyproject.toml takes the version from nnmath.__version__, and states none itself."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "nnmath.__version__"}
    # setuptools reads the attribute without importing: it must be a plain literal
    tree = ast.parse((ROOT / "nnmath" / "__init__.py").read_text(encoding="utf-8"))
    literal = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
               and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"]]
    assert literal == [nnmath.__version__]
    assert version("nnmath") == nnmath.__version__, "reinstall: `make setup`"


def test_binder_pins_python_311():
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "sys.version_info[:2] != (3, 11)" in makefile  # the Python the pins are for


def test_binder_installs_the_pins_and_the_package():
    requirements = (BINDER / "requirements.txt").read_text(encoding="utf-8")
    included = re.findall(r"^-r\s+(\S+)\s*$", requirements, re.M)
    assert included == ["../requirements.txt"]
    assert (BINDER / included[0]).resolve() == ROOT / "requirements.txt"
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK), "binder/postBuild must be executable"
    lines = [line.strip() for line in post.read_text(encoding="utf-8").splitlines()]
    assert lines[0].startswith("#!") and "set -euo pipefail" in lines
    assert "python -m pip install --no-deps -e ." in lines
    # --no-deps is safe: every dependency of the package is pinned in requirements.txt
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = pins(ROOT / "requirements.txt")
    for dep in pyproject["project"]["dependencies"]:
        name = re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9_.-]+", dep).group(0)).lower()
        assert name in pinned, f"{name} (a dependency of nnmath) is not pinned in requirements.txt"
