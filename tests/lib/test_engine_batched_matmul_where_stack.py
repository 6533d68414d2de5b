"""The engine's sequence primitives ``batched_matmul``, ``where`` and ``stack``: the shapes
they refuse and the errors they give, their defaults, and gradients with 0/1 masks that
are not boolean, checked against ``np.where`` and ``np.stack``. (Products of a matrix
with a stack, against a loop: test_engine_matmul_operand_shapes.py.)"""

import numpy as np
import pytest

import nnmath.autodiff as ad
from nnmath.autodiff import Tensor, batched_matmul, stack, where


@pytest.mark.parametrize("shape_a, shape_b", [((3,), (2, 3, 4)), ((2, 4, 3), (3,))],
                         ids=["vector-left", "vector-right"])
def test_a_vector_operand_is_rejected_even_when_the_inner_sizes_match(shape_a, shape_b):
    with pytest.raises(ValueError, match=r"batched_matmul: cannot multiply shapes .*"
                                         r"both need >= 2 axes"):
        batched_matmul(np.ones(shape_a), np.ones(shape_b))


def test_leading_axes_that_do_not_broadcast_are_named_in_the_error():
    with pytest.raises(ValueError) as info:
        batched_matmul(np.ones((2, 3, 4)), np.ones((5, 4, 2)))
    assert str(info.value) == ("batched_matmul: leading axes of (2, 3, 4) and (5, 4, 2) "
                               "do not broadcast")


@pytest.mark.parametrize("mask", [np.array([[1, 0, 2], [0, 3, 0]]),
                                  np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]])],
                         ids=["int", "float"])
def test_where_treats_a_numeric_mask_as_nonzero_is_true(mask):
    rng = np.random.default_rng(1)
    a, b = Tensor(rng.normal(size=(2, 3))), Tensor(rng.normal(size=(2, 3)))
    Y = where(mask, a, b)
    G = rng.normal(size=(2, 3))
    Y.backward(G)
    for i in range(2):
        for j in range(3):
            chosen = mask[i, j] != 0
            assert Y.data[i, j] == (a.data[i, j] if chosen else b.data[i, j])
            assert a.grad[i, j] == (G[i, j] if chosen else 0.0)
            assert b.grad[i, j] == (0.0 if chosen else G[i, j])


def test_stack_joins_along_a_new_first_axis_by_default():
    rng = np.random.default_rng(2)
    parts = [Tensor(rng.normal(size=(2, 3))) for _ in range(4)]
    Y = stack(parts)
    assert Y.shape == (4, 2, 3)
    for k, p in enumerate(parts):
        np.testing.assert_array_equal(Y.data[k], p.data)
    G = rng.normal(size=(4, 2, 3))
    Y.backward(G)
    for k, p in enumerate(parts):
        np.testing.assert_array_equal(p.grad, G[k])


def test_stack_error_messages():
    with pytest.raises(ValueError) as info:
        stack([])
    assert str(info.value) == "stack: needs at least one tensor"
    with pytest.raises(ValueError) as info:
        stack([np.ones((2, 3)), np.ones((3, 2))])
    assert str(info.value) == "stack: tensors must have one shape, got [(2, 3), (3, 2)]"


@pytest.mark.parametrize("module", [ad.sequence, ad.gpt], ids=["sequence", "gpt"])
def test_a_missing_module_attribute_is_named_in_the_error(module):
    with pytest.raises(AttributeError) as info:
        module.no_such_function  # noqa: B018
    assert str(info.value) == f"module {module.__name__!r} has no attribute 'no_such_function'"
