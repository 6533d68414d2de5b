"""GELU, the error function, RMSNorm and the rotary embedding: values, gradients, failures."""

import math

import numpy as np
import pytest

from nnmath import autodiff as ad
from nnmath.autodiff import Tensor
from nnmath.gelu import GELU, erf, erfc, gelu, gelu_grad_Z, normal_cdf
from nnmath.gradcheck import check
from nnmath.norm import standardize_grad_X
from nnmath.rmsnorm import RMSNorm, rms_normalize, rms_normalize_grad_X
from nnmath.rope import rope, rope_angles, rope_grad_X


def _data(shape, seed=1, scale=2.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


# -- the error function ------------------------------------------------------------

def test_erf_matches_math_erf_to_round_off():
    x = np.linspace(-9, 9, 36001)
    assert np.max(np.abs(erf(x) - [math.erf(v) for v in x])) < 2e-15
    assert np.array_equal(erf(-x), -erf(x))


def test_erfc_keeps_its_relative_accuracy_in_the_tail():
    x = np.linspace(-6, 26, 32001)
    ref = np.array([math.erfc(v) for v in x])
    assert np.max(np.abs(erfc(x) - ref) / ref) < 1e-11
    assert normal_cdf(np.array(-30.0)) > 0       # 1 + erf(−30/√2) would round to 0


# -- GELU ------------------------------------------------------------------------------

def test_gelu_values_closed_forms():
    x = _data(50)
    exact = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(gelu(x), exact, rtol=1e-14, atol=1e-15)
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    np.testing.assert_allclose(gelu(x, "tanh"), 0.5 * x * (1 + np.tanh(u)), rtol=1e-15)
    # the derivative in closed form, entry by entry with math.erf and math.exp
    slope = [0.5 * (1 + math.erf(v / math.sqrt(2))) + v * math.exp(-v * v / 2)
             / math.sqrt(2 * math.pi) for v in x]
    np.testing.assert_allclose(gelu_grad_Z(np.ones_like(x), x), slope, rtol=1e-13, atol=1e-15)
    assert gelu_grad_Z(np.array(1.0), np.array(0.0)) == 0.5


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_backward_against_finite_differences_and_the_engine(approximate):
    X = _data((4, 6))
    report = check(GELU(approximate), X, rng=np.random.default_rng(7))
    assert report.passed and report.max_error < 1e-7, str(report)
    dY = _data((4, 6), seed=3)
    t = Tensor(X)
    ad.gpt.gelu(t, approximate).backward(dY)
    np.testing.assert_allclose(gelu_grad_Z(dY, X, approximate), t.grad, rtol=1e-13, atol=1e-15)


def _gelu_backward_missing_x_phi(dY, X):
    return dY * normal_cdf(X)                    # Φ(x) only: the product rule's second term lost


def test_a_gelu_derivative_missing_a_term_is_rejected():
    X, dY = _data((4, 6)), _data((4, 6), seed=3)
    assert not check(gelu, X, grad=_gelu_backward_missing_x_phi, rng=np.random.default_rng(7))
    assert check(gelu, X, grad=gelu_grad_Z, rng=np.random.default_rng(7))
    t = Tensor(X)
    ad.gpt.gelu(t).backward(dY)
    assert np.max(np.abs(_gelu_backward_missing_x_phi(dY, X) - t.grad)) > 1e-2


def test_gelu_errors():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        GELU("exact")
    with pytest.raises(ValueError, match="backward called before forward"):
        GELU().backward(np.ones(3))
    act = GELU()
    act.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"GELU.backward: dY has shape \(3,\)"):
        act.backward(np.ones(3))


# -- RMSNorm ----------------------------------------------------------------------------

def _rms(seed=0):
    layer = RMSNorm(6)
    layer.gamma += 0.3 * np.random.default_rng(seed).standard_normal(6)
    return layer


