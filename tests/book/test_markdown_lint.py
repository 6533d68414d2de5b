"""Markdown pitfalls that break the maths in one renderer but not another.

A line of inline maths that starts with ``- ``, ``+ `` or ``* `` is read as a list
item by CommonMark (JupyterLab's MyST renderer, and the book in some contexts), which
cuts the formula in two and shows raw TeX.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted([*ROOT.glob("derivations/*.ipynb"), *ROOT.glob("book/*.ipynb")])
LIST_MARKER = re.compile(r"\s*([-+*]|\d+[.)])\s")


def list_markers_inside_inline_math(text):
    """Line numbers where a line inside ``$ … $`` maths begins like a list item."""
    text = re.sub(r"\$\$.*?\$\$", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    bad, dollars = [], 0
    for number, line in enumerate(text.split("\n")):
        if dollars % 2 and LIST_MARKER.match(line):
            bad.append(number)
        dollars += line.count("$") - 2 * line.count("\\$")
    return bad


def test_the_check_finds_the_pitfall():
    assert list_markers_inside_inline_math("so $a = b\n- c$ and") == [1]
    assert list_markers_inside_inline_math("so $a = b -\nc$ and\n- item") == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_list_marker_starts_a_line_of_inline_maths(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    bad = [(i, n) for i, c in enumerate(cells) if c["cell_type"] == "markdown"
           for n in list_markers_inside_inline_math("".join(c["source"]))]
    assert not bad, f"{path.name}: (cell, line) pairs where a maths line starts like a list: {bad}"
