"""SGD, Adam and AdamW over several steps against their update rules written out.

Independent route: the rules of the docstrings (PyTorch's) re-implemented in
plain NumPy, step by step, on a two-parameter model whose gradients change at
every step; every hyperparameter is set to a value no default shares, and the
defaults are checked by name.
"""

import numpy as np
import pytest

import nnmath as nm


class _Model:
    """Two parameters whose gradients the test sets before each step."""

    def __init__(self, rng):
        self.params = {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal(4)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def parameters(self):
        return [(k, self.params[k], self.grads[k]) for k in self.params]


def _run(make, reference, steps=4):
    rng = np.random.default_rng(0)
    model = _Model(rng)
    theta = {k: v.copy() for k, v in model.params.items()}
    opt, state = make(model), {k: {} for k in theta}
    for t in range(1, steps + 1):
        for k in theta:
            model.grads[k][...] = rng.standard_normal(theta[k].shape)
            theta[k] = reference(theta[k], model.grads[k].copy(), state[k], t)
        opt.step()
        for k in theta:
            np.testing.assert_allclose(model.params[k], theta[k], rtol=1e-12, atol=1e-14)
    assert opt.steps == steps
    return opt


def _sgd(lr, mu=0.0, nesterov=False, wd=0.0):
    def rule(p, g, s, t):
        g = g + wd * p
        if mu:
            s["v"] = g if t == 1 else mu * s["v"] + g
            g = g + mu * s["v"] if nesterov else s["v"]
        return p - lr * g
    return rule


def _adam(lr, b1, b2, eps, wd=0.0, decoupled=False):
    def rule(p, g, s, t):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        m_hat, v_hat = s["m"] / (1 - b1 ** t), s["v"] / (1 - b2 ** t)
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return rule


@pytest.mark.parametrize("kwargs", [
    {}, {"momentum": 0.7}, {"momentum": 0.7, "nesterov": True}, {"weight_decay": 0.3},
    {"momentum": 0.6, "nesterov": True, "weight_decay": 0.2},
], ids=["plain", "momentum", "nesterov", "decay", "all"])
def test_sgd_follows_its_rule(kwargs):
    _run(lambda m: nm.SGD(m, lr=0.05, **kwargs),
         _sgd(0.05, kwargs.get("momentum", 0.0), kwargs.get("nesterov", False),
              kwargs.get("weight_decay", 0.0)))


def test_sgd_keeps_its_momentum_buffer_only_with_momentum():
    opt = _run(lambda m: nm.SGD(m, lr=0.1), _sgd(0.1))
    assert opt.state == {"a": {}, "b": {}}
    opt = _run(lambda m: nm.SGD(m, lr=0.1, momentum=0.5), _sgd(0.1, 0.5))
    assert set(opt.state["a"]) == {"momentum_buffer"}


def test_sgd_repr_and_errors():
    model = _Model(np.random.default_rng(0))
    assert repr(nm.SGD(model, lr=0.1)) == "SGD(lr=0.1)"
    assert repr(nm.SGD(model, lr=0.1, momentum=0.5, nesterov=True)) == \
        "SGD(lr=0.1, momentum=0.5, nesterov=True)"
    with pytest.raises(TypeError) as info:
        nm.SGD(model, lr=0.1, momentum=0.5, nesterov=1)
    assert str(info.value) == "SGD: nesterov must be True or False, got 1"
    with pytest.raises(ValueError) as info:
        nm.SGD(model, lr=0.1, nesterov=True)
    assert str(info.value) == "SGD: nesterov=True needs momentum > 0, got momentum=0.0"
    with pytest.raises(ValueError, match=r"^SGD: momentum must be finite and in \[0, 1\)"):
        nm.SGD(model, lr=0.1, momentum=1.0)
    assert nm.SGD(model, lr=0.1, momentum=0.0).momentum == 0.0


@pytest.mark.parametrize("wd", [0.0, 0.25])
def test_adam_follows_its_rule(wd):
    _run(lambda m: nm.Adam(m, lr=0.02, betas=(0.8, 0.95), eps=1e-3, weight_decay=wd),
         _adam(0.02, 0.8, 0.95, 1e-3, wd))


def test_adamw_decays_before_the_adam_step():
    _run(lambda m: nm.AdamW(m, lr=0.02, betas=(0.7, 0.9), eps=1e-4, weight_decay=0.4),
         _adam(0.02, 0.7, 0.9, 1e-4, 0.4, decoupled=True))


def test_adam_defaults_are_pytorchs():
    model = _Model(np.random.default_rng(0))
    adam, adamw = nm.Adam(model), nm.AdamW(model)
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)
    assert (adamw.lr, adamw.betas, adamw.eps, adamw.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.01)
    _run(lambda m: nm.Adam(m), _adam(1e-3, 0.9, 0.999, 1e-8))
    _run(lambda m: nm.AdamW(m), _adam(1e-3, 0.9, 0.999, 1e-8, 0.01, decoupled=True))


@pytest.mark.parametrize("betas, message", [
    ("ab", "Adam: betas must be a pair (beta1, beta2), got 'ab'"),
    (0.9, "Adam: betas must be a pair (beta1, beta2), got 0.9"),
    ((0.9, 0.99, 0.9), "Adam: betas must be a pair (beta1, beta2), got (0.9, 0.99, 0.9)"),
])
def test_adam_betas_must_be_a_pair(betas, message):
    with pytest.raises(TypeError) as info:
        nm.Adam(_Model(np.random.default_rng(0)), betas=betas)
    assert str(info.value) == message


@pytest.mark.parametrize("kwargs, message", [
    ({"betas": (1.0, 0.9)}, r"^Adam: betas\[0\] must be finite and in \[0, 1\)"),
    ({"betas": (0.9, -0.1)}, r"^Adam: betas\[1\] must be finite and in \[0, 1\)"),
    ({"eps": 0.0}, r"^Adam: eps must be finite and > 0"),
    ({"weight_decay": -1.0}, r"^Adam: weight_decay must be finite and >= 0"),
])
def test_adam_hyperparameters_are_checked(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nm.Adam(_Model(np.random.default_rng(0)), **kwargs)
    assert nm.Adam(_Model(np.random.default_rng(0)), betas=(0.0, 0.0)).betas == (0.0, 0.0)
