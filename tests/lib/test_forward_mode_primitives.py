"""Forward mode (jvp) and second order (hvp) go through every primitive the later parts use:
the batched product, where, stack, erf, and so the engine's own attention, convolution,
normalisation and GPT parts; and ``Tensor @`` takes batches of matrices. Checked against
central differences, an independent route. Every operation the engine records has a
tangent rule in the one table, :data:`nnmath.autodiff.tangents.TANGENTS`."""

import re
from pathlib import Path


import numpy as np
import pytest

import nnmath.autodiff as ad
from nnmath.autodiff import Tensor, hvp, jvp
from nnmath.autodiff import gpt as adg
from nnmath.autodiff.tangents import TANGENTS
from nnmath.autodiff.sequence import batched_matmul, self_attention, stack, where
from nnmath.gradcheck import numeric_jacobian, norm_relative_error

rng = np.random.default_rng(19)
A = rng.standard_normal((2, 3, 4))
B = rng.standard_normal((2, 4, 5))
MASK = rng.random((3, 4)) < 0.5
W = {k: rng.standard_normal((4, 4)) * 0.5 for k in ("Wq", "Wk", "Wv", "Wo")}
K, BIAS, G4, B4 = (rng.standard_normal(s) for s in ((2, 2, 2, 2), 2, 4, 4))  # fixed parameters
RNN_W = [rng.standard_normal(s) * 0.5 for s in ((3, 4), (4, 4), (4,))]

FUNCTIONS = {
    "batched product, left": (lambda t: batched_matmul(t, Tensor(B)), A),
    "batched product, right": (lambda t: batched_matmul(Tensor(A), t), B),
    "where": (lambda t: where(MASK, t * t, t.exp()), A[0]),
    "stack": (lambda t: stack([t, t * t, t.tanh()], axis=1), A[0]),
    "Tensor @ on batches": (lambda t: t @ Tensor(B), A),
    "causal self-attention": (lambda t: self_attention(
        t, *(Tensor(W[k]) for k in ("Wq", "Wk", "Wv", "Wo")), n_heads=2, causal=True),
        rng.standard_normal((2, 3, 4))),
    "erf and GELU": (lambda t: adg.erf(t) * adg.gelu(t), rng.standard_normal((2, 3)) * 1.5),
    "GELU, tanh form": (lambda t: adg.gelu(t, approximate="tanh"), rng.standard_normal((2, 3))),
    "conv2d, stride and padding": (lambda t: ad.conv2d(t, Tensor(K), Tensor(BIAS), 2, 1),
                                   rng.standard_normal((1, 2, 4, 3))),
    "max pooling": (lambda t: ad.max_pool2d(t * t, 2), rng.standard_normal((1, 2, 4, 4))),
    "layer norm": (lambda t: ad.layer_norm(t, Tensor(G4), Tensor(B4)),
                   rng.standard_normal((2, 3, 4))),
    "batch norm, images": (lambda t: ad.batch_norm(t, np.array([1.0, 2.0]), np.array([0.5, -1.0])),
                           rng.standard_normal((3, 2, 2, 2))),
    "RMSNorm": (lambda t: adg.rms_norm(t, Tensor(G4)), rng.standard_normal((2, 3, 4))),
    "rotary embedding": (lambda t: adg.rope(t), rng.standard_normal((2, 3, 4))),
    "RNN": (lambda t: ad.sequence.rnn(t, *map(Tensor, RNN_W), np.zeros((2, 4))),
            rng.standard_normal((2, 3, 3))),
    "embedding table": (lambda t: ad.sequence.embedding(t, np.array([[0, 2], [2, 1]])).tanh(),
                        rng.standard_normal((3, 4))),
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
    rule = TANGENTS["bmm"]
    forgetful = lambda y, i, dp: rule(y, i, dp) if i == 0 else rule(y, i, dp) * 0.0  # noqa: E731
    monkeypatch.setitem(TANGENTS, "bmm", forgetful)
    bad = jvp(f, x, v)[1]
    assert norm_relative_error(bad, good) > 0.5


def test_every_operation_the_engine_records_has_a_tangent_rule():
    """Each ``_op="…"`` of the engine's sources is a row of the one table, and no row is spare."""
    sources = Path(ad.__file__).parent.glob("*.py")
    ops = {op for path in sources for op in re.findall(r'_op="([^"]+)"', path.read_text())}
    assert ops == set(TANGENTS), (f"without a tangent rule: {sorted(ops - set(TANGENTS))}; "
                                  f"rules for no operation: {sorted(set(TANGENTS) - ops)}")


def test_tensor_matmul_on_batches_agrees_with_numpy_and_names_bad_shapes():
    np.testing.assert_array_equal((Tensor(A) @ Tensor(B)).data, A @ B)
    with pytest.raises(ValueError, match="cannot multiply shapes"):
        Tensor(A) @ Tensor(rng.standard_normal((2, 3, 5)))
    with pytest.raises(ValueError, match="cannot multiply shapes"):
        Tensor(A) @ Tensor(rng.standard_normal(4))
