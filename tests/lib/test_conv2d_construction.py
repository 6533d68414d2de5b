"""Conv2d's construction: the LeCun scale of its kernel, dtypes, and each refusal in full.

Independent route: the kernel must be ``rng.standard_normal(shape) · sqrt(1 / fan_in)``
with ``fan_in = C_in · kh · kw`` (LeCun, as :class:`nnmath.Linear`), drawn again
from a generator of the same seed; the error texts are written out word for word.
"""

import numpy as np
import pytest

import nnmath as nm


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kernel_is_lecun_normal_and_bias_zero_in_the_dtype(dtype):
    conv = nm.Conv2d(2, 3, (2, 3), rng=np.random.default_rng(5), dtype=dtype)
    expected = np.random.default_rng(5).standard_normal((3, 2, 2, 3)) * np.sqrt(1 / 12)
    np.testing.assert_allclose(conv.W, expected.astype(dtype), rtol=1e-6)
    assert conv.W.dtype == conv.b.dtype == dtype and conv.b.shape == (3,) and not conv.b.any()


def test_no_rng_is_allowed_and_no_gradient_before_backward():
    conv = nm.Conv2d(1, 2, 3)
    assert conv.W.shape == (2, 1, 3, 3)
    with pytest.raises(RuntimeError) as info:
        nm.SGD(conv, lr=0.1).step()
    assert str(info.value) == "SGD.step: parameter 'W' has no gradient; call backward first"


@pytest.mark.parametrize("kwargs, error, message", [
    ({"in_channels": 0}, ValueError, "Conv2d: in_channels must be positive, got 0"),
    ({"out_channels": 0}, ValueError, "Conv2d: out_channels must be positive, got 0"),
    ({"kernel_size": 0}, ValueError, "Conv2d: kernel_size must be >= 1, got 0"),
    ({"stride": 0}, ValueError, "Conv2d: stride must be >= 1, got 0"),
    ({"padding": -1}, ValueError, "Conv2d: padding must be >= 0, got -1"),
    ({"dtype": int}, TypeError, "Conv2d: dtype must be a floating dtype, got int64"),
    ({"rng": 3}, TypeError, "Conv2d: rng must be a numpy.random.Generator or None, got int"),
])
def test_refusals_are_exact(kwargs, error, message):
    args = {"in_channels": 1, "out_channels": 2, "kernel_size": 2} | kwargs
    with pytest.raises(error) as info:
        nm.Conv2d(**args)
    assert str(info.value) == message
