r"""Convolution, max pooling and flattening: the layers of a network that sees.

:class:`Conv2d` computes a 2-D cross-correlation (what deep-learning libraries
call convolution) as one matrix product of the unfolded input with the
flattened kernel, so its gradients are chapter 5's ``Xᵀδ`` and ``δWᵀ``
followed by folding back (:func:`nnmath.im2col.col2im`); chapter 24 derives
them. :class:`MaxPool2d` routes each upstream entry to the maximum of its
window; :class:`Flatten` reshapes. The module-level functions are the compact
formulas the layers run and the identity registry checks.
"""

import numpy as np

from .checks import (as_pair, check_conv_input, check_count, check_float_dtype, check_nonempty,
                     check_rng)
from .im2col import col2im, conv_output_size, im2col
from .matmul import matmul_grad_W, matmul_grad_X
from .module import Module

__all__ = ["conv2d_forward", "conv2d_grad_W", "conv2d_grad_X", "conv2d_grad_b",
           "maxpool2d_forward", "maxpool2d_grad_X", "Conv2d", "MaxPool2d", "Flatten"]


def _kernel_matrix(W):
    """``W (C_out, C, kh, kw)`` as the ``(C·kh·kw, C_out)`` matrix ``W_mat`` of ``cols @ W_mat``."""
    return W.reshape(W.shape[0], -1).T


def conv2d_forward(X, W, b=None, stride=(1, 1), padding=(0, 0)):
    r"""Cross-correlate a batch with a bank of kernels: ``Y = im2col(X) W_matᵀ + b``.

    Parameters
    ----------
    X : array, shape (N, C, H, W)
    W : array, shape (C_out, C, kh, kw)
    b : array, shape (C_out,), optional
    stride, padding : pair of int

    Returns
    -------
    Y : array, shape (N, C_out, OH, OW)

    Notes
    -----
    .. math:: Y_{n,o,i,j} = b_o + \sum_{c,u,v} W_{o,c,u,v}\, X^{\text{pad}}_{n,c,\,s_h i+u,\,s_w j+v}

    Chapter 24 (chapter 23 for one dimension).
    """
    cols = im2col(X, W.shape[2:], stride, padding)           # (N·OH·OW, C·kh·kw)
    return _fold_output(cols @ _kernel_matrix(W), b, X.shape[0], X.shape[2:], W.shape[2:],
                        stride, padding)


def _fold_output(Ym, b, N, size, kernel, stride, padding):
    """``(N·OH·OW, C_out)`` rows (plus bias) as the ``(N, C_out, OH, OW)`` output."""
    OH, OW = (conv_output_size(n, k, s, p) for n, k, s, p in zip(size, kernel, stride, padding))
    if b is not None:
        Ym += b  # in place: Ym is the fresh product
    return Ym.reshape(N, OH, OW, -1).transpose(0, 3, 1, 2)


def _delta_rows(dY):
    """``δ (N, C_out, OH, OW)`` as the ``(N·OH·OW, C_out)`` matrix matching the rows of im2col."""
    return dY.transpose(0, 2, 3, 1).reshape(-1, dY.shape[1])


def conv2d_grad_W(dY, cols, kernel_shape):
    r"""Weight gradient of a convolution from the unfolded input: ``colsᵀ δ``, reshaped.

    Parameters
    ----------
    dY : array, shape (N, C_out, OH, OW)
        Upstream gradient ``δ = ∂L/∂Y``.
    cols : array, shape (N·OH·OW, C·kh·kw)
        ``im2col`` of the layer input.
    kernel_shape : tuple (C_out, C, kh, kw)

    Returns
    -------
    dW : array, shape (C_out, C, kh, kw)

    Notes
    -----
    The convolution is ``Y_mat = cols · W_mat``, so chapter 5's ``∂L/∂W = Xᵀδ``
    applies with ``X = cols``:

    .. math:: \frac{\partial L}{\partial W_{o,c,u,v}} = \sum_{n,i,j} \delta_{n,o,i,j}\, X^{\text{pad}}_{n,c,\,s_h i+u,\,s_w j+v}

    the correlation of the input with ``δ`` (chapters 23 and 24).
    """
    return matmul_grad_W(_delta_rows(dY), cols).T.reshape(kernel_shape)


