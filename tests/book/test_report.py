"""The book shows numbers only to digits that mean something (nnmath.book.report)."""

import json
import math
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from nnmath.book.report import below, glue, significant

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("derivations/*.ipynb")) + sorted(ROOT.glob("book/*.ipynb"))


def test_significant_rounds_away_the_machine_dependent_digits():
    # chapter 12's MSE on two OpenBLAS kernels (issue 21)
    assert significant(2.4042201065467848) == significant(2.404220106546785) == 2.40422
    assert significant(5.381465832527117e-06) == significant(5.381465832434336e-06) == 5.38147e-06
    assert significant(2030738.1830777582, 3) == 2030000.0
    assert significant(-0.00015941133305430455, 2) == -0.00016
    for special in (0.0, math.inf, -math.inf):
        assert significant(special) == special
    assert math.isnan(significant(math.nan))


def test_below_states_a_bound_and_flags_a_value_that_breaks_it():
    assert below(1.35e-16, 1e-14) == "< 1e-14"
    assert below(np.array([[1e-12, -3e-11]]), 1e-10) == "< 1e-10"
    assert below(0.02, 1.0) == "< 1"
    assert below(3e-9, 1e-10) == "3.0e-09 (NOT below 1e-10)"
    assert below(-5e-3, 1e-3) == "5.0e-03 (NOT below 0.001)"


@pytest.fixture
def glued(monkeypatch):
    record = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: record.append((name, value, display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    return record


def test_glue_rounds_floats_and_keeps_other_values(glued):
    glue("x", np.float64(0.7791941286158963), display=False)
    glue("y", 0.7791941286158963, digits=3)
    glue("n", np.int64(4353), display=False)
    glue("ok", np.bool_(True))
    glue("s", "text")
    assert glued == [("x", 0.779194, False), ("y", 0.779, True), ("n", 4353, False),
                     ("ok", True, True), ("s", "text", True)]
    assert type(glued[0][1]) is float and type(glued[2][1]) is int


def glued_outputs(path):
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("application/papermill.record/text/plain")
            if text is not None:
                yield cell, text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_glue_through_the_rounding_glue(path):
    """Every glued float in the committed outputs carries at most 6 significant digits."""
    source = path.read_text(encoding="utf-8")
    assert "from myst_nb import glue" not in source, "glue with nnmath.book.report.glue"
    for _, text in glued_outputs(path):
        try:
            value = float(text)
        except ValueError:
            continue
        if "." in text or "e" in text:
            mantissa = f"{value:e}".split("e")[0].rstrip("0").replace(".", "").lstrip("-")
            assert len(mantissa) <= 6, f"{path.name}: glued {text}, raw digits"


def test_show_source_is_the_helpers_code_highlighted_and_as_plain_text():
    from nnmath.book.chapters import ch04_vector_by_matrix as ch04
    from nnmath.book.report import Source, show_source
    shown = show_source(ch04.vector_matmul_grad_W, ch04.column_matvec_grad_W)
    assert repr(shown).startswith("def vector_matmul_grad_W(dy, x):\n    ")
    assert '"""' not in repr(shown) and "return" in repr(shown)  # the code, not the docstring
    assert "\n\ndef column_matvec_grad_W(dy, x):" in repr(shown)
    assert shown._repr_markdown_().startswith("```python\ndef vector_matmul_grad_W(")
    assert shown._repr_markdown_().endswith("\n```")
    # backticks in the code cannot close the fence early
    assert Source("s = '````'")._repr_markdown_().startswith("`````python\n")
