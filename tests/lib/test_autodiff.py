"""nnmath.autodiff: every local rule against central differences, broadcasting,
fan-out, deep graphs, repeated backward passes, the hand backpropagation of
Sequential, the graph layout, and the registry's third verification route.

The reference is always independent of the engine: finite differences
(nnmath.gradcheck.numeric_gradient), closed forms, or the hand-written backward
passes of the layers.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnmath as nm
from nnmath import autodiff as ad
from nnmath.autodiff import Tensor, unbroadcast
from nnmath.book.graphdraw import draw_graph, graph_layout
from nnmath.book.identities import REGISTRY
from nnmath.gradcheck import numeric_gradient, numeric_jacobian
from strategies import broadcast_pairs
from nnmath.book.chapters import ch10_reuse_formula as ch10
from nnmath.book.chapters import ch13_computational_graphs as ch13
from nnmath.book.chapters import ch14_autodiff_engine as ch14

# Central differences with h = 1e-6 on O(1) values: truncation ~1e-12, round-off ~1e-10.
RTOL, ATOL = 1e-6, 1e-8


def _rng(*key):
    return np.random.default_rng(list(key))


def _normal(*shape):
    return lambda rng: rng.standard_normal(shape)


def _positive(*shape):
    return lambda rng: rng.uniform(0.5, 2.0, size=shape)


def _away_from_zero(*shape):  # for kinks (relu, max): keep |x| ≥ 0.1
    return lambda rng: rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)


# One row per operation: (id, function of Tensors, samplers of its inputs).
# Plain numbers and arrays mixed in are constants; every Tensor input is checked.
CASES = [
    ("add", lambda a, b: a + b, [_normal(3, 4), _normal(3, 4)]),
    ("sub", lambda a, b: a - b, [_normal(3, 4), _normal(3, 4)]),
    ("mul", lambda a, b: a * b, [_normal(3, 4), _normal(3, 4)]),
    ("div", lambda a, b: a / b, [_normal(3, 4), _positive(3, 4)]),
    ("neg", lambda a: -a, [_normal(5)]),
    ("pow_scalar", lambda a: a ** 3, [_normal(2, 3)]),
    ("pow_fraction", lambda a: a ** 0.5, [_positive(2, 3)]),
    ("pow_tensor", lambda a, b: a ** b, [_positive(2, 3), _normal(2, 3)]),
    ("radd_scalar", lambda a: 2.5 + a, [_normal(4)]),
    ("rsub_scalar", lambda a: 2.5 - a, [_normal(4)]),
    ("rmul_scalar", lambda a: 2.5 * a, [_normal(4)]),
    ("rdiv_scalar", lambda a: 2.5 / a, [_positive(4)]),
    ("rpow_scalar", lambda a: 2.0 ** a, [_normal(4)]),
    ("radd_array", lambda a: np.arange(4.0) + a, [_normal(3, 4)]),
    ("rsub_array", lambda a: np.arange(4.0) - a, [_normal(3, 4)]),
    ("rmul_array", lambda a: np.arange(4.0) * a, [_normal(3, 4)]),
    ("rdiv_array", lambda a: np.arange(1.0, 5.0) / a, [_positive(3, 4)]),
    ("matmul_2d_2d", lambda a, b: a @ b, [_normal(3, 4), _normal(4, 2)]),
    ("matmul_1d_2d", lambda a, b: a @ b, [_normal(4), _normal(4, 2)]),
    ("matmul_2d_1d", lambda a, b: a @ b, [_normal(3, 4), _normal(4)]),
    ("matmul_1d_1d", lambda a, b: a @ b, [_normal(4), _normal(4)]),
    ("rmatmul_array", lambda a: np.ones((2, 3)) @ a, [_normal(3, 4)]),
    ("transpose", lambda a: a.T, [_normal(3, 4)]),
    ("transpose_then_matmul", lambda a, b: a.T @ b, [_normal(4, 3), _normal(4, 2)]),
    ("reshape", lambda a: a.reshape(6, 2), [_normal(3, 4)]),
    ("getitem_repeated", lambda a: a[[0, 2, 0]], [_normal(3, 4)]),
    ("getitem_pairs", lambda a: a[np.arange(3), [1, 0, 3]], [_normal(3, 4)]),
    ("sum_all", lambda a: a.sum(), [_normal(3, 4)]),
    ("sum_axis0", lambda a: a.sum(axis=0), [_normal(3, 4)]),
    ("sum_axis1_keepdims", lambda a: a.sum(axis=1, keepdims=True), [_normal(3, 4)]),
    ("sum_negative_axis", lambda a: a.sum(axis=-1), [_normal(2, 3, 4)]),
    ("sum_axis_tuple", lambda a: a.sum(axis=(0, 2)), [_normal(2, 3, 4)]),
    ("mean_all", lambda a: a.mean(), [_normal(3, 4)]),
    ("mean_axis0_keepdims", lambda a: a.mean(axis=0, keepdims=True), [_normal(3, 4)]),
    ("exp", lambda a: a.exp(), [_normal(3, 4)]),
    ("log", lambda a: a.log(), [_positive(3, 4)]),
    ("tanh", lambda a: a.tanh(), [_normal(3, 4)]),
    ("sigmoid", lambda a: a.sigmoid(), [_normal(3, 4)]),
    ("relu", lambda a: a.relu(), [_away_from_zero(3, 4)]),
    ("leaky_relu", lambda a: a.leaky_relu(0.1), [_away_from_zero(3, 4)]),
    ("maximum", lambda a, b: ad.maximum(a, b), [_away_from_zero(3, 4), _normal(4)]),
    ("softmax", lambda a: ad.softmax(a), [_normal(3, 4)]),
    ("log_softmax", lambda a: ad.log_softmax(a), [_normal(3, 4)]),
    ("logsumexp", lambda a: ad.logsumexp(a, axis=0), [_normal(3, 4)]),
    ("mse_loss", lambda y, t: ad.mse_loss(y, t), [_normal(5, 3), _normal(5, 3)]),
    ("cross_entropy_loss", lambda z: ad.softmax_cross_entropy_loss(z, np.eye(4)[[0, 3, 1]]),
     [_normal(3, 4)]),
    # broadcasting: the gradient of a broadcast operand is summed back to its shape
    ("bcast_bias", lambda X, b: X + b, [_normal(5, 3), _normal(3)]),
    ("bcast_row_col", lambda a, b: a * b, [_normal(4, 1), _normal(1, 3)]),
    ("bcast_divide_by_column", lambda a, b: a / b, [_normal(4, 3), _positive(4, 1)]),
    ("bcast_scalar_tensor", lambda s, a: s * a, [_normal(), _normal(2, 3)]),
    ("bcast_3d", lambda a, b: a - b, [_normal(3, 1, 2), _normal(4, 2)]),
    ("bcast_matmul_plus_bias", lambda X, W, b: (X @ W + b).tanh(),
     [_normal(5, 4), _normal(4, 3), _normal(3)]),
    # a composite with fan-out: x is used by three operations
    ("fan_out", lambda x: x * x.sigmoid() + (x ** 2).exp() * 0.1, [_normal(3, 2)]),
]


@pytest.mark.parametrize("f, samplers", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_local_rule_matches_finite_differences(f, samplers):
    rng = _rng(len(samplers), 11)
    inputs = [sample(rng) for sample in samplers]
    tensors = [Tensor(x) for x in inputs]
    out = f(*tensors)
    delta = rng.standard_normal(out.shape)
    out.backward(delta)
    for i, x in enumerate(inputs):
        def scalar(v, i=i):
            args = [Tensor(a) for a in inputs[:i]] + [Tensor(v)] + \
                   [Tensor(a) for a in inputs[i + 1:]]
            return float(np.sum(delta * f(*args).data))
        expected = numeric_gradient(scalar, x)
        assert tensors[i].grad.shape == np.shape(x)
        np.testing.assert_allclose(tensors[i].grad, expected, rtol=RTOL, atol=ATOL,
                                   err_msg=f"input {i}")


def test_forward_values_match_numpy():
    rng = _rng(1)
    A, B, v = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.uniform(1, 2, 4)
    a, b = Tensor(A), Tensor(B)
    np.testing.assert_allclose((a @ b).data, A @ B, rtol=1e-15)
    np.testing.assert_allclose((a / v).data, A / v, rtol=1e-15)
    np.testing.assert_allclose(a.sum(axis=0).data, A.sum(axis=0), rtol=1e-15)
    np.testing.assert_allclose(a.mean(axis=1, keepdims=True).data, A.mean(1, keepdims=True))
    np.testing.assert_allclose(a.sigmoid().data, 1 / (1 + np.exp(-A)), rtol=1e-15)
    np.testing.assert_allclose(ad.softmax(a).data.sum(axis=-1), np.ones(3), rtol=1e-15)


# ---------------------------------------------------------------------------
# broadcasting
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("grad_shape, shape, expected", [
    ((4, 3), (3,), np.full(3, 4.0)),
    ((4, 3), (4, 1), np.full((4, 1), 3.0)),
    ((2, 4, 3), (1, 3), np.full((1, 3), 8.0)),
    ((4, 3), (), np.array(12.0)),
    ((4, 3), (4, 3), np.ones((4, 3))),
])
def test_unbroadcast_sums_the_copies(grad_shape, shape, expected):
    np.testing.assert_array_equal(unbroadcast(np.ones(grad_shape), shape), expected)


@pytest.mark.parametrize("grad_shape, shape", [((4, 3), (2,)), ((3,), (4, 3)), ((4, 3), (3, 3))])
def test_unbroadcast_rejects_shapes_that_do_not_broadcast(grad_shape, shape):
    with pytest.raises(ValueError, match="unbroadcast"):
        unbroadcast(np.ones(grad_shape), shape)


def test_bias_gradient_is_the_column_sum_of_delta():
    rng = _rng(2)
    X, W, b = Tensor(rng.standard_normal((6, 4))), Tensor(rng.standard_normal((4, 3))), \
        Tensor(rng.standard_normal(3))
    delta = rng.standard_normal((6, 3))
    (X @ W + b).backward(delta)
    np.testing.assert_allclose(b.grad, delta.sum(axis=0), rtol=1e-14)   # 1ᵀδ, closed form
    np.testing.assert_allclose(W.grad, X.data.T @ delta, rtol=1e-14)   # Xᵀδ, closed form


@settings(max_examples=40, deadline=None)
@given(pair=broadcast_pairs(), op=st.sampled_from(["+", "*", "-"]))
def test_broadcast_gradients_match_finite_differences(pair, op):
    A, B = pair
    f = {"+": lambda a, b: a + b, "*": lambda a, b: a * b, "-": lambda a, b: a - b}[op]
    delta = np.linspace(-1.0, 1.0, A.size).reshape(A.shape)
    a, b = Tensor(A), Tensor(B)
    f(a, b).backward(delta)
    for x, other, grad, first in ((A, B, a.grad, True), (B, A, b.grad, False)):
        def scalar(v, other=other, first=first):
            return float(np.sum(delta * (f(v, other) if first else f(other, v))))
        np.testing.assert_allclose(grad, numeric_gradient(scalar, x), rtol=RTOL, atol=1e-7)


def test_numpy_operands_on_the_left_give_tensors():
    t = Tensor(np.ones(3))
    for result in (np.ones(3) + t, np.ones(3) - t, np.ones(3) * t, np.ones(3) / t,
                   np.float64(2.0) * t, np.ones((2, 3)) @ t):
        assert isinstance(result, Tensor)


# ---------------------------------------------------------------------------
# the graph: fan-out, order, depth, repeated passes
# ---------------------------------------------------------------------------

def test_fan_out_gradients_add():
    a = Tensor(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert c.grad == 1.0 and b.grad == 2.0 and a.grad == 4.0


def test_product_with_itself():
    a = Tensor(np.array([1.0, -2.0, 0.5]))
    (a * a).sum().backward()
    np.testing.assert_array_equal(a.grad, 2 * a.data)


def test_shared_subexpression_and_the_naive_recursion():
    """u = x², L = u + 3u: dL/dx = 8x. The naive recursion misses the late 3u."""
    x = Tensor(3.0)
    u = x ** 2
    L = u + 3.0 * u
    L.backward()
    assert x.grad == 24.0
    ch13.naive_recursive_backward(L)
    assert x.grad == 6.0  # wrong: u passed its gradient on before 3u had contributed


def test_topological_order_puts_parents_first():
    x = Tensor(1.0)
    y = (x * 2.0).exp() + x.tanh()
    order = ad.topological_order(y)
    position = {id(n): i for i, n in enumerate(order)}
    assert order[-1] is y and order[0] is x
    for node in order:
        for p in node.parents:
            if p.requires_grad:
                assert position[id(p)] < position[id(node)]
    assert all(n.requires_grad for n in order)  # the constant 2.0 is left out


def test_chain_of_20000_nodes_needs_no_recursion():
    x = Tensor(np.array([0.5, -1.0]))
    y = x
    for _ in range(10_000):
        y = y * 1.0 + 0.0  # 20 000 operations in one chain: 20 times Python's recursion limit
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])
    y.zero_grad()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_backward_twice_sets_the_same_gradients_and_zero_grad_resets():
    rng = _rng(3)
    W = Tensor(rng.standard_normal((3, 2)))
    X = rng.standard_normal((4, 3))
    h = (X @ W).tanh()
    L = h.sum()
    L.backward()
    first_W, first_h = W.grad.copy(), h.grad.copy()
    L.backward()  # sets, as a layer's backward sets dW: the same gradient at every node
    np.testing.assert_array_equal(W.grad, first_W)
    np.testing.assert_array_equal(h.grad, first_h)
    L.zero_grad()
    assert not W.grad.any() and not h.grad.any()
    L.backward()
    np.testing.assert_allclose(W.grad, first_W, rtol=1e-15)


def test_zero_grad_on_a_leaf_resets_it():
    x = Tensor(np.array([1.0, -2.0]))
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, -4.0])
    x.zero_grad()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_leaf_gradient_is_a_private_copy():
    a = Tensor(np.ones(3))
    b = Tensor(np.ones(3))
    (a + b).sum().backward()
    a.grad[:] = 5.0  # an optimiser writing in place must not touch b
    np.testing.assert_array_equal(b.grad, np.ones(3))


def test_constants_receive_no_gradient():
    c = Tensor(np.ones(3), requires_grad=False)
    x = Tensor(np.ones(3))
    (x * c).sum().backward()
    assert not c.grad.any()
    with pytest.raises(ValueError, match="constant"):
        (c * 2.0).sum().backward()


def test_sigmoid_is_stable_for_large_inputs():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0]))
    y = x.sigmoid()
    y.sum().backward()  # RuntimeWarnings are errors in this suite
    np.testing.assert_allclose(y.data, [0.0, 0.5, 1.0], atol=1e-300)
    np.testing.assert_allclose(x.grad, [0.0, 0.25, 0.0], atol=1e-300)


def test_reverse_mode_jacobian_of_softmax_is_the_closed_form():
    z = _rng(4).standard_normal(5)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    J = ad.reverse_mode_jacobian(ad.softmax, z)
    np.testing.assert_allclose(J, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(J, numeric_jacobian(lambda v: ad.softmax(Tensor(v)).data, z),
                               rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------

def test_backward_of_a_non_scalar_needs_an_upstream_gradient():
    y = Tensor(np.ones((2, 3))) * 2.0
    with pytest.raises(ValueError, match=r"\(2, 3\)"):
        y.backward()
    with pytest.raises(ValueError, match="does not match"):
        y.backward(np.ones(3))


@pytest.mark.parametrize("a, b", [((2, 3), (2, 3)), ((3,), (4,)), ((2, 3, 4), (3, 2)),
                                  ((2, 3, 4), (4,))])
def test_matmul_rejects_bad_shapes(a, b):
    with pytest.raises(ValueError, match="cannot multiply"):
        Tensor(np.ones(a)) @ Tensor(np.ones(b))


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="log"):
        Tensor(np.array([1.0, 0.0])).log()
    with pytest.raises(TypeError, match="Tensor"):
        Tensor("abc")
    with pytest.raises(TypeError, match="already a Tensor"):
        Tensor(Tensor(1.0))
    with pytest.raises(ValueError, match="axis"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match="shape"):
        Tensor(np.ones(3)).grad = np.ones(2)


# ---------------------------------------------------------------------------
# the engine against the hand backpropagation of Sequential (chapter 14)
# ---------------------------------------------------------------------------

def _model(activation, rng):
    model = nm.model.Sequential(nm.Linear(4, 6, rng=rng), activation, nm.Linear(6, 5, rng=rng),
                                activation.__class__() if not isinstance(activation, nm.LeakyReLU)
                                else nm.LeakyReLU(activation.slope), nm.Linear(5, 3, rng=rng))
    for layer in model.layers:
        if isinstance(layer, nm.Linear):
            layer.b[:] = rng.standard_normal(layer.b.shape)  # non-zero biases
    return model


@pytest.mark.parametrize("activation", [nm.Tanh(), nm.Sigmoid(), nm.ReLU(), nm.LeakyReLU(0.1)],
                         ids=lambda a: type(a).__name__)
def test_engine_equals_sequential_backprop_with_mse(activation):
    rng = _rng(5)
    model = _model(activation, rng)
    X, T = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    loss = nm.MSE()
    value = loss.forward(model.forward(X), T)
    model.backward(loss.backward())
    forward, params = ad.from_sequential(model)
    L = ad.mse_loss(forward(Tensor(X)), T)
    L.backward()
    assert abs(L.item() - value) < 1e-12
    for name, _, grad in model.parameters():
        np.testing.assert_allclose(params[name].grad, grad, rtol=0, atol=1e-12, err_msg=name)


def test_engine_equals_sequential_backprop_with_cross_entropy():
    rng = _rng(6)
    model = _model(nm.Tanh(), rng)
    X, labels = rng.standard_normal((8, 4)), rng.integers(0, 3, size=8)
    loss = nm.SoftmaxCrossEntropy()
    value = loss.forward(model.forward(X), labels)
    model.backward(loss.backward())
    forward, params = ad.from_sequential(model)
    L = ad.softmax_cross_entropy_loss(forward(Tensor(X)), np.eye(3)[labels])
    L.backward()
    assert abs(L.item() - value) < 1e-12
    for name, _, grad in model.parameters():
        np.testing.assert_allclose(params[name].grad, grad, rtol=0, atol=1e-12, err_msg=name)


def test_from_sequential_rejects_unknown_modules():
    class Odd(nm.Module):
        def forward(self, X):
            return X

        def backward(self, dY):
            return dY
    with pytest.raises(TypeError, match="Odd"):
        ad.from_sequential(nm.model.Sequential(nm.Linear(2, 2, rng=_rng(7)), Odd()))


# ---------------------------------------------------------------------------
# the drawing of chapter 13: layout data, not pixels
# ---------------------------------------------------------------------------

def _gates_graph():
    x, y = Tensor(3.0, name="x"), Tensor(-4.0, name="y")
    z, w = Tensor(2.0, name="z"), Tensor(-1.0, name="w")
    q = x * y
    m = ad.maximum(z, w)
    L = q + m + x
    L.backward()
    return L


def test_graph_layout_places_nodes_by_depth():
    layout = graph_layout(_gates_graph())
    heads = [label.split("\n")[0] for label in layout.labels]
    assert heads == ["x", "y", "*", "z", "w", "max", "+", "+"]
    assert layout.positions == [(0.0, 1.5), (0.0, 0.5), (1.0, 0.5), (0.0, -0.5), (0.0, -1.5),
                                (1.0, -0.5), (2.0, 0.0), (3.0, 0.0)]
    assert layout.edges == [(0, 2), (1, 2), (3, 5), (4, 5), (2, 6), (5, 6), (6, 7), (0, 7)]
    assert layout.grads == ["grad -3", "grad 3", "grad 1", "grad 1", "grad 0", "grad 1",
                            "grad 1", "grad 1"]
    assert graph_layout(_gates_graph()).positions == layout.positions  # deterministic


def test_graph_layout_shows_constants_and_repeated_operands():
    a = Tensor(2.0, name="a")
    b = a + a
    c = b * 3.0
    layout = graph_layout(c)
    assert layout.edges == [(0, 1), (0, 1), (1, 3), (2, 3)]
    assert layout.labels[2] == "const\n3" and layout.grads[2] == ""


def test_draw_graph_returns_axes():
    import matplotlib.pyplot as plt

    ax = draw_graph(_gates_graph())
    assert ax.get_title() == "Computational graph"
    texts = [t.get_text() for t in ax.texts if t.get_text()]  # arrows are empty annotations
    assert len(texts) == 16 and "grad -3" in texts  # one box and one gradient per node
    plt.close(ax.figure)
    with pytest.raises(TypeError, match="Tensor"):
        graph_layout(np.ones(2))


# ---------------------------------------------------------------------------
# counted operations (chapter 14)
# ---------------------------------------------------------------------------

def test_operation_counts_of_a_layer():
    rng = _rng(8)
    X = rng.standard_normal((5, 4))                       # a constant: no dX
    W, b = Tensor(rng.standard_normal((4, 3))), Tensor(np.zeros(3))
    L = (X @ W + b).tanh().sum()
    counts = ch14.operation_counts(L)
    assert counts["@"] == (5 * 4 * 3, 5 * 4 * 3)          # forward XW; backward Xᵀδ only
    assert counts["+"] == (15, 30)                          # g goes to XW and (summed) to b
    assert counts["tanh"] == (15, 15) and counts["sum"] == (15, 15)
    counts = ch14.operation_counts((Tensor(X) @ W).sum())   # now X needs one too: δWᵀ
    assert counts["@"] == (60, 120)


def test_operation_counts_match_the_multiply_adds_of_chapter_9():
    rng = _rng(9)
    model = nm.model.Sequential(nm.Linear(4, 6, rng=rng), nm.Tanh(), nm.Linear(6, 3, rng=rng))
    forward, _ = ad.from_sequential(model)
    counts = ch14.operation_counts(ad.mse_loss(forward(Tensor(rng.standard_normal((7, 4)))),
                                             np.zeros((7, 3))))
    rows = ch10.multiply_adds((4, 6, 3), 7)
    assert counts["@"] == (sum(r["forward"] for r in rows), sum(r["backward"] for r in rows))


# ---------------------------------------------------------------------------
# the registry's third route: every identity, checked by the engine
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_identity_is_recovered_by_the_engine(name):
    identity = REGISTRY[name]
    assert identity.tensor_forward is not None, (
        f"{name} has no tensor_forward; add it to its registration or to "
        f"nnmath/identities/autodiff_routes.py")
    for seed in range(3):
        check = identity.check_autodiff(np.random.default_rng(seed))
        assert check.passed, f"{name}: engine vs compact, relative error {check.rel_error:.2e}"


def test_naive_recursion_is_right_on_a_tree():
    """Every value used once: the recursion of chapter 13 agrees with the sweep."""
    a, b, c = Tensor(1.5), Tensor(-2.0), Tensor(0.5)
    L = ((a * b).tanh() + c.exp()) * 3.0
    L.backward()
    expected = [float(v.grad) for v in (a, b, c)]
    ch13.naive_recursive_backward(L)
    assert [float(v.grad) for v in (a, b, c)] == expected


# ---------------------------------------------------------------------------
# the converters: one module, one function, the old addresses kept
# ---------------------------------------------------------------------------
def test_the_old_addresses_of_the_converters_are_the_new_functions():
    from nnmath.autodiff import convert, gpt, graph, sequence
    assert ad.from_sequential is convert.from_sequential is graph.from_sequential
    assert ad.from_module is convert.from_module is sequence.from_module
    assert ad.from_gpt is convert.from_gpt is gpt.from_gpt
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        graph.nothing  # noqa: B018


@pytest.mark.parametrize("make", [
    lambda rng: nm.Sequential(nm.Linear(4, 6, rng=rng), nm.LeakyReLU(0.1), nm.Linear(6, 4, rng=rng),
                              nm.GELU(), nm.RMSNorm(4), nm.GELU("tanh")),
    lambda rng: nm.Sequential(nm.Residual(nm.SelfAttention(4, 2, causal=True, rope=True, rng=rng)),
                              nm.LayerNorm(4), nm.Linear(4, 3, rng=rng)),
], ids=["leaky, GELU, RMSNorm", "rotary attention"])
def test_from_module_takes_the_later_layers_and_matches_their_backward(make):
    rng = _rng(11)
    model = make(rng)
    X = rng.standard_normal((2, 3, 4))
    Y = model.forward(X)
    dY = rng.standard_normal(Y.shape)
    dX = model.backward(dY)
    forward, params = ad.from_module(model)
    Xt = Tensor(X)
    out = forward(Xt)
    np.testing.assert_allclose(out.data, Y, rtol=1e-12, atol=1e-12)
    (out * dY).sum().backward()
    np.testing.assert_allclose(Xt.grad, dX, rtol=1e-10, atol=1e-12)
    for name, _, grad in model.parameters():
        np.testing.assert_allclose(params[name].grad, grad, rtol=1e-10, atol=1e-12, err_msg=name)


def test_from_module_takes_a_whole_gpt():
    model = nm.GPT(7, 4, 4, 1, 2, rng=_rng(12))
    forward, params = ad.from_module(model)
    idx = np.array([[1, 2, 3], [0, 6, 5]])
    np.testing.assert_allclose(forward(idx).data, model.forward(idx), rtol=1e-12, atol=1e-12)
    assert sorted(params) == sorted(name for name, _, _ in model.parameters())
