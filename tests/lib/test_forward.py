"""Forward mode and second order (chapter 19): jvp, hvp and the tangent rules of every operation.

Independent routes: central differences of the forward pass (for J v), central
differences of the engine's gradients (for H v: reverse mode only, no tangent
rule involved), SymPy's Jacobian and Hessian, and the reverse-mode Jacobian.
"""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings

import nnmath.autodiff as ad
from nnmath.autodiff import Tensor, hvp, jvp
from nnmath.book.chapters import ch17_differentials as ch17
from nnmath.book.chapters import ch19_forward_second_order as ch19
from nnmath.gradcheck import numeric_jacobian
from strategies import broadcast_pairs

RTOL, ATOL = 1e-6, 1e-8


def _rng(seed):
    return np.random.default_rng(seed)


def _positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _away_from_zero(rng, shape):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 2.0, shape)


C34 = _rng(100).standard_normal((3, 4))
C4 = _rng(101).standard_normal(4)

# One row per operation: (name, f, sampler of x). Every primitive with a tangent
# rule appears, with broadcasting on both sides of + and *.
CASES = [
    ("add broadcast", lambda x: x + C4, lambda r: r.standard_normal((3, 4))),
    ("add broadcast other side", lambda x: Tensor(C34, requires_grad=False) + x,
     lambda r: r.standard_normal(4)),
    ("add self", lambda x: x + x.sum(axis=0, keepdims=True), lambda r: r.standard_normal((3, 2))),
    ("mul broadcast", lambda x: x * x[0], lambda r: r.standard_normal((3, 4))),
    ("mul constant column", lambda x: x * C34[:, :1], lambda r: r.standard_normal((3, 4))),
    ("pow constant", lambda x: x ** 3.0 + x ** -1.5, lambda r: _positive(r, (2, 3))),
    ("pow variable exponent", lambda x: Tensor(np.array([1.5, 2.0]), requires_grad=False) ** x,
     lambda r: r.standard_normal(2)),
    ("pow both", lambda x: x ** x, lambda r: _positive(r, 3)),
    ("matmul 2-D", lambda x: x.T @ x @ C34, lambda r: r.standard_normal((2, 3))),
    ("matmul vector", lambda x: C34 @ (x * x), lambda r: r.standard_normal(4)),
    ("transpose axes", lambda x: x.transpose(2, 0, 1) * 2.0, lambda r: r.standard_normal((2, 3, 2))),
    ("reshape", lambda x: x.reshape(3, 2) @ x.reshape(2, 3), lambda r: r.standard_normal(6)),
    ("getitem slice and fancy", lambda x: x[1:, ::2] * x[[0, 0, 2]][:2, :2],
     lambda r: r.standard_normal((3, 4))),
    ("sum axis keepdims", lambda x: x.sum(axis=1, keepdims=True) * x, lambda r: r.standard_normal((3, 4))),
    ("max axis", lambda x: x.max(axis=0) * x.sum(), lambda r: r.standard_normal((4, 3))),
    ("exp log sqrt", lambda x: (x.exp() + x.log()) * x.sqrt(), lambda r: _positive(r, (2, 2))),
    ("tanh sigmoid", lambda x: x.tanh() * x.sigmoid(), lambda r: r.standard_normal((3, 2))),
    ("relu leaky", lambda x: x.relu() * x + x.leaky_relu(0.2) * x,
     lambda r: _away_from_zero(r, (3, 3))),
    ("maximum", lambda x: ad.maximum(x, C4) * x, lambda r: r.standard_normal(4) + 0.05),
    ("softmax logsumexp", lambda x: ad.softmax(x) * ad.logsumexp(x, axis=-1, keepdims=True),
     lambda r: r.standard_normal((2, 4))),
    ("cross-entropy", lambda x: ad.softmax_cross_entropy_loss(x, np.eye(4)[[1, 3]]),
     lambda r: r.standard_normal((2, 4))),
    ("inv", lambda x: ad.inv(x) @ x.T, lambda r: ch17.diagonally_dominant(r, 3)),
    ("logdet", lambda x: ad.logdet(x) * x, lambda r: ch17.diagonally_dominant(r, 3)),
    ("solve vector", lambda x: ad.solve(x, x[:, 0]), lambda r: ch17.diagonally_dominant(r, 3)),
    ("solve matrix", lambda x: ad.solve(x * x, x.T), lambda r: ch17.diagonally_dominant(r, 3)),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("name, f, sample", CASES, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1])
