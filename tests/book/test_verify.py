"""``python -m nnmath verify``: passes on sound identities, fails and names a broken one."""

import subprocess
import sys
from pathlib import Path

import pytest

from nnmath.book import verify
from nnmath.book.identities import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
PAIR = "matmul_grad_W,matmul_grad_X"


def test_cli_runs_two_identities_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "nnmath", "verify", "--only", PAIR],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:2] == ["identity", "chapter"]
    assert any(l.startswith("matmul_grad_W ") and "ok" in l for l in lines)
    assert any(l.startswith("matmul_grad_X ") for l in lines)
    assert lines[-1] == "all 2 identities verified"


def test_broken_formula_exits_nonzero_and_names_it(monkeypatch, capsys):
    identity = REGISTRY["matmul_grad_W"]
    monkeypatch.setattr(identity, "compact", lambda delta, out, X, W: X.T @ delta + 1.0)
    status = verify.main(["verify", "--only", "matmul_grad_W", "--only", "matmul_grad_X"])
    out = capsys.readouterr().out
    assert status == 1
    row = next(l for l in out.splitlines() if l.startswith("matmul_grad_W "))
    assert "FAIL" in row
    assert "FAILED: 1 of 2 identities: matmul_grad_W" in out
    ok_row = next(l for l in out.splitlines() if l.startswith("matmul_grad_X "))
    assert "FAIL" not in ok_row


def test_missing_tensor_forward_shows_na(monkeypatch, capsys):
    monkeypatch.setattr(REGISTRY["matmul_grad_X"], "tensor_forward", None)
    assert verify.main(["verify", "--only", "matmul_grad_X"]) == 0
    row = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("matmul_grad_X"))
    assert row.split()[-3] == "n/a"


def test_a_route_that_raises_is_reported_as_an_error(monkeypatch, capsys):
    def boom(rng, **kwargs):
        raise RuntimeError("sampler broke")

    monkeypatch.setattr(REGISTRY["matmul_grad_X"], "check_numeric", boom)
    assert verify.main(["verify", "--only", "matmul_grad_X"]) == 1
    out = capsys.readouterr().out
    assert "error RuntimeError: sampler broke" in out and "FAILED" in out


def test_selection_by_substring_comma_list_and_unknown_name(capsys):
    assert verify.select(["matmul_grad"]) == [n for n in REGISTRY if "matmul_grad" in n]
    assert verify.select(["matmul_grad_X,matmul_grad_W"]) == ["matmul_grad_W", "matmul_grad_X"]
    assert verify.select(None) == list(REGISTRY)
    assert verify.main(["verify", "--only", "no_such_identity"]) == 2
    assert "no identity matches 'no_such_identity'" in capsys.readouterr().err


def test_progress_bar_goes_to_stderr_and_seed_is_accepted(capsys):
    assert verify.main(["verify", "--only", "matmul_grad_W", "--progress", "--seed", "3"]) == 0
    captured = capsys.readouterr()
    assert "verify" in captured.err and "matmul_grad_W" in captured.out


def test_rows_do_not_depend_on_the_selection():
    alone = verify.run(["matmul_grad_X"], seed=5)[0]
    together = verify.run(["matmul_grad_W", "matmul_grad_X"], seed=5)[1]
    assert str(alone.numeric) == str(together.numeric)


@pytest.mark.parametrize("argv", [[], ["frobnicate"]])
def test_usage_errors_exit_with_status_2(argv):
    with pytest.raises(SystemExit) as info:
        verify.main(argv)
    assert info.value.code == 2


# -- verify.table: the one call that ends a chapter ---------------------------------------

def test_table_shows_every_route_and_the_proof_for_every_size():
    from nnmath.book.verify import check_table
    lines = check_table(["matmul_grad_W", "logdet_grad"]).splitlines()
    assert lines[0].split() == ["identity", "SymPy", "at", "fixed", "sizes", "finite",
                                "differences", "engine", "for", "every", "size"]
    assert lines[1].split()[:7] == ["matmul_grad_W", "True", "(3", "checks)", "True", "(≤",
                                    "1e-07)"]
    assert lines[1].endswith("proof for every size (index notation): True")
    assert lines[2].endswith("checked at sizes X (2, 2); X (3, 3)")


def test_table_marks_a_wrong_formula_as_failing():
    from dataclasses import replace

    from nnmath.book.identities import get
    from nnmath.book.verify import check_rows
    right = get("matmul_grad_W")
    wrong = replace(right, compact=lambda delta, out, X, W: 2 * X.T @ delta)
    (cells, failed), = check_rows([wrong])
    assert failed
    assert cells[1].startswith("False (3 of 3 checks fail)")
    assert cells[2].startswith("False (>") and cells[3].startswith("False (>")
    assert cells[4].endswith(": False")
    crashing = replace(right, compact=lambda delta, out, X, W: X @ X @ X)
    (cells, failed), = check_rows([crashing])
    assert failed and cells[2] == "error: ValueError"
    assert not check_rows([right])[0][1]
