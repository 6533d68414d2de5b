r"""Chapter 24: two-dimensional convolution, its full Jacobians, im2col's memory, max pooling.

The full Jacobians of ``Y = X ⋆ K`` are built entry by entry from the index
formula (never from :mod:`nnmath.im2col`), so they are an independent slow
route: :func:`conv2d_jacobian_X` (doubly block-Toeplitz once flattened) and
:func:`conv2d_jacobian_W`. :func:`prove_maxpool_vjp` is the exact check of the
max-pooling gradient on the open regions where every window has one maximum.
:func:`depthwise_conv2d` and its gradients answer an exercise;
:func:`grad_X_full_convolution` writes the input gradient as a full convolution.
"""

import numpy as np
import sympy as sp

from ... import conv as cv
from ...im2col import conv_output_size
from ..symbolic import ProofResult, contract, is_zero, jacobian_tensor, symbol_array

__all__ = ["conv2d_jacobian_X", "conv2d_jacobian_W", "im2col_memory", "prove_maxpool_vjp",
           "maxpool_symbolic", "tie_statistics", "last_max_argmax", "positive_tie_patches", "depthwise_conv2d",
           "depthwise_grad_K", "depthwise_grad_X", "grad_X_full_convolution"]


def _positions(shape, kernel, stride, padding):
    """Broadcast index grids ``(n, i, j, c, u, v)`` and the input pixel ``(h, w)`` each reads."""
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    n, i, j, c, u, v = np.ix_(range(N), range(OH), range(OW), range(C), range(kh), range(kw))
    return (n, i, j, c, u, v), (sh * i + u - ph, sw * j + v - pw), (OH, OW)


def conv2d_jacobian_X(K, input_shape, stride=(1, 1), padding=(0, 0)):
    r"""Full Jacobian ``∂Y/∂X`` of a convolution, shape ``(N, C_out, OH, OW, N, C, H, W)``.

    .. math:: \frac{\partial Y_{n,o,i,j}}{\partial X_{n',c,h,w}} = [n = n']\,
              K_{o,c,\,h + p_h - s_h i,\,w + p_w - s_w j}

    (zero where the kernel index falls outside the kernel). Flattened for one
    sample and one channel it is the doubly block-Toeplitz matrix of chapter 24.
    """
    K = np.asarray(K)
    N, C, H, W = input_shape
    C_out = K.shape[0]
    (n, i, j, c, u, v), (h, w), (OH, OW) = _positions(input_shape, K.shape[2:], stride, padding)
    J = np.zeros((N, OH, OW, C_out, N, C, H, W), dtype=K.dtype)
    inside = (h >= 0) & (h < H) & (w >= 0) & (w < W)
    idx = np.broadcast_arrays(n, i, j, c, u, v, h, w, inside)
    sel = idx[-1]
    nn, ii, jj, cc, uu, vv, hh, ww = (a[sel] for a in idx[:-1])
    J[nn, ii, jj, :, nn, cc, hh, ww] = K[:, cc, uu, vv].T   # one (pixel, tap) pair per row
    return J.transpose(0, 3, 1, 2, 4, 5, 6, 7)


def conv2d_jacobian_W(X, kernel_shape, stride=(1, 1), padding=(0, 0)):
    r"""Full Jacobian ``∂Y/∂K``, shape ``(N, C_out, OH, OW, C_out, C, kh, kw)``.

    .. math:: \frac{\partial Y_{n,o,i,j}}{\partial K_{o',c,u,v}} = [o = o']\,
              X^{\text{pad}}_{n,c,\,s_h i + u,\,s_w j + v}
    """
    X = np.asarray(X)
    C_out, C, kh, kw = kernel_shape
    (ph, pw) = padding
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    (n, i, j, c, u, v), (h, w), (OH, OW) = _positions(X.shape, (kh, kw), stride, padding)
    patches = Xp[n, c, h + ph, w + pw]                      # (N, OH, OW, C, kh, kw)
    J = np.zeros((X.shape[0], OH, OW, C_out, C_out, C, kh, kw), dtype=X.dtype)
    for o in range(C_out):
        J[:, :, :, o, o] = patches
    return J.transpose(0, 3, 1, 2, 4, 5, 6, 7)


