"""erf, erfc, Φ and GELU against the standard library and formulas written out in NumPy.

Independent routes: ``math.erf`` and ``math.erfc`` (which keep relative accuracy in the
far tail), the documented formulas of GELU and of its tanh approximation, and central
differences of a NumPy reference for the derivatives. Exact messages and dtypes.
"""

import math

import numpy as np
import pytest

from nnmath.gelu import GELU, erf, erfc, gelu, gelu_grad_Z, normal_cdf

# both sides of the split at 2.5, the split itself, zero, and far tails
POINTS = np.array([0.0, 1e-3, 0.3, 1.0, 2.0, 2.4999, 2.5, 2.5001, 3.0, 4.0, 6.0, 27.0])


def _ref(f, x):
    return np.array([f(float(v)) for v in np.ravel(x)]).reshape(np.shape(x))


def test_erf_matches_math_erf_on_both_sides_of_the_split():
    x = np.concatenate([-POINTS[::-1], POINTS])
    np.testing.assert_allclose(erf(x), _ref(math.erf, x), rtol=0, atol=2e-15)
    assert erf(np.array(0.0)) == 0.0
    out = erf([[1, -2], [3, 0]])                      # ints in, float64 out, shape kept
    assert out.dtype == np.float64 and out.shape == (2, 2)
    np.testing.assert_allclose(out, _ref(math.erf, [[1, -2], [3, 0]]), rtol=0, atol=2e-15)


def test_erfc_keeps_its_relative_accuracy_in_both_tails():
    x = np.concatenate([-POINTS[::-1], POINTS])
    np.testing.assert_allclose(erfc(x), _ref(math.erfc, x), rtol=0, atol=2e-15)
    tail = np.array([-20.0, -2.5, 2.5, 2.5001, 3.0, 5.0, 10.0, 20.0])
    np.testing.assert_allclose(erfc(tail), _ref(math.erfc, tail), rtol=1e-13, atol=0)
    assert erfc([[0.5]]).shape == (1, 1) and erfc([1]).dtype == np.float64


def test_normal_cdf_is_half_erfc_even_far_left():
    x = np.array([-30.0, -8.0, -2.0, 0.0, 0.7, 3.0])
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])
    np.testing.assert_allclose(normal_cdf(x), expected, rtol=1e-13, atol=0)


def _gelu_reference(x, approximate):
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return x * _ref(lambda v: 0.5 * math.erfc(-v / math.sqrt(2.0)), x)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_and_its_gradient_against_formula_and_central_differences(approximate):
    x = np.array([-6.0, -3.0, -2.5, -1.0, -0.2, 0.0, 0.4, 1.3, 2.5, 4.0])
    np.testing.assert_allclose(gelu(x, approximate), _gelu_reference(x, approximate),
                               rtol=1e-14, atol=1e-16)
    dY = np.linspace(0.5, 2.0, x.size)
    h = 1e-5
    numeric = (_gelu_reference(x + h, approximate) - _gelu_reference(x - h, approximate)) / (2 * h)
    np.testing.assert_allclose(gelu_grad_Z(dY, x, approximate), dY * numeric, rtol=1e-8,
                               atol=1e-10)


def test_the_default_is_the_exact_form_not_the_tanh_one():
    x = np.array([-2.0, 1.0, 2.0])               # where the two forms differ by ~1e-4
    np.testing.assert_allclose(gelu(x), _gelu_reference(x, "none"), rtol=1e-14)
    np.testing.assert_allclose(gelu_grad_Z(np.ones(3), x),
                               gelu_grad_Z(np.ones(3), x, "none"), rtol=0, atol=0)
    np.testing.assert_allclose(GELU().forward(x), _gelu_reference(x, "none"), rtol=1e-14)
    assert np.abs(gelu(x) - gelu(x, "tanh")).max() > 1e-5


def test_dtypes_of_gelu_and_the_module():
    assert gelu(np.array([1.0], dtype=np.float16)).dtype == np.float32
    assert gelu(np.array([1.0], dtype=np.float32)).dtype == np.float32
    assert gelu(np.array([1, 2])).dtype == np.float64
    for approximate in ("none", "tanh"):
        act = GELU(approximate)
        X = np.array([[0.5, -1.5]], dtype=np.float32)
        Y = act.forward(X)
        dX = act.backward(np.ones((1, 2), dtype=np.float32))
        assert Y.dtype == np.float32 and dX.dtype == np.float32
        np.testing.assert_allclose(Y, _gelu_reference(X.astype(np.float64), approximate),
                                   rtol=1e-6)
        np.testing.assert_allclose(dX, gelu_grad_Z(np.ones((1, 2)), X.astype(np.float64),
                                                   approximate), rtol=1e-6)


def test_messages_and_repr_in_full():
    for make, owner in ((lambda: gelu([1.0], "exact"), "gelu"),
                        (lambda: gelu_grad_Z([1.0], [1.0], "exact"), "gelu_grad_Z"),
                        (lambda: GELU("exact"), "GELU")):
        with pytest.raises(ValueError) as info:
            make()
        assert str(info.value) == f"{owner}: approximate must be 'none' or 'tanh', got 'exact'"
    assert repr(GELU()) == "GELU(approximate='none')"
    assert repr(GELU("tanh")) == "GELU(approximate='tanh')"
