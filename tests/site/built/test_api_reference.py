"""The API reference appendix documents every public name of the library."""

import importlib
import pkgutil
import re

import pytest

import nnmath


def _library_modules():
    """Every module of the library (the apparatus in nnmath.book is not the library)."""
    names = ["nnmath"]
    for info in pkgutil.walk_packages(nnmath.__path__, "nnmath."):
        if not info.name.startswith("nnmath.book") and info.name != "nnmath.__main__":
            names.append(info.name)
    return names


def _public_objects():
    """``(where exported, anchor id)`` for each function and class a module exports."""
    found = {}
    for name in _library_modules():
        module = importlib.import_module(name)
        for public in getattr(module, "__all__", ()):
            obj = getattr(module, public)
            if callable(obj) and hasattr(obj, "__qualname__") and hasattr(obj, "__module__"):
                found[f"{name}.{public}"] = f"{obj.__module__}.{obj.__qualname__}"
    return found


@pytest.fixture(scope="module")
def anchors(html_dir):
    html = (html_dir / "book" / "api.html").read_text(encoding="utf-8")
    return set(re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', html))


@pytest.mark.parametrize("exported, anchor", sorted(_public_objects().items()))
def test_every_public_name_has_an_entry(anchors, exported, anchor):
    assert anchor in anchors, f"{exported} (defined as {anchor}) is missing from book/api.md"


def test_every_library_module_is_documented(html_dir):
    html = (html_dir / "book" / "api.html").read_text(encoding="utf-8")
    def defines_something(name):  # a package that only re-exports needs no entry
        module = importlib.import_module(name)
        return any(callable(obj) and getattr(obj, "__module__", None) == name
                   for obj in (getattr(module, n) for n in getattr(module, "__all__", ())))
    modules = [m for m in _library_modules() if defines_something(m)]
    missing = [m for m in modules if f'id="module-{m}"' not in html]
    assert not missing, f"modules without an automodule in book/api.md: {missing}"
