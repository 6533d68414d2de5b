"""Every operation of the engine's core (nnmath/autodiff/tensor.py): values and gradients.

References are independent of the engine: NumPy's own functions for forward
values, central differences of a NumPy reference function for gradients (not
of the engine's forward, so a wrong forward cannot hide behind a consistent
backward), a brute-force loop for the tie rule of ``max``, and the exact text
of the error messages.
"""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, topological_order, unbroadcast
from nnmath.gradcheck import numeric_gradient

RTOL, ATOL = 1e-6, 1e-8


def _rng(*key):
    return np.random.default_rng([31, *key])


def _grad_of(f_tensor, f_numpy, x, delta=None, rng=None):
    """Engine gradient of <delta, f(x)> and central differences of the NumPy reference."""
    rng = rng or _rng(0)
    t = Tensor(x)
    out = f_tensor(t)
    delta = rng.standard_normal(out.shape) if delta is None else delta
    out.backward(delta)
    expected = numeric_gradient(lambda v: float(np.sum(delta * f_numpy(v))), x)
    return t.grad, expected


# -- max: values, gradient, the first-maximum rule on ties -----------------------------

AXES = [None, 0, 1, -1, 2, (0, 2), (1, 2), (-1, 0)]


def _first_max_mask(x, axes):
    """Brute force: in each group, the first maximal entry in C order of the reduced axes."""
    axes = tuple(range(x.ndim)) if axes is None else tuple(
        sorted(a % x.ndim for a in ((axes,) if np.isscalar(axes) else axes)))
    keep = [i for i in range(x.ndim) if i not in axes]
    mask = np.zeros(x.shape, dtype=bool)
    for outer in np.ndindex(*[x.shape[i] for i in keep]):
        best = None
        for inner in np.ndindex(*[x.shape[i] for i in axes]):
            idx = [0] * x.ndim
            for k, i in zip(outer, keep):
                idx[i] = k
            for k, i in zip(inner, axes):
                idx[i] = k
            idx = tuple(idx)
            if best is None or x[idx] > x[best]:
                best = idx
        mask[best] = True
    return mask


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_max_values_match_numpy(axis, keepdims):
    x = _rng(1).standard_normal((2, 3, 4))
    out = Tensor(x).max(axis=axis, keepdims=keepdims)
    expected = np.max(x, axis=axis, keepdims=keepdims)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    assert out.op == "max"


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_max_gradient_without_ties_matches_finite_differences(axis, keepdims):
    x = _rng(2).permutation(24).reshape(2, 3, 4) / 7.0  # distinct entries: no ties
    got, expected = _grad_of(lambda t: t.max(axis=axis, keepdims=keepdims),
                             lambda v: np.max(v, axis=axis, keepdims=keepdims), x)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
def test_max_routes_the_gradient_to_the_first_maximum_on_ties(axis, keepdims):
    x = _rng(3).integers(0, 3, size=(2, 3, 4)).astype(float)  # many ties
    t = Tensor(x)
    out = t.max(axis=axis, keepdims=keepdims)
    delta = _rng(4).uniform(1.0, 2.0, size=out.shape)
    out.backward(delta)
    mask = _first_max_mask(x, axis)
    # every group sends its whole upstream value to exactly one entry, the first maximum
    expanded = np.broadcast_to(np.max(x, axis=axis, keepdims=True), x.shape)
    assert np.all(x[mask] == expanded[mask])
    np.testing.assert_array_equal(t.grad != 0, mask)
    np.testing.assert_allclose(t.grad.sum(), delta.sum(), rtol=1e-12)


def test_max_of_hand_made_ties():
    t = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    t.max(axis=1).backward(np.array([10.0, 20.0]))
    np.testing.assert_array_equal(t.grad, [[0, 10, 0], [20, 0, 0]])
    t = Tensor([[5.0, 5.0], [5.0, 1.0]])
    t.max().backward()
    np.testing.assert_array_equal(t.grad, [[1, 0], [0, 0]])


def test_max_errors():
    with pytest.raises(ValueError, match=r"^Tensor\.max: the tensor is empty$"):
        Tensor(np.zeros((0, 3))).max()
    with pytest.raises(ValueError, match=r"^Tensor\.max: axis 2 is out of range for 2 "
                                         r"dimensions$"):
        Tensor(np.ones((2, 3))).max(axis=2)