def im2col_memory(input_shape, kernel, stride=(1, 1), padding=(0, 0), itemsize=8):
    """Bytes of the input and of its unfolded copy, without building either.

    Returns
    -------
    dict
        ``"input"``, ``"im2col"`` (bytes) and ``"ratio"``; the ratio is about
        ``kh·kw / (sh·sw)`` for a large image.
    """
    N, C, H, W = input_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    OH, OW = conv_output_size(H, kh, sh, ph), conv_output_size(W, kw, sw, pw)
    rows, cols = N * OH * OW, C * kh * kw
    x_bytes, c_bytes = N * C * H * W * itemsize, rows * cols * itemsize
    return {"input": x_bytes, "im2col": c_bytes, "ratio": c_bytes / x_bytes}


def maxpool_symbolic(X, kernel, stride=None):
    """Window maxima of an object array of symbols with SymPy's ``Max``."""
    stride = kernel if stride is None else stride
    N, C, H, W = X.shape
    (kh, kw), (sh, sw) = kernel, stride
    OH, OW = (H - kh) // sh + 1, (W - kw) // sw + 1
    Y = np.empty((N, C, OH, OW), dtype=object)
    for n, c, i, j in np.ndindex(Y.shape):
        Y[n, c, i, j] = sp.Max(*X[n, c, sh * i:sh * i + kh, sw * j:sw * j + kw].flat)
    return Y


def prove_maxpool_vjp(compact, shape, kernel, stride=None, *, seed=0):
    r"""Exact check of a max-pooling VJP on one open region of inputs without ties.

    A seeded random order ``π`` of the input entries defines the region
    ``x_{π(1)} < x_{π(2)} < …``. SymPy differentiates ``Max`` over every window
    (giving ``Heaviside`` factors), substitutes ``x_{π(r)} = a + s_1 + … + s_{r−1}``
    with positive ``s``, so every comparison is decided, contracts with a
    symbolic ``δ`` and compares with ``compact(δ, None, X0)``, where ``X0`` is a
    numeric point of the same region (the ranks) from which the compact formula
    reads where the maxima sit.

    Returns
    -------
    ProofResult
    """
    rng = np.random.default_rng(seed)
    X = symbol_array("X", shape, real=True)
    Y = maxpool_symbolic(X, kernel, stride)
    J = jacobian_tensor(Y, X)
    order = rng.permutation(X.size)                       # order[r] = flat index of rank r
    a = sp.Symbol("a", real=True)
    gaps = sp.symbols(f"s1:{X.size}", positive=True)
    region = {X.flat[order[r]]: a + sum(gaps[:r]) for r in range(X.size)}
    J_region = np.vectorize(lambda e: sp.simplify(e.xreplace(region)), otypes=[object])(J)
    delta = symbol_array(r"\delta", Y.shape)
    slow = contract(J_region, delta)
    X0 = np.empty(X.size)
    X0[order] = np.arange(X.size, dtype=float)          # the ranks: a point of the region
    fast = np.asarray(compact(delta, None, X=X0.reshape(shape)), dtype=object)
    holds = fast.shape == slow.shape and is_zero(slow - fast)
    return ProofResult(f"max pooling VJP, input {shape}, kernel {kernel}, stride {stride}, "
                       f"order seed {seed}", bool(holds), slow, fast, {"jacobian": J_region})


def _windows(A, kernel):
    """``(N, C, OH, OW, kh·kw)``: the entries of every non-overlapping window (a copy)."""
    kh, kw = kernel
    N, C, H, W = A.shape
    OH, OW = H // kh, W // kw
    tiles = A[:, :, :OH * kh, :OW * kw].reshape(N, C, OH, kh, OW, kw)
    return tiles.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, OH, OW, kh * kw)


def tie_statistics(A, kernel=(2, 2)):
    """How often a pooling window's maximum is attained more than once, and at what value.

    Returns
    -------
    dict
        ``"windows"``: the number of windows; ``"tied"``: the fraction with two or
        more maxima; ``"tied_at_zero"``: the fraction of the tied windows whose
        maximum is exactly 0.
    """
    win = _windows(A, kernel)
    top = win.max(axis=-1)
    tied = (win == top[..., None]).sum(axis=-1) > 1
    n_tied = int(tied.sum())
    return {"windows": int(tied.size), "tied": float(tied.mean()),
            "tied_at_zero": float((top[tied] == 0).mean()) if n_tied else 0.0}


def last_max_argmax(A, kernel=(2, 2)):
    """The argmax of every non-overlapping window with ties going to the *last* maximum."""
    win = _windows(A, kernel)
    n = win.shape[-1]
    return n - 1 - win[..., ::-1].argmax(axis=-1)


