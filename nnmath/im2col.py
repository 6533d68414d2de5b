r"""Unfolding image patches into rows (im2col) and folding them back (col2im).

A 2-D cross-correlation of a batch ``X (N, C, H, W)`` with a kernel bank
``K (C_out, C, kh, kw)`` reads, for every output position, one ``C × kh × kw``
patch of the (zero-padded) input. :func:`im2col` copies every patch into one
row of a matrix, so that the whole convolution is a single matrix product
(chapter 24). :func:`col2im` is its adjoint: it adds each row back onto the
patch it came from, so overlapping patches add up. That sum is exactly what the
chain rule asks for, because an input pixel read by several patches receives
the gradient of every one of them.

Both functions only slice, reshape and add, so they also run on NumPy object
arrays of SymPy symbols (the book's exact checks).
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv_output_size", "im2col", "col2im"]


def conv_output_size(size, kernel, stride, padding):
    r"""Number of positions of a kernel sliding over one axis: ``⌊(size + 2p − k)/s⌋ + 1``.

    Parameters
    ----------
    size, kernel, stride, padding : int

    Returns
    -------
    int
        Zero or negative when the kernel does not fit into the padded input.
    """
    return (size + 2 * padding - kernel) // stride + 1


def _padded_channels_last(X, padding):
    """The zero-padded input stored as ``(N, H + 2p_h, W + 2p_w, C)`` (one copy)."""
    N, C, H, W = X.shape
    ph, pw = padding
    out = np.zeros((N, H + 2 * ph, W + 2 * pw, C), dtype=X.dtype)
    out[:, ph:ph + H, pw:pw + W] = X.transpose(0, 2, 3, 1)
    return out


def im2col(X, kernel, stride=(1, 1), padding=(0, 0)):
    r"""Copy every ``C × kh × kw`` patch of the padded input into one row.

    Parameters
    ----------
    X : array, shape (N, C, H, W)
    kernel, stride, padding : pair of int
        ``(kh, kw)``, ``(sh, sw)``, ``(ph, pw)``; zeros are padded on all sides.

    Returns
    -------
    cols : array, shape (N·OH·OW, C·kh·kw)
        Row ``(n, i, j)`` (row-major) holds the patch read for output position
        ``(i, j)`` of sample ``n``; its columns are ordered ``(c, u, v)``, the
        order of ``K.reshape(C_out, C·kh·kw)``.

    Notes
    -----
    .. math:: \operatorname{cols}_{(n,i,j),(c,u,v)} = X^{\text{pad}}_{n,c,\,s_h i+u,\,s_w j+v}

    so that ``Y = cols @ K.reshape(C_out, -1).T`` is the convolution (chapter 24).
    The input is padded into a channels-last buffer (the layout the rows
    need, so the final copy reads memory in order), a strided view of it gives
    every patch as ``(N, OH, OW, C, kh, kw)`` without a Python loop, and the
    reshape makes the one copy.
    """
    N, C = X.shape[:2]
    (kh, kw), (sh, sw) = kernel, stride
    padded = _padded_channels_last(X, padding)
    win = sliding_window_view(padded, (kh, kw), axis=(1, 2))[:, ::sh, ::sw]
    OH, OW = win.shape[1:3]
    return win.reshape(N * OH * OW, C * kh * kw)


def col2im(cols, shape, kernel, stride=(1, 1), padding=(0, 0)):
    r"""Add every row back onto the patch it was read from: the adjoint of :func:`im2col`.

    Parameters
    ----------
    cols : array, shape (N·OH·OW, C·kh·kw)
        E.g. ``∂L/∂cols``.
    shape : tuple (N, C, H, W)
        Shape of the unpadded input.
    kernel, stride, padding : pair of int
        As given to :func:`im2col`.

    Returns
    -------
    X : array, shape (N, C, H, W)
        ``X_{n,c,h,w} = Σ cols_{(n,i,j),(c,u,v)}`` over all ``(i, j, u, v)`` with
        ``s_h i + u − p_h = h`` and ``s_w j + v − p_w = w``; entries that fall
        into the padding are dropped.

    Notes
    -----
    Overlapping patches add up: this is the sum over output positions in the
    chain rule (chapter 24). The loop runs over the ``kh·kw`` kernel offsets,
    each adding one strided slice for the whole batch at once; for the small
    kernels of practice this is faster than ``np.add.at`` with an index array
    (see ``benchmarks/conv.py``).
    """
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    patches = cols.reshape(N, OH, OW, C, kh, kw)
    # accumulate channels last, the memory order of the rows of cols (fewer cache misses)
    out = np.zeros((N, H + 2 * ph, W + 2 * pw, C), dtype=cols.dtype)
    for u in range(kh):
        for v in range(kw):
            out[:, u:u + sh * OH:sh, v:v + sw * OW:sw] += patches[..., u, v]
    return out[:, ph:ph + H, pw:pw + W].transpose(0, 3, 1, 2)
