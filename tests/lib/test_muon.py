"""Muon and its Newton–Schulz iteration (chapter 31), each against an independent route.

The polar factor comes from numpy's SVD; the iteration's action on the singular
values from the scalar polynomial; the optimiser's step from a hand-written
reference that uses the SVD, not :func:`newton_schulz`.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import CUBIC_COEFFICIENTS, MUON_COEFFICIENTS, AdamW, Muon, newton_schulz

SHAPES = [(4, 4), (3, 7), (7, 3), (1, 5), (6, 1), (16, 9)]


def polar_svd(G):
    """``U Vᵀ`` from the thin SVD (the independent route)."""
    U, _, Vt = np.linalg.svd(G, full_matrices=False)
    return U @ Vt


def scalar_iterates(sigma, steps, coefficients):
    a, b, c = coefficients
    for _ in range(steps):
        sigma = a * sigma + b * sigma ** 3 + c * sigma ** 5
    return sigma


@pytest.mark.parametrize("shape", SHAPES)
def test_cubic_newton_schulz_converges_to_the_svd_polar_factor(shape):
    G = np.random.default_rng(sum(shape)).standard_normal(shape)
    X = newton_schulz(G, 60, CUBIC_COEFFICIENTS)
    np.testing.assert_allclose(X, polar_svd(G), atol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("coefficients", [CUBIC_COEFFICIENTS, MUON_COEFFICIENTS])
def test_iteration_is_the_polynomial_on_the_singular_values(shape, coefficients):
    G = np.random.default_rng(3).standard_normal(shape)
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    for steps in (1, 2, 5):
        expected = U @ np.diag(scalar_iterates(s / np.linalg.norm(G), steps, coefficients)) @ Vt
        np.testing.assert_allclose(newton_schulz(G, steps, coefficients), expected, atol=1e-12)


def test_muon_quintic_ends_in_a_band_not_at_one():
    G = np.random.default_rng(0).standard_normal((32, 16))
    s = np.linalg.svd(newton_schulz(G, 5), compute_uv=False)
    assert 0.6 < s.min() and s.max() < 1.25
    assert np.abs(s - 1).max() > 0.05          # not the polar factor: a band around 1


def test_a_wrong_coefficient_set_fails_the_polar_check():
    G = np.random.default_rng(1).standard_normal((5, 5))
    for wrong in [(1.5, -0.6, 0.0), (1.2, -0.1, 0.0), (1.5, -0.4, 0.0)]:   # fixed points ≠ 1
        X = newton_schulz(G, 60, wrong)
        assert not np.allclose(X, polar_svd(G), atol=1e-6), wrong


@pytest.mark.parametrize("bad, error", [((1.5, -0.5), TypeError), ("abc", TypeError),
                                        ((1.0, -0.5, 0.0), ValueError),
                                        ((-3.4, 4.7, -2.0), ValueError),
                                        ((np.nan, 0.0, 0.0), ValueError)])
def test_newton_schulz_rejects_bad_coefficients(bad, error):
    with pytest.raises(error, match="newton_schulz: coefficients"):
        newton_schulz(np.eye(2), 3, bad)


def test_newton_schulz_rejects_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        newton_schulz(np.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        newton_schulz(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="steps must be positive"):
        newton_schulz(np.eye(2), 0)
    assert not newton_schulz(np.zeros((2, 3))).any()


def _model(rng):
    return nm.Sequential(nm.Linear(5, 4, rng=rng), nm.Tanh(), nm.Linear(4, 7, rng=rng))


def _backward(model, rng):
    X, T = rng.standard_normal((8, 5)), rng.standard_normal((8, 7))
    loss = nm.MSE()
    loss.forward(model.forward(X), T)
    model.backward(loss.backward())


def test_muon_step_matches_a_hand_written_reference():
    """Three steps of Muon against the formulas of its docstring, written out with the SVD."""
    lr, mu, alr, (b1, b2), eps, wd = 0.05, 0.9, 0.01, (0.9, 0.95), 1e-10, 0.1
    model, ref = _model(np.random.default_rng(0)), _model(np.random.default_rng(0))
    opt = Muon(model, lr, momentum=mu, adamw_lr=alr, weight_decay=wd, ns_steps=5)
    buf = {n: np.zeros_like(p) for n, p, _ in ref.parameters()}
    m1 = {n: np.zeros_like(p) for n, p, _ in ref.parameters()}
    m2 = {n: np.zeros_like(p) for n, p, _ in ref.parameters()}
    for t in range(1, 4):
        _backward(model, np.random.default_rng(t))
        _backward(ref, np.random.default_rng(t))
        opt.step()
        for n, p, g in ref.parameters():
            if p.ndim == 2:
                buf[n] = mu * buf[n] + (1 - mu) * g
                u = (1 - mu) * g + mu * buf[n]
                U, s, Vt = np.linalg.svd(u, full_matrices=False)
                O = U @ np.diag(scalar_iterates(s / np.linalg.norm(u), 5, MUON_COEFFICIENTS)) @ Vt
                p[...] = (1 - lr * wd) * p - lr * np.sqrt(max(1, p.shape[1] / p.shape[0])) * O
            else:
                m1[n] = b1 * m1[n] + (1 - b1) * g
                m2[n] = b2 * m2[n] + (1 - b2) * g * g
                step = (m1[n] / (1 - b1 ** t)) / (np.sqrt(m2[n] / (1 - b2 ** t)) + eps)
                p[...] = (1 - alr * wd) * p - alr * step
        for (n, p, _), (_, q, _) in zip(model.parameters(), ref.parameters()):
            np.testing.assert_allclose(p, q, atol=1e-12, err_msg=n)


def test_conv_kernels_are_flattened_and_embeddings_go_to_adamw():
    rng = np.random.default_rng(0)
    conv = nm.Conv2d(2, 3, 3, rng=rng)
    X = rng.standard_normal((2, 2, 5, 5))
    conv.backward(np.ones_like(conv.forward(X)))
    before, g = conv.W.copy(), conv.dW.copy()
    Muon(conv, 0.1, nesterov=False, momentum=0.5).step()
    u = 0.5 * g                                          # m₁ = (1 − μ) g
    flat = u.reshape(3, -1)
    U, s, Vt = np.linalg.svd(flat, full_matrices=False)
    O = U @ np.diag(scalar_iterates(s / np.linalg.norm(flat), 5, MUON_COEFFICIENTS)) @ Vt
    np.testing.assert_allclose(conv.W, before - 0.1 * O.reshape(g.shape), atol=1e-12)
    model = nm.Sequential(nm.Embedding(6, 4, rng=rng), nm.Linear(4, 3, rng=rng))
    assert Muon(model).groups() == {"0.W": "adamw", "1.W": "muon", "1.b": "adamw"}
    assert Muon(model, adamw_params=("1.W",)).groups()["1.W"] == "adamw"


def test_state_round_trip_resumes_bit_for_bit(tmp_path):
    model = _model(np.random.default_rng(0))
    opt = Muon(model, 0.03, weight_decay=0.01, adamw_params=("2.W",))
    for t in range(3):
        _backward(model, np.random.default_rng(t))
        opt.step()
    path = tmp_path / "state.npz"
    np.savez(path, **opt.state_dict())
    twin = _model(np.random.default_rng(5))
    for (_, p, _), (_, q, _) in zip(model.parameters(), twin.parameters()):
        q[...] = p
    resumed = Muon(twin, 0.5)
    with np.load(path) as saved:
        resumed.load_state_dict(dict(saved))
    assert resumed.adamw_params == ("2.W",) and resumed.steps == 3 and resumed.lr == 0.03
    for t in range(3, 6):
        for m, o in ((model, opt), (twin, resumed)):
            _backward(m, np.random.default_rng(t))
            o.step()
    for (n, p, _), (_, q, _) in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p, q, err_msg=n)


def test_state_dict_errors_name_the_problem():
    model = _model(np.random.default_rng(0))
    opt = Muon(model)
    _backward(model, np.random.default_rng(1))
    opt.step()
    state = opt.state_dict()
    with pytest.raises(ValueError, match="for AdamW, not Muon"):
        opt.load_state_dict(AdamW(model).state_dict())
    broken = {k: v for k, v in state.items() if k != "momentum_buffer/0.W"}
    with pytest.raises(ValueError, match="missing key 'momentum_buffer/0.W'"):
        opt.load_state_dict(broken)
    with pytest.raises(ValueError, match="unexpected key 'exp_avg/0.W'"):
        opt.load_state_dict({**state, "exp_avg/0.W": state["momentum_buffer/0.W"]})
    with pytest.raises(ValueError, match="ns_steps must be positive"):
        opt.load_state_dict({**state, "ns_steps": np.array(0)})
    with pytest.raises(TypeError, match="expected a dict"):
        opt.load_state_dict([1, 2])


@pytest.mark.parametrize("kwargs, error, text", [
    ({"momentum": 1.0}, ValueError, "momentum"), ({"nesterov": 1}, TypeError, "nesterov"),
    ({"momentum": 0.0}, ValueError, "nesterov=True needs"), ({"ns_steps": 2.5}, TypeError, "ns_steps"),
    ({"adamw_lr": -1.0}, ValueError, "adamw_lr"), ({"adamw_betas": 0.9}, TypeError, "adamw_betas"),
    ({"adamw_eps": 0.0}, ValueError, "adamw_eps"), ({"weight_decay": -0.1}, ValueError, "weight_decay"),
    ({"adamw_params": "0.W"}, TypeError, "adamw_params"), ({"adamw_params": ("9.W",)}, ValueError,
                                                            "'9.W', which is not a parameter"),
])
def test_bad_hyperparameters_are_named(kwargs, error, text):
    with pytest.raises(error, match=text):
        Muon(_model(np.random.default_rng(0)), **kwargs)
