"""Sequence layers (Embedding, PositionalEmbedding, RNN, SelfAttention), Linear on
(N, T, in) and SoftmaxCrossEntropy on (N, T, C): gradients against the engine, dtypes,
and every bad input against its message (against finite differences: the one table of
test_gradients.py).
"""

import warnings

import numpy as np
import pytest

import nnmath as nm
from nnmath.autodiff import Tensor, softmax_cross_entropy_loss
from nnmath.autodiff import sequence as ads
from nnmath.gradcheck import norm_relative_error, numeric_gradient

FD_RTOL = 1e-6


def _rng(*key):
    return np.random.default_rng([26, *key])


# -- one table: module, input, and how to draw it -------------------------------------

CASES = {  # name: (make(rng, dtype), draw(rng))
    "embedding": (lambda r, dt: nm.Embedding(6, 4, rng=r, dtype=dt),
                  lambda r: r.integers(0, 6, (3, 5))),
    "positional": (lambda r, dt: nm.PositionalEmbedding(7, 4, rng=r, dtype=dt),
                   lambda r: r.standard_normal((2, 5, 4))),
    "rnn": (lambda r, dt: nm.RNN(3, 4, rng=r, dtype=dt), lambda r: r.standard_normal((2, 5, 3))),
    "attention": (lambda r, dt: nm.SelfAttention(6, rng=r, dtype=dt),
                  lambda r: r.standard_normal((2, 4, 6))),
    "attention-2-heads-causal": (lambda r, dt: nm.SelfAttention(6, 2, causal=True, rng=r, dtype=dt),
                                 lambda r: r.standard_normal((2, 4, 6))),
    "linear-3d": (lambda r, dt: nm.Linear(4, 3, rng=r, dtype=dt),
                  lambda r: r.standard_normal((2, 5, 4))),
}


@pytest.mark.parametrize("case", CASES)
def test_hand_backward_equals_the_engine(case):
    make, draw = CASES[case]
    rng = _rng(2)
    module, X = make(rng, np.float64), draw(rng)
    Y = module.forward(X)
    G = rng.standard_normal(Y.shape)
    dX = module.backward(G)
    forward, params = ads.from_module(module)
    Xt = Tensor(X) if X.dtype.kind == "f" else X
    (forward(Xt) * G).sum().backward()
    for name, _, grad in module.parameters():
        assert norm_relative_error(grad, params[name].grad) < 1e-12, name
    if dX is not None:
        assert norm_relative_error(dX, Xt.grad) < 1e-12


@pytest.mark.parametrize("case", CASES)
def test_float32_stays_float32(case):
    make, draw = CASES[case]
    rng = _rng(3)
    module, X = make(rng, np.float32), draw(rng)
    X = X.astype(np.float32) if X.dtype.kind == "f" else X
    Y = module.forward(X)
    dX = module.backward(np.ones_like(Y))
    assert Y.dtype == np.float32
    assert dX is None or dX.dtype == np.float32
    assert all(g.dtype == np.float32 for _, _, g in module.parameters())


@pytest.mark.parametrize("case", CASES)
def test_backward_sets_gradients_and_train_eval_return_the_module(case):
    make, draw = CASES[case]
    rng = _rng(4)
    module, X = make(rng, np.float64), draw(rng)
    Y = module.forward(X)
    module.backward(np.ones_like(Y))
    first = [g.copy() for _, _, g in module.parameters()]
    module.backward(np.ones_like(Y))
    for a, (_, _, b) in zip(first, module.parameters()):
        np.testing.assert_array_equal(a, b)
    assert module.eval() is module and not module.training
    assert module.train() is module and module.training


# -- embeddings: repeated tokens add up ----------------------------------------------

def test_repeated_tokens_accumulate_in_the_embedding_gradient():
    emb = nm.Embedding(4, 2, rng=_rng(5))
    emb.forward(np.array([[1, 1, 3]]))
    emb.backward(np.array([[[1.0, 2.0], [10.0, 20.0], [5.0, 5.0]]]))
    np.testing.assert_array_equal(emb.dW, [[0, 0], [11, 22], [0, 0], [5, 5]])


def test_embedding_forward_is_a_product_with_a_one_hot_matrix():
    emb = nm.Embedding(5, 3, rng=_rng(6))
    idx = np.array([4, 0, 4, 2])
    np.testing.assert_array_equal(emb.forward(idx), np.eye(5)[idx] @ emb.W)


