"""How much of each library file is input validation rather than mathematics.

A code line (not blank, not a comment, not a docstring) counts as validation when it
belongs to a function whose name starts with ``check``/``_check``, to an ``if`` whose
body only raises, to a ``raise``, or to a statement that only calls such a checker
(``check_*``, ``_check_*``, ``as_float_array``, ``as_pair``). Run:
``python benchmarks/validation_share.py nnmath/layers.py ...`` (default: the layer files).
"""

import ast
import sys
from pathlib import Path

CHECKERS = ("check", "_check", "as_float_array", "as_pair")
DEFAULT = ["activations", "attention", "conv", "gelu", "gpt", "layers", "losses", "model",
           "norm", "regularization", "rmsnorm", "sequence", "train"]


def _is_checker(name):
    return name.startswith(CHECKERS)


def _call_name(node):
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _lines(node):
    return set(range(node.lineno, node.end_lineno + 1))


def code_lines(tree, source):
    """Line numbers holding code: not blank, not comments, not docstrings."""
    doc = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                doc |= _lines(first)
    text = source.splitlines()
    return {i for i in range(1, len(text) + 1)
            if text[i - 1].strip() and not text[i - 1].strip().startswith("#") and i not in doc}


def validation_lines(tree):
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and _is_checker(node.name):
            found |= _lines(node)
        elif isinstance(node, ast.If) and all(isinstance(s, ast.Raise) for s in node.body) \
                and not node.orelse:
            found |= _lines(node)
        elif isinstance(node, ast.Raise):
            found |= _lines(node)
        elif isinstance(node, (ast.Expr, ast.Assign)) and isinstance(node.value, ast.Call) \
                and _is_checker(_call_name(node.value)):
            found |= _lines(node)
    return found


def share(path):
    source = Path(path).read_text()
    tree = ast.parse(source)
    code = code_lines(tree, source)
    return len(code & validation_lines(tree)), len(code)


def main(paths):
    root = Path(__file__).resolve().parents[1] / "nnmath"
    paths = paths or [root / f"{name}.py" for name in DEFAULT]
    for path in paths:
        checks, code = share(path)
        print(f"{Path(path).name:<20} {checks:>4} of {code:>4} code lines  {100 * checks / code:5.1f} %")


if __name__ == "__main__":
    main(sys.argv[1:])
