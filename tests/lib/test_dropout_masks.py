"""Dropout's masks, scale and backward, against the mask drawn again by hand.

Independent route: a generator of the same seed draws ``u ~ U[0, 1)`` of the
input's shape; an entry is kept when ``u ≥ p`` and then multiplied by
``1/(1 − p)``. The backward pass must apply the very same mask and scale.
"""

import numpy as np
import pytest

import nnmath as nm


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_forward_and_backward_use_the_mask_drawn_from_the_rng(dtype):
    p, shape = 0.3, (4, 5)
    X = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    keep = np.random.default_rng(7).random(shape) >= p
    drop = nm.Dropout(p, rng=np.random.default_rng(7))
    Y = drop.forward(X)
    np.testing.assert_allclose(Y, np.where(keep, X / (1 - p), 0), rtol=1e-6)
    dY = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    dX = drop.backward(dY)
    np.testing.assert_allclose(dX, np.where(keep, dY / (1 - p), 0), rtol=1e-6)
    assert Y.dtype == dX.dtype == dtype


def test_p_zero_keeps_everything_and_eval_is_the_identity_both_ways():
    X = np.arange(6.0).reshape(2, 3)
    drop = nm.Dropout(0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(drop.forward(X), X)
    np.testing.assert_array_equal(drop.backward(X + 1), X + 1)
    drop = nm.Dropout(0.9, rng=np.random.default_rng(0)).eval()
    np.testing.assert_array_equal(drop.forward(X), X)
    np.testing.assert_array_equal(drop.backward(X + 1), X + 1)


def test_the_mask_is_fresh_at_every_training_pass_and_repr():
    drop = nm.Dropout(0.5, rng=np.random.default_rng(3))
    X = np.ones((1, 50))
    assert not np.array_equal(drop.forward(X), drop.forward(X))
    assert repr(drop) == "Dropout(p=0.5)"
    assert nm.Dropout(1e-3, rng=np.random.default_rng(0)).p == 1e-3


@pytest.mark.parametrize("p", [1.0, -0.5, np.nan, np.inf])
def test_p_out_of_range_is_named_exactly(p):
    with pytest.raises(ValueError) as info:
        nm.Dropout(p, rng=np.random.default_rng(0))
    assert str(info.value) == (f"Dropout: p must be in [0, 1), got {p!r} "
                               f"(p = 1 would drop everything and divide by 0)")


def test_p_that_is_no_real_number_is_named_exactly():
    with pytest.raises(TypeError) as info:
        nm.Dropout("0.5", rng=np.random.default_rng(0))
    assert str(info.value) == "Dropout: p must be a real number, got '0.5'"
