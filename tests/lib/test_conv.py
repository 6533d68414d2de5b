"""Conv2d, MaxPool2d, Flatten, im2col/col2im and the engine's convolution.

Every gradient is compared with an independent route: a direct loop over
output positions for the forward, the autodiff engine (gathering by index
arrays, np.add.at) and central finite differences for the backward.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.autodiff import Tensor, conv2d as t_conv2d, flatten as t_flatten, max_pool2d as t_pool
from nnmath.im2col import col2im, im2col

# (N, C_in, H, W, C_out, kernel, stride, padding)
CONFIGS = [
    (2, 3, 5, 6, 4, 3, 1, 0),
    (2, 2, 7, 6, 3, (3, 2), (2, 1), (1, 2)),
    (1, 1, 4, 4, 1, 4, 1, 0),          # the kernel covers the whole image
    (3, 2, 6, 5, 2, 2, 2, 1),
    (1, 2, 2, 2, 2, 3, 1, 1),          # the kernel is larger than the unpadded input
]


def loop_conv(X, K, b, stride, padding):
    """The definition, one output entry at a time (the independent reference)."""
    (sh, sw), (ph, pw) = stride, padding
    C_out, _, kh, kw = K.shape
    Xp = np.pad(X, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    OH, OW = (Xp.shape[2] - kh) // sh + 1, (Xp.shape[3] - kw) // sw + 1
    Y = np.zeros((X.shape[0], C_out, OH, OW))
    for n, o, i, j in np.ndindex(Y.shape):
        Y[n, o, i, j] = np.sum(Xp[n, :, sh * i:sh * i + kh, sw * j:sw * j + kw] * K[o]) + b[o]
    return Y


def make_conv(cfg, rng, dtype=np.float64):
    N, C, H, W, C_out, k, s, p = cfg
    conv = nm.Conv2d(C, C_out, k, stride=s, padding=p, rng=rng, dtype=dtype)
    conv.b[:] = rng.standard_normal(C_out)
    return conv, rng.standard_normal((N, C, H, W)).astype(dtype)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_conv_forward_matches_the_definition(cfg):
    conv, X = make_conv(cfg, np.random.default_rng(0))
    np.testing.assert_allclose(conv.forward(X), loop_conv(X, conv.W, conv.b, conv.stride,
                                                          conv.padding), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_conv_backward_matches_the_engine(cfg):
    rng = np.random.default_rng(1)
    conv, X = make_conv(cfg, rng)
    Y = conv.forward(X)
    dY = rng.standard_normal(Y.shape)
    dX = conv.backward(dY)
    tX, tW, tb = Tensor(X), Tensor(conv.W), Tensor(conv.b)
    (t_conv2d(tX, tW, tb, conv.stride, conv.padding) * dY).sum().backward()
    for got, want in ((dX, tX.grad), (conv.dW, tW.grad), (conv.db, tb.grad)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_conv_backward_sets_gradients_and_can_skip_the_input_gradient():
    rng = np.random.default_rng(3)
    conv, X = make_conv(CONFIGS[0], rng)
    dY = rng.standard_normal(conv.forward(X).shape)
    conv.backward(dY)
    first = conv.dW.copy()
    assert conv.backward(dY, input_grad=False) is None
    np.testing.assert_array_equal(conv.dW, first)  # set, not accumulated


def test_im2col_and_col2im_are_adjoint():
    # <im2col(X), C> = <X, col2im(C)>: col2im is the transpose of the linear map im2col
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2, 3, 6, 5))
    for kernel, stride, padding in (((3, 3), (1, 1), (0, 0)), ((2, 3), (2, 1), (1, 2))):
        cols = im2col(X, kernel, stride, padding)
        C = rng.standard_normal(cols.shape)
        assert np.isclose(np.sum(cols * C), np.sum(X * col2im(C, X.shape, kernel, stride, padding)))


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    conv, X = make_conv(CONFIGS[1], rng, dtype=np.float32)
    Y = conv.forward(X)
    dX = conv.backward(np.ones_like(Y))
    pool = nm.MaxPool2d(2)
    Z = pool.forward(Y)
    assert {Y.dtype, dX.dtype, conv.dW.dtype, conv.db.dtype, Z.dtype,
            pool.backward(np.ones_like(Z)).dtype, nm.Flatten().forward(Z).dtype} == {np.dtype("float32")}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"stride": 0}, ValueError, "stride must be >= 1"),
    ({"stride": 1.5}, TypeError, "stride must be an int or a pair"),
    ({"stride": True}, TypeError, "stride must be an int or a pair"),
    ({"stride": (1, 2, 3)}, ValueError, "stride must be an int or a pair"),
    ({"padding": -1}, ValueError, "padding must be >= 0"),
    ({"padding": (1, 0.5)}, TypeError, "padding must be an int or a pair"),
    ({"kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
    ({"in_channels": 0}, ValueError, "in_channels must be positive"),
    ({"dtype": np.int32}, TypeError, "dtype must be a floating dtype"),
    ({"rng": 3}, TypeError, "rng must be a numpy.random.Generator"),
])
def test_conv_rejects_bad_arguments(kwargs, error, message):
    args = {"in_channels": 1, "out_channels": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(error, match=message):
        nm.Conv2d(args.pop("in_channels"), args.pop("out_channels"), args.pop("kernel_size"),
                  **args)


@pytest.mark.parametrize("shape, message", [
    ((2, 1, 8), r"Conv2d.forward: X has shape \(2, 1, 8\), expected \(N, 1, height, width\)"),
    ((2, 3, 8, 8), r"Conv2d.forward: X has shape \(2, 3, 8, 8\), expected \(N, 1, height, width\)"),
    ((2, 1, 2, 8), r"Conv2d.forward: kernel 3×3 is larger than the padded input 2×8"),
])
def test_conv_rejects_bad_input(shape, message):
    with pytest.raises(ValueError, match=message):
        nm.Conv2d(1, 2, 3, rng=np.random.default_rng(0)).forward(np.zeros(shape))


def test_conv_backward_checks_its_upstream():
    conv = nm.Conv2d(1, 2, 3, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="backward called before forward"):
        conv.backward(np.zeros((1, 2, 2, 2)))
    conv.forward(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"dY has shape \(1, 2, 3, 3\), expected \(1, 2, 2, 2\)"):
        conv.backward(np.zeros((1, 2, 3, 3)))


# -- max pooling and flatten -----------------------------------------------------

def loop_pool(X, k, s):
    OH, OW = (X.shape[2] - k) // s + 1, (X.shape[3] - k) // s + 1
    Y = np.zeros(X.shape[:2] + (OH, OW))
    for n, c, i, j in np.ndindex(Y.shape):
        Y[n, c, i, j] = X[n, c, s * i:s * i + k, s * j:s * j + k].max()
    return Y


@pytest.mark.parametrize("k, s, shape", [(2, None, (2, 3, 4, 6)), (2, None, (1, 2, 5, 5)),
                                         (3, 1, (2, 1, 5, 4)), (3, 2, (1, 2, 7, 6))])
def test_maxpool_matches_loop_and_engine(k, s, shape):
    rng = np.random.default_rng(6)
    X = rng.standard_normal(shape)
    pool = nm.MaxPool2d(k, s)
    Y = pool.forward(X)
    np.testing.assert_array_equal(Y, loop_pool(X, k, k if s is None else s))
    dY = rng.standard_normal(Y.shape)
    tX = Tensor(X)
    (t_pool(tX, k, s) * dY).sum().backward()
    np.testing.assert_allclose(pool.backward(dY), tX.grad, rtol=1e-12, atol=1e-12)


def test_maxpool_gives_a_tie_to_the_first_maximum():
    X = np.array([[[[1.0, 3.0], [3.0, 3.0]]]])
    pool = nm.MaxPool2d(2)
    pool.forward(X)
    np.testing.assert_array_equal(pool.backward(np.array([[[[5.0]]]]))[0, 0], [[0, 5], [0, 0]])


@pytest.mark.parametrize("call, error, message", [
    (lambda: nm.MaxPool2d(0), ValueError, "MaxPool2d: kernel_size must be >= 1"),
    (lambda: nm.MaxPool2d(2, stride=0.5), TypeError, "MaxPool2d: stride must be an int"),
    (lambda: nm.MaxPool2d(3).forward(np.zeros((1, 1, 2, 5))), ValueError,
     "MaxPool2d.forward: kernel 3×3 is larger than the padded input 2×5"),
    (lambda: nm.MaxPool2d(2).forward(np.zeros((4, 4))), ValueError,
     r"MaxPool2d.forward: X has shape \(4, 4\), expected \(N, C, height, width\)"),
    (lambda: nm.MaxPool2d(2).backward(np.zeros((1, 1, 1, 1))), ValueError,
     "MaxPool2d.backward: backward called before forward"),
    (lambda: nm.Flatten().forward(np.zeros(3)), ValueError, r"Flatten.forward: X has shape \(3,\), expected \(N, d1, \.\.\.\)"),
])
def test_pool_and_flatten_reject_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_flatten_round_trip_and_engine():
    X = np.arange(24.0).reshape(2, 3, 2, 2)
    flat = nm.Flatten()
    np.testing.assert_array_equal(flat.forward(X), X.reshape(2, 12))
    np.testing.assert_array_equal(flat.backward(np.ones((2, 12))), np.ones_like(X))
    np.testing.assert_array_equal(t_flatten(Tensor(X)).data, X.reshape(2, 12))
    with pytest.raises(ValueError, match=r"Flatten.backward: dY has shape \(2, 3\)"):
        flat.backward(np.ones((2, 3)))


def test_engine_conv_rejects_a_kernel_that_does_not_fit():
    with pytest.raises(ValueError, match="conv2d: kernel 5×5 does not fit"):
        t_conv2d(Tensor(np.zeros((1, 1, 3, 3))), Tensor(np.zeros((1, 1, 5, 5))))


def test_a_small_cnn_trains_in_a_sequential():
    rng = np.random.default_rng(7)
    model = nm.Sequential(nm.Conv2d(1, 2, 3, padding=1, rng=rng), nm.ReLU(), nm.MaxPool2d(2),
                          nm.Flatten(), nm.Linear(8, 2, rng=rng))
    X = rng.standard_normal((16, 1, 4, 4))
    labels = (X[:, 0, :2].sum(axis=(1, 2)) > X[:, 0, 2:].sum(axis=(1, 2))).astype(int)
    history = nm.fit(model, nm.SoftmaxCrossEntropy(), X, labels, epochs=30, batch_size=8,
                     lr=0.3, rng=rng, progress=False)
    assert history["loss"][-1] < history["loss"][0]
    assert [name for name, _, _ in model.parameters()] == ["0.W", "0.b", "4.W", "4.b"]