def positive_tie_patches(X, A, conv_kernel=(3, 3), conv_padding=(1, 1), kernel=(2, 2)):
    """For windows of ``A`` tied at a positive maximum: do the first and last maxima read equal patches?

    ``A`` is the (ReLU'd) output of a stride-1 convolution of ``X`` with
    ``conv_kernel`` and ``conv_padding``; the patch of output pixel ``(n, ·, h, w)``
    is row ``(n, h, w)`` of ``im2col(X)``.

    Returns
    -------
    (int, float)
        The number of such windows and the fraction of them whose two patches are equal.
    """
    from ...im2col import im2col
    win = _windows(A, kernel)
    top = win.max(axis=-1)
    tied = ((win == top[..., None]).sum(axis=-1) > 1) & (top > 0)
    first, last = win.argmax(axis=-1), last_max_argmax(A, kernel)
    n, c, i, j = np.nonzero(tied)
    kh, kw = kernel
    N, _, H, W = A.shape
    rows = []
    for offset in (first[tied], last[tied]):
        h, w = kh * i + offset // kw, kw * j + offset % kw
        rows.append((n * H + h) * W + w)
    cols = im2col(X, conv_kernel, (1, 1), conv_padding)
    same = np.all(cols[rows[0]] == cols[rows[1]], axis=1)
    return int(tied.sum()), float(same.mean()) if same.size else 1.0


def depthwise_conv2d(X, K):
    """Depthwise convolution: channel ``c`` of ``X (N, C, H, W)`` with its own ``K[c] (kh, kw)``."""
    kh, kw = K.shape[1:]
    win = np.lib.stride_tricks.sliding_window_view(X, (kh, kw), axis=(2, 3))
    return np.einsum("ncijuv,cuv->ncij", win, K)


def depthwise_grad_K(X, dY, kernel):
    """``∂L/∂K_{c,u,v} = Σ_{n,i,j} δ_{n,c,i,j} X_{n,c,i+u,j+v}``: one correlation per channel."""
    win = np.lib.stride_tricks.sliding_window_view(X, kernel, axis=(2, 3))
    return np.einsum("ncijuv,ncij->cuv", win, dY)


def depthwise_grad_X(dY, K, input_shape):
    """``∂L/∂X``: channel ``c`` of ``δ`` fully convolved with ``K[c]``, no sum over channels.

    Written with the library's :func:`nnmath.conv.conv2d_grad_X` on a
    block-diagonal kernel bank ``(C, C, kh, kw)``: a depthwise convolution is
    an ordinary one whose kernel is zero between different channels.
    """
    C = K.shape[0]
    bank = np.zeros((C, C) + K.shape[1:], dtype=K.dtype)
    bank[np.arange(C), np.arange(C)] = K
    return cv.conv2d_grad_X(dY, bank, input_shape)


def grad_X_full_convolution(dY, K, input_shape, stride=(1, 1), padding=(0, 0)):
    r"""``∂L/∂X`` as a correlation: ``δ`` dilated and zero-padded, with the flipped, channel-swapped kernels.

    Dilate ``δ`` by the stride (``s − 1`` zeros between neighbours), pad it with
    ``k − 1`` zeros on each side plus ``r = (H + 2p − k) mod s`` at the end (the
    rows the last window never reaches), correlate it with
    ``K̃[c, o, u, v] = K[o, c, kh − 1 − u, kw − 1 − v]`` using
    :func:`nnmath.conv.conv2d_forward`, and crop the padding ``p``: the full
    convolution of ``δ`` with the kernels, summed over the output channels
    (chapter 24). The library computes the same gradient as
    ``col2im(δ K_matᵀ)`` (:func:`nnmath.conv.conv2d_grad_X`).
    """
    N, C, H, W = input_shape
    (sh, sw), (ph, pw) = stride, padding
    kh, kw = K.shape[2:]
    OH, OW = dY.shape[2:]
    dilated = np.zeros(dY.shape[:2] + ((OH - 1) * sh + 1, (OW - 1) * sw + 1))
    dilated[:, :, ::sh, ::sw] = dY
    rh, rw = (H + 2 * ph - kh) % sh, (W + 2 * pw - kw) % sw
    padded = np.pad(dilated, ((0, 0), (0, 0), (kh - 1, kh - 1 + rh), (kw - 1, kw - 1 + rw)))
    K_tilde = K[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)          # (C, C_out, kh, kw)
    grad_padded = cv.conv2d_forward(padded, K_tilde)               # (N, C, H + 2ph, W + 2pw)
    return grad_padded[:, :, ph:ph + H, pw:pw + W]
