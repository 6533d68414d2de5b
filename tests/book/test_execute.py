"""`make execute` (.ci/execute_notebooks.py) is quiet and writes the same file every time.

One run (a kernel start is the slow part) shows what makes the file depend on the
code alone: no timing metadata, and printed text kept as one stream output however
the kernel split it into messages (here by a flush). Executing every notebook of the
book twice left `git diff` empty.
"""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "execute_notebooks.py"


def run(path):
    done = subprocess.run([sys.executable, str(SCRIPT), str(path)], capture_output=True,
                          text=True, timeout=120, cwd=path.parent)
    assert done.returncode == 0, done.stderr
    return done


def test_execute_writes_no_timing_and_is_quiet(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import sys\nprint('a')\nsys.stdout.flush()\nprint('b')"),
        nbformat.v4.new_code_cell("1 + 1"),
    ])
    nb.cells[0].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)

    done = run(path)
    # nothing but the one line per notebook; no kernel warning (TCP, parent exited, ...)
    assert done.stderr == "", done.stderr
    assert done.stdout.startswith(f"{path}: executed in ") and done.stdout.count("\n") == 1
    cells = nbformat.read(path, as_version=4).cells
    assert all("execution" not in c.metadata for c in cells), "timing metadata written"
    assert [o.text for o in cells[0].outputs] == ["a\nb\n"], "stream outputs not joined"
    assert cells[1].outputs[0]["data"]["text/plain"] == "2"
    assert [c.execution_count for c in cells] == [1, 2]
    assert not list(tmp_path.glob("kernel-ipc*")), "IPC sockets left next to the notebook"