def conv2d_grad_X(dY, W, input_shape, stride=(1, 1), padding=(0, 0)):
    r"""Input gradient of a convolution: ``col2im(δ W_matᵀ)``.

    Parameters
    ----------
    dY : array, shape (N, C_out, OH, OW)
    W : array, shape (C_out, C, kh, kw)
    input_shape : tuple (N, C, H, W)
    stride, padding : pair of int

    Returns
    -------
    dX : array, shape (N, C, H, W)

    Notes
    -----
    Chapter 5's ``∂L/∂cols = δWᵀ`` gives the gradient of every patch; folding the
    patches back adds the contributions of overlapping patches:

    .. math:: \frac{\partial L}{\partial X_{n,c,h,w}} = \sum_{o,i,j,u,v} \delta_{n,o,i,j}\, W_{o,c,u,v}\, [s_h i+u-p_h = h]\,[s_w j+v-p_w = w]

    the full convolution of ``δ`` (dilated by the stride) with the kernel, the
    *transposed convolution* (chapters 23 and 24).
    """
    dcols = matmul_grad_X(_delta_rows(dY), _kernel_matrix(W))     # (N·OH·OW, C·kh·kw)
    return col2im(dcols, input_shape, W.shape[2:], stride, padding)


def conv2d_grad_b(dY):
    r"""Bias gradient of a convolution: ``δ`` summed over the batch and every position.

    ``∂L/∂b_o = Σ_{n,i,j} δ_{n,o,i,j}``: the bias is copied to every output
    position of its channel (chapter 24; the same argument as chapter 7's ``1ᵀδ``).
    """
    return dY.sum(axis=(0, 2, 3))


def _window_offsets(X, kernel, stride):
    """The ``kh·kw`` strided views ``X[:, :, s_h i + u, s_w j + v]`` over ``(i, j)``, row-major in ``(u, v)``."""
    (kh, kw), (sh, sw) = kernel, stride
    OH, OW = (conv_output_size(n, k, s, 0) for n, k, s in zip(X.shape[2:], kernel, stride))
    return [X[:, :, u:u + sh * (OH - 1) + 1:sh, v:v + sw * (OW - 1) + 1:sw]
            for u in range(kh) for v in range(kw)]


def maxpool2d_forward(X, kernel=(2, 2), stride=None):
    r"""Maximum of every window, and where it sits.

    Parameters
    ----------
    X : array, shape (N, C, H, W)
    kernel : pair of int
    stride : pair of int, optional
        Defaults to ``kernel`` (non-overlapping windows).

    Returns
    -------
    Y : array, shape (N, C, OH, OW)
    argmax : int array, shape (N, C, OH, OW)
        Row-major position ``u·kw + v`` of the first maximum inside each window.

    Notes
    -----
    One strided view per offset ``(u, v)`` of the window, so no window is
    copied: the maximum is taken offset by offset, and the argmax is the first
    offset that attains it (a loop over the ``kh·kw`` offsets, not over positions).
    """
    stride = kernel if stride is None else stride
    views = _window_offsets(X, kernel, stride)
    Y = views[0].copy() if len(views) == 1 else views[0]   # a 1×1 window: no alias of X
    for view in views[1:]:
        Y = np.maximum(Y, view)
    argmax = np.full(Y.shape, len(views) - 1, dtype=np.intp)
    for offset in range(len(views) - 2, -1, -1):   # last to first, so the first maximum wins
        argmax = np.where(views[offset] == Y, offset, argmax)
    return Y, argmax


