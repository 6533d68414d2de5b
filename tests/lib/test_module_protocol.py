"""The Module base runs the checks every layer shares; a layer's own code is the mathematics.

A user-defined layer gets the checks by subclassing alone; the shape grammar of
``input_shape`` accepts and rejects what it says; and no layer's ``forward`` or
``backward`` calls a checker itself (the checks live in the base and in
``nnmath.checks``).
"""

import ast
import inspect

import numpy as np
import pytest

import nnmath as nm
from nnmath.checks import check_input_shape
from nnmath.module import Module


class Double(Module):
    """``Y = 2X`` on ``(N, features)``: a layer with no checks of its own."""

    input_shape = ("N", "features")

    def __init__(self, features):
        self.features = features

    def forward(self, X):
        return 2 * X

    def backward(self, dY):
        return 2 * dY


def test_a_user_layer_gets_the_checks_by_subclassing():
    layer = Double(3)
    with pytest.raises(ValueError, match=r"Double\.backward: backward called before forward"):
        layer.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Double\.forward: X has shape \(2, 4\), expected \(N, 3\)"):
        layer.forward(np.ones((2, 4)))
    with pytest.raises(TypeError, match=r"Double\.forward: X must be a real numeric array"):
        layer.forward(np.array([["a", "b", "c"]]))
    np.testing.assert_array_equal(layer.forward([[1, 2, 3]]), [[2.0, 4.0, 6.0]])  # ints -> float
    with pytest.raises(ValueError, match=r"Double\.backward: dY has shape \(1, 2\), expected "
                                         r"\(1, 3\) \(the shape of the last forward's output\)"):
        layer.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[2.0, 2.0, 2.0]])


def test_wrapping_keeps_the_layers_own_signature_and_docstring():
    assert inspect.signature(nm.Linear.forward) == inspect.signature(
        nm.Linear.forward.__wrapped__)
    assert "X W + b" in nm.Linear.forward.__doc__
    assert list(inspect.signature(nm.MSE.forward).parameters) == ["self", "Y", "targets"]


@pytest.mark.parametrize("shape, spec, sizes, ok", [
    ((5, 3), ("N", "...", "D"), {"D": 3}, True),
    ((5, 7, 3), ("N", "...", "D"), {"D": 3}, True),
    ((3,), ("N", "...", "D"), {"D": 3}, False),         # N and D need two axes
    ((5, 4), ("N", "...", "D"), {"D": 3}, False),       # the fixed size differs
    ((0, 3), ("N", "D"), {"D": 3}, True),               # an empty batch passes
    ((2, 0), ("...", "C"), {}, False),                  # any other free axis needs an entry
    ((2, 3, 4, 4), [("N", "F"), ("N", "F", "h", "w")], {"F": 3}, True),
    ((2, 3, 4), [("N", "F"), ("N", "F", "h", "w")], {"F": 3}, False),
])
def test_the_shape_grammar(shape, spec, sizes, ok):
    X = np.zeros(shape)
    if ok:
        check_input_shape("owner", X, spec, sizes)
    else:
        with pytest.raises(ValueError, match=r"^owner: X has shape"):
            check_input_shape("owner", X, spec, sizes)


LAYERS = [nm.Linear, nm.Sigmoid, nm.Tanh, nm.ReLU, nm.LeakyReLU, nm.Identity, nm.Softmax,
          nm.Conv2d, nm.MaxPool2d, nm.Flatten, nm.LayerNorm, nm.BatchNorm, nm.Dropout,
          nm.RMSNorm, nm.GELU, nm.Embedding, nm.PositionalEmbedding, nm.RNN,
          nm.SelfAttention, nm.MSE, nm.SoftmaxCrossEntropy]


def _called_names(function):
    tree = ast.parse(inspect.cleandoc("\n" + inspect.getsource(function)))
    return {getattr(node.func, "id", getattr(node.func, "attr", ""))
            for node in ast.walk(tree) if isinstance(node, ast.Call)}


@pytest.mark.parametrize("layer", LAYERS, ids=lambda c: c.__name__)
def test_forward_and_backward_show_the_mathematics_alone(layer):
    for method in (layer.forward, layer.backward):
        own = inspect.unwrap(method)
        calls = _called_names(own)
        checks = {name for name in calls
                  if name.startswith(("check", "_check", "as_float_array"))}
        assert not checks, f"{own.__qualname__} calls {sorted(checks)}: checks belong in the base"
        assert "raise" not in inspect.getsource(own), f"{own.__qualname__} raises"


def test_the_check_can_fail():
    """The scan above finds a check inside a forward (so it is not vacuous)."""
    class Checky(Module):
        def forward(self, X):
            from nnmath.checks import check_shape
            check_shape("Checky", "X", X, (1,))
            return X

    assert "check_shape" in _called_names(inspect.unwrap(Checky.forward))


def test_a_hook_sees_the_checked_input_and_the_upstream_gradient_once():
    seen = []

    class Recorder:
        def after_forward(self, module, X, Y):
            seen.append(("forward", X.dtype, Y.shape))

        def before_backward(self, module, dY):
            seen.append(("backward", dY.shape))

    class Doubled(Double):  # a subclass calling super(): the hook still runs once
        def forward(self, X):
            return super().forward(X)

    layer = Doubled(3)
    assert layer.add_hook(Recorder()) is layer.hooks[0]
    layer.forward([[1, 2, 3]])          # integers: the hook sees the float array
    layer.backward(np.ones((1, 3)))
    assert seen == [("forward", np.float64, (1, 3)), ("backward", (1, 3))]
    assert Double(3).hooks == ()         # hooks belong to the instance
