"""The sequence chapters' engine primitives, data generator and apparatus (chapters 26–28)."""

import numpy as np
import pytest

import nnmath as nm
from nnmath import sequence as seq
from nnmath.autodiff import Tensor, batched_matmul, stack, where
from nnmath.book.chapters import ch26_embeddings_rnn as ch26
from nnmath.book.chapters import ch27_attention as ch27
from nnmath.book.chapters import ch28_transformer as ch28
from nnmath.gradcheck import norm_relative_error, numeric_gradient, numeric_jacobian


def _rng(*key):
    return np.random.default_rng([28, *key])


# -- engine primitives against finite differences ---------------------------------------

@pytest.mark.parametrize("op, shapes", [
    (lambda a, b: batched_matmul(a, b), ((2, 3, 4), (2, 4, 5))),
    (lambda a, b: batched_matmul(a, b), ((2, 1, 3, 4), (5, 4, 2))),          # broadcast
    (lambda a, b: where(np.tri(3, 4, dtype=bool), a, b), ((3, 4), (4,))),
    (lambda a, b: stack([a, b * 2.0, a], axis=1), ((3, 2), (3, 2))),
], ids=["bmm", "bmm-broadcast", "where", "stack"])
def test_sequence_primitives_match_finite_differences(op, shapes):
    rng = _rng(1)
    a, b = (rng.standard_normal(s) for s in shapes)
    ta, tb = Tensor(a), Tensor(b)
    out = op(ta, tb)
    G = rng.standard_normal(out.shape)
    (out * G).sum().backward()
    for t, x, which in ((ta, a, 0), (tb, b, 1)):
        def f(v, which=which):
            args = [Tensor(a), Tensor(b)]
            args[which] = Tensor(v)
            return float(np.sum(op(*args).data * G))
        assert norm_relative_error(t.grad, numeric_gradient(f, x)) < 1e-7


def test_batched_matmul_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"batched_matmul: cannot multiply shapes \(2, 3, 4\) "
                                         r"and \(2, 5, 4\)"):
        batched_matmul(Tensor(np.ones((2, 3, 4))), Tensor(np.ones((2, 5, 4))))


# -- data ---------------------------------------------------------------------------------

def test_reversal_data_reverses_and_is_seeded():
    X, Y = nm.data.reversal_data(50, 7, _rng(2))
    X2, _ = nm.data.reversal_data(50, 7, _rng(2))
    assert X.shape == Y.shape == (50, 7) and X.dtype.kind == "i"
    np.testing.assert_array_equal(Y, X[:, ::-1])
    np.testing.assert_array_equal(X, X2)
    assert X.min() >= 0 and X.max() <= 9


@pytest.mark.parametrize("args, error, message", [
    ((0, 3, None), ValueError, r"reversal_data: n must be positive, got 0"),
    ((5, 2.5, None), TypeError, r"reversal_data: length must be an integer, got 2\.5"),
    ((5, 3, 7), TypeError, r"reversal_data: rng must be a numpy\.random\.Generator, got int"),
])
def test_reversal_data_rejects_bad_arguments(args, error, message):
    n, length, rng = args
    with pytest.raises(error, match=message):
        nm.data.reversal_data(n, length, _rng(3) if rng is None else rng)


# -- chapter 26 ----------------------------------------------------------------------------

def test_truncation_reference_is_bptt_for_k_at_least_T_and_differs_below():
    rng = _rng(4)
    X, dH = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 4))
    Wx, Wh, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)) * 0.6, np.zeros(4)
    Hs = seq.rnn_forward(X, Wx, Wh, b, np.zeros((2, 4)))
    full = seq.rnn_grads(dH, X, Hs, np.zeros((2, 4)), Wx, Wh)[2]
    np.testing.assert_allclose(ch26.truncated_grad_Wh(X, Wx, Wh, b, dH, 6), full, rtol=1e-12)
    assert norm_relative_error(ch26.truncated_grad_Wh(X, Wx, Wh, b, dH, 2), full) > 1e-3


def test_jacobian_product_near_zero_states_is_a_matrix_power():
    rng = _rng(5)
    Wh = ch26.matrix_with_spectral_radius(0.8, 6, rng)
    assert abs(np.max(np.abs(np.linalg.eigvals(Wh))) - 0.8) < 1e-12
    norms = ch26.jacobian_product_norms(Wh, 5, rng=rng, h0_scale=1e-9)
    powers = [np.linalg.norm(np.linalg.matrix_power(Wh.T, k), 2) for k in range(1, 6)]
    np.testing.assert_allclose(norms, powers, rtol=1e-9)


def test_embedding_jacobian_contracts_to_the_scatter_add():
    idx = np.array([2, 0, 2])
    delta = _rng(6).standard_normal((3, 2))
    J = ch26.embedding_jacobian(idx, 3, 2)
    np.testing.assert_allclose(np.einsum("pj,pjvk->vk", delta, J),
                               seq.embedding_grad_W(delta, idx, 3), rtol=1e-15)
    assert not np.allclose(ch26.assign_instead_of_add(idx, delta, 3),
                           seq.embedding_grad_W(delta, idx, 3))


# -- chapter 27 ----------------------------------------------------------------------------

def test_causal_jacobian_is_block_lower_triangular_and_matches_finite_differences():
    rng = _rng(7)
    T, D = 4, 2
    X, Ws = rng.standard_normal((T, D)), [rng.standard_normal((D, D)) for _ in range(4)]
    J = ch27.self_attention_jacobian(X, *Ws, causal=True)
    layer = nm.SelfAttention(D, causal=True)
    layer.Wq, layer.Wk, layer.Wv, layer.Wo = (W.copy() for W in Ws)
    fd = numeric_jacobian(lambda x: layer.forward(x[None])[0], X)
    np.testing.assert_allclose(J, fd, rtol=1e-6, atol=1e-8)
    for t in range(T):
        assert np.all(J[t, :, t + 1:, :] == 0)
    assert np.mean(J != 0) == pytest.approx((T + 1) / (2 * T))


def test_memory_table_counts_entries():
    table = dict(ch27.memory_table(2048, 512, 8))
    assert table["full Jacobian dY/dX"] == (2048 * 512) ** 2 * 8
    assert table["row-softmax Jacobians, all heads"] == 8 * 2048 ** 3 * 8
    assert ch27.format_bytes(8 * 2 ** 40) == "8.0 TiB" and ch27.format_bytes(512) == "512 B"


# -- chapter 28 ----------------------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_transformer_hand_backward_equals_the_engine(causal):
    rng = _rng(8)
    model = ch28.transformer(7, 5, 8, 2, 16, rng=rng, causal=causal)
    worst, gap = ch28.engine_agreement(model, rng.integers(0, 7, (3, 5)),
                                       rng.integers(0, 7, (3, 5)))
    assert worst < 1e-12 and gap < 1e-12
    assert ch28.attention_layer(model).causal is causal
