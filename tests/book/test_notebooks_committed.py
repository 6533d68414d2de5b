"""Committed notebooks carry the outputs of one top-to-bottom run.

nbval only compares outputs that are stored; a notebook committed without
them would pass vacuously. This test makes that impossible.
"""

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("derivations/*.ipynb")) + sorted(ROOT.glob("book/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_was_executed_top_to_bottom(path):
    nb = nbformat.read(path, as_version=4)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert None not in counts, f"{path.name}: a code cell was never executed"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: cells were not executed once, top to bottom: {counts}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_no_error_output(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"{path.name}: cell {i} stored an error"
            if out.output_type == "stream":
                assert out.name != "stderr", f"{path.name}: cell {i} wrote to stderr: {out.text[:200]}"