# -- sqrt -----------------------------------------------------------------------------

def test_sqrt_value_and_gradient():
    x = _rng(5).uniform(0.2, 3.0, size=(3, 4))
    out = Tensor(x).sqrt()
    np.testing.assert_allclose(out.data, np.sqrt(x), rtol=1e-15)
    assert out.op == "sqrt"
    got, expected = _grad_of(lambda t: t.sqrt(), np.sqrt, x)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)
    # the closed form 1 / (2 sqrt x) as a second reference
    np.testing.assert_allclose(got, _rng(0).standard_normal((3, 4)) / (2 * np.sqrt(x)),
                               rtol=1e-12)


@pytest.mark.parametrize("x, shown", [([4.0, 0.0], "0"), ([1.0, -2.5], "-2.5"),
                                      ([-0.0001234], "-0.000123")])
def test_sqrt_of_non_positive_input_is_refused(x, shown):
    with pytest.raises(ValueError, match=rf"^Tensor\.sqrt: input must be positive, got "
                                         rf"minimum {shown}$"):
        Tensor(x).sqrt()


# -- repr, names, operation labels ------------------------------------------------------

def test_repr_shows_value_operation_and_name():
    assert repr(Tensor([1.23456, 2.0])) == "Tensor([1.2346 2.    ])"
    a = Tensor([1.0, 2.0], name="a")
    assert repr(a) == "Tensor([1. 2.], name='a')"
    assert repr(a + 1.0) == "Tensor([2. 3.], op='+')"
    assert repr((a * 2.0).named("z")) == "Tensor([2. 4.], op='*', name='z')"


def test_named_sets_the_label_and_returns_the_tensor():
    t = Tensor([1.0])
    assert t.named("w") is t and t.name == "w"


