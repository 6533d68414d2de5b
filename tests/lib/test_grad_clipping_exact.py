"""Gradient clipping against the norm written out, and its exact error texts.

Independent route: the global norm is ``sqrt(Σ g²)`` summed by hand over the
concatenated entries; clipping must scale every array by ``τ / ‖g‖`` exactly
when ``‖g‖ > τ`` and leave them alone when ``‖g‖ ≤ τ`` (the boundary included).
"""

import math

import numpy as np
import pytest

from nnmath.clipping import clip_grad_norm, global_grad_norm


def _norm(grads):
    return math.sqrt(sum(float(x) ** 2 for g in grads for x in np.ravel(g)))


def test_global_norm_of_several_arrays_and_of_none():
    grads = [np.array([1.0, -2.0]), np.array([[2.0], [4.0]]), np.array(0.5)]
    assert global_grad_norm(grads) == pytest.approx(_norm(grads), rel=1e-15)
    assert global_grad_norm([]) == 0.0
    assert global_grad_norm(iter([np.array([3.0, 4.0])])) == 5.0


def test_clipping_scales_every_array_by_the_same_factor():
    grads = [np.array([3.0, 0.0]), np.array([[0.0, 4.0]])]
    before = [g.copy() for g in grads]
    assert clip_grad_norm(grads, 2.5) == 5.0
    for g, b in zip(grads, before):
        np.testing.assert_allclose(g, b * 0.5, rtol=1e-15)
    assert _norm(grads) == pytest.approx(2.5, rel=1e-15)


def test_a_norm_equal_to_the_threshold_is_left_alone():
    grads = [np.array([3.0, 4.0])]
    assert clip_grad_norm(grads, 5) == 5.0
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])
    assert clip_grad_norm(grads, np.float32(6.0)) == 5.0
    np.testing.assert_array_equal(grads[0], [3.0, 4.0])


@pytest.mark.parametrize("max_norm, error, message", [
    (True, TypeError, "clip_grad_norm: max_norm must be a real number, got True"),
    ("1", TypeError, "clip_grad_norm: max_norm must be a real number, got '1'"),
    (0.0, ValueError, "clip_grad_norm: max_norm must be positive and finite, got 0.0"),
    (-1, ValueError, "clip_grad_norm: max_norm must be positive and finite, got -1"),
    (math.inf, ValueError, "clip_grad_norm: max_norm must be positive and finite, got inf"),
])
def test_bad_thresholds_are_named(max_norm, error, message):
    with pytest.raises(error) as info:
        clip_grad_norm([np.ones(2)], max_norm)
    assert str(info.value) == message


def test_bad_gradients_are_named():
    with pytest.raises(TypeError) as info:
        clip_grad_norm(np.ones(2), 1.0)
    assert str(info.value) == ("clip_grad_norm: pass a list of gradient arrays, not a single "
                               "array (wrap it: [g])")
    with pytest.raises(TypeError) as info:
        global_grad_norm([np.ones(2), np.ones(2, dtype=int)])
    assert str(info.value) == "global_grad_norm: gradient 1 must be a floating-point ndarray, got ndarray of dtype int64"
    with pytest.raises(TypeError) as info:
        global_grad_norm([[1.0]])
    assert str(info.value) == "global_grad_norm: gradient 0 must be a floating-point ndarray, got list"
    with pytest.raises(ValueError) as info:
        clip_grad_norm([np.array([1.0, np.nan])], 1.0)
    assert str(info.value) == "clip_grad_norm: the gradients contain nan or inf (norm nan)"
