"""Sequential, the chapter-9 backprop formulas, and the chapter-10 reuse formula.

Every gradient is compared with central finite differences (nnmath.gradcheck.check,
or numeric_gradient of the loss), an independent route.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.gradcheck import check, numeric_gradient
from nnmath.model import Sequential
from nnmath.book.chapters.ch09_backprop_layers import backprop_weight_gradients, prove_backprop
from nnmath.book.chapters.ch10_reuse_formula import multiply_adds, reuse_formula_gradients


def three_layer(rng, sizes=(4, 5, 3, 3), act=nm.Tanh):
    mods = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        mods.append(nm.Linear(a, b, rng=rng))
        if i < len(sizes) - 2:
            mods.append(act())
    return Sequential(*mods)


def loss_at(model, loss, X, T):
    return loss.forward(model.forward(X), T)


def check_all_gradients(model, loss, X, T):
    """gradcheck.check of the model with ``δ = ∂L/∂Y`` at X, and of the loss at ``model(X)``."""
    Y = model.forward(X)
    value = loss.forward(Y, T)
    assert check(model, X, upstream=loss.backward()), "the model's backward"
    assert check(loss, (Y, T)), "the loss's gradient"
    assert np.isfinite(value)


@pytest.mark.parametrize("act", [nm.Tanh, nm.Sigmoid, nm.LeakyReLU])
def test_three_layer_mse_gradients_match_finite_differences(act):
    rng = np.random.default_rng(1)
    model = three_layer(rng, act=act)
    X, T = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    check_all_gradients(model, nm.MSE(), X, T)


def test_three_layer_cross_entropy_gradients_match_finite_differences():
    rng = np.random.default_rng(2)
    model = three_layer(rng)
    X, labels = rng.standard_normal((7, 4)), rng.integers(0, 3, size=7)
    check_all_gradients(model, nm.SoftmaxCrossEntropy(), X, labels)


def test_backward_returns_input_gradient():
    rng = np.random.default_rng(3)
    model, loss = three_layer(rng), nm.MSE()
    X, T = rng.standard_normal((3, 4)), rng.standard_normal((3, 3))
    loss_at(model, loss, X, T)
    dX = model.backward(loss.backward())
    assert dX.shape == X.shape
    assert check(model, X, upstream=loss.backward())  # its "input" row is dX


def test_container_protocol_and_names():
    rng = np.random.default_rng(0)
    model = three_layer(rng)
    assert len(model) == 5 and model[1] is model.layers[1]
    assert [n for n, _, _ in model.parameters()] == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    assert model.parameters()[0][1] is model.layers[0].W  # the arrays themselves, not copies
    text = repr(model)
    assert text.startswith("Sequential(") and "(0): Linear(4, 5" in text and "(1): Tanh()" in text
    assert len(model[0:2]) == 2


def test_nested_sequential_prefixes_names():
    rng = np.random.default_rng(0)
    model = Sequential(Sequential(nm.Linear(2, 2, rng=rng), nm.Tanh()), nm.Linear(2, 1, rng=rng))
    assert [n for n, _, _ in model.parameters()] == ["0.0.W", "0.0.b", "1.W", "1.b"]


@pytest.mark.parametrize("bad", [object(), 3, np.zeros(2)])
def test_sequential_rejects_modules_without_forward_backward(bad):
    with pytest.raises(TypeError, match=r"Sequential: module 1 .*forward"):
        Sequential(nm.Tanh(), bad)


def test_sequential_rejects_empty():
    with pytest.raises(ValueError, match="Sequential"):
        Sequential()


def test_backprop_weight_gradients_match_finite_differences():
    """Chapter 9's equations on a 4-layer tanh network, E = ½‖X_L − T‖² (no 1/N)."""
    rng = np.random.default_rng(4)
    sizes = (3, 4, 4, 3, 2)
    Ws = [rng.standard_normal((a, b)) * 0.7 for a, b in zip(sizes[:-1], sizes[1:])]
    X0, T = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def forward(weights):
        inputs, fprimes, X = [], [], X0
        for W in weights:
            inputs.append(X)
            X = np.tanh(X @ W)
            fprimes.append(1 - X ** 2)
        return inputs, fprimes, X

    inputs, fprimes, Y = forward(Ws)
    grads = backprop_weight_gradients(inputs, Ws, fprimes, Y, T)
    for l in range(len(Ws)):
        def E(W, l=l):
            return 0.5 * np.sum((forward(Ws[:l] + [W] + Ws[l + 1:])[2] - T) ** 2)
        np.testing.assert_allclose(grads[l], numeric_gradient(E, Ws[l]), rtol=1e-6, atol=1e-10)