# -- Linear and the loss on sequences --------------------------------------------------

def test_linear_on_sequences_equals_linear_on_the_flattened_rows():
    rng = _rng(7)
    lin = nm.Linear(4, 3, rng=rng)
    X, G = rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    Y, dX = lin.forward(X), lin.backward(G)
    dW3, db3 = lin.dW, lin.db
    Y2, dX2 = lin.forward(X.reshape(10, 4)), lin.backward(G.reshape(10, 3))
    np.testing.assert_allclose(Y.reshape(10, 3), Y2, rtol=1e-15)
    np.testing.assert_allclose(dX.reshape(10, 4), dX2, rtol=1e-15)
    np.testing.assert_allclose(dW3, lin.dW, rtol=1e-14)
    np.testing.assert_allclose(db3, lin.db, rtol=1e-14)


def test_cross_entropy_on_sequences_is_the_mean_over_all_positions():
    rng = _rng(8)
    Z, labels = rng.standard_normal((3, 4, 5)), rng.integers(0, 5, (3, 4))
    ce = nm.SoftmaxCrossEntropy()
    L, dZ = ce.forward(Z, labels), ce.backward()
    Zt = Tensor(Z)
    Lt = softmax_cross_entropy_loss(Zt.reshape(12, 5), np.eye(5)[labels.reshape(12)])
    Lt.backward()
    assert abs(L - Lt.item()) < 1e-14
    assert dZ.shape == Z.shape
    np.testing.assert_allclose(dZ, Zt.grad, rtol=1e-12, atol=1e-15)
    assert nm.train.accuracy(Z, labels) == float(np.mean(Z.argmax(-1) == labels))


def test_cross_entropy_rejects_sequence_labels_of_the_wrong_length():
    with pytest.raises(ValueError, match=r"SoftmaxCrossEntropy\.forward: labels have shape "
                                         r"\(3, 5\), expected \(3, 4\)"):
        nm.SoftmaxCrossEntropy().forward(np.zeros((3, 4, 5)), np.zeros((3, 5), dtype=int))


# -- attention: masks, heads, edge cases ---------------------------------------------------

def test_causal_attention_ignores_the_future():
    rng = _rng(9)
    att = nm.SelfAttention(4, 2, causal=True, rng=rng)
    X = rng.standard_normal((1, 5, 4))
    Y = att.forward(X)
    X2 = X.copy()
    X2[0, 3:] += 10.0                      # change positions 3 and 4 only
    np.testing.assert_allclose(att.forward(X2)[0, :3], Y[0, :3], rtol=1e-14)
    assert np.all(np.triu(att.A[0, 0], 1) == 0)
    np.testing.assert_allclose(att.A.sum(-1), 1.0, rtol=1e-14)


def test_length_one_causal_sequence_works_without_warnings():
    att = nm.SelfAttention(4, 2, causal=True, rng=_rng(10))
    X = _rng(11).standard_normal((3, 1, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Y = att.forward(X)
        dX = att.backward(np.ones_like(Y))
    np.testing.assert_array_equal(att.A, 1.0)
    assert np.all(np.isfinite(dX))


def test_one_head_equals_the_attention_function():
    rng = _rng(12)
    att = nm.SelfAttention(4, rng=rng)
    X = rng.standard_normal((2, 3, 4))
    Y, _ = nm.attention.attention_forward(X @ att.Wq, X @ att.Wk, X @ att.Wv)
    np.testing.assert_allclose(att.forward(X), Y @ att.Wo, rtol=1e-13)


# -- RNN ---------------------------------------------------------------------------------

def test_rnn_states_follow_the_recursion_and_h0_gradient():
    rng = _rng(13)
    rnn = nm.RNN(2, 3, rng=rng)
    X, h0 = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 3))
    H = rnn.forward(X, h0)
    h = h0
    for t in range(4):
        h = np.tanh(X[:, t] @ rnn.Wx + h @ rnn.Wh + rnn.b)
        np.testing.assert_allclose(H[:, t], h, rtol=1e-14)
    G = rng.standard_normal(H.shape)
    rnn.backward(G)
    fd = numeric_gradient(lambda v: float(np.sum(rnn.forward(X, v) * G)), h0)
    assert norm_relative_error(rnn.dh0, fd) < FD_RTOL


