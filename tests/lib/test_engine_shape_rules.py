"""The engine's shape rules (unbroadcast, first maximum, axes) and its operand errors, exactly.

Independent routes: ``unbroadcast`` against a loop that adds every entry of
the gradient onto the operand entry it was copied from (NumPy's broadcasting
rule written out); ``_first_true`` against a loop over the groups in C order;
the error texts compared word for word.
"""

import itertools

import numpy as np
import pytest

from nnmath.autodiff import Tensor
from nnmath.autodiff.shapes import _first_true, _normalize_axes, unbroadcast


def _unbroadcast_loops(grad, shape):
    out = np.zeros(shape)
    extra = grad.ndim - len(shape)
    for index in itertools.product(*map(range, grad.shape)):
        src = tuple(0 if n == 1 else i for i, n in zip(index[extra:], shape))
        out[src] += grad[index]
    return out


@pytest.mark.parametrize("shape", [(3, 1), (1, 4), (4,), (2, 1, 1), (), (2, 3, 4), (1, 1, 4)])
def test_unbroadcast_adds_every_copy_back(shape):
    grad = np.random.default_rng(0).standard_normal((2, 3, 4))
    got = unbroadcast(grad, shape)
    assert got.shape == shape
    np.testing.assert_allclose(got, _unbroadcast_loops(grad, shape), rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("shape", [(2, 3, 4, 1), (3,), (2, 2, 4)])
def test_unbroadcast_refuses_a_shape_that_does_not_broadcast(shape):
    with pytest.raises(ValueError) as info:
        unbroadcast(np.ones((2, 3, 4)), shape)
    assert str(info.value) == (f"unbroadcast: a gradient of shape (2, 3, 4) cannot come from "
                               f"broadcasting an operand of shape {shape}")


@pytest.mark.parametrize("axes", [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1, 2)])
def test_first_true_keeps_the_first_of_each_group_in_c_order(axes):
    mask = np.random.default_rng(1).random((3, 4, 5)) < 0.5
    mask[0] = True
    expected = np.zeros_like(mask)
    kept = [a for a in range(3) if a not in axes]
    for outer in itertools.product(*(range(mask.shape[a]) for a in kept)):
        for inner in itertools.product(*(range(mask.shape[a]) for a in axes)):
            index = [0] * 3
            for a, i in zip(kept, outer):
                index[a] = i
            for a, i in zip(axes, inner):
                index[a] = i
            if mask[tuple(index)]:
                expected[tuple(index)] = True
                break
    np.testing.assert_array_equal(_first_true(mask, axes), expected)


def test_axes_are_normalised_sorted_and_checked():
    assert _normalize_axes(None, 3, "sum") == (0, 1, 2)
    assert _normalize_axes(-1, 3, "sum") == (2,)
    assert _normalize_axes((2, -3), 3, "max") == (0, 2)
    assert _normalize_axes(-3, 3, "sum") == (0,)
    for bad in (3, -4):
        with pytest.raises(ValueError) as info:
            _normalize_axes(bad, 3, "sum")
        assert str(info.value) == f"Tensor.sum: axis {bad} is out of range for 3 dimensions"


@pytest.mark.parametrize("call, error, message", [
    (lambda: Tensor(np.array([1 + 2j])), TypeError,
     "Tensor: cannot convert ndarray to a float64 array (complex values are not supported)"),
    (lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((4,))), ValueError,
     "Tensor +: operands of shapes (2, 3) and (4,) do not broadcast together"),
    (lambda: Tensor(np.ones((2, 3))) @ Tensor(np.ones((2, 3))), ValueError,
     "Tensor @: cannot multiply shapes (2, 3) and (2, 3); operands must be 1-D or 2-D, or both "
     "batches of matrices, with matching inner dimensions"),
    (lambda: Tensor(np.ones((2, 3))).transpose(0, 0), ValueError,
     "Tensor.transpose: axes (0, 0) are not a permutation of the 2 axes of a tensor of shape (2, 3)"),
    (lambda: Tensor(np.ones((2, 3))).reshape(4, 2), ValueError,
     "Tensor.reshape: cannot reshape a tensor of shape (2, 3) (6 entries) into (4, 2)"),
    (lambda: Tensor(np.array([1.0, -2.0])).log(), ValueError,
     "Tensor.log: input must be positive, got minimum -2"),
    (lambda: Tensor(np.ones(2), requires_grad=False).sum().backward(), ValueError,
     "Tensor.backward: this tensor is a constant; no gradient flows"),
    (lambda: Tensor(np.ones(2), requires_grad=True).backward(), ValueError,
     "Tensor.backward: an output of shape (2,) needs an explicit upstream gradient of that shape"),
    (lambda: Tensor(np.ones(2), requires_grad=True).backward(np.ones(3)), ValueError,
     "Tensor.backward: upstream gradient of shape (3,) does not match the output's shape (2,)"),
])
def test_operand_errors_are_exact(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_transpose_defaults_to_reversed_axes_and_takes_a_tuple():
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(Tensor(x).transpose().data, x.transpose(2, 1, 0))
    np.testing.assert_array_equal(Tensor(x).transpose((1, 0, 2)).data, x.transpose(1, 0, 2))
    np.testing.assert_array_equal(Tensor(x).transpose(-1, 0, 1).data, x.transpose(2, 0, 1))
