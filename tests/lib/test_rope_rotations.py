"""RoPE against its rotation matrices written out entry by entry.

Independent route: for each position ``t`` the orthogonal matrix ``R_t`` of
the module docstring is built in a loop (plane ``i`` pairs columns ``i`` and
``i + m``, angle ``t · base^(−i/m)`` computed with ``math``); ``rope`` must be
``x ↦ R_t x`` row by row and ``rope_grad_X`` its transpose ``δ ↦ R_tᵀ δ``.
"""

import math

import numpy as np
import pytest

from nnmath.rope import rope, rope_angles, rope_grad_X


def _rotation(t, d, base):
    m = d // 2
    R = np.zeros((d, d))
    for i in range(m):
        a = t * base ** (-i / m)
        R[i, i], R[i, i + m] = math.cos(a), -math.sin(a)
        R[i + m, i], R[i + m, i + m] = math.sin(a), math.cos(a)
    return R


@pytest.mark.parametrize("base", [10000.0, 7.0])
def test_angles_rope_and_its_gradient_are_the_rotations(base):
    T, d = 5, 6
    cos, sin = rope_angles(T, d) if base == 10000.0 else rope_angles(T, d, base=base)
    assert cos.shape == sin.shape == (T, d // 2)
    X = np.random.default_rng(0).standard_normal((2, T, d))
    Y, dX = rope(X, cos, sin), rope_grad_X(X, cos, sin)
    for t in range(T):
        R = _rotation(t, d, base)
        np.testing.assert_allclose(Y[:, t], X[:, t] @ R.T, rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(dX[:, t], X[:, t] @ R, rtol=1e-12, atol=1e-13)


def test_position_zero_is_the_identity_and_the_angles_of_plane_zero_are_t():
    cos, sin = rope_angles(4, 8)
    np.testing.assert_allclose(np.arccos(cos[:, 0].clip(-1, 1))[:2], [0.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(sin[:, 0], np.sin(np.arange(4)), atol=1e-15)
    X = np.random.default_rng(1).standard_normal((1, 8))
    np.testing.assert_array_equal(rope(X, cos[:1], sin[:1]), X)


@pytest.mark.parametrize("args, error, message", [
    ((4, 5), ValueError, r"rope_angles: d_head must be even \(two columns a plane\), got 5"),
    ((4, 0), ValueError, "rope_angles: d_head must be positive, got 0"),
    ((4, 4.0), TypeError, "rope_angles: d_head must be an integer, got 4.0"),
    ((0, 4), ValueError, "rope_angles: T must be positive, got 0"),
])
def test_rope_angles_rejects_bad_sizes(args, error, message):
    with pytest.raises(error, match=message):
        rope_angles(*args)
