"""The RNN kernels with one time step, where backpropagation through time has no
recursion: every gradient is one product, written out here by hand."""

import numpy as np

from nnmath.sequence import rnn_forward, rnn_grads


def test_one_step_gradients_are_single_products():
    rng = np.random.default_rng(8)
    N, I, H = 3, 4, 5
    X, h0 = rng.standard_normal((N, 1, I)), rng.standard_normal((N, H))
    Wx, Wh, b = rng.standard_normal((I, H)), rng.standard_normal((H, H)), rng.standard_normal(H)
    Hs = rnn_forward(X, Wx, Wh, b, h0)
    h1 = np.tanh(X[:, 0] @ Wx + h0 @ Wh + b)
    np.testing.assert_allclose(Hs[:, 0], h1, rtol=1e-14, atol=1e-14)
    dY = rng.standard_normal((N, 1, H))
    delta = dY[:, 0] * (1 - h1 ** 2)               # tanh' = 1 − h²
    dX, dWx, dWh, db, dh0 = rnn_grads(dY, X, Hs, h0, Wx, Wh)
    for got, expected in [(dX[:, 0], delta @ Wx.T), (dWx, X[:, 0].T @ delta),
                          (dWh, h0.T @ delta), (db, delta.sum(axis=0)), (dh0, delta @ Wh.T)]:
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-13)
