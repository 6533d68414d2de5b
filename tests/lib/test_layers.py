"""nnmath.layers: Linear's initialisation, dtypes, parameters, gradients and errors.

Linear's backward (dX, dW, db) is checked against finite differences in the
shared table (tests/lib/test_properties.py); here the bias gradient meets the
broadcasting Jacobian, the column-convention example meets finite differences,
and every bad input meets its message.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath import layers as lay
from nnmath.activations import tanh_grad_Z
from nnmath.gradcheck import numeric_gradient, numeric_jacobian
from nnmath.book.chapters import ch07_one_layer as ch07

RTOL, ATOL = 1e-7, 1e-9


def _rng(*key):
    return np.random.default_rng([5, *key])


# -- construction -----------------------------------------------------------------

def test_shapes_and_zero_bias():
    layer = nm.Linear(4, 3, rng=_rng(1))
    assert layer.W.shape == (4, 3) and layer.b.shape == (3,)
    np.testing.assert_array_equal(layer.b, 0)
    assert layer.dW is None and layer.db is None


def test_initial_weights_have_variance_one_over_fan_in():
    layer = nm.Linear(400, 300, rng=_rng(2))
    # 120000 draws: the sample standard deviation is within 1 % of sqrt(1/400)
    # (its own standard error is 0.2 %) and the mean within 5 standard errors of 0
    sigma = np.sqrt(1 / 400)
    assert abs(layer.W.std() / sigma - 1) < 0.01
    assert abs(layer.W.mean()) < 5 * sigma / np.sqrt(layer.W.size)


def test_same_seed_same_weights():
    a = nm.Linear(3, 2, rng=np.random.default_rng(42))
    b = nm.Linear(3, 2, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.W, b.W)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_is_kept_by_parameters_outputs_and_gradients(dtype):
    layer = nm.Linear(3, 2, rng=_rng(3), dtype=dtype)
    X = _rng(4).standard_normal((5, 3)).astype(dtype)
    Y = layer.forward(X)
    dX = layer.backward(np.ones_like(Y))
    for array in (layer.W, layer.b, Y, dX, layer.dW, layer.db):
        assert array.dtype == dtype


def test_forward_is_x_w_plus_b():
    layer = nm.Linear(3, 2, rng=_rng(5))
    layer.b[...] = [1.0, -2.0]
    X = _rng(6).standard_normal((4, 3))
    expected = np.einsum("nd,dc->nc", X, layer.W) + np.array([1.0, -2.0])
    np.testing.assert_allclose(layer(X), expected, rtol=1e-14)


# -- parameters ---------------------------------------------------------------------

def test_parameters_are_the_live_arrays_and_their_gradients():
    layer = nm.Linear(3, 2, rng=_rng(7))
    assert [(n, p is layer.W or p is layer.b, g) for n, p, g in layer.parameters()] == [
        ("W", True, None), ("b", True, None)]
    layer.forward(_rng(8).standard_normal((4, 3)))
    layer.backward(_rng(9).standard_normal((4, 2)))
    (nW, W, dW), (nb, b, db) = layer.parameters()
    assert (nW, nb) == ("W", "b")
    assert W is layer.W and dW is layer.dW and b is layer.b and db is layer.db
    assert dW.shape == W.shape and db.shape == b.shape


def test_an_in_place_update_changes_the_next_forward():
    layer = nm.Linear(2, 2, rng=_rng(10))
    W0, b0 = layer.W.copy(), layer.b.copy()   # taken before the update, not after
    X = np.eye(2)
    for _, param, _ in layer.parameters():
        param -= 1.0  # what an optimiser does
    # with X = I, row n of the output is row n of the new W plus the new b
    np.testing.assert_allclose(layer.forward(X), (W0 - 1.0) + (b0 - 1.0), rtol=1e-15)
    np.testing.assert_array_equal(layer.b, -1.0)


def test_gradients_against_the_batch_sums_written_out():
    # dW = Σ_n x_n δ_nᵀ, db = Σ_n δ_n, dX = δ Wᵀ: the definition per sample, then summed
    layer = nm.Linear(3, 2, rng=_rng(11))
    X, dY = _rng(12).standard_normal((5, 3)), _rng(13).standard_normal((5, 2))
    layer.forward(X)
    dX = layer.backward(dY)
    np.testing.assert_allclose(layer.dW, sum(np.outer(x, d) for x, d in zip(X, dY)), rtol=1e-13)
    np.testing.assert_allclose(layer.db, sum(dY), rtol=1e-13)
    np.testing.assert_allclose(dX, np.stack([layer.W @ d for d in dY]), rtol=1e-13)


# -- the chapter 7 formulas ----------------------------------------------------------

def test_bias_grad_is_the_broadcast_jacobian_contracted():
    X = _rng(14).standard_normal((4, 3))
    b = _rng(15).standard_normal(3)
    dY = _rng(16).standard_normal((4, 3))
    J = numeric_jacobian(lambda v: X + v, b)  # (4, 3, 3): J[n, c, k] = [c = k]
    np.testing.assert_allclose(J, np.broadcast_to(np.eye(3), (4, 3, 3)), atol=1e-9)
    np.testing.assert_allclose(lay.bias_grad(dY), np.tensordot(dY, J, axes=2), rtol=RTOL,
                               atol=ATOL)


@pytest.mark.parametrize("wrt, index", [("W", 0), ("b", 1), ("x", 2)])
def test_column_layer_backward_matches_finite_differences(wrt, index):
    rng = _rng(17)
    inputs = {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4),
              "b": rng.standard_normal(3)}
    u = rng.standard_normal(3)

    def score(v):  # s = uᵀ tanh(W x + b), written out independently of nnmath
        p = {**inputs, wrt: v}
        return float(u @ np.tanh(p["W"] @ p["x"] + p["b"]))

    expected = numeric_gradient(score, inputs[wrt])
    a = ch07.column_layer_forward(inputs["W"], inputs["x"], inputs["b"])
    delta = tanh_grad_Z(u, a)
    actual = ch07.column_layer_backward(delta, inputs["W"], inputs["x"])[index]
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


def test_column_layer_forward_default_is_tanh():
    W, x, b = np.eye(2), np.array([0.5, -1.0]), np.array([0.0, 1.0])
    np.testing.assert_allclose(ch07.column_layer_forward(W, x, b), np.tanh([0.5, 0.0]), rtol=1e-15)


# -- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, kwargs, error, message", [
    ((0, 2), {}, ValueError, r"Linear: in_features must be positive, got 0"),
    ((3, -1), {}, ValueError, r"Linear: out_features must be positive, got -1"),
    ((2.5, 2), {}, TypeError, r"Linear: in_features must be an integer, got 2\.5"),
    ((3, True), {}, TypeError, r"Linear: out_features must be an integer, got True"),
    ((3, 2), {"dtype": np.int64}, TypeError, r"Linear: dtype must be a floating dtype, got int64"),
    ((3, 2), {"dtype": "banana"}, TypeError, r"Linear: dtype must be a floating dtype"),
    ((3, 2), {"rng": 0}, TypeError,
     r"Linear: rng must be a numpy.random.Generator or None, got int"),
])
def test_bad_constructor_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        nm.Linear(*args, **kwargs)


@pytest.mark.parametrize("shape", [(5, 4), (5,), (3,), (2, 3, 1), ()], ids=str)
def test_input_with_wrong_features_or_ndim(shape):
    layer = nm.Linear(3, 2, rng=_rng(18))
    with pytest.raises(ValueError, match=rf"Linear\.forward: X has shape {re_shape(shape)}, "
                                         r"expected \(N, \.\.\., 3\)"):
        layer.forward(np.ones(shape))


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


@pytest.mark.parametrize("bad, dtype", [(np.array([["a", "b", "c"]]), "<U1"),
                                        (np.array([[1j, 2, 3]]), "complex128"),
                                        (np.array([[None, 1.0, 2.0]]), "object")])
def test_non_numeric_input(bad, dtype):
    with pytest.raises(TypeError, match=rf"Linear\.forward: X must be a real numeric array, "
                                        rf"got dtype {dtype}"):
        nm.Linear(3, 2, rng=_rng(19)).forward(bad)


def test_ragged_input():
    with pytest.raises(TypeError, match=r"Linear\.forward: X is not a numeric array"):
        nm.Linear(3, 2, rng=_rng(19)).forward([[1.0, 2.0, 3.0], [1.0]])


def test_backward_before_forward():
    with pytest.raises(ValueError, match=r"Linear\.backward: backward called before forward"):
        nm.Linear(3, 2, rng=_rng(20)).backward(np.ones((4, 2)))


@pytest.mark.parametrize("shape", [(4, 3), (5, 2), (2,), (4, 2, 1)], ids=str)
def test_upstream_of_the_wrong_shape(shape):
    layer = nm.Linear(3, 2, rng=_rng(21))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=rf"Linear\.backward: dY has shape {re_shape(shape)}, "
                                         r"expected \(4, 2\)"):
        layer.backward(np.ones(shape))


def test_integer_input_is_accepted_as_float64():
    layer = nm.Linear(2, 1, rng=_rng(22))
    assert layer.forward(np.array([[1, 2]])).dtype == np.float64


def test_module_base_class():
    module = nm.Module()
    assert module.parameters() == []
    with pytest.raises(NotImplementedError, match="Module.forward"):
        module(np.ones(2))
    with pytest.raises(NotImplementedError, match="Module.backward"):
        module.backward(np.ones(2))
    assert repr(nm.Linear(3, 2, rng=_rng(23))) == "Linear(3, 2, dtype=float64)"
