"""``nnmath.autodiff.patch_indices`` (the gather indices and padding mask behind the engine's
convolution) and ``conv2d`` with default arguments, against the definition written as a
loop over every (image, output pixel, channel, kernel entry), and the no-fit error message."""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, conv2d, patch_indices


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _loop_patch_indices(shape, kernel, stride, padding):
    N, C, H, W = shape
    (kh, kw), (sh, sw), (ph, pw) = _pair(kernel), _pair(stride), _pair(padding)
    OH, OW = (H + 2 * ph - kh) // sh + 1, (W + 2 * pw - kw) // sw + 1
    index = np.zeros((N * OH * OW, C * kh * kw), dtype=int)
    inside = np.zeros((N * OH * OW, C * kh * kw))
    for n in range(N):
        for i in range(OH):
            for j in range(OW):
                row = (n * OH + i) * OW + j
                for c in range(C):
                    for u in range(kh):
                        for v in range(kw):
                            col = (c * kh + u) * kw + v
                            r, q = sh * i + u - ph, sw * j + v - pw
                            inside[row, col] = float(0 <= r < H and 0 <= q < W)
                            r, q = min(max(r, 0), H - 1), min(max(q, 0), W - 1)
                            index[row, col] = ((n * C + c) * H + r) * W + q
    return index, inside


@pytest.mark.parametrize("shape, kernel, kwargs, expected", [
    ((2, 2, 4, 5), (2, 3), {}, ((1, 1), (0, 0))),
    ((1, 2, 4, 5), 3, {"stride": (2, 1), "padding": (1, 2)}, ((2, 1), (1, 2))),
    ((2, 1, 3, 3), 2, {"padding": 1}, ((1, 1), (1, 1))),
], ids=["defaults", "stride-and-padding", "padding"])
def test_patch_indices_match_the_loop(shape, kernel, kwargs, expected):
    index, inside = patch_indices(shape, kernel, **kwargs)
    ref_index, ref_inside = _loop_patch_indices(shape, kernel, *expected)
    np.testing.assert_array_equal(index, ref_index)
    np.testing.assert_array_equal(inside, ref_inside)
    assert inside.dtype == np.float64


def test_a_kernel_too_wide_for_the_padded_input_is_an_error_naming_both_sizes():
    with pytest.raises(ValueError) as info:
        patch_indices((1, 1, 3, 2), (3, 9), padding=(1, 2))  # fits in height, not in width
    assert str(info.value) == "conv2d: kernel 3×9 does not fit the padded input 5×6"


def test_conv2d_defaults_to_stride_one_without_padding():
    rng = np.random.default_rng(9)
    X, K = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(3, 2, 2, 3))
    Y = conv2d(Tensor(X), Tensor(K))
    expected = np.zeros((2, 3, 4, 2))
    for n in range(2):
        for o in range(3):
            for i in range(4):
                for j in range(2):
                    expected[n, o, i, j] = np.sum(X[n, :, i:i + 2, j:j + 3] * K[o])
    np.testing.assert_allclose(Y.data, expected, rtol=1e-12, atol=1e-12)
