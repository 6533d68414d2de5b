"""LayerNorm's construction and both norms' defaults: refusals word for word, eps and momentum
defaults seen in the outputs (against the formulas in NumPy), dtypes, reprs."""

import numpy as np
import pytest

import nnmath as nm
from nnmath.norm import BatchNorm, LayerNorm


@pytest.mark.parametrize("kwargs, error, message", [
    ({"features": 0}, ValueError, "LayerNorm: features must be positive, got 0"),
    ({"features": 2.0}, TypeError, "LayerNorm: features must be an integer, got 2.0"),
    ({"eps": 0.0}, ValueError, "LayerNorm: eps must be finite and > 0, got 0.0"),
    ({"eps": -1e-5}, ValueError, "LayerNorm: eps must be finite and > 0, got -1e-05"),
    ({"eps": float("inf")}, ValueError, "LayerNorm: eps must be finite and > 0, got inf"),
    ({"dtype": np.int32}, TypeError, "LayerNorm: dtype must be a floating dtype, got int32"),
])
def test_refusals_are_exact(kwargs, error, message):
    with pytest.raises(error) as info:
        LayerNorm(**({"features": 3} | kwargs))
    assert str(info.value) == message


def _layer_norm(X, eps):
    mu = X.mean(-1, keepdims=True)
    return (X - mu) / np.sqrt(((X - mu) ** 2).mean(-1, keepdims=True) + eps)


def test_layer_norm_defaults_and_eps_in_the_output():
    norm = LayerNorm(3)
    assert norm.eps == 1e-5 and norm.gamma.dtype == np.float64
    np.testing.assert_array_equal(norm.gamma, np.ones(3))
    np.testing.assert_array_equal(norm.beta, np.zeros(3))
    assert norm.dgamma is None and norm.dbeta is None
    assert [name for name, _, _ in norm.parameters()] == ["gamma", "beta"]
    X = np.array([[0.0, 1e-3, 3e-3], [1.0, 2.0, 4.0]])     # row 0: variance ~1.6e-6 ≪ eps
    np.testing.assert_allclose(norm.forward(X), _layer_norm(X, 1e-5), rtol=1e-12)
    np.testing.assert_allclose(LayerNorm(3, eps=1e-2).forward(X), _layer_norm(X, 1e-2),
                               rtol=1e-12)
    assert repr(norm) == "LayerNorm(3, eps=1e-05, dtype=float64)"
    small = LayerNorm(2, eps=0.5, dtype=np.float32)
    assert small.gamma.dtype == small.beta.dtype == np.float32
    assert repr(small) == "LayerNorm(2, eps=0.5, dtype=float32)"


def test_batch_norm_defaults_in_the_statistics_and_the_output():
    norm = BatchNorm(2)
    assert norm.eps == 1e-5 and norm.momentum == 0.1
    assert all(a.dtype == np.float64 for a in (norm.gamma, norm.beta, norm.running_mean,
                                               norm.running_var))
    X = np.array([[0.0, 1.0], [2e-3, 5.0], [4e-3, 3.0]])    # column 0: variance ≪ eps
    mu, var = X.mean(0), X.var(0)
    np.testing.assert_allclose(norm.forward(X), (X - mu) / np.sqrt(var + 1e-5), rtol=1e-12)
    np.testing.assert_allclose(norm.running_mean, 0.1 * mu, rtol=1e-14)
    np.testing.assert_allclose(norm.running_var, 0.9 + 0.1 * var * 3 / 2, rtol=1e-14)
    assert repr(norm) == "BatchNorm(2, eps=1e-05, momentum=0.1, dtype=float64)"
    other = BatchNorm(4, eps=0.25, momentum=0.5, dtype=np.float32)
    assert all(a.dtype == np.float32 for a in (other.gamma, other.beta, other.running_mean,
                                               other.running_var))
    np.testing.assert_array_equal(other.running_var, np.ones(4))
    np.testing.assert_array_equal(other.running_mean, np.zeros(4))
    assert repr(other) == "BatchNorm(4, eps=0.25, momentum=0.5, dtype=float32)"


def test_eval_of_batch_norm_uses_eps_with_the_running_variance():
    norm = BatchNorm(2, eps=0.5)
    norm.running_mean[:] = [1.0, -1.0]
    norm.running_var[:] = [0.5, 3.5]
    norm.eval()
    X = np.array([[2.0, 0.0]])
    np.testing.assert_allclose(norm.forward(X), [[1.0, 1.0 / 2.0]], rtol=1e-15)
    np.testing.assert_allclose(norm.backward(np.ones((1, 2))), [[1.0, 0.5]], rtol=1e-15)


def test_no_gradient_before_backward():
    for name in ("gamma", "beta"):
        norm = LayerNorm(2)
        if name == "beta":
            norm.dgamma = np.zeros(2)
        with pytest.raises(RuntimeError) as info:
            nm.SGD(norm, lr=0.1).step()
        assert str(info.value) == (f"SGD.step: parameter '{name}' has no gradient; "
                                   f"call backward first")
