"""Forward mode (jvp) and second order (hvp) go through every primitive the later parts use:
the batched product, where, stack, and so the engine's own attention; and ``Tensor @`` takes
batches of matrices. Checked against central differences, an independent route."""

import numpy as np
import pytest

import nnmath.autodiff as ad
from nnmath.autodiff import Tensor, hvp, jvp
from nnmath.autodiff.sequence import batched_matmul, self_attention, stack, where
from nnmath.gradcheck import numeric_jacobian, norm_relative_error

rng = np.random.default_rng(19)
A = rng.standard_normal((2, 3, 4))
B = rng.standard_normal((2, 4, 5))
MASK = rng.random((3, 4)) < 0.5
W = {k: rng.standard_normal((4, 4)) * 0.5 for k in ("Wq", "Wk", "Wv", "Wo")}

FUNCTIONS = {
    "batched product, left": (lambda t: batched_matmul(t, Tensor(B)), A),
    "batched product, right": (lambda t: batched_matmul(Tensor(A), t), B),
    "where": (lambda t: where(MASK, t * t, t.exp()), A[0]),
    "stack": (lambda t: stack([t, t * t, t.tanh()], axis=1), A[0]),
    "Tensor @ on batches": (lambda t: t @ Tensor(B), A),
    "causal self-attention": (lambda t: self_attention(
        t, *(Tensor(W[k]) for k in ("Wq", "Wk", "Wv", "Wo")), n_heads=2, causal=True),
        rng.standard_normal((2, 3, 4))),
}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_jvp_matches_central_differences(name):
    f, x = FUNCTIONS[name]
    v = np.random.default_rng(1).standard_normal(x.shape)
    value, tangent = jvp(f, x, v)
    J = numeric_jacobian(lambda y: f(Tensor(y)).data, x)      # out.shape + x.shape
    expected = np.tensordot(J, v, axes=x.ndim)
    np.testing.assert_allclose(value, f(Tensor(x)).data, rtol=0, atol=0)
    assert norm_relative_error(tangent, expected) < 1e-7


@pytest.mark.parametrize("name", FUNCTIONS)
def test_hvp_matches_differences_of_gradients(name):
    f, x = FUNCTIONS[name]
    weights = np.random.default_rng(2).standard_normal(f(Tensor(x)).shape)
    scalar = lambda t: (f(t) * f(t) * weights).sum()              # curved in every case
    v = np.random.default_rng(3).standard_normal(x.shape)

    def grad(y):
        t = Tensor(y)
        scalar(t).backward()
        return t.grad

    h = 1e-5
    expected = (grad(x + h * v) - grad(x - h * v)) / (2 * h)
    assert norm_relative_error(hvp(scalar, x, v), expected) < 1e-6


def test_a_wrong_tangent_rule_is_caught(monkeypatch):
    """The check can fail: a batched product whose tangent forgets the dB term."""
    f, x = FUNCTIONS["batched product, right"]
    v = np.ones_like(x)
    good = jvp(f, x, v)[1]
    original = ad.sequence.batched_matmul

    def forgetful(a, b):
        out = original(a, b)
        out._tangent = (out._tangent[0], lambda db, y: original(Tensor(np.zeros(a.shape)), db))
        return out
    monkeypatch.setattr(ad.sequence, "batched_matmul", forgetful)
    bad = jvp(lambda t: forgetful(Tensor(A), t), x, v)[1]
    assert norm_relative_error(bad, good) > 0.5


def test_tensor_matmul_on_batches_agrees_with_numpy_and_names_bad_shapes():
    np.testing.assert_array_equal((Tensor(A) @ Tensor(B)).data, A @ B)
    with pytest.raises(ValueError, match="cannot multiply shapes"):
        Tensor(A) @ Tensor(rng.standard_normal((2, 3, 5)))
    with pytest.raises(ValueError, match="cannot multiply shapes"):
        Tensor(A) @ Tensor(rng.standard_normal(4))
