r"""Engine operations for sequence models: batched products, masks, stacking, and the
sequence layers written with them (chapters 26–28).

Three primitives have backward rules of their own, each beside its forward
(their tangent rules are in :mod:`nnmath.autodiff.tangents`):
:func:`batched_matmul` (a matrix product per batch entry), :func:`where` (pick
entries from two tensors by a fixed mask) and :func:`stack` (join tensors along
a new axis). Everything else here is a composition of those and of the core
operations, so the engine differentiates an embedding, a recurrent network or
attention without ever calling the hand-derived backward formulas of
:mod:`nnmath.sequence` and :mod:`nnmath.attention` that it is used to check:

* an embedding lookup is a product with a constant one-hot matrix (its gradient
  comes from the rule of ``@``, not from a scatter-add);
* the recurrent network is its forward loop (the engine unrolls the time steps);
* attention is ``exp``, ``sum``, division and products (no softmax Jacobian).

The layers themselves become such graphs in :func:`nnmath.autodiff.convert.from_module`
(the old address, ``nnmath.autodiff.sequence.from_module``, still works).
"""

import numpy as np

from .functions import softmax
from .tensor import Tensor, as_tensor, unbroadcast

__all__ = ["batched_matmul", "where", "stack", "one_hot", "embedding", "linear", "rnn",
           "scaled_dot_product_attention", "self_attention"]


def _swap(A):
    return np.swapaxes(A, -1, -2)


# -- primitives ------------------------------------------------------------------

def batched_matmul(a, b):
    """Matrix product of the last two axes, broadcast over the leading ones.

    ``(..., T, d) @ (..., d, S) -> (..., T, S)`` as :func:`numpy.matmul`.
    """
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ValueError(f"batched_matmul: cannot multiply shapes {a.shape} and {b.shape}; "
                         f"both need >= 2 axes and matching inner dimensions")
    try:
        out = np.matmul(a.data, b.data)
    except ValueError:
        raise ValueError(f"batched_matmul: leading axes of {a.shape} and {b.shape} do not "
                         f"broadcast") from None

    def backward(dY):  # per batch entry Y = AB: ∂L/∂A = dY Bᵀ, ∂L/∂B = Aᵀ dY (chapter 5)
        return (unbroadcast(dY @ _swap(b.data), a.shape) if a.requires_grad else None,
                unbroadcast(_swap(a.data) @ dY, b.shape) if b.requires_grad else None)
    return Tensor(out, _parents=(a, b), _op="bmm", _backward=backward)


def where(condition, a, b):
    """``a`` where the constant boolean ``condition`` holds, ``b`` elsewhere (broadcast)."""
    a, b = as_tensor(a), as_tensor(b)
    cond = np.asarray(condition, dtype=bool)

    def backward(dY):  # each output entry is a copy of one input entry: route dY there
        return (unbroadcast(dY * cond, a.shape) if a.requires_grad else None,
                unbroadcast(dY * ~cond, b.shape) if b.requires_grad else None)
    return Tensor(np.where(cond, a.data, b.data), _parents=(a, b), _op="where",
                  _backward=backward, _saved=cond)


def stack(tensors, axis=0):
    """Join tensors of equal shape along a new axis (as :func:`numpy.stack`)."""
    tensors = [as_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {t.shape for t in tensors}
    if len(shapes) != 1:
        raise ValueError(f"stack: tensors must have one shape, got {sorted(shapes)}")
    out = np.stack([t.data for t in tensors], axis=axis)
    axis = axis % out.ndim

    def backward(dY):  # each input is one slice of the output: hand back its slice
        return tuple(np.take(dY, k, axis=axis) for k in range(len(tensors)))
    return Tensor(out, _parents=tuple(tensors), _op="stack", _backward=backward,
                  _saved=axis)


# -- compositions ------------------------------------------------------------------

def one_hot(indices, num):
    """Constant one-hot array ``E`` of shape ``indices.shape + (num,)``."""
    indices = np.asarray(indices.data if isinstance(indices, Tensor) else indices).astype(int)
    return np.eye(num)[indices]


def embedding(W, indices):
    """``W[indices]`` written as the product ``E W`` with the constant one-hot ``E``."""
    W = as_tensor(W)
    E = one_hot(indices, W.shape[0])
    return (Tensor(E.reshape(-1, W.shape[0]), requires_grad=False) @ W).reshape(
        E.shape[:-1] + (W.shape[1],))


def linear(X, W, b=None):
    """``X W (+ b)`` for ``X`` of shape ``(..., in)``: rows of all leading axes at once."""
    X, W = as_tensor(X), as_tensor(W)
    if X.ndim == 2:  # a batch of rows: the product itself
        return X @ W if b is None else X @ W + b
    Y = (X.reshape(-1, W.shape[0]) @ W).reshape(X.shape[:-1] + (W.shape[1],))
    return Y if b is None else Y + b


def rnn(X, Wx, Wh, b, h0):
    """All states of ``h_t = tanh(x_t Wx + h_{t−1} Wh + b)``, the time loop unrolled."""
    X, h = as_tensor(X), as_tensor(h0)
    states = []
    for t in range(X.shape[1]):
        h = (X[:, t] @ Wx + h @ Wh + b).tanh()
        states.append(h)
    return stack(states, axis=1)


def scaled_dot_product_attention(Q, K, V, mask=None):
    """``softmax(Q Kᵀ/√d + M) V`` from products, ``exp``, sums and a ``where``; returns (Y, A)."""
    Q, K = as_tensor(Q), as_tensor(K)
    axes = tuple(range(K.ndim - 2)) + (K.ndim - 1, K.ndim - 2)
    S = batched_matmul(Q, K.transpose(*axes)) * Q.shape[-1] ** -0.5
    if mask is not None:
        S = where(mask, S, -np.inf)
    A = softmax(S, axis=-1)
    return batched_matmul(A, V), A


def self_attention(X, Wq, Wk, Wv, Wo, n_heads=1, causal=False):
    """Multi-head self-attention of :class:`nnmath.SelfAttention` with Tensor operations."""
    X = as_tensor(X)
    N, T, D = X.shape
    heads = [linear(X, W).reshape(N, T, n_heads, D // n_heads).transpose(0, 2, 1, 3)
             for W in (Wq, Wk, Wv)]
    mask = np.tri(T, dtype=bool) if causal else None
    Y, _ = scaled_dot_product_attention(*heads, mask=mask)
    return linear(Y.transpose(0, 2, 1, 3).reshape(N, T, D), Wo)


def __getattr__(name):  # sequence.from_module moved to convert.py: the old address works
    if name == "from_module":
        from .convert import from_module
        return from_module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
