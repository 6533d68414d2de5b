"""Settings that must survive the conversion to engine Tensors, and RMSNorm's and logdet's checks.

Independent route: a module with non-default settings (``eps``, ``causal``
with rotary attention) is run by its own NumPy forward and by the engine
version from :func:`nnmath.autodiff.from_module`; the two implementations
share no code, so a dropped setting shows as a difference. Messages are
compared in full.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.autodiff import from_module
from nnmath.autodiff.linalg import logdet


@pytest.mark.parametrize("make, shape", [
    (lambda: nm.LayerNorm(4, eps=0.5), (3, 4)),
    (lambda: nm.RMSNorm(4, eps=0.5), (3, 4)),
    (lambda: nm.SelfAttention(4, n_heads=2, causal=False, rope=True,
                              rng=np.random.default_rng(1)), (2, 3, 4)),
    (lambda: nm.SelfAttention(4, n_heads=2, causal=True, rope=True,
                              rng=np.random.default_rng(1)), (2, 3, 4)),
], ids=["LayerNorm eps", "RMSNorm eps", "rope non-causal", "rope causal"])
def test_engine_version_keeps_the_settings(make, shape):
    module = make()
    X = np.random.default_rng(0).standard_normal(shape) * 0.3
    forward, _ = from_module(module)
    np.testing.assert_allclose(forward(X).data, module.forward(X), rtol=1e-10, atol=1e-12)


def test_rmsnorm_gain_has_the_dtype_asked_and_no_gradient_before_backward():
    norm = nm.RMSNorm(3, dtype=np.float32)
    assert norm.gamma.dtype == np.float32 and norm.gamma.tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(RuntimeError) as info:
        nm.SGD(nm.RMSNorm(3), lr=0.1).step()
    assert str(info.value) == "SGD.step: parameter 'gamma' has no gradient; call backward first"
    with pytest.raises(TypeError) as info:
        nm.RMSNorm(3, dtype=int)
    assert str(info.value) == "RMSNorm: dtype must be a floating dtype, got int64"


def test_logdet_names_itself_for_a_singular_matrix():
    with pytest.raises(ValueError) as info:
        logdet(np.zeros((2, 2)))
    assert str(info.value).startswith("logdet: the 2x2 matrix is singular to working precision")


def test_inv_names_itself_for_a_singular_matrix():
    from nnmath.autodiff.linalg import inv
    with pytest.raises(ValueError) as info:
        inv(np.zeros((2, 2)))
    assert str(info.value).startswith("inv: the 2x2 matrix is singular to working precision")
