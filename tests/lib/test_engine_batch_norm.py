"""The engine's BatchNorm (nnmath.autodiff.norm) against the formula written out in NumPy.

Independent route: ``(x − mean) / sqrt(var + eps)`` with the biased batch
variance per feature, over the batch for ``(N, F)`` and over batch and space
for ``(N, F, H, W)``, then ``γ x̂ + β``; the inputs have a variance near
``eps = 1e-5`` so that the default ``eps`` shows.
"""

import numpy as np

from nnmath.autodiff.norm import batch_norm


def _reference(x, gamma, beta, axes, eps=1e-5):
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_two_dimensional_batch_norm_with_the_default_eps():
    rng = np.random.default_rng(0)
    x = 3e-3 * rng.standard_normal((6, 3))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    np.testing.assert_allclose(batch_norm(x, gamma, beta).data,
                               _reference(x, gamma, beta, 0), rtol=1e-10)


def test_image_batch_norm_normalises_each_channel_over_batch_and_space():
    rng = np.random.default_rng(1)
    x = 3e-3 * rng.standard_normal((2, 3, 2, 2))
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    expected = _reference(x, gamma.reshape(1, 3, 1, 1), beta.reshape(1, 3, 1, 1), (0, 2, 3))
    np.testing.assert_allclose(batch_norm(x, gamma, beta).data, expected, rtol=1e-10)
    np.testing.assert_allclose(batch_norm(x, gamma, beta, eps=0.5).data,
                               _reference(x, gamma.reshape(1, 3, 1, 1), beta.reshape(1, 3, 1, 1),
                                          (0, 2, 3), eps=0.5), rtol=1e-10)
