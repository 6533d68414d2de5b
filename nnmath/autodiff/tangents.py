r"""The tangent rules of forward mode, one per primitive, in one table (chapter 19).

A backward rule maps ``dY = ∂L/∂Y`` to the parents' gradients; a *tangent
rule* goes the other way, from a parent's tangent to its share of the output's
tangent. For a node ``y`` with parents ``p_0, …, p_k``

.. math:: \dot y = \sum_i \frac{\partial y}{\partial p_i}\, \dot p_i ,

and :data:`TANGENTS` maps each operation name (``y.op``) to a function
``rule(y, i, dp)`` that returns the term ``(∂y/∂p_i) ṗ_i`` for the tangent
``dp = ṗ_i`` of parent ``i``. A tangent is written ``dp``, ``da``, ``dX``:
the differential of chapter 17 with ``d`` standing for the dot; the gradients
of the backward rules are ``dY`` and never appear here.

A rule reads the node's parents (``y.parents``), its value (``y`` itself) and
what the operation saved for it (``y._saved``: axes, an index, a mask). It is
written with Tensor operations, so the tangent is itself in the graph and can
be differentiated again: that is :func:`nnmath.autodiff.hvp`.

Every primitive of the engine has its row here: the core arithmetic of
:mod:`~nnmath.autodiff.tensor`, ``maximum`` (:mod:`~nnmath.autodiff.functions`),
``batched_matmul``, ``where`` and ``stack`` (:mod:`~nnmath.autodiff.sequence`),
``inv``, ``logdet`` and ``solve`` (:mod:`~nnmath.autodiff.linalg`) and ``erf``
(:mod:`~nnmath.autodiff.gpt`). Compositions (softmax, convolution,
normalisation, attention) need none.
"""

import numpy as np

from .linalg import inv, solve
from .sequence import batched_matmul, stack, where

__all__ = ["TANGENTS"]


def _pair(first, second):
    """The rule of a binary operation from the terms of its first and second parent."""
    return lambda y, i, dp: first(y, *y.parents, dp) if i == 0 else second(y, *y.parents, dp)


def _stack(y, i, dp):  # slice i moves with parent i, the others stay put
    zero = np.zeros(dp.shape)
    return stack([dp if j == i else zero for j in range(len(y.parents))], axis=y._saved)


def _max(y, i, dp):  # the winner's tangent
    if len(y.parents) == 2:  # functions.maximum(a, b), the max gate: a's on ties
        return dp * (y._saved if i == 0 else ~y._saved)
    axes, keepdims, first = y._saved  # Tensor.max: the first maximum of each group
    return (dp * first).sum(axis=axes, keepdims=keepdims)


TANGENTS = {
    # core arithmetic (nnmath.autodiff.tensor)
    "+": lambda y, i, dp: dp,                                            # d(a+b) = da + db
    "*": _pair(lambda y, a, b, da: da * b, lambda y, a, b, db: a * db),  # d(ab) = da b + a db
    "**": _pair(lambda y, a, b, da: da * (b * a ** (b - 1.0)),           # d(a^b) = b a^(b−1) da
                lambda y, a, b, db: db * y * a.log()),                   #        + a^b ln a db
    "@": _pair(lambda y, a, b, da: da @ b, lambda y, a, b, db: a @ db),  # d(AB) = dA B + A dB
    "T": lambda y, i, dp: dp.transpose(y._saved),  # linear: the tangent moves the same way
    "reshape": lambda y, i, dp: dp.reshape(y.shape),
    "[]": lambda y, i, dp: dp[y._saved],
    "sum": lambda y, i, dp: dp.sum(axis=y._saved[0], keepdims=y._saved[1]),
    "max": _max,                                  # also functions.maximum, the max gate
    "exp": lambda y, i, dp: dp * y,                                      # d e^x = e^x dx
    "log": lambda y, i, dp: dp / y.parents[0],                           # d ln x = dx / x
    "sqrt": lambda y, i, dp: dp * 0.5 / y,                               # d √x = dx / (2√x)
    "tanh": lambda y, i, dp: dp * (1.0 - y * y),                         # tanh' = 1 − tanh²
    "sigmoid": lambda y, i, dp: dp * (y * (1.0 - y)),                    # σ' = σ(1 − σ)
    "relu": lambda y, i, dp: dp * y._saved,                              # [x > 0] dx
    "leaky_relu": lambda y, i, dp: dp * y._saved,                        # 1 or slope, times dx
    # sequence: batched products, selection and stacking are linear in each operand
    "bmm": _pair(lambda y, a, b, da: batched_matmul(da, b),             # d(AB) = dA B + A dB
                 lambda y, a, b, db: batched_matmul(a, db)),
    "where": _pair(lambda y, a, b, da: where(y._saved, da, 0.0),
                   lambda y, a, b, db: where(y._saved, 0.0, db)),
    "stack": _stack,
    # linalg (chapter 17): the differentials themselves
    "inv": lambda y, i, dX: -(y @ dX @ y),                               # d X⁻¹ = −X⁻¹ dX X⁻¹
    "logdet": lambda y, i, dX: (inv(y.parents[0]).T * dX).sum(),         # tr(X⁻¹ dX)
    "solve": _pair(lambda y, A, B, dA: -solve(A, dA @ y),                # dX = A⁻¹(dB − dA X)
                   lambda y, A, B, dB: solve(A, dB)),
    # gpt.erf: erf'(x) = (2/√π) e^{−x²}
    "erf": lambda y, i, dx: dx * (2.0 / np.sqrt(np.pi)) * (-(y.parents[0] ** 2)).exp(),
}
