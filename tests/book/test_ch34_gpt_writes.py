"""Chapter 34 (a GPT that writes): the tied gradient, the whole model against the engine,
the baselines, the training loop, the FLOP count and the benchmark file the chapter reads."""

import json
from pathlib import Path

import numpy as np
import pytest

import nnmath as nm
from nnmath import matmul as mm
from nnmath import sequence as seq
from nnmath.book.chapters import ch34_gpt_writes as ch34
from nnmath.book.identities import get
from nnmath.book.identities.ch34_gpt_writes import prove_tied_grad_all_sizes, tied_grad_E
from nnmath.finite_differences import norm_relative_error, numeric_gradient

ROOT = Path(__file__).resolve().parents[2]


def _lookup_only(delta, out, E, idx, X):
    return seq.embedding_grad_W(delta[..., :E.shape[1]], np.asarray(idx).astype(int), E.shape[0])


def _head_only(delta, out, E, idx, X):
    V, D = E.shape
    return mm.matmul_grad_W(delta[..., D:].reshape(-1, V), X.reshape(-1, D)).T


@pytest.mark.parametrize("wrong", [_lookup_only, _head_only])
def test_every_route_rejects_the_gradient_of_one_use_only(wrong):
    entry = get("tied_embedding_grad_E")
    assert not all(p.holds for p in entry.prove(wrong))
    assert not entry.check_numeric(np.random.default_rng(1), compact=wrong).passed
    assert not entry.check_autodiff(np.random.default_rng(1), compact=wrong).passed


def test_the_entry_passes_every_route():
    entry = get("tied_embedding_grad_E")
    assert entry.compact is tied_grad_E
    assert all(p.holds for p in entry.prove())
    assert entry.check_numeric(np.random.default_rng(2)).passed
    assert entry.check_autodiff(np.random.default_rng(2)).passed


def test_the_sum_holds_for_symbolic_sizes_and_one_use_alone_does_not():
    assert prove_tied_grad_all_sizes().holds
    zero_head = lambda X, dZ: 0 * mm.matmul_grad_W(dZ, X).T          # noqa: E731
    zero_lookup = lambda S, dY: 0 * mm.matmul_grad_W(dY, S)          # noqa: E731
    assert not prove_tied_grad_all_sizes(grad_head=zero_head).holds
    assert not prove_tied_grad_all_sizes(grad_lookup=zero_lookup).holds
    halved = lambda X, dZ: mm.matmul_grad_W(dZ, X).T / 2              # noqa: E731
    assert not prove_tied_grad_all_sizes(grad_head=halved).holds


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("norm,rope", [("layer", False), ("rms", True)])
def test_whole_model_backward_matches_the_engine_on_every_parameter(tie, norm, rope):
    rng = np.random.default_rng(0)
    model = nm.GPT(11, 8, 16, 2, 2, norm=norm, rope=rope, tie_weights=tie, rng=rng)
    idx, labels = rng.integers(0, 11, (3, 8)), rng.integers(0, 11, (3, 8))
    errors = ch34.engine_gradient_errors(model, idx, labels)
    assert set(errors) == {name for name, _, _ in model.parameters()}
    assert ("head.W" in errors) is not tie
    assert max(errors.values()) < 1e-10


def test_tied_gradient_is_the_sum_and_matches_finite_differences():
    rng = np.random.default_rng(3)
    model = nm.GPT(7, 5, 8, 1, 2, rng=rng)
    idx, labels = rng.integers(0, 7, (2, 5)), rng.integers(0, 7, (2, 5))
    lookup, head, total = ch34.tied_gradient_parts(model, idx, labels)
    np.testing.assert_allclose(lookup + head, total, atol=1e-15)
    assert np.abs(lookup).max() > 1e-3 and np.abs(head).max() > 1e-3
    loss = nm.SoftmaxCrossEntropy()
    E = model.tok.W

    def L(W):
        saved = E.copy()
        E[...] = W
        value = loss.forward(model.forward(idx), labels)
        E[...] = saved
        return value
    numeric = numeric_gradient(L, E.copy())
    assert norm_relative_error(total, numeric) < 1e-7
    assert norm_relative_error(head, numeric) > 0.1        # one use alone is wrong
    with pytest.raises(ValueError, match="untied"):
        ch34.tied_gradient_parts(nm.GPT(7, 5, 8, 1, 2, tie_weights=False, rng=rng), idx, labels)


def test_unigram_entropy_is_the_loss_of_predicting_the_frequencies():
    assert ch34.unigram_entropy(np.arange(8), 8) == pytest.approx(np.log(8))
    ids = np.array([0, 0, 0, 1, 2, 2])
    p = np.bincount(ids) / ids.size
    assert ch34.unigram_entropy(ids, 5) == pytest.approx(-np.mean(np.log(p[ids])))
    assert ch34.unigram_entropy(np.zeros(4, dtype=int), 3) == 0.0


def test_training_is_seeded_and_lowers_the_loss():
    ids = np.tile(np.arange(6), 50)
    kw = dict(vocab_size=6, context=8, d_model=16, n_layers=1, n_heads=2, batch=4, steps=40,
              lr=1e-2, warmup=4)
    model, losses = ch34.train_char_gpt(ids, **kw)
    _, again = ch34.train_char_gpt(ids, **kw)
    np.testing.assert_array_equal(losses, again)
    assert losses[-5:].mean() < 0.5 * losses[:5].mean()
    X = np.arange(8)[None] % 6
    assert ch34.mean_loss(model, X, (X + 1) % 6) < 0.5


@pytest.mark.parametrize("V,T,d,L,N,r", [(11, 8, 16, 2, 3, 4), (87, 64, 64, 2, 8, 4),
                                         (5, 3, 12, 3, 1, 2)])
def test_flop_count_matches_the_models_weight_shapes(V, T, d, L, N, r):
    model = nm.GPT(V, T, d, L, 4 if d % 4 == 0 else 2, mlp_ratio=r,
                   rng=np.random.default_rng(0))
    assert ch34.step_flops(vocab_size=V, T=T, d_model=d, n_layers=L, N=N, mlp_ratio=r) \
        == ch34.flops_from_parameters(model, N, T)


def test_benchmark_file_matches_the_flop_count():
    data = json.loads((ROOT / "benchmarks" / "results" / "gpt_cost.json").read_text())
    assert data["cpu"] and data["date"] and data["rows"]
    for row in data["rows"]:
        assert row["seconds"] > 0
        assert row["flops"] == ch34.step_flops(vocab_size=data["vocab_size"], T=row["T"],
                                               d_model=row["d_model"],
                                               n_layers=row["n_layers"], N=data["batch"])
    assert {row["sweep"] for row in data["rows"]} == {"d_model", "n_layers", "T"}
