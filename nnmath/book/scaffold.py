r"""``python -m nnmath new-chapter NN_name``: a new chapter in the standard shape.

Writes three files and one line, each a starting point to edit:

* ``derivations/NN_name.ipynb``: label and title; what we want; the derivation
  with a numbered equation and a theorem; the SymPy check at fixed sizes; the
  numeric and autodiff checks; the summary rendered from the registry; two
  exercises with folded solutions;
* ``nnmath/book/identities/chNN_name.py``: one working registry entry (an
  element-wise product) to replace with the chapter's own;
* ``nnmath/book/chapters/chNN_name.py``: the chapter's own code;
* ``_toc.yml``: the notebook appended to a part (the last numbered part unless
  ``--part`` names another);

and gives the notebook the macro cell JupyterLab reads (``.ci/sync_macros.py``).
"""

import json
import re
import subprocess
import sys
from pathlib import Path

__all__ = ["new_chapter"]

NAME = re.compile(r"^(\d{2})_([a-z][a-z0-9_]*)$")


def _markdown(text):
    return {"cell_type": "markdown", "metadata": {}, "source": text.strip("\n").splitlines(True)}


def _code(text):
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": text.strip("\n").splitlines(True)}


def _notebook(name, title, entry):
    label = name.split("_", 1)[1].replace("_", "-")
    cells = [
        _markdown(f"""
(ch-{label})=
# {title}

What we want and why: the result this chapter derives, and where the book uses it.
"""),
        _code(f"""
import numpy as np

from nnmath.book import identities

rng = np.random.default_rng(0)
entry = identities.get("{entry}")
"""),
        _markdown(f"""
## The derivation

One step per equation. For $y = x \\odot w$ each output depends on one weight,
$\\partial y_i / \\partial w_j = [i = j]\\, x_i$, so the chain rule gives

$$
\\frac{{\\partial L}}{{\\partial w}} = x \\odot \\delta .
$$ (eq-{label}-main)

:::{{prf:theorem}}
:label: thm-{label}-main

For every size $D$, {{eq}}`eq-{label}-main` holds.
:::

:::{{prf:proof}}
$\\partial L/\\partial w_j = \\sum_i \\delta_i\\, \\partial y_i/\\partial w_j = \\delta_j x_j$.
:::

## Checked with SymPy at fixed sizes
"""),
        _code("""
print("SymPy, at the sizes of the entry:", all(bool(r) for r in entry.prove()))
"""),
        _markdown("""
## Checked numerically and by the engine
"""),
        _code("""
print("finite differences pass:", bool(entry.check_numeric(rng)))
print("autodiff engine passes:", bool(entry.check_autodiff(rng)))
"""),
        _markdown(f"""
## Summary

```{{identities}}
```

## Exercises

:::{{exercise}}
:label: ex-{label}-1

Derive $\\partial L/\\partial x$ for $y = x \\odot w$.
:::

:::{{solution}} ex-{label}-1
:class: dropdown

By symmetry, $\\partial L/\\partial x = w \\odot \\delta$.
:::
"""),
    ]
    return {"cells": cells, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}


def _registry_module(number, name, entry):
    return f'''"""Registry entries of chapter {int(number)} (derivations/{name}.ipynb). Replace the example."""

from .core import IdentityEntry, register

register(IdentityEntry(
    name="{entry}",
    title="Element-wise product: gradient with respect to the weights",
    latex=r"\\vb{{y}} = \\vb{{x}} \\odot \\vb{{w}} \\;\\Rightarrow\\; "
          r"\\frac{{\\partial L}}{{\\partial \\vb{{w}}}} = \\vb{{x}} \\odot \\vb{{\\delta}}",
    shapes={{"x": "(D,)", "w": "(D,)", "delta": "(D,)", "dL/dw": "(D,)"}},
    forward=lambda x, w: x * w,
    wrt="w",
    compact=lambda delta, out, x, w: x * delta,
    sample=lambda rng: {{"x": rng.standard_normal(4), "w": rng.standard_normal(4)}},
    symbolic_sizes=({{"x": (2,), "w": (2,)}}, {{"x": (3,), "w": (3,)}}),
    tensor_forward=lambda x, w: (x * w),
))
'''