def maxpool2d_grad_X(dY, argmax, input_shape, kernel=(2, 2), stride=None):
    r"""Route every upstream entry to the maximum of its window.

    Parameters
    ----------
    dY : array, shape (N, C, OH, OW)
    argmax : int array, shape (N, C, OH, OW)
        From :func:`maxpool2d_forward`.
    input_shape : tuple (N, C, H, W)
    kernel, stride : pair of int

    Returns
    -------
    dX : array, shape (N, C, H, W)

    Notes
    -----
    The Jacobian of a window's maximum is a row with a single 1, at the
    maximum, so contracting with ``δ`` is a selection (chapter 24):

    .. math:: \frac{\partial L}{\partial X_{n,c,h,w}} = \sum_{i,j} \delta_{n,c,i,j}\, [\text{(h, w) is the argmax of window } (i, j)]

    Overlapping windows (stride < kernel) add up. The loop runs over the
    ``kh·kw`` offsets inside a window, each one strided slice for the batch.
    """
    stride = kernel if stride is None else stride
    (kh, kw), (sh, sw) = kernel, stride
    OH, OW = dY.shape[2:]
    N, C, H, W = input_shape
    # channels-last memory, like the output of Conv2d, so the backward of the layer below
    # (an activation, a convolution) reads it in order
    dX = np.zeros((N, H, W, C), dtype=dY.dtype).transpose(0, 3, 1, 2)
    overlap = sh < kh or sw < kw
    for u in range(kh):
        for v in range(kw):
            routed = np.where(argmax == u * kw + v, dY, 0)
            view = dX[:, :, u:u + sh * OH:sh, v:v + sw * OW:sw]
            if overlap:  # an entry in several windows collects from each
                view += routed
            else:
                view[...] = routed
    return dX


class Conv2d(Module):
    r"""2-D convolution (cross-correlation, as in PyTorch) over a batch of images.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or pair of int
    stride : int or pair of int, optional
        Step between output positions (default 1).
    padding : int or pair of int, optional
        Zeros added on each side of the height and width (default 0).
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional (default float64; float32 stays float32)

    Attributes
    ----------
    W : ndarray, shape (C_out, C_in, kh, kw)
        Initialised as ``N(0, 1 / (C_in·kh·kw))``, the scaling of
        :class:`~nnmath.Linear` with fan-in ``C_in·kh·kw``.
    b : ndarray, shape (C_out,)
        Zeros.
    dW, db : ndarray or None
        Gradients from the last :meth:`backward`.

    Notes
    -----
    ``forward`` unfolds the input (:func:`~nnmath.im2col.im2col`) and multiplies;
    ``backward`` applies :func:`conv2d_grad_W` (``colsᵀδ``), :func:`conv2d_grad_b`
    and :func:`conv2d_grad_X` (``col2im(δWᵀ)``). Chapter 24.

    Examples
    --------
    >>> import numpy as np
    >>> conv = Conv2d(1, 4, 3, padding=1, rng=np.random.default_rng(0))
    >>> conv.forward(np.ones((2, 1, 8, 8))).shape
    (2, 4, 8, 8)
    """

    def __init__(self, in_channels, out_channels, kernel_size, *, stride=1, padding=0,
                 rng=None, dtype=np.float64):
        self.in_channels = check_count("Conv2d", "in_channels", in_channels)
        self.out_channels = check_count("Conv2d", "out_channels", out_channels)
        self.kernel_size = as_pair("Conv2d", "kernel_size", kernel_size, minimum=1)
        self.stride = as_pair("Conv2d", "stride", stride, minimum=1)
        self.padding = as_pair("Conv2d", "padding", padding, minimum=0)
        dtype = check_float_dtype("Conv2d", dtype)
        rng = check_rng("Conv2d", rng, optional=True)
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        self.W = (rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)).astype(dtype)
        self.b = np.zeros(self.out_channels, dtype=dtype)
        self.dW = self.db = None
        self._cols = self._shape = None

    input_shape = ("N", "in_channels", "height", "width")

    def check_input(self, X):
        X = super().check_input(X)
        check_nonempty("Conv2d.forward", X)
        check_conv_input("Conv2d.forward", X.shape, self.kernel_size, self.stride, self.padding)
        return X

    def forward(self, X):
        """Return the convolution of ``X (N, C_in, H, W)``: shape ``(N, C_out, OH, OW)``."""
        self._cols, self._shape = im2col(X, self.kernel_size, self.stride, self.padding), X.shape
        return _fold_output(self._cols @ _kernel_matrix(self.W), self.b, X.shape[0],
                            X.shape[2:], self.kernel_size, self.stride, self.padding)

    def backward(self, dY):
        """Store ``dW = colsᵀδ`` and ``db``; return ``dX = col2im(δ W_matᵀ)`` (chapter 24)."""
        self.parameter_grads(dY)
        return conv2d_grad_X(dY, self.W, self._shape, self.stride, self.padding)  # col2im(δWᵀ)

    def parameter_grads(self, dY):
        """Store ``dW = colsᵀδ`` (on the unfolded input) and ``db = Σ_{n,i,j} δ``; return None."""
        self.dW = conv2d_grad_W(dY, self._cols, self.W.shape)
        self.db = conv2d_grad_b(dY)

    def parameters(self):
        return [("W", self.W, self.dW), ("b", self.b, self.db)]

    def __repr__(self):
        return (f"Conv2d({self.in_channels}, {self.out_channels}, {self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, dtype={self.W.dtype})")


