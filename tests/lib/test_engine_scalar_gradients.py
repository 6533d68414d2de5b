"""A 0-d tensor gets an ndarray gradient: the rules of single-input operations on 0-d
data produce NumPy scalars, which the backward pass turns into 0-d arrays of the
leaf's own. Values against the derivative written out by hand."""

import math

import numpy as np
import pytest

from nnmath.autodiff import Tensor

X0 = 0.7
RULES = [  # (operation, its derivative at X0)
    (lambda t: t.exp(), math.exp(X0)),
    (lambda t: t.log(), 1 / X0),
    (lambda t: t.sqrt(), 0.5 / math.sqrt(X0)),
    (lambda t: t.tanh(), 1 - math.tanh(X0) ** 2),
    (lambda t: t.sigmoid(), math.exp(-X0) / (1 + math.exp(-X0)) ** 2),
    (lambda t: t.relu(), 1.0),
    (lambda t: (t * t).exp(), 2 * X0 * math.exp(X0 * X0)),
]


@pytest.mark.parametrize("op, derivative", RULES)
def test_a_scalar_leaf_owns_a_writable_array_gradient(op, derivative):
    x = Tensor(X0)
    op(x).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()
    assert x.grad.flags.writeable
    assert abs(float(x.grad) - derivative) < 1e-12
    x.grad[()] = 0.0  # the caller may reset it in place
