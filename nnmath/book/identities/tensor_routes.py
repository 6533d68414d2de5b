r"""Forwards for the autodiff route, built from operations other than the rule they check.

The third route of an identity differentiates its forward map with the
reverse-mode engine. If that forward used the very operation whose rule is
under test (``X @ W`` to check ``∂L/∂W = Xᵀδ``, ``Z.tanh()`` to check
``tanh' = 1 − tanh²``), the engine would apply the same formula it is asked to
confirm, and the route could not fail for a wrong rule in the engine. The
helpers below write each primitive as a composition of *other* engine
operations, so the gradient the engine returns comes from different rules:

========================  ===============================================  =========================
function                  built from                                       rule it avoids
========================  ===============================================  =========================
:func:`matmul`            broadcast multiply, then ``sum`` over the inner  ``@``
                          axis
:func:`tanh`              ``1 − 2 / (e^{2z} + 1)``                         ``tanh``
:func:`sigmoid`           ``1 / (1 + e^{−z})``                             ``sigmoid``
:func:`relu`              ``(z + √(z²)) / 2``                              ``relu``, ``maximum``
:func:`leaky_relu`        ``((1 + a) z + (1 − a) √(z²)) / 2``              ``leaky_relu``
:func:`broadcast_rows`    indexing with repeated indices                   broadcast ``+``
========================  ===============================================  =========================

``relu`` and ``leaky_relu`` need ``z ≠ 0`` (``√`` is differentiable only at
positive arguments); the registry samples their inputs away from the kink.

Examples
--------
>>> import numpy as np
>>> from nnmath.autodiff import Tensor
>>> X, W = Tensor(np.ones((2, 3))), Tensor(np.arange(6.0).reshape(3, 2))
>>> matmul(X, W).data
array([[6., 9.],
       [6., 9.]])
"""

import numpy as np

__all__ = ["matmul", "tanh", "sigmoid", "relu", "leaky_relu", "broadcast_rows"]


def matmul(A, B):
    """``A @ B`` for 1-D or 2-D Tensors as ``Σ_k A[..., k, None] * B[k]`` (no ``@`` rule)."""
    a2 = A.reshape(1, -1) if A.ndim == 1 else A          # (M, K)
    b2 = B.reshape(-1, 1) if B.ndim == 1 else B          # (K, P)
    M, K = a2.shape
    P = b2.shape[1]
    product = (a2.reshape(M, K, 1) * b2.reshape(1, K, P)).sum(axis=1)   # (M, P)
    if A.ndim == 1 and B.ndim == 1:
        return product.reshape(())
    if A.ndim == 1:
        return product.reshape(P)
    if B.ndim == 1:
        return product.reshape(M)
    return product


def tanh(Z):
    """``tanh z = 1 − 2 / (e^{2z} + 1)``, from ``exp``, ``+`` and ``**`` (no ``tanh`` rule)."""
    return 1.0 - 2.0 / ((2.0 * Z).exp() + 1.0)


def sigmoid(Z):
    """``σ(z) = 1 / (1 + e^{−z})``, from ``exp``, ``+`` and ``**`` (no ``sigmoid`` rule)."""
    return 1.0 / (1.0 + (-Z).exp())


def _abs(Z):
    """``|z| = √(z²)`` for ``z ≠ 0`` (``sqrt`` and ``*``)."""
    return (Z * Z).sqrt()


def relu(Z):
    """``max(z, 0) = (z + |z|) / 2`` with ``|z| = √(z²)``; needs ``z ≠ 0``."""
    return (Z + _abs(Z)) * 0.5


def leaky_relu(Z, slope):
    """``max(z, a z) = ((1 + a) z + (1 − a)|z|) / 2`` for ``0 ≤ a ≤ 1``; needs ``z ≠ 0``."""
    a = float(np.asarray(getattr(slope, "data", slope)))
    return (Z * (1.0 + a) + _abs(Z) * (1.0 - a)) * 0.5


def broadcast_rows(b, N):
    """The row ``b`` (shape ``(C,)``) repeated ``N`` times, by indexing (no broadcast rule)."""
    return b.reshape(1, -1)[np.zeros(N, dtype=int)]
