"""Muon's Newton–Schulz iteration and its update, against the SVD written out.

Independent route: with ``G = U Σ Vᵀ`` (``numpy.linalg.svd``), ``k`` steps of
the odd polynomial ``p(σ) = aσ + bσ³ + cσ⁵`` give ``U p^k(Σ/‖G‖_F) Vᵀ``; the
Muon step (momentum, Nesterov, the scale ``√max(1, d_out/d_in)``, decoupled
decay) and the AdamW step of the other parameters are re-implemented in NumPy
with that route, on a model with a wide, a tall, a kernel-shaped, a listed and
a one-axis parameter.
"""

import numpy as np
import pytest

from nnmath.optim import Muon
from nnmath.optim.muon import CUBIC_COEFFICIENTS, MUON_COEFFICIENTS, newton_schulz


def _ns_svd(G, steps, coefficients):
    a, b, c = coefficients
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    s = s / np.sqrt(np.sum(G * G))
    for _ in range(steps):
        s = a * s + b * s ** 3 + c * s ** 5
    return (U * s) @ Vt


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
@pytest.mark.parametrize("coefficients, steps", [(MUON_COEFFICIENTS, 5), (CUBIC_COEFFICIENTS, 3),
                                                 ((2.0, -1.5, 0.5), 2)])
def test_newton_schulz_is_the_polynomial_of_the_singular_values(shape, coefficients, steps):
    G = np.random.default_rng(0).standard_normal(shape)
    np.testing.assert_allclose(newton_schulz(G, steps, coefficients),
                               _ns_svd(G, steps, coefficients), rtol=1e-10, atol=1e-12)


def test_newton_schulz_defaults_zero_and_integer_input():
    G = np.random.default_rng(1).standard_normal((2, 3))
    np.testing.assert_allclose(newton_schulz(G), _ns_svd(G, 5, MUON_COEFFICIENTS), atol=1e-12)
    Z = newton_schulz(np.zeros((2, 3)))
    assert Z.dtype == np.float64 and not Z.any()
    np.testing.assert_allclose(newton_schulz(np.array([[2, 0], [0, 1]]), 1, CUBIC_COEFFICIENTS),
                               _ns_svd(np.array([[2.0, 0], [0, 1]]), 1, CUBIC_COEFFICIENTS))