class MaxPool2d(Module):
    r"""Maximum over windows of ``kernel_size`` moved by ``stride`` (default: the kernel size).

    The gradient goes to the first maximum (row-major) of each window; a
    border narrower than a window is dropped, as in PyTorch. Chapter 24.

    Examples
    --------
    >>> import numpy as np
    >>> MaxPool2d(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    def __init__(self, kernel_size, stride=None):
        self.kernel_size = as_pair("MaxPool2d", "kernel_size", kernel_size, minimum=1)
        self.stride = self.kernel_size if stride is None else \
            as_pair("MaxPool2d", "stride", stride, minimum=1)
        self._argmax = self._shape = None

    input_shape = ("N", "C", "height", "width")

    def check_input(self, X):
        X = super().check_input(X)
        check_conv_input("MaxPool2d.forward", X.shape, self.kernel_size, self.stride, (0, 0))
        return X

    def forward(self, X):
        """Return the window maxima of ``X (N, C, H, W)``; cache where they sit."""
        Y, self._argmax = maxpool2d_forward(X, self.kernel_size, self.stride)
        self._shape = X.shape
        return Y

    def backward(self, dY):
        """Return ``dX``: each ``dY`` entry at the maximum of its window, zeros elsewhere."""
        return maxpool2d_grad_X(dY, self._argmax, self._shape, self.kernel_size, self.stride)

    def __repr__(self):
        return f"MaxPool2d({self.kernel_size}, stride={self.stride})"


class Flatten(Module):
    """``(N, d1, d2, …) -> (N, d1·d2·…)``; backward reshapes the gradient back."""

    def __init__(self):
        self._shape = None

    input_shape = ("N", "d1", "...")  # a batch axis and at least one more

    def forward(self, X):
        """Return ``X (N, d1, d2, …)`` as ``(N, d1·d2·…)``, each sample's entries in C order.

        ``N = 0`` is allowed: an empty batch gives ``(0, d1·d2·…)``.
        """
        self._shape = X.shape
        return X.reshape(X.shape[0], int(np.prod(X.shape[1:])))  # not -1: N may be 0

    def backward(self, dY):
        """Return ``dY (N, d1·d2·…)`` reshaped to the input's ``(N, d1, d2, …)``."""
        return dY.reshape(self._shape)
