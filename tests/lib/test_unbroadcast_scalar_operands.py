"""``unbroadcast`` returns an ndarray of the operand's shape, also for a 0-d operand.

The sum is compared with a hand-written loop over the gradient's entries, and
the type with ``np.ndarray`` (a NumPy scalar would be read-only); through the
engine, a 0-d leaf multiplied into an array gets a writable 0-d ndarray ``.grad``
equal to the plain sum of upstream times factor.
"""

import itertools

import numpy as np
import pytest

from nnmath.autodiff import Tensor, unbroadcast


def _sum_back_by_loops(grad, shape):
    out = np.zeros(shape)
    extra = grad.ndim - len(shape)
    for index in itertools.product(*map(range, grad.shape)):
        out[tuple(0 if n == 1 else i for i, n in zip(index[extra:], shape))] += grad[index]
    return out


@pytest.mark.parametrize("shape", [(), (1,), (1, 1), (3,), (1, 3), (2, 1)], ids=str)
def test_unbroadcast_returns_an_array_of_the_operand_shape(shape):
    grad = np.random.default_rng(7).standard_normal((4, 2, 3) if shape != (2, 1) else (4, 2, 5))
    got = unbroadcast(grad, shape)
    assert type(got) is np.ndarray and got.shape == shape
    np.testing.assert_allclose(got, _sum_back_by_loops(grad, shape), rtol=1e-13, atol=1e-13)


def test_a_scalar_leaf_broadcast_in_a_product_gets_a_writable_array_gradient():
    rng = np.random.default_rng(8)
    x, M, G = Tensor(1.5), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    (x * M).backward(G)
    assert type(x.grad) is np.ndarray and x.grad.shape == ()
    assert x.grad.flags.writeable
    np.testing.assert_allclose(x.grad, sum(g * m for g, m in zip(G.flat, M.flat)), rtol=1e-13)