def test_backprop_proved_by_sympy_for_arbitrary_activations():
    assert prove_backprop((2, 2, 2, 2), N=1).holds
    assert prove_backprop((1, 2, 1), N=2).holds


def test_multiply_adds_counts():
    rows = multiply_adds((4, 16, 3), 10)
    assert [r["forward"] for r in rows] == [640, 480]
    assert [r["backward"] for r in rows] == [1280, 960]
    rows = multiply_adds((4, 16, 3), 10, input_gradient=False)
    assert [r["backward"] for r in rows] == [640, 960]
    with pytest.raises(ValueError, match="multiply_adds"):
        multiply_adds((4,), 10)


def single_sample_grads(model, loss, x, t):
    loss.forward(model.forward(x[None]), t[None])
    model.backward(loss.backward())
    return [g.copy() for n, _, g in model.parameters() if n.endswith(".W")]


def test_reuse_formula_as_printed_is_gradient_of_sum_of_outputs():
    rng = np.random.default_rng(5)
    model = Sequential(nm.Linear(3, 4, rng=rng), nm.Tanh(), nm.Linear(4, 2, rng=rng), nm.Sigmoid())
    x, t = rng.standard_normal(3), rng.standard_normal(2)
    printed = reuse_formula_gradients(model, x)
    for l, lin in enumerate((model[0], model[2])):
        def total(W, lin=lin):
            saved = lin.W.copy()
            lin.W[...] = W
            out = float(np.sum(model.forward(x[None])))
            lin.W[...] = saved
            return out
        np.testing.assert_allclose(printed[l], numeric_gradient(total, lin.W), rtol=1e-6, atol=1e-10)
    true = single_sample_grads(model, nm.MSE(), x, t)
    assert not np.allclose(printed[0], true[0])  # two outputs: not the loss gradient


def test_reuse_formula_with_loss_gradient_seed_equals_backprop():
    rng = np.random.default_rng(6)
    model = Sequential(nm.Linear(3, 5, rng=rng), nm.Tanh(), nm.Linear(5, 4, rng=rng), nm.Tanh(),
                       nm.Linear(4, 3, rng=rng), nm.Identity())
    x, t = rng.standard_normal(3), rng.standard_normal(3)
    true = single_sample_grads(model, nm.MSE(), x, t)
    c = model.forward(x[None])[0] - t
    for a, b in zip(reuse_formula_gradients(model, x, loss_grad=c), true):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_reuse_formula_single_output_agrees_up_to_the_loss_factor():
    rng = np.random.default_rng(7)
    model = Sequential(nm.Linear(2, 3, rng=rng), nm.Tanh(), nm.Linear(3, 1, rng=rng), nm.Identity())
    x, t = rng.standard_normal(2), rng.standard_normal(1)
    true = single_sample_grads(model, nm.MSE(), x, t)
    c = float(model.forward(x[None])[0, 0] - t[0])
    for a, b in zip(reuse_formula_gradients(model, x), true):
        np.testing.assert_allclose(c * a, b, rtol=1e-12, atol=1e-14)


def test_reuse_formula_rejects_other_architectures():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="alternate"):
        reuse_formula_gradients(Sequential(nm.Linear(2, 2, rng=rng)), np.zeros(2))
    with pytest.raises(TypeError, match="element-wise"):
        reuse_formula_gradients(Sequential(nm.Linear(2, 2, rng=rng), nm.Softmax()), np.zeros(2))
    with pytest.raises(ValueError, match=r"x must have shape \(2,\)"):
        reuse_formula_gradients(Sequential(nm.Linear(2, 2, rng=rng), nm.Tanh()), np.zeros(3))


def test_backward_without_input_grad_gives_the_same_parameter_gradients():
    """input_grad=False skips only dX of the first Linear; every dW, db is unchanged."""
    rng = np.random.default_rng(11)
    model = nm.Sequential(nm.Linear(5, 4, rng=rng), nm.Tanh(), nm.Linear(4, 3, rng=rng))
    X, dY = rng.standard_normal((6, 5)), rng.standard_normal((6, 3))
    model.forward(X)
    dX = model.backward(dY)
    full = {name: grad.copy() for name, _, grad in model.parameters()}
    model.forward(X)
    assert model.backward(dY, input_grad=False) is None
    for name, _, grad in model.parameters():
        np.testing.assert_array_equal(grad, full[name])
    assert dX.shape == X.shape


def test_backward_without_input_grad_still_returns_dX_when_first_module_is_an_activation():
    rng = np.random.default_rng(12)
    model = nm.Sequential(nm.Tanh(), nm.Linear(3, 2, rng=rng))
    X = rng.standard_normal((4, 3))
    model.forward(X)
    assert model.backward(np.ones((4, 2)), input_grad=False).shape == X.shape
