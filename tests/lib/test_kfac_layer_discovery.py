"""Which Linear layers K-FAC preconditions, and its refusals when taps or factors are missing.

Independent route: the documented contract — every Linear whose W and b the model lists
(a layer the model does not list is left alone), exact messages.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.module import Module
from nnmath.optim import KFAC


class _FirstFrozen(Module):
    """Two Linear layers in a row; only the second one's parameters are listed."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def forward(self, X):
        return self.b.forward(self.a.forward(X))

    def backward(self, dY):
        return self.a.backward(self.b.backward(dY))

    def children(self):
        return [self.a, self.b]

    def parameters(self):
        return [(f"b.{n}", p, g) for n, p, g in self.b.parameters()]


def test_a_linear_layer_the_model_does_not_list_is_left_alone():
    rng = np.random.default_rng(0)
    model = _FirstFrozen(nm.Linear(3, 4, rng=rng), nm.Linear(4, 2, rng=rng))
    W_a, W_b = model.a.W.copy(), model.b.W.copy()
    opt = KFAC(model, lr=0.1, fisher="empirical")
    X = rng.standard_normal((5, 3))
    model.forward(X)
    model.backward(np.ones((5, 2)))
    opt.step()
    assert list(opt.factors) == ["b.W"]
    np.testing.assert_array_equal(model.a.W, W_a)
    assert not np.array_equal(model.b.W, W_b)


def _net(rng):
    return nm.Sequential(nm.Linear(3, 4, rng=rng), nm.Tanh(), nm.Linear(4, 2, rng=rng))


def test_a_backward_without_a_recorded_forward_is_refused():
    rng = np.random.default_rng(1)
    model, X = _net(rng), rng.standard_normal((4, 3))
    model.forward(X)                                  # before the optimiser's taps exist
    opt = KFAC(model, lr=0.1, fisher="empirical")
    model.backward(np.ones((4, 2)))                   # the taps see only this backward
    with pytest.raises(RuntimeError) as info:
        opt.step()
    assert str(info.value) == ("KFAC.step: layer '0.W' has no recorded forward and backward; "
                               "call model.forward and model.backward before step")


def test_a_step_between_refreshes_needs_the_factors_of_every_layer():
    rng = np.random.default_rng(2)
    model, X = _net(rng), rng.standard_normal((4, 3))
    opt = KFAC(model, lr=0.1, update_every=2, fisher="empirical")
    for _ in range(2):
        model.forward(X)
        model.backward(np.ones((4, 2)))
        if opt.steps == 1:
            opt.factors.clear()                       # as if the layers had changed
            with pytest.raises(ValueError) as info:
                opt.step()
            assert str(info.value) == ("KFAC.step: layer '0.W' has no factors: the model "
                                       "changed")
        else:
            opt.step()


class _Plain:
    """Not a Module: only the parameters() the Optimizer base asks for, no children()."""

    def __init__(self):
        self.w, self.g = np.array([1.0, -2.0]), np.array([0.5, 0.25])

    def parameters(self):
        return [("w", self.w, self.g)]


def test_a_model_without_children_has_no_linear_layer_and_takes_the_sgd_step():
    model = _Plain()
    opt = KFAC(model, lr=0.1, fisher="empirical")
    opt.step()
    assert opt.factors == {}
    np.testing.assert_allclose(model.w, [1.0 - 0.05, -2.0 - 0.025], rtol=1e-15)


class _Aliased(_FirstFrozen):
    """Lists its first layer twice (an alias), then the second: each is found once."""

    def children(self):
        return [self.a, self.a, self.b]

    def parameters(self):
        return ([(f"a.{n}", p, g) for n, p, g in self.a.parameters()]
                + [(f"b.{n}", p, g) for n, p, g in self.b.parameters()])


def test_a_module_listed_twice_is_walked_once_and_the_walk_goes_on():
    rng = np.random.default_rng(3)
    model = _Aliased(nm.Linear(3, 4, rng=rng), nm.Linear(4, 2, rng=rng))
    opt = KFAC(model, lr=0.1, fisher="empirical")
    model.forward(rng.standard_normal((5, 3)))
    model.backward(np.ones((5, 2)))
    opt.step()
    assert sorted(opt.factors) == ["a.W", "b.W"]
    assert len(model.a.hooks) == len(model.b.hooks) == 1
