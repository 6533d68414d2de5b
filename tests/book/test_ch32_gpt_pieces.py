"""Chapter 32: the registry entries of GELU, RMSNorm and RoPE reject the plausible slips; the studies."""

import numpy as np
import pytest
import sympy as sp

from nnmath.book.chapters import ch32_gpt_pieces as ch32
from nnmath.book.identities import REGISTRY
from nnmath.gelu import gelu_grad_Z
from nnmath.rope import rope, rope_angles
from nnmath.rmsnorm import rms_normalize_grad_X

ENTRIES = ["gelu_grad_Z", "gelu_tanh_grad_Z", "rms_norm_grad_X", "rms_norm_grad_gamma", "rope_grad_X"]


def _rejected(entry, wrong):
    """Every route of ``entry`` (and its proof for every size, if any) rejects ``wrong``."""
    rng = np.random.default_rng(5)
    verdicts = {"sympy": not all(entry.prove(wrong)),
                "fd": not entry.check_numeric(rng, compact=wrong).passed,
                "engine": not entry.check_autodiff(rng, compact=wrong).passed}
    if entry.prove_all_sizes() is not None:
        verdicts["all sizes"] = not entry.prove_all_sizes(wrong).holds
    return verdicts


@pytest.mark.parametrize("name", ENTRIES)
def test_every_route_accepts_the_entry(name):
    entry = REGISTRY[name]
    rng = np.random.default_rng(0)
    assert all(entry.prove())
    assert entry.check_numeric(rng).passed and entry.check_autodiff(rng).passed
    if entry.prove_all_sizes() is not None:
        assert entry.prove_all_sizes().holds


def _gelu_without_x_phi(delta, out, X):
    X = np.asarray(X)
    if X.dtype == object:
        return delta * np.vectorize(lambda v: (1 + sp.erf(v / sp.sqrt(2))) / 2, otypes=[object])(X)
    return delta * (gelu_grad_Z(np.ones_like(X), X) - X * np.exp(-X * X / 2) / np.sqrt(2 * np.pi))


def _gelu_tanh_without_chain(delta, out, X):    # forgot ½ x (1 − tanh² u) u′: only ½(1 + tanh u)
    X = np.asarray(X)
    if X.dtype == object:
        u = sp.sqrt(2 / sp.pi) * (X + ch32.GELU_A * X ** 3)
        return delta * (1 + np.vectorize(sp.tanh, otypes=[object])(u)) / 2
    return delta * (1 + np.tanh(np.sqrt(2 / np.pi) * (X + 0.044715 * X ** 3))) / 2


def _rms_with_mean_term(delta, out, X, gamma, eps):     # LayerNorm's − mean(g) term
    Xhat, inv_rms = ch32.rms_normalize_any(X, eps)
    G = delta * gamma
    return rms_normalize_grad_X(G - G.mean(axis=-1, keepdims=True), Xhat, inv_rms)


def _rms_gamma_from_input(delta, out, X, gamma, eps):   # x in place of x̂
    return np.sum(delta * X, axis=0)


def _rope_forward_rotation(delta, out, X, theta):       # R δ instead of Rᵀ δ
    return rope(delta, *ch32.cos_sin_any(theta))


@pytest.mark.parametrize("name, wrong", [
    ("gelu_grad_Z", _gelu_without_x_phi),
    ("gelu_tanh_grad_Z", _gelu_tanh_without_chain),
    ("rms_norm_grad_X", _rms_with_mean_term),
    ("rms_norm_grad_gamma", _rms_gamma_from_input),
    ("rope_grad_X", _rope_forward_rotation),
])
def test_every_route_rejects_the_plausible_slip(name, wrong):
    verdicts = _rejected(REGISTRY[name], wrong)
    assert all(verdicts.values()), (name, verdicts)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_the_symbolic_closed_form_is_the_library_formula(approximate):
    x = np.linspace(-6, 6, 241)
    s = sp.Symbol("x", real=True)
    closed = sp.lambdify(s, ch32.gelu_prime_entry(s, approximate), "mpmath")
    expected = np.array([float(closed(v)) for v in x])
    np.testing.assert_allclose(gelu_grad_Z(np.ones_like(x), x, approximate), expected,
                               rtol=1e-13, atol=1e-14)


def test_gelu_gap_is_small_and_located():
    gap = ch32.gelu_gap()
    assert 1e-4 < gap["value"] < 1e-3 and 1e-4 < gap["slope"] < 1e-2
    assert 1 < abs(gap["value_at"]) < 4


def test_spectra_and_ranks_of_the_two_normalisations():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(6)
    eig, predicted = ch32.rms_spectrum(x, 1e-3)
    assert np.isclose(eig[0], predicted, rtol=1e-10) and np.allclose(eig[1:], 1.0)
    table = ch32.rank_table((3, 6), (0.0, 1e-5), rng)
    for D in (3, 6):
        assert table["layer", D, 0.0] == D - 2 and table["layer", D, 1e-5] == D - 1
        assert table["rms", D, 0.0] == D - 1 and table["rms", D, 1e-5] == D
    J = ch32.rms_row_jacobian(x, 1e-3)
    from nnmath.gradcheck import numeric_jacobian
    from nnmath.rmsnorm import rms_normalize
    np.testing.assert_allclose(J, numeric_jacobian(lambda v: rms_normalize(v, 1e-3)[0], x),
                               rtol=1e-7, atol=1e-9)


def test_rope_matrix_is_a_permuted_block_diagonal_of_rotations():
    cos, sin = rope_angles(5, 6)
    R = ch32.rope_matrix(cos[3], sin[3])
    P = ch32.rotate_half_permutation(3)
    B = P @ R @ P.T
    theta = np.arctan2(sin[3], cos[3])
    for i in range(3):
        block = np.array([[np.cos(theta[i]), -np.sin(theta[i])], [np.sin(theta[i]), np.cos(theta[i])]])
        np.testing.assert_allclose(B[2 * i:2 * i + 2, 2 * i:2 * i + 2], block, atol=1e-15)
    assert np.count_nonzero(np.abs(B) > 1e-15) <= 4 * 3
    np.testing.assert_allclose(R.T @ R, np.eye(6), atol=1e-14)
    assert ch32.prove_relative_position_block().holds
