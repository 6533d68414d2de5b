r"""Chapter ch-batch-norm (batch normalisation): its Jacobian across samples, and batch dependence.

BatchNorm in training mode normalises each *column* (feature) of a batch, so
its Jacobian is LayerNorm's row Jacobian applied to columns: dense across the
samples of a feature, zero across features. :func:`batch_dependence` shows the
consequence: the same sample gives different outputs in different batches.
"""

import numpy as np

from ...norm import BatchNorm
from .ch20_layer_norm import row_jacobian

__all__ = ["full_jacobian", "batch_dependence"]


def full_jacobian(X, eps):
    r"""The 4-D Jacobian ``∂Y/∂X`` of BatchNorm in training mode (``γ = 1``, ``β = 0``), ``X (N, F)``.

    ``J[n, f, m, g] = [f = g] (1/s_f)([n = m] − 1/N − x̂_{nf} x̂_{mf} / N)``: for
    each feature, the row Jacobian of chapter ch-layer-norm of that column.
    """
    X = np.asarray(X, dtype=float)
    N, F = X.shape
    J = np.zeros((N, F, N, F))
    for f in range(F):  # one N × N block per feature (a picture, not the layer)
        J[:, f, :, f] = row_jacobian(X[:, f], eps)
    return J


def batch_dependence(x, batch_a, batch_b, *, bn=None):
    """Outputs for the same sample ``x`` in two batches, in training and in evaluation mode.

    Parameters
    ----------
    x : array, shape (F,)
        The sample, put first in both batches.
    batch_a, batch_b : array, shape (N - 1, F)
        Its companions in each batch.
    bn : BatchNorm, optional
        Default: ``BatchNorm(F)`` with running statistics updated by the two
        training passes.

    Returns
    -------
    dict
        ``"train_a"``, ``"train_b"``, ``"eval_a"``, ``"eval_b"``: the output row
        of ``x`` (shape (F,)) in each case.
    """
    x = np.asarray(x, dtype=float)
    bn = BatchNorm(x.shape[0]) if bn is None else bn
    A = np.vstack([x, batch_a])
    B = np.vstack([x, batch_b])
    bn.train()
    out = {"train_a": bn.forward(A)[0], "train_b": bn.forward(B)[0]}
    bn.eval()
    out.update(eval_a=bn.forward(A)[0], eval_b=bn.forward(B)[0])
    return out
