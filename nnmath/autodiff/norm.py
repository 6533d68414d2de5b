r"""Normalisation written with the engine's core operations (chapters ch-layer-norm, ch-batch-norm).

No backward rule here: :func:`standardize` is a mean, a subtraction, a square,
another mean, a square root and a division, so the engine differentiates it
with those operations' own rules. That makes it an independent route for
checking the compact backward formulas of :mod:`nnmath.norm`.
"""

from .tensor import as_tensor

__all__ = ["standardize", "layer_norm", "batch_norm"]


def standardize(x, axis, eps):
    """``(x − mean) / sqrt(var + eps)`` over ``axis``, with the biased variance, as Tensors."""
    x = as_tensor(x)
    centred = x - x.mean(axis=axis, keepdims=True)
    var = (centred ** 2).mean(axis=axis, keepdims=True)
    return centred / (var + eps).sqrt()


def layer_norm(x, gamma, beta, eps=1e-5):
    """LayerNorm of ``x (..., D)`` over its last axis: ``gamma * x̂ + beta``."""
    return standardize(x, -1, eps) * gamma + beta


def batch_norm(x, gamma, beta, eps=1e-5):
    """BatchNorm in training mode of ``x (N, F)`` or ``(N, F, H, W)`` with batch statistics."""
    x = as_tensor(x)
    if x.ndim == 2:
        return standardize(x, 0, eps) * gamma + beta
    shape = (1, -1, 1, 1)
    return (standardize(x, (0, 2, 3), eps) * as_tensor(gamma).reshape(*shape)
            + as_tensor(beta).reshape(*shape))