def test_jvp_matches_finite_differences(name, f, sample, seed):
    rng = _rng(seed)
    x = sample(rng)
    v = rng.standard_normal(x.shape)
    y, Jv = jvp(f, x, v)
    J = numeric_jacobian(lambda z: f(Tensor(z)).data, x)
    expected = np.tensordot(J, v, axes=v.ndim)
    np.testing.assert_allclose(y, f(Tensor(x)).data, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(Jv, expected, rtol=RTOL, atol=ATOL)


def _engine_gradient(scalar):
    def grad(z):
        t = Tensor(z)
        scalar(t).backward()
        return t.grad
    return grad


@pytest.mark.parametrize("name, f, sample", CASES, ids=IDS)
def test_hvp_matches_finite_differences_of_engine_gradients(name, f, sample):
    rng = _rng(7)
    x = sample(rng)
    weights = rng.standard_normal(f(Tensor(x)).shape)
    scalar = lambda t: (f(t) * weights).sum()  # noqa: E731 — a scalar function of x
    v = rng.standard_normal(x.shape)
    H = numeric_jacobian(_engine_gradient(scalar), x)  # (x.shape + x.shape)
    expected = np.tensordot(H, v, axes=v.ndim)
    np.testing.assert_allclose(hvp(scalar, x, v), expected, rtol=1e-5, atol=1e-7)


@settings(max_examples=15, deadline=None)
@given(broadcast_pairs())
def test_jvp_and_hvp_with_broadcasting_on_random_shapes(pair):
    A, B = pair
    rng = _rng(A.size)
    f = lambda x: (x * B + B).tanh() * x  # noqa: E731
    scalar = lambda x: (f(x) ** 2.0).sum()  # noqa: E731
    v = rng.standard_normal(A.shape)
    Jv = jvp(f, A, v)[1]
    J = numeric_jacobian(lambda z: f(Tensor(z)).data, A)
    np.testing.assert_allclose(Jv, np.tensordot(J, v, axes=v.ndim), rtol=RTOL, atol=ATOL)
    H = numeric_jacobian(_engine_gradient(scalar), A)
    np.testing.assert_allclose(hvp(scalar, A, v), np.tensordot(H, v, axes=v.ndim),
                               rtol=1e-5, atol=1e-6)


def test_jvp_and_hvp_match_sympy():
    rng = _rng(3)
    A = rng.standard_normal((3, 3))
    x0, v = rng.standard_normal(3), rng.standard_normal(3)
    f = lambda x: (Tensor(A, requires_grad=False) @ x).tanh() * x.exp()  # noqa: E731
    g = lambda x: (f(x) * x).sum()  # noqa: E731
    s = sp.symbols("s0:3")
    fs = [sp.tanh(sum(A[i, j] * s[j] for j in range(3))) * sp.exp(s[i]) for i in range(3)]
    at = dict(zip(s, x0))
    J = np.array(sp.Matrix(fs).jacobian(s).subs(at).evalf(), dtype=float)
    H = np.array(sp.hessian(sum(fi * si for fi, si in zip(fs, s)), s).subs(at).evalf(),
                 dtype=float)
    np.testing.assert_allclose(jvp(f, x0, v)[1], J @ v, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(hvp(g, x0, v), H @ v, rtol=1e-12, atol=1e-12)


def test_hessian_of_a_small_network_matches_sympy_and_finite_differences():
    rng = _rng(4)
    X = rng.standard_normal((3, 2))
    T = rng.standard_normal((3, 1))
    f, _, theta, _ = ch19.mlp([2, 2, 1], X, T, rng=rng)
    theta = theta + 0.3 * rng.standard_normal(theta.size)
    H = ch19.hessian_from_hvps(f, theta)
    np.testing.assert_allclose(H, ch19.sympy_hessian([2, 2, 1], X, T, theta),
                               rtol=1e-10, atol=1e-12)
    fd = numeric_jacobian(_engine_gradient(f), theta)
    np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, H.T, atol=1e-14)


def test_forward_mode_jacobian_equals_reverse_mode_jacobian():
    rng = _rng(5)
    f = lambda x: ad.softmax(x.reshape(2, 3) @ C34[:, :3].T)  # noqa: E731
    x = rng.standard_normal(6)
    np.testing.assert_allclose(ad.forward_mode_jacobian(f, x),
                               ad.reverse_mode_jacobian(f, x), rtol=1e-12, atol=1e-14)


def test_gauss_newton_equals_hessian_for_a_linear_model():
    # F(θ) = Xθ is linear, so the MSE Hessian is exactly JᵀJ/N = XᵀX/N.
    rng = _rng(6)
    X, T = rng.standard_normal((5, 3)), rng.standard_normal((5, 1))
    f, outputs, theta, _ = ch19.mlp([3, 1], X, T, rng=rng)
    eye = np.eye(theta.size)
    G = np.stack([ch19.gauss_newton_vp(outputs, theta, e) for e in eye], axis=1)
    H = ch19.hessian_from_hvps(f, theta)
    Xb = np.hstack([X, np.ones((5, 1))])  # weights then bias, the order of θ
    np.testing.assert_allclose(G, Xb.T @ Xb / 5, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(H, G, rtol=1e-12, atol=1e-12)


def test_power_iteration_finds_the_largest_eigenvalue_of_a_quadratic():
    rng = _rng(8)
    Q = np.linalg.qr(rng.standard_normal((5, 5)))[0]
    A = Q @ np.diag([5.0, 2.0, 1.0, 0.5, 0.1]) @ Q.T
    f = lambda x: 0.5 * (x @ (Tensor(A, requires_grad=False) @ x))  # noqa: E731
    lam, v = ch19.power_iteration(f, rng.standard_normal(5), rng, iterations=60)
    assert lam == pytest.approx(5.0, rel=1e-9)
    np.testing.assert_allclose(abs(v @ Q[:, 0]), 1.0, rtol=1e-8)


# -- robustness ------------------------------------------------------------------

def test_v_of_the_wrong_shape_is_rejected():
    f = lambda x: x.sum()  # noqa: E731
    for fn in (jvp, hvp):
        with pytest.raises(ValueError, match=r"v has shape \(3,\) but x has shape \(2, 3\)"):
            fn(f, np.ones((2, 3)), np.ones(3))


def test_hvp_needs_a_scalar_function():
    with pytest.raises(ValueError, match=r"hvp: f must return a scalar .* got shape \(3,\)"):
        hvp(lambda x: x * x, np.ones(3), np.ones(3))


def test_f_must_return_a_tensor():
    with pytest.raises(TypeError, match="jvp: f must return a Tensor, got ndarray"):
        jvp(lambda x: x.data, np.ones(2), np.ones(2))


def test_non_finite_inputs_are_rejected():
    with pytest.raises(ValueError, match="jvp: v has NaN or infinite entries"):
        jvp(lambda x: x, np.ones(2), np.array([1.0, np.nan]))
    with pytest.raises(ValueError, match="hvp: x has NaN or infinite entries"):
        hvp(lambda x: x.sum(), np.array([np.inf]), np.ones(1))


def test_an_operation_without_a_tangent_rule_is_named():
    def custom(x):  # a primitive with a backward rule but no tangent rule
        return Tensor(2 * x.data, _parents=(x,), _op="double", _backward=lambda g: (2 * g,))
    with pytest.raises(NotImplementedError, match="operation 'double' has no tangent rule"):
        jvp(custom, np.ones(2), np.ones(2))
    with pytest.raises(NotImplementedError, match="'double'"):
        hvp(lambda x: custom(x).sum(), np.ones(2), np.ones(2))


def test_float32_in_float32_out_and_integers_give_float64():
    f = lambda x: (x * x).sum()  # noqa: E731
    x32, v32 = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
    y, Jv = jvp(f, x32, v32)
    assert y.dtype == Jv.dtype == hvp(f, x32, v32).dtype == np.float32
    assert hvp(f, np.arange(3), np.ones(3, int)).dtype == np.float64
    np.testing.assert_allclose(hvp(f, x32, v32), 2 * v32)


def test_functions_independent_of_x_or_linear_in_x():
    y, Jv = jvp(lambda x: Tensor(np.ones(2), requires_grad=False) * 3.0, np.ones(4), np.ones(4))
    np.testing.assert_array_equal(Jv, np.zeros(2))
    np.testing.assert_array_equal(hvp(lambda x: (x * 2.0).sum(), np.ones(4), np.ones(4)),
                                  np.zeros(4))


def test_jvp_does_not_disturb_later_backward_passes():
    x = Tensor(np.array([1.0, 2.0]))
    L = (x * x).sum()
    jvp(lambda t: (t * t).sum(), x.data, np.ones(2))
    L.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])
