"""Muon's and KFAC's load_state_dict: each refusal in full, and the dtypes restored.

Independent route: the expected messages are written out word for word (the
documented contract: name the method, the key and the problem), and a state
dict whose arrays were cast to float64 must come back in the float32 of the
model's parameters.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import KFAC, Muon


def _model():
    rng = np.random.default_rng(0)
    return nm.Sequential(nm.Linear(3, 4, rng=rng, dtype=np.float32), nm.Tanh(),
                         nm.Linear(4, 2, rng=rng, dtype=np.float32))


def _stepped(make):
    model = _model()
    opt = make(model)
    X = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    model.backward(np.ones_like(model.forward(X)))
    opt.step()
    return model, opt, opt.state_dict()


def _message(opt, state, error):
    with pytest.raises(error) as info:
        opt.load_state_dict(state)
    return str(info.value)


def test_muon_refusals_are_exact():
    model, opt, sd = _stepped(lambda m: Muon(m))
    who = "Muon.load_state_dict"
    assert _message(opt, [1], TypeError) == f"{who}: expected a dict from state_dict(), got list"
    assert _message(opt, sd | {"type": np.array("SGD")}, ValueError) == \
        f"{who}: the state dict is for SGD, not Muon"
    assert _message(opt, {k: v for k, v in sd.items() if k != "momentum"}, ValueError) == \
        f"{who}: missing key 'momentum'"
    for bad in (-1, 1.5):
        assert _message(opt, sd | {"step": np.array(bad)}, ValueError) == \
            f"{who}: key 'step' must be an integer >= 0, got {bad!r}"
    assert _message(opt, sd | {"extra/0.W": np.zeros(2)}, ValueError) == \
        f"{who}: unexpected key 'extra/0.W' (another optimiser or model?)"
    assert _message(opt, sd | {"momentum": np.array(1.5)}, ValueError).startswith(
        f"{who}: Muon: momentum must be finite and in [0, 1)")


def test_muon_restores_a_fresh_state_and_the_parameter_dtype():
    model, opt, sd = _stepped(lambda m: Muon(m))
    fresh = Muon(model)
    fresh.load_state_dict({k: v for k, v in sd.items() if "/" not in k or k.startswith("shape/")}
                          | {"step": np.array(0)})
    assert fresh.steps == 0 and fresh.state == {}
    wide = {k: (v.astype(np.float64) if "/" in k and not k.startswith("shape/") else v)
            for k, v in sd.items()}
    fresh.load_state_dict(wide)
    assert fresh.steps == 1
    assert fresh.state["0.W"]["momentum_buffer"].dtype == np.float32
    assert fresh.state["0.b"]["exp_avg"].dtype == np.float32


def test_kfac_refusals_are_exact():
    model, opt, sd = _stepped(lambda m: KFAC(m, lr=0.1, fisher="empirical"))
    who = "KFAC.load_state_dict"
    assert _message(opt, [1], TypeError) == f"{who}: expected a dict from state_dict(), got list"
    assert _message(opt, sd | {"type": np.array("SGD")}, ValueError) == \
        f"{who}: the state dict is for SGD, not KFAC"
    assert _message(opt, {k: v for k, v in sd.items() if k != "type"}, ValueError) == \
        f"{who}: missing key 'type'"
    no_step = {k: v for k, v in sd.items() if k != "step" and k.partition("/")[0]
               not in ("A", "G", "A_inv", "G_inv")}
    assert _message(opt, no_step, ValueError) == f"{who}: missing key 'step'"
    assert _message(opt, sd | {"A/0.W": np.eye(3)}, ValueError) == \
        f"{who}: key 'A/0.W' has shape (3, 3), layer '0.W' needs (4, 4)"
    assert _message(opt, {k: v for k, v in sd.items() if k != "G/2.W"}, ValueError) == \
        f"{who}: missing key 'G/2.W' (another model?)"


def test_kfac_restores_the_factors_in_the_parameter_dtype():
    model, opt, sd = _stepped(lambda m: KFAC(m, lr=0.1, fisher="empirical"))
    fresh = KFAC(model, lr=0.1, fisher="empirical")
    fresh.load_state_dict({k: (v.astype(np.float64) if k.startswith(("A", "G")) else v)
                           for k, v in sd.items()})
    for key in ("A", "G", "A_inv", "G_inv"):
        assert fresh.factors["0.W"][key].dtype == np.float32
        np.testing.assert_allclose(fresh.factors["0.W"][key], sd[f"{key}/0.W"], rtol=1e-6)


def test_kfac_names_the_type_before_looking_for_factors():
    model, _, sgd_state = _stepped(lambda m: nm.SGD(m, lr=0.1))
    opt = KFAC(model, lr=0.1, fisher="empirical")
    assert _message(opt, sgd_state, ValueError) == \
        "KFAC.load_state_dict: the state dict is for SGD, not KFAC"