@pytest.mark.parametrize("expr, op", [
    (lambda a: a + 1.0, "+"), (lambda a: a * 2.0, "*"), (lambda a: a ** 2.0, "**"),
    (lambda a: a @ np.ones((3, 1)), "@"), (lambda a: a.T, "T"),
    (lambda a: a.transpose(1, 0), "T"), (lambda a: a.reshape(3, 2), "reshape"),
    (lambda a: a[0], "[]"), (lambda a: a.sum(), "sum"), (lambda a: a.max(), "max"),
    (lambda a: a.exp(), "exp"), (lambda a: a.log(), "log"), (lambda a: a.sqrt(), "sqrt"),
    (lambda a: a.tanh(), "tanh"), (lambda a: a.sigmoid(), "sigmoid"),
    (lambda a: a.relu(), "relu"), (lambda a: a.leaky_relu(), "leaky_relu"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_operation_labels_its_node(expr, op):
    # The labels are what the graph drawings of chapter 13 print.
    out = expr(Tensor(np.full((2, 3), 0.5)))
    assert out.op == op
    assert Tensor([1.0]).op == ""


@pytest.mark.parametrize("expr, op", [(lambda a, b: a + b, r"\+"), (lambda a, b: a * b, r"\*"),
                                      (lambda a, b: a ** b, r"\*\*"),
                                      (lambda a, b: a - b, r"\+")])
def test_broadcast_error_names_the_operation_and_both_shapes(expr, op):
    with pytest.raises(ValueError, match=rf"^Tensor {op}: operands of shapes \(2,\) and \(3,\) "
                                         r"do not broadcast together$"):
        expr(Tensor([1.0, 2.0]), Tensor([1.0, 2.0, 3.0]))


# -- construction -----------------------------------------------------------------------

def test_constructor_errors():
    with pytest.raises(TypeError, match=r"^Tensor: data is already a Tensor; use it directly$"):
        Tensor(Tensor([1.0]))
    with pytest.raises(TypeError, match=r"^Tensor: cannot convert dict to a float64 array \("):
        Tensor({"a": 1})


def test_the_result_of_a_new_primitive_is_float64():
    # An operation written elsewhere (Tensor(out, _parents=..., _backward=...)) may hand
    # over an integer or float32 array: the tensor still holds float64.
    x = Tensor([1.5, -2.5])
    for out in (np.array([1, 2]), np.array([1.5, 2.5], dtype=np.float32)):
        y = Tensor(out, _parents=(x,), _op="f", _backward=lambda g: (g,))
        assert y.data.dtype == np.float64
        np.testing.assert_array_equal(y.data, out.astype(np.float64))


# -- arithmetic: forward values against NumPy -----------------------------------------------

@pytest.mark.parametrize("f_tensor, f_numpy", [
    (lambda t: 2.0 ** t, lambda v: 2.0 ** v),
    (lambda t: 3.0 - t, lambda v: 3.0 - v),
    (lambda t: 3.0 / t, lambda v: 3.0 / v),
    (lambda t: -t, lambda v: -v),
    (lambda t: np.arange(1.0, 5.0) ** t, lambda v: np.arange(1.0, 5.0) ** v),
    (lambda t: t - [1.0, 2.0, 3.0, 4.0], lambda v: v - np.array([1.0, 2.0, 3.0, 4.0])),
    (lambda t: t - np.array([1, 2, 3, 4], dtype=np.uint8),
     lambda v: v - np.array([1.0, 2.0, 3.0, 4.0])),
], ids=["rpow", "rsub", "rtruediv", "neg", "rpow-array", "sub-list", "sub-uint8"])
def test_reflected_and_derived_operations_match_numpy(f_tensor, f_numpy):
    x = _rng(6).uniform(0.5, 2.0, size=(3, 4))
    np.testing.assert_allclose(f_tensor(Tensor(x)).data, f_numpy(x), rtol=1e-14)
    got, expected = _grad_of(f_tensor, f_numpy, x)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_matmul_refuses_a_three_dimensional_operand():
    with pytest.raises(ValueError, match=r"^Tensor @: cannot multiply shapes \(2, 3\) and "
                                         r"\(3, 2, 2\); operands must be 1-D or 2-D, or both "
                                         r"batches of matrices, with matching inner"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((3, 2, 2)))


# -- indexing -----------------------------------------------------------------------------

def test_indexing_with_a_tensor_of_indices():
    x = _rng(7).standard_normal((4, 3))
    t = Tensor(x)
    out = t[Tensor([2.0, 0.0, 2.0])]
    np.testing.assert_array_equal(out.data, x[[2, 0, 2]])
    out.backward(np.ones((3, 3)))
    np.testing.assert_array_equal(t.grad, [[1] * 3, [0] * 3, [2] * 3, [0] * 3])


@pytest.mark.parametrize("index", [1, (slice(None), 0), [0, 0, 2]], ids=str)
def test_indexing_values_match_numpy(index):
    x = _rng(8).standard_normal((3, 4))
    np.testing.assert_array_equal(Tensor(x)[index].data, x[index])


# -- the backward pass ----------------------------------------------------------------------

def test_backward_defaults_to_one_for_any_one_element_output():
    t = Tensor([[2.0]])
    (t * 3.0).backward()  # shape (1, 1): one element, no upstream gradient needed
    np.testing.assert_array_equal(t.grad, [[3.0]])


def test_backward_works_in_float64_whatever_the_upstream_dtype():
    t = Tensor([1.0])
    (t + t).backward(np.array([200], dtype=np.uint8))  # 200 + 200 overflows uint8
    np.testing.assert_array_equal(t.grad, [400.0])
    assert t.grad.dtype == np.float64


def test_backward_of_a_constant_is_refused():
    with pytest.raises(ValueError, match=r"^Tensor\.backward: this tensor is a constant; no "
                                         r"gradient flows$"):
        Tensor([1.0], requires_grad=False).backward()


def test_zero_grad_resets_constants_too():
    x, c = Tensor([1.0, 2.0]), Tensor([3.0, 4.0], requires_grad=False)
    c.grad = np.array([5.0, 6.0])  # a gradient set by hand on a constant
    y = (x * c).sum()
    y.backward()
    y.zero_grad()
    for node in topological_order(y, include_constants=True):
        np.testing.assert_array_equal(node.grad, np.zeros(node.shape))


# -- activations at the kink ----------------------------------------------------------------

def test_relu_and_leaky_relu_at_zero_and_default_slope():
    x = Tensor([-2.0, 0.0, 3.0])
    y = x.relu()
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 3.0])
    y.backward(np.ones(3))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])  # relu'(0) = 0
    x = Tensor([-2.0, 0.0, 3.0])
    y = x.leaky_relu()  # default slope 0.01; derivative at 0 is the slope
    np.testing.assert_allclose(y.data, [-0.02, 0.0, 3.0], rtol=1e-15)
    y.backward(np.ones(3))
    np.testing.assert_allclose(x.grad, [0.01, 0.01, 1.0], rtol=1e-15)


