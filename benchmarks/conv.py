"""Convolution: a CNN training step against flat NumPy, and full Jacobians against im2col.

1. One SGD step (forward, loss, backward, update) of chapter 25's CNN on a batch
   of 64 digits, ``Conv(1→8, 3×3, pad 1) → ReLU → MaxPool 2 → Conv(8→16) → ReLU →
   MaxPool 2 → Flatten → Linear(64→10)``, three ways:

   * ``nnmath``: ``Sequential`` of ``Conv2d``, ``ReLU``, ``MaxPool2d``, ``Flatten``, ``Linear``;
   * ``numpy``: the same arithmetic written as one flat function, channels last so
     that no transpose is ever needed, im2col by a strided view and max pooling by
     a reshape (the floor for NumPy code);
   * ``torch``: PyTorch on the CPU, when it is installed (it is not a dependency).

   Target: nnmath at most 1.2× the flat NumPy step.

2. col2im as a loop over the kernel offsets (what nnmath does) against one
   ``np.add.at`` with an index array (what the autodiff engine's indexing does).

3. The gradient ``∂L/∂X`` of one convolution layer through the full Jacobian
   (``nnmath.book.chapters.ch24_conv2d.conv2d_jacobian_X``, contracted with δ)
   against the compact ``col2im(δ Wᵀ)``, as the image grows: time and bytes.

BLAS runs on one thread (unless ``OPENBLAS_NUM_THREADS`` etc. are set): the
matrices are small, and on a shared machine threads only add noise.
Run: ``make bench``.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402

import numpy as np  # noqa: E402
from numpy.lib.stride_tricks import sliding_window_view  # noqa: E402

import nnmath as nm  # noqa: E402
from nnmath.book.chapters.ch24_conv2d import conv2d_jacobian_X  # noqa: E402
from nnmath.book.jacobians import contract_with_upstream  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ratio, median_time, paired_times  # noqa: E402
from _torch import load_torch, sgd_step  # noqa: E402

WARMUP = 5  # untimed runs (rounds, for paired_times) before the timed ones

LR = 0.1
BATCH = 64


def build_cnn(rng, dtype=np.float64):
    return nm.Sequential(nm.Conv2d(1, 8, 3, padding=1, rng=rng, dtype=dtype), nm.ReLU(),
                         nm.MaxPool2d(2),
                         nm.Conv2d(8, 16, 3, padding=1, rng=rng, dtype=dtype), nm.ReLU(),
                         nm.MaxPool2d(2), nm.Flatten(), nm.Linear(64, 10, rng=rng, dtype=dtype))


def nnmath_step(model, loss, opt, X, labels):
    loss.forward(model.forward(X), labels)
    model.backward(loss.backward(), input_grad=False)
    opt.step()


def flat_params(model):
    c1, c2, lin = model.layers[0], model.layers[3], model.layers[7]
    return [c1.W.copy(), c1.b.copy(), c2.W.copy(), c2.b.copy(), lin.W.copy(), lin.b.copy()]


def _cols(A):
    """im2col of a channels-last batch ``(N, H, W, C)``, 3×3 kernel, padding 1: ``(N·H·W, C·9)``."""
    N, H, W, C = A.shape
    win = sliding_window_view(np.pad(A, ((0, 0), (1, 1), (1, 1), (0, 0))), (3, 3), axis=(1, 2))
    return win.reshape(N * H * W, C * 9)                        # win: (N, H, W, C, 3, 3)


def _uncols(dcols, shape):
    """col2im for ``_cols``: add every patch gradient back, one kernel offset at a time."""
    N, H, W, C = shape
    d = dcols.reshape(N, H, W, C, 3, 3)
    out = np.zeros((N, H + 2, W + 2, C), dtype=dcols.dtype)
    for u in range(3):
        for v in range(3):
            out[:, u:u + H, v:v + W] += d[..., u, v]
    return out[:, 1:-1, 1:-1]


def _pool(Z):
    """2×2 max pooling of a channels-last batch by a reshape, and the mask of the maxima."""
    N, H, W, C = Z.shape
    blocks = Z.reshape(N, H // 2, 2, W // 2, 2, C)
    P = blocks.max(axis=(2, 4))
    return P, blocks == P[:, :, None, :, None]


def numpy_step(params, X, labels):
    """The reference: the whole CNN step inline, channels last, so no transposes at all."""
    W1, b1, W2, b2, W3, b3 = params
    N = X.shape[0]
    K1, K2 = W1.reshape(8, -1).T, W2.reshape(16, -1).T          # (9, 8), (72, 16)
    cols1 = _cols(X.reshape(N, 8, 8, 1))                        # (N·64, 9)
    Z1 = cols1 @ K1 + b1                                        # (N·64, 8)
    A1 = np.maximum(Z1, 0).reshape(N, 8, 8, 8)
    P1, m1 = _pool(A1)                                          # (N, 4, 4, 8)
    cols2 = _cols(P1)                                           # (N·16, 72)
    Z2 = cols2 @ K2 + b2
    A2 = np.maximum(Z2, 0).reshape(N, 4, 4, 16)
    P2, m2 = _pool(A2)                                          # (N, 2, 2, 16)
    F = P2.transpose(0, 3, 1, 2).reshape(N, -1)                 # nnmath's (c, h, w) order
    S = F @ W3 + b3
    Pr = np.exp(S - S.max(axis=1, keepdims=True))
    Pr /= Pr.sum(axis=1, keepdims=True)
    Pr[np.arange(N), labels] -= 1
    dS = Pr / N
    dW3, db3 = F.T @ dS, dS.sum(0)
    dP2 = (dS @ W3.T).reshape(N, 16, 2, 2).transpose(0, 2, 3, 1)
    dA2 = (m2 * dP2[:, :, None, :, None]).reshape(N * 16, 16)   # ties: every maximum (rare)
    d2 = dA2 * (Z2 > 0)
    dW2, db2 = (cols2.T @ d2).T.reshape(W2.shape), d2.sum(0)
    dP1 = _uncols(d2 @ K2.T, P1.shape)
    dA1 = (m1 * dP1[:, :, None, :, None]).reshape(N * 64, 8)
    d1 = dA1 * (Z1 > 0)
    dW1, db1 = (cols1.T @ d1).T.reshape(W1.shape), d1.sum(0)
    for p, g in zip(params, (dW1, db1, dW2, db2, dW3, db3)):
        p -= LR * g


def torch_step_factory(model, X, labels):
    torch = load_torch(threads=1)
    if torch is None:
        return None
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.MaxPool2d(2), torch.nn.Conv2d(8, 16, 3, padding=1),
                              torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
                              torch.nn.Linear(64, 10)).double()
    return sgd_step(torch, net, X, labels, LR)


def check_same_step(rng):
    """The flat step and nnmath's step make the same update (same weights, same batch)."""
    images, labels = nm.data.load_digits()
    X, y = images[:BATCH, None] / 16.0, labels[:BATCH]
    model = build_cnn(rng)
    params = flat_params(model)
    nnmath_step(model, nm.SoftmaxCrossEntropy(), nm.SGD(model, LR), X, y)
    numpy_step(params, X, y)
    return max(float(np.max(np.abs(a - b))) for a, b in zip(params, flat_params(model)))