def _add_to_toc(toc_path, docname, part):
    """Append ``- file: docname`` to the chapters of ``part`` (default: the last numbered one).

    A ``part`` that is not in the table of contents yet is created, numbered, right
    after the last numbered part.
    """
    lines = toc_path.read_text(encoding="utf-8").splitlines(True)
    captions = [(i, line.split(":", 1)[1].strip()) for i, line in enumerate(lines)
                if line.strip().startswith("- caption:")]
    numbered = [i for i, _ in captions
                if any("numbered: true" in lines[j] for j in range(i, min(i + 3, len(lines))))]
    if not numbered and (part is None or part not in {c for _, c in captions}):
        raise ValueError(f"new-chapter: {toc_path} has no numbered part; give --part")
    chosen = [i for i, caption in captions if caption == part] if part else numbered[-1:]
    if not chosen:  # a new part after the last numbered one, shaped like it
        after = next((i for i, _ in captions if i > numbered[-1]), len(lines))
        indent = lines[numbered[-1]][: len(lines[numbered[-1]]) - len(lines[numbered[-1]].lstrip())]
        lines[after:after] = [f"{indent}- caption: {part}\n", f"{indent}  numbered: true\n",
                              f"{indent}  chapters:\n", f"{indent}    - file: {docname}\n"]
    else:
        start = chosen[0]
        end = next((i for i, _ in captions if i > start), len(lines))
        files = [i for i in range(start, end) if lines[i].strip().startswith("- file:")]
        anchor = files[-1] if files else next(i for i in range(start, end)
                                              if lines[i].strip() == "chapters:")
        indent = lines[anchor][: len(lines[anchor]) - len(lines[anchor].lstrip())]
        lines.insert(anchor + 1, f"{indent}{'' if files else '  '}- file: {docname}\n")
    toc_path.write_text("".join(lines), encoding="utf-8")


def new_chapter(name, title, *, root=".", part=None):
    """Create the chapter ``name`` (``NN_words``); return the paths written.

    Parameters
    ----------
    name : str
        ``NN_words``: two digits, then lower-case words joined by ``_``.
    title : str
        The chapter's title (plain text: it becomes the page and tab title).
    root : str or Path
        The repository's top folder.
    part : str, optional
        Caption of the ``_toc.yml`` part to add the chapter to.
    """
    match = NAME.match(name)
    if not match:
        raise ValueError(f"new-chapter: name must look like 29_my_topic (two digits, then "
                         f"lower-case words joined by _), got {name!r}")
    number = match.group(1)
    root = Path(root)
    entry = f"{match.group(2)}_example"
    paths = {
        "notebook": root / "derivations" / f"{name}.ipynb",
        "registry": root / "nnmath" / "book" / "identities" / f"ch{name}.py",
        "chapter code": root / "nnmath" / "book" / "chapters" / f"ch{name}.py",
    }
    existing = [str(p) for p in paths.values() if p.exists()]
    if existing:
        raise FileExistsError(f"new-chapter: would overwrite {', '.join(existing)}")
    paths["notebook"].write_text(json.dumps(_notebook(name, title, entry), indent=1) + "\n",
                                 encoding="utf-8")
    paths["registry"].write_text(_registry_module(number, name, entry), encoding="utf-8")
    paths["chapter code"].write_text(
        f'"""Chapter {int(number)} ({title}): the chapter\'s own demonstrations and studies."""\n',
        encoding="utf-8")
    _add_to_toc(root / "_toc.yml", f"derivations/{name}", part)
    sync = root / ".ci" / "sync_macros.py"  # the macro cell JupyterLab reads (make macros)
    if sync.exists():
        subprocess.run([sys.executable, str(sync), str(paths["notebook"])], check=True,
                       capture_output=True)
    return paths
