"""nnmath.clipping.clip_grad_norm against closed forms."""

import numpy as np
import pytest

from nnmath.clipping import clip_grad_norm, global_grad_norm


def test_global_norm_is_the_norm_of_the_concatenation():
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    expected = np.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    assert global_grad_norm(grads) == pytest.approx(expected, rel=1e-12)
    assert global_grad_norm([]) == 0.0


def test_clipping_caps_the_norm_and_keeps_the_direction():
    rng = np.random.default_rng(1)
    grads = [rng.standard_normal((3, 4)) * 10, rng.standard_normal(5) * 10]
    before = [g.copy() for g in grads]
    norm = clip_grad_norm(grads, 2.0)
    assert norm == pytest.approx(global_grad_norm(before), rel=1e-12)
    assert global_grad_norm(grads) == pytest.approx(2.0, rel=1e-12)
    for g, g0 in zip(grads, before):  # same factor 2/norm on every array
        np.testing.assert_allclose(g, g0 * (2.0 / norm), rtol=1e-12)


def test_small_gradients_are_left_alone():
    grads = [np.array([0.3, 0.4])]
    assert clip_grad_norm(grads, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads[0], [0.3, 0.4])


def test_bad_input_raises():
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([np.ones(2)], 0.0)
    with pytest.raises(ValueError, match="max_norm"):
        clip_grad_norm([np.ones(2)], float("inf"))
    with pytest.raises(TypeError, match="list"):
        clip_grad_norm(np.ones(2), 1.0)
    with pytest.raises(TypeError, match="floating"):
        clip_grad_norm([np.ones(2, dtype=int)], 1.0)
    with pytest.raises(ValueError, match="nan or inf"):
        clip_grad_norm([np.array([np.inf, 1.0])], 1.0)