def training_step_table():
    rng = np.random.default_rng(0)
    print(f"same update as the flat version: max |difference| {check_same_step(rng):.1e}")
    images, labels = nm.data.load_digits()
    X, y = images[:BATCH, None] / 16.0, labels[:BATCH]
    print(f"{'CNN step, batch 64':<22} {'nnmath':>10} {'numpy':>10} {'torch':>14} "
          f"{'nnmath/numpy':>13} {'nnmath/torch':>13}")
    model = build_cnn(rng)
    params = flat_params(model)
    loss, opt = nm.SoftmaxCrossEntropy(), nm.SGD(model, LR)
    torch_step = torch_step_factory(model, X, y)
    steps = [lambda: nnmath_step(model, loss, opt, X, y), lambda: numpy_step(params, X, y)]
    # interleaved: a busy spell of the shared machine slows every step alike
    times = paired_times(steps + ([torch_step] if torch_step else []), 400, warmup=WARMUP)
    t_nm, t_np = np.median(times[:, 0]), np.median(times[:, 1])
    ratio = median_ratio(times, 0, 1)
    if torch_step:
        t_torch = np.median(times[:, 2])
        torch_col = f"{t_torch * 1e3:12.3f}ms"
        ratio_torch = f"{median_ratio(times, 0, 2):>13.2f}"
    else:
        torch_col, ratio_torch = f"{'not installed':>14}", f"{'n/a':>13}"
    print(f"{'float64 (medians)':<22} {t_nm * 1e3:>8.3f}ms {t_np * 1e3:>8.3f}ms {torch_col} "
          f"{ratio:>13.2f} {ratio_torch}")
    print(f"{'float64 (fastest)':<22} {times[:, 0].min() * 1e3:>8.3f}ms "
          f"{times[:, 1].min() * 1e3:>8.3f}ms {'':>14} {times[:, 0].min() / times[:, 1].min():>13.2f}")
    print("(nnmath/numpy: the median of the per-round ratios; the target is at most 1.2)")


