r"""Chapter 25: a small convolutional network on the 8×8 digits, and an MLP of the same size.

The data, the two models, the parameter count that makes the comparison
fair, and the two figures (learned filters, one image's feature maps).
Training itself is :func:`nnmath.fit`, called from the notebook.
"""

import numpy as np

from ... import data
from ...activations import ReLU
from ...conv import Conv2d, Flatten, MaxPool2d
from ...layers import Linear
from ...model import Sequential

__all__ = ["digit_split", "build_cnn", "build_mlp", "count_parameters", "matching_hidden_width",
           "shift_right", "shift_mismatch", "feature_maps", "plot_filters", "plot_feature_maps"]


def digit_split(rng, test_fraction=0.25):
    """The digits as ``(N, 1, 8, 8)`` images scaled to ``[0, 1]``, split stratified by class.

    Returns
    -------
    X_train, X_test, y_train, y_test
    """
    images, labels = data.load_digits()
    return data.train_test_split(images[:, None] / 16.0, labels, test_fraction=test_fraction,
                                 rng=rng, stratify=True)


def build_cnn(rng, channels=(8, 16)):
    """``Conv(1→c1, 3×3, pad 1) → ReLU → MaxPool 2 → Conv(c1→c2) → ReLU → MaxPool 2 → Linear(4·c2→10)``."""
    c1, c2 = channels
    return Sequential(Conv2d(1, c1, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                      Conv2d(c1, c2, 3, padding=1, rng=rng), ReLU(), MaxPool2d(2),
                      Flatten(), Linear(4 * c2, 10, rng=rng))


def build_mlp(hidden, rng):
    """``Flatten → Linear(64→hidden) → ReLU → Linear(hidden→10)``."""
    return Sequential(Flatten(), Linear(64, hidden, rng=rng), ReLU(), Linear(hidden, 10, rng=rng))


def count_parameters(model):
    """Number of trainable numbers (weights and biases) of a model."""
    return int(sum(param.size for _, param, _ in model.parameters()))


def matching_hidden_width(n_params, n_in=64, n_out=10):
    """The hidden width ``h`` whose MLP ``n_in → h → n_out`` has the parameter count closest to ``n_params``.

    The MLP has ``(n_in + 1) h + (h + 1) n_out`` parameters.
    """
    h = (n_params - n_out) / (n_in + 1 + n_out)
    candidates = [max(1, int(np.floor(h))), max(1, int(np.ceil(h)))]
    return min(candidates, key=lambda w: abs((n_in + 1) * w + (w + 1) * n_out - n_params))


def shift_right(A, pixels=1):
    """``A`` moved ``pixels`` columns to the right along its last axis, zeros coming in on the left."""
    out = np.zeros_like(A)
    out[..., pixels:] = A[..., :-pixels]
    return out


def shift_mismatch(model, X, n_layers):
    r"""How far each of the first ``n_layers`` layers is from commuting with a one-pixel shift.

    For every layer output ``A = f(X)`` and ``B = f(S X)``, with ``S`` the shift
    of :func:`shift_right`, returns the relative Frobenius distances, over the
    columns ``1 … W − 2`` (the border columns excluded), of ``B`` from
    ``S A`` (the output shifted by one column at that layer's resolution) and
    from ``A`` (not shifted). A layer stack that is equivariant to the shift has
    the first distance 0.

    Returns
    -------
    list of dict, one per layer: ``layer`` (class name), ``shape``, ``vs_shifted``,
    ``vs_unshifted``.
    """
    A, B = X, shift_right(X)
    rows = []
    for layer in model.layers[:n_layers]:
        A, B = layer.forward(A), layer.forward(B)
        inner = slice(1, A.shape[-1] - 1)
        SA = shift_right(A)
        rows.append({"layer": type(layer).__name__, "shape": A.shape[1:],
                     "vs_shifted": float(np.linalg.norm((B - SA)[..., inner])
                                         / np.linalg.norm(SA[..., inner])),
                     "vs_unshifted": float(np.linalg.norm((B - A)[..., inner])
                                           / np.linalg.norm(A[..., inner]))})
    return rows


def feature_maps(model, x):
    """Outputs of every layer of ``model`` for one image ``x (1, 1, H, W)``, in order."""
    outputs = []
    for layer in model.layers:
        x = layer.forward(x)
        outputs.append(x)
    return outputs


def plot_filters(W, axes):
    """Draw the kernels ``W (C_out, 1, kh, kw)`` of a first layer, one per axis, on one colour scale."""
    limit = float(np.abs(W).max())
    for k, ax in enumerate(axes):
        ax.imshow(W[k, 0], cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"filter {k + 1}", fontsize=9)


def plot_feature_maps(maps, axes, title):
    """Draw the channels of one feature map ``(1, C, H, W)``, one per axis."""
    for k, ax in enumerate(axes):
        ax.imshow(maps[0, k], cmap="gray_r")
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_ylabel(title, fontsize=9)
