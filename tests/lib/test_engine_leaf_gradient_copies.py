"""A leaf whose gradient an addition hands on unchanged still owns a private copy of it.

When the array an operation node keeps as its ``.grad`` owns its data (an
explicit upstream, or a product's fresh array), ``a + b`` passes that very
array to both leaves; each leaf's ``.grad`` must share no memory with it or
with the other leaf's. Checked with ``np.shares_memory`` and by writing into
one gradient; values against the closed form (the upstream, times 3).
"""

import numpy as np
import pytest

from nnmath.autodiff import Tensor, topological_order


def _explicit_upstream(a, b, G):
    out = a + b
    out.backward(G)
    return out, G


def _through_a_product(a, b, G):
    out = ((a + b) * 3.0).sum()
    out.backward()
    return out, np.full(a.shape, 3.0)


@pytest.mark.parametrize("run", [_explicit_upstream, _through_a_product],
                         ids=["explicit upstream", "product"])
def test_leaves_of_an_addition_get_private_gradients(run):
    rng = np.random.default_rng(5)
    a, b = Tensor(rng.standard_normal((2, 3))), Tensor(rng.standard_normal((2, 3)))
    out, expected = run(a, b, rng.standard_normal((2, 3)))
    nodes = [n for n in topological_order(out) if n._backward is not None]
    for leaf in (a, b):
        np.testing.assert_array_equal(leaf.grad, expected)
        assert leaf.grad.flags.writeable and leaf.grad.flags.owndata
        assert not any(np.shares_memory(leaf.grad, n.grad) for n in nodes)
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[...] = 0.0  # writing into one gradient leaves the other unchanged
    np.testing.assert_array_equal(b.grad, expected)
