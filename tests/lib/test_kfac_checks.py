"""KFAC's refusals word for word: its hyperparameters, and a step without a matching batch.

Independent route: the documented contract, written out (name the optimiser,
the setting or the layer, and the problem); plus the edges of each range,
which must be accepted.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import KFAC


def _model(rng):
    return nm.Sequential(nm.Linear(3, 2, rng=rng))


@pytest.mark.parametrize("kwargs, error, message", [
    ({"damping": 0.0}, ValueError, "KFAC: damping must be finite and > 0, got 0.0"),
    ({"momentum": 1.0}, ValueError, "KFAC: momentum must be finite and in [0, 1), got 1.0"),
    ({"weight_decay": -1.0}, ValueError, "KFAC: weight_decay must be finite and >= 0, got -1.0"),
    ({"decay": 1.0}, ValueError, "KFAC: decay must be finite and in [0, 1), got 1.0"),
    ({"update_every": 0}, ValueError, "KFAC: update_every must be >= 1, got 0"),
    ({"seed": -1}, ValueError, "KFAC: seed must be >= 0, got -1"),
    ({"update_every": 1.5}, TypeError, "KFAC: update_every must be an integer, got 1.5"),
    ({"seed": True}, TypeError, "KFAC: seed must be an integer, got True"),
])
def test_hyperparameter_refusals_are_exact(kwargs, error, message):
    with pytest.raises(error) as info:
        KFAC(_model(np.random.default_rng(0)), lr=0.1, **kwargs)
    assert str(info.value) == message


def test_the_edges_of_the_ranges_and_the_defaults():
    opt = KFAC(_model(np.random.default_rng(0)), lr=0.1, decay=0.0, momentum=0.0, seed=0,
               weight_decay=0.0)
    assert (opt.decay, opt.seed) == (0.0, 0)
    opt = KFAC(_model(np.random.default_rng(0)), lr=0.1)
    assert (opt.damping, opt.momentum, opt.update_every, opt.weight_decay, opt.fisher,
            opt.decay, opt.seed) == (1e-3, 0.0, 1, 0.0, "true", 0.95, 0)


def test_a_step_needs_the_forward_and_backward_of_one_batch():
    rng = np.random.default_rng(1)
    model, X = _model(rng), rng.standard_normal((4, 3))
    model.backward(np.ones_like(model.forward(X)))   # gradients exist, taps not yet there
    opt = KFAC(model, lr=0.1, fisher="empirical")
    missing = ("KFAC.step: layer '0.W' has no recorded forward and backward; call "
               "model.forward and model.backward before step")
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == missing
    model.forward(X)                                 # a forward, no backward yet
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == missing
    model.backward(np.ones((4, 2)))
    model.forward(X[:2])
    with pytest.raises(ValueError) as info:
        opt.step()
    assert str(info.value) == ("KFAC.step: layer '0.W' saw 2 rows in its last forward but 4 in "
                               "its last backward; step right after the forward and backward of "
                               "a batch")
