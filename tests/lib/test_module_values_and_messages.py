"""Exact values and error messages of the activations, losses and Linear
(nnmath/activations.py, nnmath/losses.py, nnmath/layers.py).

Each test checks a documented behaviour against an independent route: a closed
form written out by hand, a finite difference, or the exact text of an error
message (the messages are part of the interface: they name the module, the
argument and the shapes).
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath import activations as act
from nnmath import losses
from nnmath.gradcheck import numeric_gradient

# -- activations ---------------------------------------------------------------


def test_leaky_relu_default_slope_is_one_hundredth():
    # The documented default: slope 0.01 for negative inputs.
    X = np.array([-3.0, -0.5, 2.0])
    layer = nm.LeakyReLU()
    np.testing.assert_array_equal(layer.forward(X), [-0.03, -0.005, 2.0])
    np.testing.assert_array_equal(layer.backward(np.ones(3)), [0.01, 0.01, 1.0])


@pytest.mark.parametrize("make", [nm.Sigmoid, nm.Tanh, nm.ReLU, nm.LeakyReLU, nm.Identity,
                                  nm.Softmax], ids=lambda m: m.__name__)
def test_activation_type_error_names_the_argument_X(make):
    module = make()
    name = make.__name__
    with pytest.raises(TypeError, match=rf"^{name}\.forward: X must be a real numeric array, "
                                        r"got dtype <U1 \(of type ndarray\)$"):
        module.forward(np.array(["a", "b"]))


# -- losses: error messages ------------------------------------------------------

def _mse(Y, T):
    return nm.MSE().forward(Y, T)


def _sce(Z, labels):
    return nm.SoftmaxCrossEntropy().forward(Z, labels)


@pytest.mark.parametrize("call, error, message", [
    # 1-D predictions and targets of different lengths: the batch sizes differ
    (lambda: _mse(np.ones(3), np.ones(4)), ValueError,
     r"^MSE\.forward: batch sizes differ, Y has shape \(3,\) and targets has shape \(4,\)$"),
    # 2-D predictions, 1-D targets of another length: still the batch sizes
    (lambda: _mse(np.ones((3, 2)), np.ones(4)), ValueError,
     r"^MSE\.forward: batch sizes differ, Y has shape \(3, 2\) and targets has shape \(4,\)$"),
    # same batch, other width: the message names the shape of Y as the expected one
    (lambda: _mse(np.ones((3, 2)), np.ones((3, 5))), ValueError,
     r"^MSE\.forward: targets has shape \(3, 5\), expected \(3, 2\) \(the shape of Y\)$"),
    (lambda: _mse(np.ones((2, 2)), np.array([["a", "b"], ["c", "d"]])), TypeError,
     r"^MSE\.forward: targets must be a real numeric array, got dtype <U1 \(of type ndarray\)$"),
    (lambda: _sce(np.array([["a", "b"]]), [0]), TypeError,
     r"^SoftmaxCrossEntropy\.forward: Z must be a real numeric array, got dtype <U1"),
    (lambda: _sce(np.zeros((1, 2)), np.array([["a", "b"]])), TypeError,
     r"^SoftmaxCrossEntropy\.forward: one-hot targets must be a real numeric array, "
     r"got dtype <U1"),
    (lambda: _sce(np.zeros((2, 2)), np.array([[0.0, 1.5], [1.0, 0.0]])), ValueError,
     r"^SoftmaxCrossEntropy\.forward: one-hot targets must be non-negative with rows summing"
     r" to 1$"),
    (lambda: losses.one_hot([[1], [2, 3]], 4), TypeError,
     r"^one_hot: labels are not a numeric array \("),
], ids=["mse-1d-batch", "mse-2d-1d-batch", "mse-width", "mse-T-strings", "sce-Z-strings",
        "sce-targets-strings", "sce-row-sums-1.5", "labels-ragged"])
def test_loss_error_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("loss, targets", [
    (nm.MSE, lambda rng: rng.standard_normal((4, 3))),
    (nm.SoftmaxCrossEntropy, lambda rng: np.array([0, 2, 1, 2])),
], ids=["mse", "softmax-cross-entropy"])
def test_loss_backward_scales_by_the_upstream_scalar(loss, targets):
    # backward(dL) is the gradient of dL * L: compare with central differences of it.
    rng = np.random.default_rng([13, 1])
    Y, T, dL = rng.standard_normal((4, 3)), targets(rng), 2.5
    module = loss()
    module.forward(Y, T)
    expected = numeric_gradient(lambda V: dL * loss().forward(V, T), Y)
    np.testing.assert_allclose(module.backward(dL), expected, rtol=1e-6, atol=1e-9)


# -- layers ----------------------------------------------------------------------

def test_linear_without_rng_draws_its_own_weights():
    layer = nm.Linear(4, 3)  # rng=None: a fresh generator
    assert layer.W.shape == (4, 3) and np.all(np.isfinite(layer.W))
    assert np.any(layer.W != 0)


def test_linear_backward_type_error_names_dY():
    layer = nm.Linear(2, 2, rng=np.random.default_rng(0))
    layer.forward(np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"^Linear\.backward: dY must be a real numeric array, "
                                        r"got dtype <U1 \(of type ndarray\)$"):
        layer.backward(np.array([["a", "b"]]))


def test_linear_hands_its_rng_to_a_callable_init():
    seen = []

    def init(D, C, rng):
        seen.append(rng)
        return rng.standard_normal((D, C))

    rng = np.random.default_rng(3)
    layer = nm.Linear(2, 3, rng=rng, init=init)
    assert seen == [rng]
    np.testing.assert_array_equal(layer.W, np.random.default_rng(3).standard_normal((2, 3)))


def test_softmax_cross_entropy_on_sequences_with_one_hot_targets():
    # (N, T, C) logits with (N, T, C) one-hot targets: the mean over the N·T positions of
    # logsumexp(z) − z[label], and the gradient (softmax(z) − t) / (N·T), written out here.
    rng = np.random.default_rng([13, 2])
    Z = rng.standard_normal((2, 3, 4))
    labels = rng.integers(0, 4, size=(2, 3))
    T = np.eye(4)[labels]
    E = np.exp(Z)
    expected_loss = np.mean(np.log(E.sum(-1)) - np.take_along_axis(Z, labels[..., None], -1)[..., 0])
    expected_grad = (E / E.sum(-1, keepdims=True) - T) / 6
    for targets in (T, labels):
        loss = nm.SoftmaxCrossEntropy()
        assert loss.forward(Z, targets) == pytest.approx(expected_loss, rel=1e-13)
        np.testing.assert_allclose(loss.backward(), expected_grad, rtol=1e-12, atol=1e-15)
