"""nnmath.activations: closed forms, the full softmax Jacobian, edge cases and errors.

The finite-difference check of every activation module lives in the shared
table (tests/lib/test_properties.py); here each function meets an independent
closed form or the numeric Jacobian, and each bad input meets its message.
"""

import warnings

import numpy as np
import pytest

import nnmath as nm
from nnmath import activations as act
from nnmath.gradcheck import numeric_gradient, numeric_jacobian
from strategies import ACTIVATION_CASES

RTOL, ATOL = 1e-7, 1e-9


def _rng(*key):
    return np.random.default_rng([4, *key])


# -- closed forms ----------------------------------------------------------------

def test_sigmoid_matches_closed_form_for_moderate_inputs():
    Z = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(act.sigmoid(Z), 1 / (1 + np.exp(-Z)), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_saturates_without_warning(dtype):
    Z = np.array([-1000, -100, 0, 100, 1000], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        S = act.sigmoid(Z)
        module = nm.Sigmoid()
        module.forward(Z)
        dZ = module.backward(np.ones_like(Z))
    assert S.dtype == dtype and dZ.dtype == dtype
    np.testing.assert_array_equal(S[[0, 2, 4]], np.array([0, 0.5, 1], dtype=dtype))
    np.testing.assert_array_equal(dZ[[0, 2, 4]], np.array([0, 0.25, 0], dtype=dtype))


def test_sigmoid_backward_is_sigmoid_times_one_minus_sigmoid():
    # σ'(z) = e^{-z}/(1+e^{-z})², written independently of σ(1 − σ)
    Z = np.linspace(-8, 8, 17)
    dY = _rng(1).standard_normal(Z.shape)
    expected = dY * np.exp(-Z) / (1 + np.exp(-Z)) ** 2
    np.testing.assert_allclose(act.sigmoid_grad_Z(dY, act.sigmoid(Z)), expected,
                               rtol=1e-12, atol=1e-15)


def test_tanh_backward_is_sech_squared():
    Z = np.linspace(-5, 5, 21)
    dY = _rng(2).standard_normal(Z.shape)
    np.testing.assert_allclose(act.tanh_grad_Z(dY, act.tanh(Z)), dY / np.cosh(Z) ** 2,
                               rtol=1e-12, atol=1e-15)


def test_relu_and_its_backward_on_both_sides_and_at_zero():
    Z = np.array([-2.0, -0.0, 0.0, 3.0])
    dY = np.array([5.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(act.relu(Z), [0, 0, 0, 3])
    np.testing.assert_array_equal(act.relu_grad_Z(dY, Z), [0, 0, 0, 8])  # 0 at the kink


def test_leaky_relu_and_its_backward_on_both_sides_and_at_zero():
    Z = np.array([-2.0, 0.0, 3.0])
    dY = np.array([5.0, 7.0, 8.0])
    np.testing.assert_allclose(act.leaky_relu(Z, 0.1), [-0.2, 0, 3], rtol=1e-15)
    np.testing.assert_allclose(act.leaky_relu_grad_Z(dY, Z, 0.1), [0.5, 0.7, 8], rtol=1e-15)


def test_leaky_relu_with_zero_slope_is_relu():
    Z = _rng(3).standard_normal((3, 4))
    dY = _rng(4).standard_normal((3, 4))
    module = nm.LeakyReLU(0.0)
    np.testing.assert_array_equal(module.forward(Z), act.relu(Z))
    np.testing.assert_array_equal(module.backward(dY), act.relu_grad_Z(dY, Z))


def test_identity_passes_values_and_gradients_through():
    X = _rng(5).standard_normal((2, 3))
    module = nm.Identity()
    np.testing.assert_array_equal(module.forward(X), X)
    np.testing.assert_array_equal(module.backward(2 * X), 2 * X)


# -- softmax -----------------------------------------------------------------------

def test_softmax_is_invariant_to_a_shift_of_each_row():
    Z = _rng(6).standard_normal((3, 4))
    shift = np.array([[-500.0], [0.0], [700.0]])
    np.testing.assert_allclose(act.softmax(Z + shift), act.softmax(Z), rtol=1e-12)


def test_softmax_matches_textbook_formula_for_moderate_inputs():
    Z = _rng(7).standard_normal((3, 4))
    E = np.exp(Z)
    np.testing.assert_allclose(act.softmax(Z), E / E.sum(axis=1, keepdims=True), rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_of_huge_logits_has_no_warning(dtype):
    Z = np.array([[1000, -1000, 999], [-1000, -1000, -1000]], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        P = act.softmax(Z)
    assert P.dtype == dtype
    np.testing.assert_allclose(P[1], 1 / 3, rtol=1e-6)
    np.testing.assert_allclose(P[0, 0] / P[0, 2], np.e, rtol=1e-5)


def test_softmax_jacobian_matches_numeric_jacobian():
    z = _rng(8).standard_normal(5)
    J = act.softmax_jacobian(act.softmax(z))
    np.testing.assert_allclose(J, numeric_jacobian(act.softmax, z), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(J, J.T, rtol=0, atol=0)
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=1e-16)


def test_softmax_backward_equals_upstream_times_jacobian_row_by_row():
    Z = _rng(9).standard_normal((4, 3))
    dY = _rng(10).standard_normal((4, 3))  # any upstream, not only from cross-entropy
    P = act.softmax(Z)
    slow = np.stack([dy @ numeric_jacobian(act.softmax, z) for dy, z in zip(dY, Z)])
    np.testing.assert_allclose(act.softmax_grad_Z(dY, P), slow, rtol=RTOL, atol=ATOL)


def test_softmax_backward_for_an_upstream_with_nonzero_row_sums():
    # the sum term matters exactly when <δ, p> ≠ 0; compare with finite differences
    Z = _rng(11).standard_normal((2, 4))
    dY = np.abs(_rng(12).standard_normal((2, 4))) + 1.0
    expected = numeric_gradient(lambda V: float(np.sum(dY * act.softmax(V))), Z)
    np.testing.assert_allclose(act.softmax_grad_Z(dY, act.softmax(Z)), expected,
                               rtol=RTOL, atol=ATOL)


# -- dtypes ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=repr)
def test_integer_input_becomes_float64(case):
    module = case.make()
    Y = module.forward(np.array([[1, -2, 3]]))
    assert Y.dtype == np.float64
    assert module.backward(np.ones((1, 3), dtype=np.float64)).dtype == np.float64


# -- errors ------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=repr)
def test_backward_before_forward_is_an_error(case):
    module = case.make()
    cls = type(module).__name__
    with pytest.raises(ValueError, match=rf"{cls}\.backward: backward called before forward"):
        module.backward(np.ones((2, 3)))


@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=repr)
def test_upstream_of_the_wrong_shape_is_an_error(case):
    module = case.make()
    cls = type(module).__name__
    module.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=rf"{cls}\.backward: dY has shape \(3, 2\), "
                                         rf"expected \(2, 3\)"):
        module.backward(np.ones((3, 2)))


@pytest.mark.parametrize("case", ACTIVATION_CASES, ids=repr)
@pytest.mark.parametrize("bad", [np.array(["a", "b"]), np.array([1 + 2j]), [[1.0, 2.0], [3.0]],
                                 np.array([None, 1.0])],
                         ids=["strings", "complex", "ragged", "object"])
def test_non_numeric_input_is_a_type_error(case, bad):
    module = case.make()
    cls = type(module).__name__
    with pytest.raises(TypeError, match=rf"{cls}\.forward: X"):
        module.forward(bad)


def test_non_numeric_upstream_is_a_type_error():
    module = nm.Tanh()
    module.forward(np.ones(2))
    with pytest.raises(TypeError, match=r"Tanh\.backward: dY must be a real numeric array, "
                                        r"got dtype <U1"):
        module.backward(np.array(["a", "b"]))


@pytest.mark.parametrize("slope, error, message", [
    (-0.1, ValueError, r"LeakyReLU: slope must be finite and non-negative, got -0\.1"),
    (float("nan"), ValueError, r"LeakyReLU: slope must be finite and non-negative, got nan"),
    (float("inf"), ValueError, r"LeakyReLU: slope must be finite and non-negative, got inf"),
    ("0.1", TypeError, r"LeakyReLU: slope must be a real number, got '0\.1'"),
    (True, TypeError, r"LeakyReLU: slope must be a real number, got True"),
    (None, TypeError, r"LeakyReLU: slope must be a real number, got None"),
])
def test_bad_leaky_relu_slope_is_rejected(slope, error, message):
    with pytest.raises(error, match=message):
        nm.LeakyReLU(slope)


def test_softmax_needs_a_non_empty_last_axis():
    with pytest.raises(ValueError,
                       match=r"Softmax\.forward: X has shape \(2, 0\), expected \(\.\.\., C\)"):
        nm.Softmax().forward(np.ones((2, 0)))


def test_softmax_jacobian_needs_a_vector():
    with pytest.raises(ValueError, match=r"softmax_jacobian: p must be a vector of shape \(C,\), "
                                         r"got \(2, 2\)"):
        act.softmax_jacobian(np.full((2, 2), 0.5))


def test_repr_names_the_slope():
    assert repr(nm.LeakyReLU(0.2)) == "LeakyReLU(slope=0.2)"
    assert repr(nm.ReLU()) == "ReLU()"