# -- reductions and shapes ------------------------------------------------------------------

def test_mean_reduces_to_a_scalar_by_default():
    x = _rng(9).standard_normal((3, 4))
    m = Tensor(x).mean()
    assert m.shape == ()
    np.testing.assert_allclose(m.data, x.mean(), rtol=1e-14)
    assert Tensor(x).mean(axis=0).shape == (4,)


@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_axis_out_of_range_names_the_operation(op):
    with pytest.raises(ValueError, match=rf"^Tensor\.{op}: axis -3 is out of range for 2 "
                                         r"dimensions$"):
        getattr(Tensor(np.ones((2, 3))), op)(axis=-3)


def test_reshape_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"^Tensor\.reshape: cannot reshape a tensor of shape "
                                         r"\(2, 3\) \(6 entries\) into \(4, 2\)$"):
        Tensor(np.ones((2, 3))).reshape(4, 2)


def test_unbroadcast_keeps_the_operand_shape():
    g = _rng(10).standard_normal((2, 3, 4))
    np.testing.assert_allclose(unbroadcast(g, (3, 1)), g.sum(axis=(0, 2))[:, None], rtol=1e-14)
    np.testing.assert_allclose(unbroadcast(g, (1, 4)), g.sum(axis=(0, 1))[None, :], rtol=1e-14)


# -- transpose --------------------------------------------------------------------------

@pytest.mark.parametrize("args, axes", [
    ((), (2, 1, 0)), (((1, 2, 0),), (1, 2, 0)), (([2, 0, 1],), (2, 0, 1)),
    ((1, 2, 0), (1, 2, 0)), ((-1, 0, 1), (2, 0, 1)), ((0, 2, 1), (0, 2, 1)),
], ids=["default", "tuple", "list", "args", "negative", "swap-last"])
def test_transpose_forms_match_numpy(args, axes):
    x = _rng(11).standard_normal((2, 3, 4))
    out = Tensor(x).transpose(*args)
    np.testing.assert_array_equal(out.data, np.transpose(x, axes))
    got, expected = _grad_of(lambda t: t.transpose(*args), lambda v: np.transpose(v, axes), x)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def test_transpose_of_a_vector_and_of_a_scalar():
    v = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.transpose(-1).data, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.T.data, [1.0, 2.0, 3.0])
    assert Tensor(2.0).T.shape == ()


@pytest.mark.parametrize("axes", [(0, 0), (0,), (0, 1, 2)], ids=str)
def test_transpose_refuses_what_is_not_a_permutation(axes):
    with pytest.raises(ValueError, match=r"^Tensor\.transpose: axes .* are not a permutation of "
                                         r"the 2 axes of a tensor of shape \(2, 3\)$"):
        Tensor(np.ones((2, 3))).transpose(*axes)



@pytest.mark.parametrize("axis, shape", [(1, (1, 1)), (0, (3, 1)), ((0, 2), (3,)), (None, ())],
                         ids=str)
def test_max_removes_only_the_reduced_axes(axis, shape):
    x = _rng(12).standard_normal((1, 3, 1))  # axes of length 1 that are not reduced stay
    out = Tensor(x).max(axis=axis)
    assert out.shape == shape == np.max(x, axis=axis).shape


@pytest.mark.parametrize("build", [
    lambda a, b: (a + b).sum(),                 # add hands one array to both parents
    lambda a, b: (a.T + b.T).sum(),             # transposes hand views on
    lambda a, b: (a @ b.T).sum() + a.sum(),     # a fresh product, and a sum's broadcast view
    lambda a, b: ((a * 2.0) + b).reshape(-1).sum(),
], ids=["add", "transpose", "product", "reshape"])
def test_each_leaf_owns_a_private_writable_gradient(build):
    """The backward pass copies only what a leaf would otherwise share: no two nodes alias."""
    a, b = Tensor(np.ones((2, 2))), Tensor(np.full((2, 2), 2.0))
    out = build(a, b)
    out.backward()
    nodes = topological_order(out)
    for leaf in (a, b):
        assert leaf.grad.flags.writeable and leaf.grad.flags.owndata
        assert not any(np.shares_memory(leaf.grad, n.grad) for n in nodes if n is not leaf)
