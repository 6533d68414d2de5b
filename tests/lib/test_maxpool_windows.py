"""Max pooling's kernels at the edges of their arguments: a 1×1 window, the default
stride, and windows that overlap along one axis only. The reference is a loop over
windows (forward) and the engine's max pooling built from slices (backward)."""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, max_pool2d
from nnmath.conv import maxpool2d_forward, maxpool2d_grad_X


def loop_maxpool(X, kernel, stride):
    """Window by window: the maximum and the row-major offset of its first occurrence."""
    (kh, kw), (sh, sw) = kernel, stride
    N, C, H, W = X.shape
    OH, OW = (H - kh) // sh + 1, (W - kw) // sw + 1
    Y, argmax = np.empty((N, C, OH, OW)), np.empty((N, C, OH, OW), dtype=int)
    for i in range(OH):
        for j in range(OW):
            window = X[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].reshape(N, C, -1)
            Y[:, :, i, j], argmax[:, :, i, j] = window.max(axis=-1), window.argmax(axis=-1)
    return Y, argmax


def loop_maxpool_grad(dY, argmax, shape, kernel, stride):
    """Each upstream entry added at the maximum of its window, one window at a time."""
    (_, kw), (sh, sw) = kernel, stride
    dX = np.zeros(shape)
    N, C, OH, OW = dY.shape
    for n in range(N):
        for c in range(C):
            for i in range(OH):
                for j in range(OW):
                    u, v = divmod(int(argmax[n, c, i, j]), kw)
                    dX[n, c, i * sh + u, j * sw + v] += dY[n, c, i, j]
    return dX


@pytest.mark.parametrize("kernel, stride", [((1, 1), (1, 1)), ((2, 2), (1, 2)),
                                            ((2, 2), (2, 1)), ((2, 3), (1, 3)),
                                            ((2, 2), (2, 2)), ((3, 2), (1, 1))])
def test_maxpool_kernels_match_the_window_loop(kernel, stride):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 3, 6, 7))
    Y, argmax = maxpool2d_forward(X, kernel, stride)
    Y_loop, argmax_loop = loop_maxpool(X, kernel, stride)
    np.testing.assert_array_equal(Y, Y_loop)
    np.testing.assert_array_equal(argmax, argmax_loop)
    assert argmax.dtype == np.intp
    dY = rng.standard_normal(Y.shape)
    expected = loop_maxpool_grad(dY, argmax_loop, X.shape, kernel, stride)
    np.testing.assert_allclose(maxpool2d_grad_X(dY, argmax, X.shape, kernel, stride),
                               expected, rtol=1e-14, atol=1e-14)


def test_the_stride_defaults_to_the_kernel():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((1, 2, 6, 6))
    Y, argmax = maxpool2d_forward(X, (3, 2))
    Y_explicit, argmax_explicit = maxpool2d_forward(X, (3, 2), (3, 2))
    assert Y.shape == (1, 2, 2, 3)
    np.testing.assert_array_equal(Y, Y_explicit)
    dY = rng.standard_normal(Y.shape)
    np.testing.assert_array_equal(maxpool2d_grad_X(dY, argmax, X.shape, (3, 2)),
                                  maxpool2d_grad_X(dY, argmax_explicit, X.shape, (3, 2), (3, 2)))


def test_a_one_by_one_window_copies_the_input():
    # Y is returned to the caller and kept by nobody: it must not be a view of X
    X = np.arange(12.0).reshape(1, 1, 3, 4)
    Y, argmax = maxpool2d_forward(X, (1, 1), (1, 1))
    np.testing.assert_array_equal(Y, X)
    assert not np.shares_memory(Y, X)
    np.testing.assert_array_equal(argmax, 0)


@pytest.mark.parametrize("kernel, stride", [((2, 2), (1, 2)), ((3, 2), (3, 1))])
def test_the_backward_agrees_with_the_engine_on_one_axis_overlap(kernel, stride):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((2, 2, 6, 7))
    Y, argmax = maxpool2d_forward(X, kernel, stride)
    dY = rng.standard_normal(Y.shape)
    tX = Tensor(X)
    (max_pool2d(tX, kernel, stride) * dY).sum().backward()
    np.testing.assert_allclose(maxpool2d_grad_X(dY, argmax, X.shape, kernel, stride), tX.grad,
                               rtol=1e-14, atol=1e-14)