def jacobian_table():
    rng = np.random.default_rng(1)
    print()
    print("dL/dX of one Conv2d(4→8, 3×3, padding 1), batch 2: full Jacobian vs col2im")
    print(f"{'side':>5} {'full J bytes':>14} {'dL/dX bytes':>12} {'full s':>10} "
          f"{'compact s':>10} {'full/compact':>13}")
    rows = []
    for side in (4, 8, 12, 16, 20):
        X = rng.standard_normal((2, 4, side, side))
        K = rng.standard_normal((8, 4, 3, 3))
        delta = rng.standard_normal((2, 8, side, side))

        def full():
            return contract_with_upstream(conv2d_jacobian_X(K, X.shape, (1, 1), (1, 1)), delta)

        def compact():
            return nm.conv.conv2d_grad_X(delta, K, X.shape, (1, 1), (1, 1))
        assert np.allclose(full(), compact())
        repeats = 5 if side <= 12 else 2
        t_full = median_time(full, repeats, warmup=WARMUP)
        t_compact = median_time(compact, 20, warmup=WARMUP)
        j_bytes = delta.size * X.size * 8
        print(f"{side:>5} {j_bytes:>14,} {X.nbytes:>12,} {t_full:>10.2e} {t_compact:>10.2e} "
              f"{t_full / t_compact:>13.0f}")
        rows.append((side, t_full, t_compact))
    # Scaling exponent k in time ~ side^k: least squares on log-log over sides >= 8.
    side, t_full, t_compact = (np.array(col[1:], dtype=float) for col in zip(*rows))
    print(f"time exponent, full Jacobian: {np.polyfit(np.log(side), np.log(t_full), 1)[0]:.1f} "
          f"(theory 4: the Jacobian has (side²)² entries per channel pair)")
    print(f"time exponent, col2im:        {np.polyfit(np.log(side), np.log(t_compact), 1)[0]:.1f} "
          f"(theory 2; lower while call overhead dominates small images)")


def col2im_table():
    """col2im by a loop over the kernel offsets (nnmath) against one ``np.add.at`` call."""
    from nnmath.autodiff.conv import patch_indices
    from nnmath.im2col import col2im
    rng = np.random.default_rng(2)
    print()
    print("col2im of a 3×3, padding 1 layer: loop over the 9 offsets vs np.add.at")
    print(f"{'input (N, C, H, W)':<22} {'loop s':>10} {'add.at s':>10} {'add.at/loop':>12}")
    for shape in ((64, 8, 8, 8), (64, 16, 4, 4), (32, 32, 28, 28)):
        index, inside = patch_indices(shape, 3, 1, 1)
        G = rng.standard_normal(index.shape)

        def loop():
            return col2im(G, shape, (3, 3), (1, 1), (1, 1))

        def add_at():
            out = np.zeros(int(np.prod(shape)))
            np.add.at(out, index, G * inside)
            return out.reshape(shape)
        assert np.allclose(loop(), add_at())
        t_loop, t_add = median_time(loop, 20, warmup=WARMUP), median_time(add_at, 5, warmup=WARMUP)
        print(f"{str(shape):<22} {t_loop:>10.2e} {t_add:>10.2e} {t_add / t_loop:>12.1f}")


def main():
    training_step_table()
    col2im_table()
    jacobian_table()


if __name__ == "__main__":
    main()
