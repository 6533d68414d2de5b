r"""The parts of a GPT written with the engine's operations, to check their backward passes (issue 25).

One primitive has a backward rule of its own, beside its forward: :func:`erf`,
with ``erf'(x) = (2/√π) e^{−x²}`` (its tangent rule is in
:mod:`nnmath.autodiff.tangents`). Everything else is a composition, so the
engine never calls the hand-derived formulas of :mod:`nnmath.gelu`,
:mod:`nnmath.rmsnorm`, :mod:`nnmath.rope` or :mod:`nnmath.flash` it checks:

* GELU is ``x · ½(1 + erf(x/√2))`` (the product rule supplies both terms of
  its derivative) or ``½x(1 + tanh(u))``;
* RMSNorm is a square, a mean, a square root and a division;
* the rotary embedding is ``x cos θ + (x P) sin θ`` with ``P`` the constant
  signed permutation that maps ``(x₁, x₂)`` to ``(−x₂, x₁)``: its gradient
  comes from the rule of ``@``, not from a rotation by ``−θ``;
* attention is the full ``softmax(QKᵀ/√d + M) V`` of
  :mod:`nnmath.autodiff.sequence`, never the block kernels.

A whole :class:`nnmath.GPT` becomes a graph of these in
:func:`nnmath.autodiff.convert.from_gpt` (the old address,
``nnmath.autodiff.gpt.from_gpt``, still works).
"""

import numpy as np

from ..gelu import erf as _erf_values
from ..rope import rope_angles
from .sequence import linear, scaled_dot_product_attention
from .tensor import Tensor, as_tensor

__all__ = ["erf", "gelu", "rms_norm", "rope", "gpt_self_attention"]


def erf(x):
    """The error function element-wise; its rule ``erf'(x) = (2/√π) e^{−x²}``."""
    x = as_tensor(x)

    def backward(dY):  # erf'(x) = 2/√π · e^{−x²}
        return (dY * (2.0 / np.sqrt(np.pi)) * np.exp(-x.data ** 2),)
    return Tensor(_erf_values(x.data), _parents=(x,), _op="erf", _backward=backward)


def gelu(x, approximate="none"):
    """``x Φ(x)`` with ``Φ(x) = ½(1 + erf(x/√2))``, or the tanh approximation, as Tensors."""
    x = as_tensor(x)
    if approximate == "tanh":
        return 0.5 * x * (1.0 + (np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)).tanh())
    return x * (0.5 * (1.0 + erf(x * 2.0 ** -0.5)))


def rms_norm(x, gamma, eps=1e-6):
    """``gamma * x / sqrt(mean(x², last axis) + eps)``, as Tensors."""
    x = as_tensor(x)
    return x / ((x * x).mean(axis=-1, keepdims=True) + eps).sqrt() * gamma


def rope(x):
    """Rotary embedding of ``x (..., T, 2m)``: ``x cos θ + (x P) sin θ`` with a constant ``P``."""
    x = as_tensor(x)
    T, d = x.shape[-2], x.shape[-1]
    m = d // 2
    cos, sin = rope_angles(T, d)
    P = np.zeros((d, d))
    P[m:, :m] = -np.eye(m)            # (x P)_{:m} = −x_{m:}
    P[:m, m:] = np.eye(m)             # (x P)_{m:} = x_{:m}
    return x * np.tile(cos, 2) + linear(x, P) * np.tile(sin, 2)


def gpt_self_attention(X, Wq, Wk, Wv, Wo, n_heads, causal=True, rope_qk=False):
    """Multi-head self-attention with optional rotary queries and keys, as Tensors."""
    X = as_tensor(X)
    N, T, D = X.shape
    Q, K, V = (linear(X, W).reshape(N, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)
               for W in (Wq, Wk, Wv))
    if rope_qk:
        Q, K = rope(Q), rope(K)
    Y, _ = scaled_dot_product_attention(Q, K, V, mask=np.tri(T, dtype=bool) if causal else None)
    return linear(Y.transpose(0, 2, 1, 3).reshape(N, T, D), Wo)


def __getattr__(name):  # gpt.from_gpt moved to convert.py: the old address works
    if name == "from_gpt":
        from .convert import from_gpt
        return from_gpt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
