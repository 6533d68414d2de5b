"""SelfAttention's options reach the kernels that implement them: the causal mask is
boolean, and block_size goes to the block (flash) kernels, forward and backward."""

import numpy as np
import pytest

import nnmath as nm
import nnmath.attention as attention_module
from nnmath.attention import causal_mask


def test_the_causal_mask_is_boolean_lower_triangular():
    mask = causal_mask(4)
    assert mask.dtype == bool
    np.testing.assert_array_equal(mask, np.tril(np.ones((4, 4))) == 1)


@pytest.mark.parametrize("rope", [False, True])
def test_block_size_reaches_the_block_kernels(monkeypatch, rope):
    seen = []

    def spy(kernel):
        def wrapper(*args, **kwargs):
            seen.append((kernel.__name__, kwargs.get("block_size")))
            return kernel(*args, **kwargs)
        return wrapper

    for name in ("block_attention_forward", "block_attention_grads"):
        monkeypatch.setattr(attention_module, name, spy(getattr(attention_module, name)))
    rng = np.random.default_rng(2)
    layer = nm.SelfAttention(8, n_heads=2, causal=True, block_size=3, rope=rope, rng=rng)
    X = rng.standard_normal((2, 7, 8))
    layer.backward(np.ones_like(layer.forward(X)))
    assert seen == [("block_attention_forward", 3), ("block_attention_grads", 3)]
