"""Which operand shapes ``Tensor @`` accepts: a matrix times a stack of matrices (either side)
is a batched product (the same as ``batched_matmul``), a vector times a stack is refused with the exact message.

Values and gradients of the batched products are compared with a loop over the
batch entries, each a plain 2-D NumPy product; ``_shaped`` (the product's reshaping
helper) is checked to return its very input when the shape already fits.
"""

import re

import numpy as np
import pytest

from nnmath.autodiff import Tensor, batched_matmul
from nnmath.autodiff.shapes import _shaped


def _loop_product_and_grads(A, B, G):
    """Y[k] = A[k] B[k] with a 2-D operand shared by every k; the gradients of sum(G * Y)."""
    K = G.shape[0]
    Ak = (lambda k: A[k]) if A.ndim == 3 else (lambda k: A)
    Bk = (lambda k: B[k]) if B.ndim == 3 else (lambda k: B)
    Y = np.stack([Ak(k) @ Bk(k) for k in range(K)])
    dA = np.zeros_like(A)
    dB = np.zeros_like(B)
    for k in range(K):
        gA, gB = G[k] @ Bk(k).T, Ak(k).T @ G[k]
        if A.ndim == 3:
            dA[k] += gA
        else:
            dA += gA
        if B.ndim == 3:
            dB[k] += gB
        else:
            dB += gB
    return Y, dA, dB


@pytest.mark.parametrize("product", [lambda a, b: a @ b, batched_matmul],
                         ids=["Tensor @", "batched_matmul"])
@pytest.mark.parametrize("shape_a, shape_b", [((2, 3), (4, 3, 5)), ((4, 2, 3), (3, 5))],
                         ids=["matrix @ stack", "stack @ matrix"])
def test_a_matrix_times_a_stack_is_a_batched_product(shape_a, shape_b, product):
    rng = np.random.default_rng(11)
    A, B = rng.standard_normal(shape_a), rng.standard_normal(shape_b)
    a, b = Tensor(A), Tensor(B)
    Y = product(a, b)
    G = rng.standard_normal(Y.shape)
    Y.backward(G)
    want_Y, want_dA, want_dB = _loop_product_and_grads(A, B, G)
    assert Y.shape == (4, 2, 5)
    np.testing.assert_allclose(Y.data, want_Y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.grad, want_dA, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.grad, want_dB, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape_a, shape_b", [((3,), (2, 3, 4)), ((2, 4, 3), (3,))], ids=str)
def test_a_vector_times_a_stack_is_refused(shape_a, shape_b):
    message = (f"Tensor @: cannot multiply shapes {shape_a} and {shape_b}; operands must be "
               f"1-D or 2-D, or both batches of matrices, with matching inner dimensions")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        Tensor(np.ones(shape_a)) @ Tensor(np.ones(shape_b))


def test_shaped_returns_its_input_when_the_shape_fits():
    x = np.random.default_rng(12).standard_normal((2, 3))
    assert _shaped(x, (2, 3)) is x
    y = _shaped(x, (6,))
    assert y.shape == (6,)
    np.testing.assert_array_equal(y, [x[i, j] for i in range(2) for j in range(3)])