@pytest.mark.parametrize("call, error, message", [
    (lambda: newton_schulz(np.ones(3)), ValueError,
     "newton_schulz: G must be a non-empty real 2-D array, got shape (3,) and dtype float64"),
    (lambda: newton_schulz(np.ones((2, 0))), ValueError,
     "newton_schulz: G must be a non-empty real 2-D array, got shape (2, 0) and dtype float64"),
    (lambda: newton_schulz(np.ones((2, 2), dtype=complex)), ValueError,
     "newton_schulz: G must be a non-empty real 2-D array, got shape (2, 2) and dtype complex128"),
    (lambda: newton_schulz(np.array([[1.0, np.inf]])), ValueError,
     "newton_schulz: G has a NaN or infinite entry"),
    (lambda: newton_schulz(np.ones((2, 2)), 2, (1.0, 0.0, 0.0)), ValueError,
     "newton_schulz: coefficients[0] = a = p'(0) must be > 1, so that small singular values "
     "grow, got 1.0"),
    (lambda: newton_schulz(np.ones((2, 2)), 2, "abc"), TypeError,
     "newton_schulz: coefficients must be three numbers (a, b, c), got 'abc'"),
    (lambda: newton_schulz(np.ones((2, 2)), 2, (2.0, 1.0)), TypeError,
     "newton_schulz: coefficients must be three numbers (a, b, c), got (2.0, 1.0)"),
])
def test_newton_schulz_errors_are_exact(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


class _Model:
    def __init__(self, rng):
        shapes = {"wide": (2, 5), "tall": (5, 2), "kernel": (4, 2, 3, 3),
                  "tall kernel": (5, 2, 1, 1), "head": (3, 4),
                  "bias": (4,)}
        self.params = {k: rng.standard_normal(s) for k, s in shapes.items()}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def parameters(self):
        return [(k, self.params[k], self.grads[k]) for k in self.params]


def _reference(lr, mu, nesterov, k, alr, betas, eps, wd, adamw_names):
    def rule(name, p, g, s, t):
        if p.ndim >= 2 and name not in adamw_names:
            s["m"] = mu * s.get("m", 0.0) + (1 - mu) * g
            u = (1 - mu) * g + mu * s["m"] if nesterov else s["m"]
            fan_in, fan_out = ((p.shape[0], p.shape[1]) if p.ndim == 2
                               else (int(np.prod(p.shape[1:])), p.shape[0]))
            O = _ns_svd(u.reshape(u.shape[0], -1), k, MUON_COEFFICIENTS).reshape(p.shape)
            return p * (1 - lr * wd) - lr * np.sqrt(max(1.0, fan_out / fan_in)) * O
        b1, b2 = betas
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat, v_hat = s["m"] / (1 - b1 ** t), s["v"] / (1 - b2 ** t)
        return p * (1 - alr * wd) - alr * m_hat / (np.sqrt(v_hat) + eps)
    return rule


@pytest.mark.parametrize("kwargs", [
    {},
    {"lr": 0.05, "momentum": 0.8, "nesterov": False, "ns_steps": 3, "adamw_lr": 0.01,
     "adamw_betas": (0.7, 0.9), "adamw_eps": 1e-3, "weight_decay": 0.3, "adamw_params": ("head",)},
    {"lr": 0.03, "momentum": 0.5, "weight_decay": 0.1},
], ids=["defaults", "all set", "nesterov with decay"])
def test_muon_steps_follow_the_rule(kwargs):
    full = {"lr": 0.02, "momentum": 0.95, "nesterov": True, "ns_steps": 5, "adamw_lr": 3e-4,
            "adamw_betas": (0.9, 0.95), "adamw_eps": 1e-10, "weight_decay": 0.0,
            "adamw_params": ()} | kwargs
    rule = _reference(full["lr"], full["momentum"], full["nesterov"], full["ns_steps"],
                      full["adamw_lr"], full["adamw_betas"], full["adamw_eps"],
                      full["weight_decay"], full["adamw_params"])
    rng = np.random.default_rng(3)
    model = _Model(rng)
    opt = Muon(model, **kwargs)
    theta = {k: v.copy() for k, v in model.params.items()}
    state = {k: {} for k in theta}
    for t in range(1, 4):
        for k in theta:
            model.grads[k][...] = rng.standard_normal(theta[k].shape)
            theta[k] = rule(k, theta[k], model.grads[k].copy(), state[k], t)
        opt.step()
        for k in theta:
            np.testing.assert_allclose(model.params[k], theta[k], rtol=1e-9, atol=1e-12,
                                       err_msg=k)
    expected = {"wide": "muon", "tall": "muon", "kernel": "muon", "tall kernel": "muon",
                "head": "muon", "bias": "adamw"}
    if "head" in full["adamw_params"]:
        expected["head"] = "adamw"
    assert opt.groups() == expected
    assert set(opt.state["bias"]) == {"exp_avg", "exp_avg_sq"}
    assert set(opt.state["wide"]) == {"momentum_buffer"}


def test_newton_schulz_computes_in_float64_and_names_bad_steps():
    G = np.random.default_rng(2).standard_normal((2, 3)).astype(np.float32)
    assert newton_schulz(G).dtype == np.float64
    with pytest.raises(ValueError) as info:
        newton_schulz(G, 0)
    assert str(info.value) == "newton_schulz: steps must be positive, got 0"


@pytest.mark.parametrize("kwargs, message", [
    ({"ns_steps": 0}, "Muon: ns_steps must be positive, got 0"),
    ({"adamw_lr": 0.0}, "Muon: adamw_lr must be finite and > 0, got 0.0"),
    ({"adamw_betas": (1.0, 0.9)}, "Muon: adamw_betas[0] must be finite and in [0, 1), got 1.0"),
    ({"adamw_betas": (0.9, -0.1)}, "Muon: adamw_betas[1] must be finite and in [0, 1), got -0.1"),
    ({"adamw_eps": 0.0}, "Muon: adamw_eps must be finite and > 0, got 0.0"),
    ({"weight_decay": -1.0}, "Muon: weight_decay must be finite and >= 0, got -1.0"),
    ({"adamw_params": ("x",)}, "Muon: adamw_params names 'x', which is not a parameter of the "
                               "model (parameters: wide, tall, kernel, tall kernel, head, bias)"),
])
def test_muon_refusals_are_exact(kwargs, message):
    with pytest.raises(ValueError) as info:
        Muon(_Model(np.random.default_rng(0)), **kwargs)
    assert str(info.value) == message


def test_muon_accepts_the_edges_of_its_ranges():
    opt = Muon(_Model(np.random.default_rng(0)), adamw_betas=(0.0, 0.0), weight_decay=0.0)
    assert opt.adamw_betas == (0.0, 0.0)
