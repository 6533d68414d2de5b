"""The two parts of the package: the library never needs SymPy or the book's apparatus."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "nnmath"
LIBRARY = sorted(p for p in PACKAGE.rglob("*.py")
                 if "book" not in p.relative_to(PACKAGE).parts and p.name != "__main__.py")


def _imported_modules(path):
    """Absolute names of every module ``path`` imports, relative imports resolved."""
    return _imports_in(path.read_text(), ["nnmath", *path.relative_to(PACKAGE).parent.parts])


def _imports_in(source, package):
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_library_module_imports_neither_sympy_nor_the_apparatus(path):
    bad = [name for name in _imported_modules(path)
           if name.split(".")[0] == "sympy" or name.startswith("nnmath.book")]
    assert not bad, f"{path.name} imports {bad}"


def test_the_scan_sees_forbidden_imports():
    """The static check above can fail: relative imports of the apparatus are resolved."""
    source = "from ..book import symbolic\nfrom ..book.identities import core\nimport sympy\n"
    names = _imports_in(source, ["nnmath", "autodiff"])
    assert {"nnmath.book", "nnmath.book.identities", "sympy"} <= set(names)


def test_building_and_training_a_network_does_not_import_sympy():
    code = """
import sys, numpy as np, nnmath as nm
rng = np.random.default_rng(0)
X, T = rng.standard_normal((20, 4)), rng.integers(0, 3, 20)
model = nm.Sequential(nm.Linear(4, 8, rng=rng), nm.ReLU(), nm.Linear(8, 3, rng=rng))
nm.fit(model, nm.SoftmaxCrossEntropy(), X, T, epochs=2, batch_size=5, lr=0.1, rng=rng,
       progress=False)
from nnmath.autodiff import Tensor
(Tensor(X) @ Tensor(model.layers[0].W)).sum().backward()
bad = sorted(m for m in sys.modules if m.split('.')[0] == 'sympy' or m.startswith('nnmath.book'))
print(bad)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_module_is_longer_than_a_screenful_or_two():
    long = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 420}
    assert not long, f"modules over 420 lines: {long}"



def _layer_imports(source, package):
    """The names ``source`` binds to a library layer (a Module subclass) or to a module of
    layers (``from .. import activations``); a plain function (``from ..gelu import erf``)
    is not a layer."""
    import importlib
    import inspect

    from nnmath.module import Module

    def is_layer(obj):
        if inspect.ismodule(obj):
            return any(is_layer(v) for v in vars(obj).values() if inspect.getmodule(v) is obj)
        return inspect.isclass(obj) and issubclass(obj, Module)

    bound = []  # (dotted name, object) of every name an import statement binds
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            bound += [(a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            bound += [(f"{module}.{a.name}", (module, a.name)) for a in node.names]
    bad = []
    for name, origin in bound:
        if not name.startswith("nnmath.") or name.startswith("nnmath.autodiff"):
            continue
        parent = importlib.import_module(origin[0]) if origin else None
        obj = getattr(parent, origin[1], None) if origin else None
        if is_layer(obj if obj is not None else importlib.import_module(name)):
            bad.append(name)
    return bad

ENGINE = sorted((PACKAGE / "autodiff").glob("*.py"))


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: p.name)
def test_only_the_converter_imports_library_layers(path):
    """The engine knows Tensors; ``autodiff/convert.py`` alone turns the layers into graphs."""
    bad = _layer_imports(path.read_text(), ["nnmath", "autodiff"])
    if path.name == "convert.py":
        assert bad, "convert.py is where the engine meets the layers"
    else:
        assert not bad, f"autodiff/{path.name} imports library layers {bad}: use convert.py"


def test_the_layer_import_scan_sees_layers():
    """The check above can fail: a layer class and a module of layers are seen, a function not."""
    source = "from ..layers import Linear\nfrom .. import activations\nfrom ..gelu import erf\n"
    assert _layer_imports(source, ["nnmath", "autodiff"]) == ["nnmath.layers.Linear",
                                                              "nnmath.activations"]
