"""SGD's momentum buffer takes the parameter's dtype even when the gradient comes in another
one, so a float32 run resumed from its state dict continues bit for bit.

Independent route: the same steps written out in NumPy in float32, and an uninterrupted run
against one saved and restored halfway.
"""

import numpy as np
import pytest

import nnmath as nm


class _Params:
    """A float32 parameter whose gradient arrives in float64 (a model's ``parameters()``)."""

    def __init__(self, w):
        self.w, self.g = w, None

    def parameters(self):
        return [("w", self.w, self.g)]


def _grads(k):
    rng = np.random.default_rng(21)
    return [rng.standard_normal(5) for _ in range(k)]


@pytest.mark.parametrize("nesterov", [False, True])
def test_the_buffer_is_float32_and_the_steps_match_numpy(nesterov):
    lr, mu = 0.1, 0.9
    w0 = np.random.default_rng(20).standard_normal(5).astype(np.float32)
    model = _Params(w0.copy())
    opt = nm.SGD(model, lr=lr, momentum=mu, nesterov=nesterov)
    w, v = w0.copy(), None
    for g in _grads(4):
        model.g = g
        opt.step()
        g32 = g.astype(np.float32)
        v = g32 if v is None else np.float32(mu) * v + g32
        w = w - np.float32(lr) * (g32 + np.float32(mu) * v if nesterov else v)
        assert opt.state["w"]["momentum_buffer"].dtype == np.float32
        np.testing.assert_allclose(model.w, w, rtol=1e-5)
    assert model.w.dtype == np.float32
    assert opt.state_dict()["momentum_buffer/w"].dtype == np.float32


def test_a_restored_float32_run_continues_exactly():
    w0 = np.random.default_rng(22).standard_normal(5).astype(np.float32)
    grads = _grads(6)
    straight = _Params(w0.copy())
    opt = nm.SGD(straight, lr=0.1, momentum=0.9)
    for g in grads:
        straight.g = g
        opt.step()
    first = _Params(w0.copy())
    opt = nm.SGD(first, lr=0.1, momentum=0.9)
    for g in grads[:3]:
        first.g = g
        opt.step()
    resumed = _Params(first.w.copy())
    opt2 = nm.SGD(resumed, lr=0.5)
    opt2.load_state_dict(opt.state_dict())
    for g in grads[3:]:
        resumed.g = g
        opt2.step()
    np.testing.assert_array_equal(resumed.w, straight.w)