def test_rmsnorm_forward_closed_form_and_as_torch_defines_it():
    X = _data((3, 4, 6))
    Y = _rms().forward(X)
    expected = _rms().gamma * X / np.sqrt(np.mean(X ** 2, axis=-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(Y, expected, rtol=1e-15)
    np.testing.assert_allclose(np.mean(RMSNorm(6, eps=1e-12).forward(X) ** 2, axis=-1), 1.0)


def test_rmsnorm_backward_against_finite_differences_the_jacobian_and_the_engine():
    X, dY = _data((3, 4, 6)), _data((3, 4, 6), seed=5)
    layer = _rms()
    report = check(layer, X, rng=np.random.default_rng(7))
    assert report.passed and report.max_error < 1e-7, str(report)
    layer.forward(X)
    dX = layer.backward(dY)
    # closed form: each row's Jacobian (1/r)(I − x̂x̂ᵀ/D) diag(γ), applied to δ
    Xhat, inv_r = rms_normalize(X, 1e-6)
    J = inv_r[..., None] * (np.eye(6) - Xhat[..., :, None] * Xhat[..., None, :] / 6)
    np.testing.assert_allclose(dX, np.einsum("...ij,...i->...j", J, dY * layer.gamma),
                               rtol=1e-12, atol=1e-14)
    x, g = Tensor(X), Tensor(layer.gamma)
    ad.gpt.rms_norm(x, g, 1e-6).backward(dY)
    np.testing.assert_allclose(dX, x.grad, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(layer.dgamma, g.grad, rtol=1e-12)


def test_rmsnorm_backward_with_layernorms_mean_term_is_rejected():
    X, dY = _data((3, 4, 6)), _data((3, 4, 6), seed=5)

    def forward(v):
        return rms_normalize(v, 1e-6)[0]

    def right(d, v):
        Xhat, inv_r = rms_normalize(v, 1e-6)
        return rms_normalize_grad_X(d, Xhat, inv_r)

    def wrong(d, v):                              # LayerNorm's rule: subtracts mean(g) too
        Xhat, inv_r = rms_normalize(v, 1e-6)
        return standardize_grad_X(d, Xhat, inv_r, -1)

    assert check(forward, X, grad=right, rng=np.random.default_rng(7))
    assert not check(forward, X, grad=wrong, rng=np.random.default_rng(7))
    x = Tensor(X)
    ad.gpt.rms_norm(x, 1.0, 1e-6).backward(dY)
    assert np.max(np.abs(wrong(dY, X) - x.grad)) > 1e-2


def test_rmsnorm_errors():
    with pytest.raises(ValueError, match="RMSNorm: eps must be finite and > 0"):
        RMSNorm(4, eps=0.0)
    with pytest.raises(ValueError, match="RMSNorm: features must be positive"):
        RMSNorm(0)
    with pytest.raises(ValueError, match=r"RMSNorm.forward: X has shape \(2, 3\), expected \(\.\.\., 4\)"):
        RMSNorm(4).forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="backward called before forward"):
        RMSNorm(4).backward(np.ones((2, 4)))
    assert [n for n, _, _ in RMSNorm(4).parameters()] == ["gamma"]


# -- rotary position embedding -------------------------------------------------------

def test_rope_is_the_rotation_of_each_plane():
    T, d = 5, 8
    X = _data((2, T, d))
    cos, sin = rope_angles(T, d)
    Y = rope(X, cos, sin)
    for t in range(T):
        for i in range(d // 2):
            theta = t * 10000.0 ** (-i / (d // 2))
            R = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
            np.testing.assert_allclose(Y[:, t, [i, i + d // 2]], X[:, t, [i, i + d // 2]] @ R.T,
                                       rtol=1e-13, atol=1e-14)
    np.testing.assert_array_equal(Y[:, 0], X[:, 0])       # position 0: angle 0


def test_rope_is_orthogonal_and_its_backward_is_the_inverse():
    X = _data((3, 7, 6))
    angles = rope_angles(7, 6)
    Y = rope(X, *angles)
    np.testing.assert_allclose(np.linalg.norm(Y, axis=-1), np.linalg.norm(X, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(rope_grad_X(Y, *angles), X, rtol=1e-13, atol=1e-14)


def test_rope_scores_depend_only_on_the_relative_position():
    rng = np.random.default_rng(2)
    q, k = rng.standard_normal(8), rng.standard_normal(8)
    T = 12
    Q = rope(np.tile(q, (T, 1)), *rope_angles(T, 8))     # the same q at every position
    K = rope(np.tile(k, (T, 1)), *rope_angles(T, 8))
    S = Q @ K.T
    for offset in range(-T + 1, T):
        diagonal = np.diagonal(S, offset=offset)
        np.testing.assert_allclose(diagonal, diagonal[0], rtol=1e-12, atol=1e-12)


def test_rope_backward_against_finite_differences_and_the_engine():
    X, dY = _data((2, 5, 6)), _data((2, 5, 6), seed=4)
    angles = rope_angles(5, 6)
    assert check(lambda v: rope(v, *angles), X, grad=lambda d, v: rope_grad_X(d, *angles))
    # the transpose is needed: rotating the gradient forwards (by +θ) is wrong
    assert not check(lambda v: rope(v, *angles), X, grad=lambda d, v: rope(d, *angles))
    x = Tensor(X)
    ad.gpt.rope(x).backward(dY)
    np.testing.assert_allclose(rope_grad_X(dY, *angles), x.grad, rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(ad.gpt.rope(x).data, rope(X, *angles), rtol=1e-14, atol=1e-15)
