"""check_answer and `python -m nnmath check`: right answers pass, wrong ones fail and say where."""

import numpy as np
import pytest

from nnmath.book import check_answer
from nnmath.book.answers import AnswerReport, resized_sample
from nnmath.book.cli import main
from nnmath.book.identities import get


def _tanh_branch(X, W):
    return 1 - np.tanh(X @ W) ** 2


def residual_right(delta, out, X, W):
    return delta + (delta * _tanh_branch(X, W)) @ W.T


def residual_transposed(delta, out, X, W):           # W where Wᵀ belongs (W is square)
    return delta + (delta * _tanh_branch(X, W)) @ W


def residual_missing_identity(delta, out, X, W):     # the identity path's δ left out
    return (delta * _tanh_branch(X, W)) @ W.T


def matmul_right(delta, out, X, W):
    return X.T @ delta


def matmul_scaled(delta, out, X, W):
    return 1.5 * X.T @ delta


@pytest.mark.parametrize("name", ["matmul_grad_W", "layer_norm_grad_X", "conv2d_grad_X",
                                  "rnn_grad_Wh", "embedding_grad_W",
                                  "softmax_cross_entropy_grad_Z", "gaussian_loglik_grad_cov"])
def test_the_registry_formula_passes_at_several_sizes(name):
    report = check_answer(name, get(name).compact)
    assert isinstance(report, AnswerReport) and report and report.first_failure is None
    assert len({tuple(map(tuple, s.sizes.values())) for s in report.samples}) >= 2
    assert "agrees" in str(report)


def test_a_right_answer_written_by_hand_passes():
    assert check_answer("matmul_grad_W", matmul_right)
    assert check_answer("residual_grad_X", residual_right)


@pytest.mark.parametrize("wrong", [residual_transposed, residual_missing_identity,
                                   lambda delta, out, X, W: 1.5 * residual_right(delta, out, X, W)])
def test_wrong_answers_fail_and_the_report_names_the_smallest_size_and_entries(wrong):
    report = check_answer("residual_grad_X", wrong)
    assert not report
    bad = report.first_failure
    assert bad is report.samples[0] or all(s.passed for s in report.samples[:report.samples.index(bad)])
    assert bad.size == min(s.size for s in report.samples if not s.passed)
    assert bad.n_differing > 0 and bad.differing
    index, yours, reference = bad.differing[0]
    assert not np.isclose(yours, reference)
    text = str(report)
    assert "wrong" in text and bad.describe_sizes() in text
    assert f"X[{', '.join(map(str, index))}]" in text


def test_the_smallest_failing_sample_comes_first():
    report = check_answer("matmul_grad_W", matmul_scaled)
    sizes = [s.size for s in report.samples]
    assert sizes == sorted(sizes) and len(set(sizes)) >= 3
    assert report.first_failure is report.samples[0]


def test_a_wrong_shape_or_an_exception_is_reported():
    report = check_answer("matmul_grad_W", lambda delta, out, X, W: delta.T @ X)
    assert not report and "shape" in report.first_failure.problem

    def broken(delta, out, X, W):
        raise RuntimeError("not yet")

    report = check_answer("matmul_grad_W", broken)
    assert not report and "RuntimeError: not yet" in str(report)


def test_the_referee_is_the_forward_not_the_entrys_formula(monkeypatch):
    entry = get("matmul_grad_W")
    monkeypatch.setattr(entry, "compact", matmul_scaled)     # a wrong registry formula
    assert check_answer("matmul_grad_W", matmul_right)
    assert not check_answer("matmul_grad_W", matmul_scaled)


def test_resizing_keeps_the_structure_of_the_sample():
    rng = np.random.default_rng(0)
    sample = get("softmax_cross_entropy_grad_Z").sample(rng)
    bigger = resized_sample(sample, 2, rng)
    assert bigger["Z"].shape == tuple(d + 2 for d in sample["Z"].shape)
    assert np.all(bigger["T"].sum(axis=1) == 1) and set(np.unique(bigger["T"])) <= {0.0, 1.0}
    spd = resized_sample(get("gaussian_loglik_grad_cov").sample(rng), 1, rng)["Sigma"]
    assert np.allclose(spd, spd.T) and np.all(np.linalg.eigvalsh(spd) > 0)


def test_the_command_line_exits_0_for_a_right_answer_and_1_for_a_wrong_one(tmp_path, capsys,
                                                                           monkeypatch):
    answer = tmp_path / "my_answer.py"
    answer.write_text("def right(delta, out, X, W):\n    return X.T @ delta\n\n"
                      "def wrong(delta, out, X, W):\n    return X.T @ delta + 1e-3\n")
    assert main(["check", "matmul_grad_W", f"{answer}:right"]) == 0
    assert "agrees" in capsys.readouterr().out
    monkeypatch.chdir(tmp_path)
    assert main(["check", "matmul_grad_W", "my_answer:wrong"]) == 1
    assert "W[0, 0]" in capsys.readouterr().out
    assert main(["check", "no_such_identity", "my_answer:right"]) == 2
    assert main(["check", "matmul_grad_W", "my_answer:missing"]) == 2
