"""The engine's composite functions (nnmath/autodiff/functions.py): values, gradients, ties.

References: NumPy closed forms (on inputs small enough to need no shift, or,
at ±1000, values worked out by hand), central differences of NumPy reference
functions, and the documented tie rule of ``maximum``.
"""

import warnings

import numpy as np
import pytest

from nnmath import autodiff as ad
from nnmath.autodiff import Tensor
from nnmath.gradcheck import numeric_gradient

RTOL, ATOL = 1e-6, 1e-8


def _rng(*key):
    return np.random.default_rng([37, *key])


def _np_logsumexp(x, axis):
    # reference with its own shift: valid for the moderate inputs it is used on
    m = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(m, axis=axis) + np.log(np.sum(np.exp(x - m), axis=axis))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_logsumexp_and_log_softmax_along_any_axis(axis):
    x = _rng(1).standard_normal((3, 4))
    lse = ad.logsumexp(Tensor(x), axis=axis)
    closed = np.log(np.sum(np.exp(x), axis=axis))  # no shift needed for these sizes
    assert lse.shape == closed.shape
    np.testing.assert_allclose(lse.data, closed, rtol=1e-14)
    kept = ad.logsumexp(Tensor(x), axis=axis, keepdims=True)
    np.testing.assert_allclose(kept.data, np.expand_dims(closed, axis), rtol=1e-14)
    ls = ad.log_softmax(Tensor(x), axis=axis)
    np.testing.assert_allclose(ls.data, x - np.expand_dims(closed, axis), rtol=1e-13)
    t = Tensor(x)
    out = ad.log_softmax(t, axis=axis)
    delta = _rng(2).standard_normal(out.shape)
    out.backward(delta)
    expected = numeric_gradient(
        lambda v: float(np.sum(delta * (v - np.expand_dims(_np_logsumexp(v, axis), axis)))), x)
    np.testing.assert_allclose(t.grad, expected, rtol=RTOL, atol=ATOL)


def test_logsumexp_defaults_to_the_last_axis_without_keepdims():
    x = _rng(3).standard_normal((2, 5))
    out = ad.logsumexp(Tensor(x))
    assert out.shape == (2,)
    np.testing.assert_allclose(out.data, np.log(np.sum(np.exp(x), axis=-1)), rtol=1e-14)


@pytest.mark.parametrize("axis", [0, -1])
def test_softmax_along_any_axis(axis):
    x = _rng(4).standard_normal((3, 4))
    e = np.exp(x)
    np.testing.assert_allclose(ad.softmax(Tensor(x), axis=axis).data,
                               e / e.sum(axis=axis, keepdims=True), rtol=1e-14)


def test_softmax_and_logsumexp_stay_finite_at_1000():
    # Each row is shifted by its own maximum: rows at very different levels, and ±1000,
    # come out exact and without a warning.
    x = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [0.0, np.log(3.0)],
                  [-2000.0, -2000.0 + np.log(3.0)]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = ad.softmax(Tensor(x)).data
        lse = ad.logsumexp(Tensor(x)).data
        ls = ad.log_softmax(Tensor(x)).data
    np.testing.assert_allclose(p, [[0.5, 0.5], [0.5, 0.5], [0.25, 0.75], [0.25, 0.75]],
                               rtol=1e-12)
    np.testing.assert_allclose(lse, [1000 + np.log(2), -1000 + np.log(2), np.log(4),
                                     -2000 + np.log(4)], rtol=1e-14)
    np.testing.assert_allclose(ls[2:], np.log([[0.25, 0.75], [0.25, 0.75]]), rtol=1e-12)
    # the same along axis 0 (columns at different levels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p0 = ad.softmax(Tensor(x.T), axis=0).data
        lse0 = ad.logsumexp(Tensor(x.T), axis=0).data
    np.testing.assert_allclose(p0, p.T, rtol=1e-12)
    np.testing.assert_allclose(lse0, lse, rtol=1e-14)


def test_maximum_sends_the_gradient_to_the_first_operand_on_ties():
    a, b = Tensor([1.0, 2.0, 3.0]), Tensor([1.0, 5.0, 3.0])
    ad.maximum(a, b).backward(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(a.grad, [10.0, 0.0, 30.0])
    np.testing.assert_array_equal(b.grad, [0.0, 20.0, 0.0])


def test_leaky_relu_function_default_slope():
    x = Tensor([-1.0, 2.0])
    y = ad.leaky_relu(x)
    np.testing.assert_allclose(y.data, [-0.01, 2.0], rtol=1e-15)


def test_functions_of_a_constant_are_constants():
    # The shift by the maximum must not make a function of constants require a gradient.
    c = Tensor(_rng(5).standard_normal((2, 3)), requires_grad=False)
    for out in (ad.softmax(c), ad.logsumexp(c), ad.log_softmax(c)):
        assert out.requires_grad is False


def test_forward_mode_tangent_of_maximum_goes_to_the_winner():
    # J v of max(a, b) with respect to b: v where b wins, 0 where a wins (ties go to a)
    a = np.array([1.0, 5.0, 2.0, 3.0])
    b = np.array([4.0, 0.0, 2.0, -1.0])
    v = np.array([10.0, 20.0, 30.0, 40.0])
    _, Jv = ad.jvp(lambda t: ad.maximum(Tensor(a, requires_grad=False), t), b, v)
    np.testing.assert_array_equal(Jv, [10.0, 0.0, 0.0, 0.0])
    _, Jv = ad.jvp(lambda t: ad.maximum(t, Tensor(b, requires_grad=False)), a, v)
    np.testing.assert_array_equal(Jv, [0.0, 20.0, 30.0, 40.0])


@pytest.mark.parametrize("axis", [0, 1, (0, 1), None], ids=str)
def test_forward_mode_tangent_of_max_keeps_the_dimensions_asked_for(axis):
    x = _rng(6).permutation(12).reshape(3, 4).astype(float)  # no ties
    v = _rng(7).standard_normal((3, 4))
    for keepdims in (False, True):
        y, Jv = ad.jvp(lambda t: t.max(axis=axis, keepdims=keepdims), x, v)
        h = 1e-6
        fd = (np.max(x + h * v, axis=axis, keepdims=keepdims)
              - np.max(x - h * v, axis=axis, keepdims=keepdims)) / (2 * h)
        assert Jv.shape == fd.shape == y.shape
        np.testing.assert_allclose(Jv, fd, rtol=1e-8, atol=1e-10)
