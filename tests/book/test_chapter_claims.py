"""Claims of chapters 22-26 that the text states for every size or case, tested beyond the cell."""

import numpy as np
import pytest

import nnmath as nm
from nnmath.book.chapters import ch22_residual_regularisation as ch22
from nnmath.book.chapters import ch23_conv1d as c1
from nnmath.book.chapters import ch24_conv2d as c2
from nnmath.book.chapters import ch25_cnn_digits as ch25
from nnmath.book.chapters import ch26_embeddings_rnn as ch26


@pytest.mark.parametrize("n", range(3, 12))
@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("s", [1, 2, 3, 5])
@pytest.mark.parametrize("p", [0, 1, 2])
def test_unread_inputs_are_the_gaps_and_the_tail(n, k, s, p):
    """Chapter 23: x̃_j is read iff some window covers it; the tail r = (n + 2p − k) mod s is never read."""
    if n + 2 * p < k:
        return
    T = c1.toeplitz1d(np.arange(1.0, k + 1), n, s, p)
    m = T.shape[0]
    r = (n + 2 * p - k) % s
    read = np.zeros(n + 2 * p, bool)                        # 0-based positions in x̃
    for i in range(m):
        read[s * i:s * i + k] = True
    assert not read[n + 2 * p - r:].any()                   # the tail
    if s <= k:
        assert read[:n + 2 * p - r].all()                    # no gaps: only the tail is unread
    np.testing.assert_array_equal(T.any(axis=0), read[p:p + n])     # x_j is x̃_{j+p}


@pytest.mark.parametrize("shape, kernel, stride, padding", [
    ((2, 3, 6, 5), (4, 3, 3, 2), (2, 1), (1, 1)),
    ((1, 2, 7, 7), (3, 2, 3, 3), (3, 2), (0, 2)),
    ((2, 1, 5, 6), (2, 1, 2, 2), (1, 1), (0, 0)),
    ((1, 2, 4, 4), (1, 2, 2, 2), (2, 2), (2, 1)),           # padding larger than k − 1
])
def test_input_gradient_is_a_full_convolution_with_flipped_swapped_kernels(shape, kernel, stride,
                                                                           padding):
    rng = np.random.default_rng(24)
    X, K = rng.standard_normal(shape), rng.standard_normal(kernel)
    dY = rng.standard_normal(nm.conv.conv2d_forward(X, K, None, stride, padding).shape)
    np.testing.assert_allclose(c2.grad_X_full_convolution(dY, K, shape, stride, padding),
                               nm.conv.conv2d_grad_X(dY, K, shape, stride, padding),
                               rtol=1e-12, atol=1e-12)


def test_spectral_radius_below_one_does_not_make_the_gradient_vanish():
    cx = ch26.nonnormal_counterexample(T=40)
    assert cx["rho"] == pytest.approx(0.9) and cx["norm_Wh"] > 1
    assert cx["states_error"] < 1e-12
    assert cx["linear_norm"] == pytest.approx(0.9 ** 40, rel=1e-9)   # Wh² = −0.81 I
    assert cx["jacobian_norm"] > 1e4
    assert cx["product_norm"] == pytest.approx(cx["jacobian_norm"], rel=1e-10)


def test_a_cancelling_residual_branch_shrinks_the_gradient():
    blocks = []
    for _ in range(10):
        lin = nm.Linear(3, 3, rng=np.random.default_rng(0))
        lin.W[...], lin.b[...] = -0.9 * np.eye(3), 0.0
        blocks.append(nm.Residual(lin))
    net = nm.Sequential(*blocks)
    net.forward(np.ones((2, 3)))
    g = np.random.default_rng(1).standard_normal((2, 3))
    assert np.linalg.norm(net.backward(g)) / np.linalg.norm(g) == pytest.approx(1e-10, rel=1e-6)


def test_only_the_first_convolution_and_relu_commute_with_a_shift():
    rng = np.random.default_rng(25)
    cnn = ch25.build_cnn(rng)
    X = rng.uniform(size=(20, 1, 8, 8))
    rows = ch25.shift_mismatch(cnn, X, 4)
    assert [r["layer"] for r in rows] == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d"]
    assert rows[0]["vs_shifted"] < 1e-12 and rows[1]["vs_shifted"] < 1e-12
    assert min(rows[2]["vs_shifted"], rows[2]["vs_unshifted"]) > 0.05
    assert min(rows[3]["vs_shifted"], rows[3]["vs_unshifted"]) > 0.05


@pytest.mark.parametrize("kind, final, expected", [("plain", None, False), ("residual", None, False),
                                                   ("residual_ln", None, True),
                                                   ("residual", True, True),
                                                   ("residual_ln", False, False)])
def test_the_final_layer_norm_is_a_separate_switch(kind, final, expected):
    model = ch22.deep_classifier(kind, depth=2, width=4, n_in=3, n_out=2, final_norm=final,
                                 rng=np.random.default_rng(0))
    assert (type(model.layers[-2]).__name__ == "LayerNorm") is expected
