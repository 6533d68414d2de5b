"""The block (memory-efficient) attention kernels equal the full path, in less memory."""

import tracemalloc

import numpy as np
import pytest

from nnmath.attention import SelfAttention, attention_grads, attention_forward, causal_mask
from nnmath.flash import block_attention_grads, block_attention_forward
from nnmath.gradcheck import check


def _qkv(T, d=4, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((2, 3, T, d)) for _ in range(3)]


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("T, block_size", [(13, 1), (13, 4), (13, 5), (13, 13), (13, 20), (8, 4)])
def test_block_kernels_equal_the_full_path(causal, T, block_size):
    Q, K, V = _qkv(T)
    dO = np.random.default_rng(9).standard_normal(V.shape)
    Y, A = attention_forward(Q, K, V, causal_mask(T) if causal else None)
    full = attention_grads(dO, Q, K, V, A)
    O, lse = block_attention_forward(Q, K, V, causal=causal, block_size=block_size)
    blocks = block_attention_grads(dO, Q, K, V, O, lse, causal=causal, block_size=block_size)
    assert np.max(np.abs(O - Y)) < 1e-12
    for g_full, g_block in zip(full, blocks):
        assert np.max(np.abs(g_full - g_block)) < 1e-12
    # lse is each row's log-sum-exp of its (masked) scores
    S = Q @ np.swapaxes(K, -1, -2) / 2.0
    if causal:
        S = np.where(causal_mask(T), S, -np.inf)
    top = S.max(axis=-1, keepdims=True)
    np.testing.assert_allclose(lse, top + np.log(np.exp(S - top).sum(-1, keepdims=True)),
                               rtol=1e-13)


def test_the_comparison_sees_a_backward_without_the_row_term_D():
    """With ``O = 0`` the kernel's ``D = rowsum(dO ⊙ O)`` is 0: dS = A ⊙ dA, which is wrong."""
    Q, K, V = _qkv(9)
    dO = np.random.default_rng(9).standard_normal(V.shape)
    _, A = attention_forward(Q, K, V)
    dQ, _, _ = attention_grads(dO, Q, K, V, A)
    O, lse = block_attention_forward(Q, K, V, block_size=4)
    dQ_wrong, _, _ = block_attention_grads(dO, Q, K, V, np.zeros_like(O), lse, block_size=4)
    assert np.max(np.abs(dQ - dQ_wrong)) > 1e-2


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("rope", [False, True])
def test_the_layer_with_blocks_equals_the_full_layer(causal, rope):
    X = np.random.default_rng(3).standard_normal((2, 11, 8))
    dY = np.random.default_rng(4).standard_normal((2, 11, 8))
    layers = [SelfAttention(8, 2, causal=causal, rope=rope, block_size=b,
                            rng=np.random.default_rng(1)) for b in (None, 3)]
    outs = [layer.forward(X) for layer in layers]
    dXs = [layer.backward(dY) for layer in layers]
    assert np.max(np.abs(outs[0] - outs[1])) < 1e-12
    assert np.max(np.abs(dXs[0] - dXs[1])) < 1e-12
    for (name, _, g0), (_, _, g1) in zip(layers[0].parameters(), layers[1].parameters()):
        assert np.max(np.abs(g0 - g1)) < 1e-12, name
    assert layers[1].A is None


def test_the_block_layer_against_finite_differences():
    layer = SelfAttention(8, 2, causal=True, rope=True, block_size=2, rng=np.random.default_rng(1))
    report = check(layer, np.random.default_rng(3).standard_normal((2, 5, 8)),
                   rng=np.random.default_rng(5))
    assert report.passed and report.max_error < 1e-6, str(report)


def _peak_bytes(layer, X, dY):
    layer.forward(X)                       # warm-up: nothing is measured twice by accident
    layer.backward(dY)
    layer._cache = layer._flash = None
    layer.A = None
    tracemalloc.start()
    try:
        layer.forward(X)
        layer.backward(dY)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_peak_memory_of_the_block_path_is_below_a_quarter_of_the_full_path_at_T_512():
    rng = np.random.default_rng(0)
    X, dY = rng.standard_normal((1, 512, 16)), rng.standard_normal((1, 512, 16))
    full, block = (SelfAttention(16, 2, causal=True, block_size=b, rng=np.random.default_rng(1))
                   for b in (None, 64))
    peak_full, peak_block = _peak_bytes(full, X, dY), _peak_bytes(block, X, dY)
    assert peak_block < peak_full / 4, (peak_block, peak_full)


def test_attention_argument_errors():
    with pytest.raises(ValueError, match="d_model = 10 is not divisible by n_heads = 4"):
        SelfAttention(10, 4)
    with pytest.raises(ValueError, match="rope needs an even head width.*= 3"):
        SelfAttention(6, 2, rope=True)
    with pytest.raises(ValueError, match="block_size must be positive, got 0"):
        SelfAttention(8, 2, block_size=0)
    with pytest.raises(TypeError, match="block_size must be an integer, got 2.5"):
        SelfAttention(8, 2, block_size=2.5)
    with pytest.raises(TypeError, match="block_size must be an integer, got True"):
        SelfAttention(8, 2, block_size=True)
    assert "rope=True, block_size=4" in repr(SelfAttention(8, 2, rope=True, block_size=4))
