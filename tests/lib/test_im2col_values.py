"""im2col and col2im entry by entry, with every pair parameter asymmetric.

The independent route is the defining formula written as plain Python loops:
``cols[(n,i,j), (c,u,v)] = Xpad[n, c, s_h i + u, s_w j + v]`` for im2col, and
for col2im the sum of every row back onto its patch (the adjoint, checked also
through ``<im2col(X), C> = <X, col2im(C)>``). Kernel, stride and padding have
different height and width values, so a swapped pair cannot pass.
"""

import numpy as np
import pytest

from nnmath.im2col import col2im, conv_output_size, im2col

CASES = [  # kernel, stride, padding, (H, W)
    ((2, 3), (1, 2), (1, 0), (5, 6)),
    ((3, 1), (2, 1), (0, 2), (7, 4)),
    ((1, 2), (3, 2), (2, 1), (4, 5)),
]


def _padded(X, ph, pw):
    N, C, H, W = X.shape
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    for n in range(N):
        for c in range(C):
            for h in range(H):
                for w in range(W):
                    out[n, c, h + ph, w + pw] = X[n, c, h, w]
    return out


def _im2col_loops(X, kernel, stride, padding):
    N, C, H, W = X.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    OH = (H + 2 * ph - kh) // sh + 1
    OW = (W + 2 * pw - kw) // sw + 1
    P = _padded(X, ph, pw)
    rows = []
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                rows.append([P[n, c, sh * i + u, sw * j + v]
                             for c in range(C) for u in range(kh) for v in range(kw)])
    return np.array(rows)


def _col2im_loops(cols, shape, kernel, stride, padding):
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    OH = (H + 2 * ph - kh) // sh + 1
    OW = (W + 2 * pw - kw) // sw + 1
    out = np.zeros((N, C, H + 2 * ph, W + 2 * pw))
    r = 0
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                k = 0
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            out[n, c, sh * i + u, sw * j + v] += cols[r, k]
                            k += 1
                r += 1
    return out[:, :, ph:ph + H, pw:pw + W]


@pytest.mark.parametrize("kernel, stride, padding, size", CASES)
def test_im2col_matches_the_defining_loops(kernel, stride, padding, size):
    X = np.random.default_rng(0).standard_normal((2, 3, *size))
    np.testing.assert_array_equal(im2col(X, kernel, stride, padding),
                                  _im2col_loops(X, kernel, stride, padding))


@pytest.mark.parametrize("kernel, stride, padding, size", CASES)
def test_col2im_matches_the_loops_and_is_the_adjoint(kernel, stride, padding, size):
    rng = np.random.default_rng(1)
    shape = (2, 3, *size)
    X = rng.standard_normal(shape)
    cols = rng.standard_normal(_im2col_loops(X, kernel, stride, padding).shape)
    back = col2im(cols, shape, kernel, stride, padding)
    np.testing.assert_allclose(back, _col2im_loops(cols, shape, kernel, stride, padding),
                               rtol=1e-12, atol=1e-12)
    assert np.isclose(np.sum(im2col(X, kernel, stride, padding) * cols), np.sum(X * back))


def test_im2col_keeps_the_dtype_and_col2im_too():
    X = np.arange(2 * 5 * 6, dtype=np.float32).reshape(1, 2, 5, 6)
    cols = im2col(X, (2, 3), (1, 2), (1, 0))
    assert cols.dtype == np.float32
    assert col2im(cols, X.shape, (2, 3), (1, 2), (1, 0)).dtype == np.float32


@pytest.mark.parametrize("size, kernel, stride, padding, expected", [
    (7, 3, 2, 1, 4), (5, 2, 1, 0, 4), (4, 5, 1, 0, 0), (10, 3, 3, 2, 4), (6, 4, 2, 3, 5),
])
def test_conv_output_size_counts_the_positions(size, kernel, stride, padding, expected):
    positions = [s for s in range(0, size + 2 * padding) if s + kernel <= size + 2 * padding]
    assert len(positions[::stride]) == expected  # counted, independently of the formula
    assert conv_output_size(size, kernel, stride, padding) == expected