def test_chunked_rnn_with_carried_gradient_equals_full_bptt():
    rng = _rng(14)
    rnn = nm.RNN(2, 3, rng=rng)
    X, G = rng.standard_normal((2, 6, 2)), rng.standard_normal((2, 6, 3))
    rnn.forward(X)
    rnn.backward(G)
    full = rnn.dWh.copy()
    first = rnn.forward(X[:, :3])
    rnn.forward(X[:, 3:], first[:, -1])
    rnn.backward(G[:, 3:])
    second, dh = rnn.dWh.copy(), rnn.dh0
    rnn.forward(X[:, :3])
    dH = G[:, :3].copy()
    dH[:, -1] += dh                       # carry the gradient across the chunk boundary
    rnn.backward(dH)
    np.testing.assert_allclose(second + rnn.dWh, full, rtol=1e-12)


# -- bad input ---------------------------------------------------------------------------

BAD = [
    (lambda: nm.Embedding(5, 2).forward(np.array([0, 5])), ValueError,
     r"Embedding\.forward: index 5 is out of range for 5 embeddings \(valid: 0 to 4\)"),
    (lambda: nm.Embedding(5, 2).forward(np.array([-1, 2])), ValueError,
     r"Embedding\.forward: index -1 is out of range for 5 embeddings"),
    (lambda: nm.Embedding(5, 2).forward(np.array([0.0, 1.0])), TypeError,
     r"Embedding\.forward: indices must be integers, got dtype float64"),
    (lambda: nm.Embedding(5, 2).forward(np.array([True])), TypeError,
     r"Embedding\.forward: indices must be integers, got dtype bool"),
    (lambda: nm.Embedding(5, 2).backward(np.ones((1, 2))), ValueError,
     r"Embedding\.backward: backward called before forward"),
    (lambda: nm.Embedding(0, 2), ValueError, r"Embedding: num_embeddings must be positive"),
    (lambda: nm.SelfAttention(6, 4), ValueError,
     r"SelfAttention: d_model = 6 is not divisible by n_heads = 4"),
    (lambda: nm.SelfAttention(6, 2).forward(np.ones((2, 3, 4))), ValueError,
     r"SelfAttention\.forward: X has shape \(2, 3, 4\), expected \(N, T, 6\)"),
    (lambda: nm.SelfAttention(6, 2, dtype=np.int64), TypeError,
     r"SelfAttention: dtype must be a floating dtype, got int64"),
    (lambda: nm.RNN(2, 3).forward(np.ones((2, 4, 5))), ValueError,
     r"RNN\.forward: X has shape \(2, 4, 5\), expected \(N, T, 2\)"),
    (lambda: nm.RNN(2, 3).forward(np.ones((2, 4, 2)), np.ones((3, 3))), ValueError,
     r"RNN\.forward: h0 has shape \(3, 3\), expected \(2, 3\)"),
    (lambda: nm.RNN(2, 3).forward(np.ones((1, 4, 2)), np.array([[0.0, np.nan, 1.0]])),
     ValueError, r"RNN\.forward: h0 contains 1 NaN or infinite value\(s\)"),
    (lambda: nm.RNN(2, 3, rng=3), TypeError,
     r"RNN: rng must be a numpy\.random\.Generator or None, got int"),
    (lambda: nm.PositionalEmbedding(4, 2).forward(np.ones((1, 5, 2))), ValueError,
     r"PositionalEmbedding\.forward: sequence length T = 5, expected 1 <= T <= max_len = 4"),
]


@pytest.mark.parametrize("make, error, message", BAD, ids=[m for _, _, m in BAD])
def test_bad_input_is_rejected_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make_module, shape, wrong", [
    (lambda: nm.RNN(2, 3), (2, 4, 2), (2, 5, 3)),
    (lambda: nm.SelfAttention(4), (2, 4, 4), (2, 3, 4)),
    (lambda: nm.Linear(4, 3), (2, 4, 4), (2, 5, 3)),
], ids=["RNN", "SelfAttention", "Linear"])
def test_upstream_of_another_sequence_length_is_rejected(make_module, shape, wrong):
    module = make_module()
    module.forward(np.ones(shape))
    name = type(module).__name__
    with pytest.raises(ValueError, match=rf"{name}\.backward: dH? ?\w* ?has shape "
                                         rf"\({wrong[0]}, {wrong[1]}, {wrong[2]}\)"):
        module.backward(np.ones(wrong))
