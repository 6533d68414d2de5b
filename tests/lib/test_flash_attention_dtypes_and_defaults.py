"""Block attention: the result type of mixed input types, the documented default block of 64
keys (the same floats bit for bit as passing 64), against full softmax attention in NumPy."""

import numpy as np
import pytest

from nnmath.flash import block_attention_forward, block_attention_grads


def _full(Q, K, V, causal):
    S = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if causal:
        S = np.where(np.triu(np.ones(S.shape[-2:], bool), 1), -np.inf, S)
    m = S.max(-1, keepdims=True)
    E = np.exp(S - m)
    return E @ V / E.sum(-1, keepdims=True), m + np.log(E.sum(-1, keepdims=True))


@pytest.mark.parametrize("dq, dk, dv, expected", [
    (np.float32, np.float32, np.float32, np.float32),
    (np.float16, np.float32, np.float16, np.float32),
    (np.float16, np.float16, np.float32, np.float32),
    (np.float64, np.float32, np.float32, np.float64),
])
def test_the_result_type_is_that_of_the_three_inputs(dq, dk, dv, expected):
    rng = np.random.default_rng(0)
    Q, K, V = (rng.standard_normal((2, 5, 4)).astype(t) for t in (dq, dk, dv))
    O, lse = block_attention_forward(Q, K, V, causal=True, block_size=2)
    assert O.dtype == lse.dtype == expected
    O_ref, lse_ref = _full(*(a.astype(np.float64) for a in (Q, K, V)), causal=True)
    np.testing.assert_allclose(O, O_ref, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(lse, lse_ref, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("causal", [False, True])
def test_the_default_block_is_64_keys(causal):
    rng = np.random.default_rng(1)
    Q, K, V = (rng.standard_normal((1, 150, 3)) for _ in range(3))
    O, lse = block_attention_forward(Q, K, V, causal=causal)
    O64, lse64 = block_attention_forward(Q, K, V, causal=causal, block_size=64)
    np.testing.assert_array_equal(O, O64)
    np.testing.assert_array_equal(lse, lse64)
    O_ref, lse_ref = _full(Q, K, V, causal)
    np.testing.assert_allclose(O, O_ref, rtol=1e-12, atol=1e-12)
    dO = rng.standard_normal(O.shape)
    for a, b in zip(block_attention_grads(dO, Q, K, V, O, lse, causal=causal),
                    block_attention_grads(dO, Q, K, V, O, lse, causal=causal, block_size=64)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("block_size", [1, 2, 64])
def test_each_row_keeps_its_own_running_maximum(block_size):
    # row 0 scores near +800, row 1 near −800: one shared maximum would underflow row 1
    Q, K = np.array([[[40.0], [-40.0]]]), np.array([[[20.0], [19.0], [18.0]]])
    V = np.array([[[1.0, 0.0], [0.0, 1.0], [2.0, 3.0]]])
    O, lse = block_attention_forward(Q, K, V, block_size=block_size)
    O_ref, lse_ref = _full(Q, K, V, causal=False)
    assert np.all(np.isfinite(O)) and np.all(np.isfinite(lse))
    np.testing.assert_allclose(O, O_ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(lse, lse_ref, rtol=1e-12)
