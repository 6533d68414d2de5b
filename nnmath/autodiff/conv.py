r"""Convolution, max pooling and flattening, composed from the engine's core operations.

Nothing here has a backward rule of its own. A convolution is *indexing*
(``Tensor.__getitem__`` with an integer array gathers every patch: im2col),
a product with a constant 0/1 mask (the zero padding), ``reshape`` and ``@``;
the engine differentiates it with the rules of those operations, and the
indexing rule's ``np.add.at`` is what folds the patch gradients back (col2im).
Max pooling is the same gather followed by :meth:`Tensor.max`. So this route
never calls :mod:`nnmath.im2col` or :mod:`nnmath.conv`: it is the third,
independent check of chapter 24's formulas.
"""

import numpy as np

from .tensor import as_tensor

__all__ = ["patch_indices", "conv2d", "max_pool2d", "flatten"]


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def patch_indices(shape, kernel, stride=1, padding=0):
    r"""Flat indices of every patch entry of an image batch, and the padding mask.

    Parameters
    ----------
    shape : tuple (N, C, H, W)
    kernel, stride, padding : int or pair of int

    Returns
    -------
    index : int array, shape (N·OH·OW, C·kh·kw)
        ``index[(n,i,j), (c,u,v)]`` is the position in ``X.reshape(-1)`` of the
        pixel ``(n, c, s_h i + u − p_h, s_w j + v − p_w)`` (clipped into the image
        where that pixel is padding).
    inside : float array, same shape
        1 where the pixel is inside the image, 0 where it is padding.
    """
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(padding)
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    if OH < 1 or OW < 1:
        raise ValueError(f"conv2d: kernel {kh}×{kw} does not fit the padded input "
                         f"{H + 2 * ph}×{W + 2 * pw}")
    n, i, j, c, u, v = np.ix_(range(N), range(OH), range(OW), range(C), range(kh), range(kw))
    rows, cols = sh * i + u - ph, sw * j + v - pw       # pixel coordinates, broadcast (N,OH,OW,C,kh,kw)
    inside = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
    flat = ((n * C + c) * H + np.clip(rows, 0, H - 1)) * W + np.clip(cols, 0, W - 1)
    flat, inside = np.broadcast_arrays(flat, inside)
    return flat.reshape(N * OH * OW, -1), inside.reshape(N * OH * OW, -1).astype(np.float64)


def conv2d(X, K, b=None, stride=1, padding=0):
    r"""Cross-correlation of ``X (N, C, H, W)`` with ``K (C_out, C, kh, kw)``, plus ``b``.

    Gather the patches (indexing), zero the padding (a product with a constant
    mask), multiply by the flattened kernel (``@``) and move the channel axis
    in front (``reshape``, ``transpose``). Returns a Tensor ``(N, C_out, OH, OW)``.
    """
    X, K = as_tensor(X), as_tensor(K)
    N, C, H, W = X.shape
    C_out, _, kh, kw = K.shape
    index, inside = patch_indices(X.shape, (kh, kw), stride, padding)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    cols = X.reshape(-1)[index] * inside                    # im2col: (N·OH·OW, C·kh·kw)
    Y = cols @ K.reshape(C_out, -1).T                       # (N·OH·OW, C_out)
    if b is not None:
        Y = Y + b
    return Y.reshape(N, OH, OW, C_out).transpose(0, 3, 1, 2)


def max_pool2d(X, kernel_size, stride=None):
    """Window maxima of ``X (N, C, H, W)``: gather every window, then ``max`` over it.

    :meth:`Tensor.max` sends the gradient to the first maximum of each window
    (row-major), the convention of :class:`nnmath.MaxPool2d`.
    """
    X = as_tensor(X)
    N, C, H, W = X.shape
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    OH, OW = (H - kh) // sh + 1, (W - kw) // sw + 1
    # one image per "channel": windows of (N·C, 1, H, W), entries (u, v) in row-major order
    index, _ = patch_indices((N * C, 1, H, W), (kh, kw), (sh, sw), 0)
    windows = X.reshape(-1)[index]                          # (N·C·OH·OW, kh·kw)
    return windows.max(axis=1).reshape(N, C, OH, OW)


def flatten(X):
    """``(N, …) -> (N, prod(…))`` as one reshape."""
    X = as_tensor(X)
    return X.reshape(X.shape[0], -1)

