"""K-FAC's extra backward pass of sampled labels (true Fisher) asks the model for its parameter
gradients only (``input_grad=False``), once per factor update.

Independent route: a Sequential that counts the calls of its ``parameter_grads`` (the
skip-the-input-gradient path of the Module protocol), against the update steps counted by hand.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import KFAC


class _CountingSequential(nm.Sequential):
    skipped = 0

    def parameter_grads(self, dY):
        self.skipped += 1
        return super().parameter_grads(dY)


@pytest.mark.parametrize("update_every, expected", [(1, 4), (2, 2), (3, 2)])
def test_the_sampled_backward_runs_without_the_input_gradient_on_update_steps(update_every,
                                                                              expected):
    rng = np.random.default_rng(3)
    model = _CountingSequential(nm.Linear(3, 5, rng=rng), nm.Tanh(), nm.Linear(5, 4, rng=rng))
    loss = nm.SoftmaxCrossEntropy()
    X, y = rng.standard_normal((8, 3)), rng.integers(0, 4, 8)
    opt = KFAC(model, lr=0.05, update_every=update_every)
    for _ in range(4):                                   # update steps: 0, update_every, ...
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())                  # the caller's pass: with dX
        opt.step()
    assert model.skipped == expected
