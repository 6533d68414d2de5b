"""nnmath.losses: hand-computed values, log-sum-exp stability, the gradients, and errors.

The finite-difference check of MSE and SoftmaxCrossEntropy through their
module interface is in the shared table (tests/lib/test_properties.py); here the
functions meet small hand-computed examples and finite differences, and each
bad input meets its message.
"""

import warnings

import numpy as np
import pytest

import nnmath as nm
from nnmath import losses as los
from nnmath.gradcheck import numeric_gradient
from nnmath.book.chapters import ch08_losses as ch08

RTOL, ATOL = 1e-7, 1e-9


def _rng(*key):
    return np.random.default_rng([6, *key])


# -- one_hot and log-sum-exp -----------------------------------------------------------

def test_one_hot():
    np.testing.assert_array_equal(los.one_hot([2, 0, 1], 3), [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert los.one_hot(np.array([1]), 2, dtype=np.float32).dtype == np.float32
    assert los.one_hot(np.array([1.0, 0.0]), 2).shape == (2, 2)  # integral floats are fine


def test_logsumexp_matches_the_naive_formula_for_moderate_inputs():
    Z = _rng(1).standard_normal((3, 4))
    np.testing.assert_allclose(los.logsumexp(Z), np.log(np.exp(Z).sum(axis=1)), rtol=1e-14)
    np.testing.assert_allclose(los.logsumexp(Z), ch08.naive_logsumexp(Z), rtol=1e-14)


def test_logsumexp_is_finite_where_the_naive_formula_overflows():
    Z = np.array([[1000.0, 1000.0], [-1000.0, -1000.0], [1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stable = los.logsumexp(Z)
        naive = ch08.naive_logsumexp(Z)  # warnings silenced inside, as documented
    np.testing.assert_allclose(stable, [1000 + np.log(2), -1000 + np.log(2), 1000], rtol=1e-15)
    np.testing.assert_array_equal(naive, [np.inf, -np.inf, np.inf])


def test_log_softmax_is_log_of_softmax_and_finite_for_large_logits():
    Z = _rng(2).standard_normal((2, 5))
    np.testing.assert_allclose(los.log_softmax(Z), np.log(nm.activations.softmax(Z)), rtol=1e-13)
    big = los.log_softmax(np.array([[1000.0, -1000.0]]))
    np.testing.assert_allclose(big, [[0.0, -2000.0]], rtol=1e-15, atol=0)


# -- values computed by hand ---------------------------------------------------------------

def test_mse_by_hand():
    Y = np.array([[1.0, 2.0], [3.0, 4.0]])
    T = np.array([[0.0, 2.0], [3.0, 6.0]])
    assert los.mse(Y, T) == pytest.approx((1 + 4) / (2 * 2))
    np.testing.assert_allclose(los.mse_grad_Y(Y, T), [[0.5, 0.0], [0.0, -1.0]])
    loss = nm.MSE()
    assert loss.forward(Y, T) == pytest.approx(1.25)
    np.testing.assert_allclose(loss.backward(), [[0.5, 0.0], [0.0, -1.0]])


def test_cross_entropy_by_hand():
    # equal logits: each of C classes gets 1/C, so L = log C whatever the label
    Z = np.zeros((2, 3))
    assert los.softmax_cross_entropy(Z, los.one_hot([0, 2], 3)) == pytest.approx(np.log(3))
    np.testing.assert_allclose(los.softmax_cross_entropy_grad_Z(Z, los.one_hot([0, 2], 3)),
                               [[-1 / 3, 1 / 6, 1 / 6], [1 / 6, 1 / 6, -1 / 3]], rtol=1e-14)


def test_cross_entropy_for_logits_of_a_thousand():
    Z = np.array([[1000.0, -1000.0], [1000.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right = nm.SoftmaxCrossEntropy().forward(Z, [0, 0])
        wrong = nm.SoftmaxCrossEntropy().forward(Z, [1, 1])
        half = nm.SoftmaxCrossEntropy().forward(Z, [0, 1])
    assert right == 0.0 and wrong == pytest.approx(2000.0) and half == pytest.approx(1000.0)


# -- gradients against finite differences (the functions, not the modules) -------------------

@pytest.mark.parametrize("N, C", [(1, 1), (1, 4), (5, 3)])
def test_mse_grad_matches_finite_differences(N, C):
    Y, T = _rng(3, N, C).standard_normal((2, N, C))
    expected = numeric_gradient(lambda V: los.mse(V, T), Y)
    np.testing.assert_allclose(los.mse_grad_Y(Y, T), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("N, C", [(1, 2), (4, 3), (6, 5)])
def test_cross_entropy_grad_matches_finite_differences(N, C):
    rng = _rng(4, N, C)
    Z = 3 * rng.standard_normal((N, C))
    T = los.one_hot(rng.integers(0, C, N), C)
    expected = numeric_gradient(lambda V: los.softmax_cross_entropy(V, T), Z)
    np.testing.assert_allclose(los.softmax_cross_entropy_grad_Z(Z, T), expected,
                               rtol=RTOL, atol=ATOL)


def test_cross_entropy_grad_with_soft_targets():
    Z = _rng(5).standard_normal((3, 4))
    T = nm.activations.softmax(_rng(6).standard_normal((3, 4)))  # rows sum to 1
    expected = numeric_gradient(lambda V: los.softmax_cross_entropy(V, T), Z)
    np.testing.assert_allclose(los.softmax_cross_entropy_grad_Z(Z, T), expected,
                               rtol=RTOL, atol=ATOL)


def test_gradients_shrink_as_one_over_n():
    # the same sample repeated N times: same loss, gradient per row divided by N
    z, t = _rng(7).standard_normal((1, 3)), los.one_hot([1], 3)
    g1 = los.softmax_cross_entropy_grad_Z(z, t)
    for N in (2, 5):
        Z, T = np.repeat(z, N, axis=0), np.repeat(t, N, axis=0)
        assert los.softmax_cross_entropy(Z, T) == pytest.approx(los.softmax_cross_entropy(z, t))
        np.testing.assert_allclose(los.softmax_cross_entropy_grad_Z(Z, T), np.repeat(g1, N, 0) / N,
                                   rtol=1e-14)
        np.testing.assert_allclose(los.mse_grad_Y(Z, T), np.repeat(los.mse_grad_Y(z, t), N, 0) / N,
                                   rtol=1e-14)


# -- the modules -----------------------------------------------------------------------------

def test_labels_and_one_hot_give_the_same_loss_and_gradient():
    Z = _rng(8).standard_normal((4, 3))
    labels = np.array([0, 2, 2, 1])
    a, b = nm.SoftmaxCrossEntropy(), nm.SoftmaxCrossEntropy()
    assert a.forward(Z, labels) == b.forward(Z, los.one_hot(labels, 3))
    np.testing.assert_array_equal(a.backward(), b.backward())


def test_backward_scales_by_an_upstream_scalar():
    Y, T = _rng(9).standard_normal((2, 3, 2))
    loss = nm.MSE()
    loss.forward(Y, T)
    np.testing.assert_allclose(loss.backward(3.0), 3 * loss.backward(), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_losses_keep_the_dtype_of_the_predictions(dtype):
    Y = _rng(10).standard_normal((3, 2)).astype(dtype)
    mse, ce = nm.MSE(), nm.SoftmaxCrossEntropy()
    assert isinstance(mse.forward(Y, np.zeros((3, 2))), float)  # float64 targets
    assert isinstance(ce.forward(Y, np.array([0, 1, 1])), float)
    assert mse.backward().dtype == dtype and ce.backward().dtype == dtype


# -- errors ------------------------------------------------------------------------------------

def _mse(Y, T):
    return nm.MSE().forward(Y, T)


def _ce(Z, labels):
    return nm.SoftmaxCrossEntropy().forward(Z, labels)


BAD_INPUTS = [
    (lambda: _mse(np.ones((3, 2)), np.ones((4, 2))), ValueError,
     r"MSE\.forward: batch sizes differ, Y has shape \(3, 2\) and targets has shape \(4, 2\)"),
    (lambda: _mse(np.ones((3, 2)), np.ones((3, 1))), ValueError,
     r"MSE\.forward: targets has shape \(3, 1\), expected \(3, 2\)"),
    (lambda: _mse(np.ones((0, 2)), np.ones((0, 2))), ValueError,
     r"MSE\.forward: empty batch, Y has shape \(0, 2\)"),
    (lambda: _mse(np.ones(()), np.ones(())), ValueError,
     r"MSE\.forward: empty batch, Y has shape \(\)"),
    (lambda: _mse(np.array([["a"]]), np.ones((1, 1))), TypeError,
     r"MSE\.forward: Y must be a real numeric array"),
    (lambda: nm.MSE().backward(), ValueError,
     r"MSE\.backward: backward called before forward"),
    (lambda: _ce(np.ones((3, 2)), [0, 1]), ValueError,
     r"SoftmaxCrossEntropy\.forward: batch sizes differ, Z has shape \(3, 2\) and labels have "
     r"shape \(2,\)"),
    (lambda: _ce(np.ones((0, 2)), np.array([], dtype=int)), ValueError,
     r"SoftmaxCrossEntropy\.forward: empty batch, Z has shape \(0, 2\)"),
    (lambda: _ce(np.ones((2, 3)), [0, 3]), ValueError,
     r"SoftmaxCrossEntropy\.forward: label 3 is out of range for 3 classes \(valid: 0 to 2\)"),
    (lambda: _ce(np.ones((2, 3)), [0, -1]), ValueError,
     r"SoftmaxCrossEntropy\.forward: labels must be non-negative, got -1"),
    (lambda: _ce(np.ones((2, 3)), [0, 1.5]), ValueError,
     r"SoftmaxCrossEntropy\.forward: labels must be integers, got 1\.5"),
    (lambda: _ce(np.ones((2, 3)), [0, np.nan]), ValueError,
     r"SoftmaxCrossEntropy\.forward: labels must be integers, got nan"),
    (lambda: _ce(np.ones((2, 3)), ["a", "b"]), TypeError,
     r"SoftmaxCrossEntropy\.forward: labels must be integers, got dtype <U1"),
    (lambda: _ce(np.ones((2, 3)), [True, False]), TypeError,
     r"SoftmaxCrossEntropy\.forward: labels must be integers, got dtype bool"),
    (lambda: _ce(np.ones((2, 3)), np.eye(2)), ValueError,
     r"SoftmaxCrossEntropy\.forward: one-hot targets have shape \(2, 2\), expected \(2, 3\)"),
    (lambda: _ce(np.ones((2, 3)), np.ones((2, 3))), ValueError,
     r"SoftmaxCrossEntropy\.forward: one-hot targets must be non-negative with rows summing to 1"),
    (lambda: _ce(np.ones((2, 3)), np.zeros((2, 3, 1), dtype=int)), ValueError,
     r"SoftmaxCrossEntropy\.forward: labels must be class indices \(N,\) or one-hot \(N, C\), "
     r"got shape \(2, 3, 1\)"),
    (lambda: _ce(np.ones(3), [0, 1, 2]), ValueError,
     r"SoftmaxCrossEntropy\.forward: logits Z must have shape \(N, C\) with C >= 1, got \(3,\)"),
    (lambda: _ce(np.ones((2, 0)), [0, 0]), ValueError,
     r"SoftmaxCrossEntropy\.forward: logits Z must have shape \(N, C\) with C >= 1, got \(2, 0\)"),
    (lambda: nm.SoftmaxCrossEntropy().backward(), ValueError,
     r"SoftmaxCrossEntropy\.backward: backward called before forward"),
    (lambda: los.one_hot([0, 3], 3), ValueError,
     r"one_hot: label 3 is out of range for 3 classes"),
    (lambda: los.one_hot([[0, 1]], 3), ValueError,
     r"one_hot: labels must have shape \(N,\), got \(1, 2\)"),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUTS,
                         ids=[m.replace("\\", "")[:60] for _, _, m in BAD_INPUTS])
def test_bad_input_is_rejected_with_a_clear_message(call, error, message):
    with pytest.raises(error, match=message):
        call()
