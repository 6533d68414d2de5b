"""The engine's composed sequence and GPT operations (``one_hot``, ``embedding``, ``linear``,
the two self-attentions, ``layer_norm``, ``rms_norm``) called with their default arguments,
checked against hand-written loops and closed forms in NumPy."""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, layer_norm
from nnmath.autodiff.gpt import gpt_self_attention, rms_norm
from nnmath.autodiff.sequence import embedding, linear, one_hot, self_attention


def test_one_hot_and_embedding_take_plain_lists_of_indices():
    idx = [[0, 2], [3, 3]]
    E = one_hot(idx, 4)
    expected = np.zeros((2, 2, 4))
    for i in range(2):
        for j in range(2):
            expected[i, j, idx[i][j]] = 1.0
    np.testing.assert_array_equal(E, expected)

    rng = np.random.default_rng(3)
    W = Tensor(rng.normal(size=(4, 3)))
    Y = embedding(W, idx)
    G = rng.normal(size=(2, 2, 3))
    Y.backward(G)
    dW = np.zeros((4, 3))
    for i in range(2):
        for j in range(2):
            np.testing.assert_array_equal(Y.data[i, j], W.data[idx[i][j]])
            dW[idx[i][j]] += G[i, j]  # a row used twice collects both gradients
    np.testing.assert_allclose(W.grad, dW, rtol=1e-14, atol=1e-14)


def test_embedding_of_a_constant_table_is_a_constant():
    Y = embedding(np.eye(4, 3), [1, 2])
    assert not Y.requires_grad
    with pytest.raises(ValueError, match="constant"):
        Y.sum().backward()


def _rows_times(X, W):
    return np.array([[sum(x[m] * W[m, j] for m in range(W.shape[0])) for j in range(W.shape[1])]
                     for x in X])


def test_linear_of_a_batch_of_rows_is_the_product_node_itself():
    rng = np.random.default_rng(4)
    X, W = Tensor(rng.normal(size=(5, 3))), Tensor(rng.normal(size=(3, 2)))
    Y = linear(X, W)
    assert Y.op == "@" and Y.parents == (X, W)
    np.testing.assert_allclose(Y.data, _rows_times(X.data, W.data), rtol=1e-12, atol=1e-12)
    b = Tensor(rng.normal(size=2))
    Yb = linear(X, W, b)
    np.testing.assert_allclose(Yb.data, _rows_times(X.data, W.data) + b.data,
                               rtol=1e-12, atol=1e-12)


def _softmax_rows(S):
    e = np.exp(S - S.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _one_head_attention(X, Wq, Wk, Wv, Wo, causal):
    """Single-head attention, one sequence and one query at a time."""
    N, T, D = X.shape
    out = np.zeros((N, T, D))
    for n in range(N):
        Q, K, V = X[n] @ Wq, X[n] @ Wk, X[n] @ Wv
        for t in range(T):
            keys = range(t + 1) if causal else range(T)
            s = np.array([Q[t] @ K[u] / np.sqrt(D) for u in keys])
            a = _softmax_rows(s)
            out[n, t] = sum(a[k] * V[u] for k, u in enumerate(keys)) @ Wo
    return out


def _attention_inputs(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(2, 4, 4))
    return X, [rng.normal(size=(4, 4)) for _ in range(4)]


def test_self_attention_defaults_to_one_head_without_a_mask():
    X, Ws = _attention_inputs(5)
    Y = self_attention(X, *[Tensor(W) for W in Ws])
    np.testing.assert_allclose(Y.data, _one_head_attention(X, *Ws, causal=False),
                               rtol=1e-10, atol=1e-12)


def test_gpt_self_attention_defaults_to_causal_without_rotary_embedding():
    X, Ws = _attention_inputs(6)
    Y = gpt_self_attention(X, *[Tensor(W) for W in Ws], n_heads=1)
    np.testing.assert_allclose(Y.data, _one_head_attention(X, *Ws, causal=True),
                               rtol=1e-10, atol=1e-12)


def test_layer_norm_default_eps_is_1e_minus_5():
    rng = np.random.default_rng(7)
    x = 0.01 * rng.normal(size=(3, 5))  # variance ~1e-4: eps = 1e-5 changes the result
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    Y = layer_norm(Tensor(x), Tensor(gamma), Tensor(beta))
    for r in range(3):
        mu = sum(x[r]) / 5
        var = sum((x[r] - mu) ** 2) / 5
        np.testing.assert_allclose(Y.data[r], gamma * (x[r] - mu) / np.sqrt(var + 1e-5) + beta,
                                   rtol=1e-10, atol=1e-12)


def test_rms_norm_default_eps_is_1e_minus_6():
    rng = np.random.default_rng(8)
    x = 0.001 * rng.normal(size=(3, 5))  # mean square ~1e-6: eps = 1e-6 changes the result
    gamma = rng.normal(size=5)
    Y = rms_norm(Tensor(x), Tensor(gamma))
    for r in range(3):
        ms = sum(x[r] ** 2) / 5
        np.testing.assert_allclose(Y.data[r], gamma * x[r] / np.sqrt(ms + 1e-6),
                                   rtol=1e-10, atol=1e-12)
