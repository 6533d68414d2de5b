"""Forward mode and second order: the cost of one JVP and one HVP (chapter 19).

On the 784-256-256-10 tanh network with softmax cross-entropy and a batch of
128, the loss is a function of one flat parameter vector (269 322 entries), the
form ``jvp`` and ``hvp`` take. Printed: the best of several wall-clock times
of one forward pass, one gradient (forward + backward), one JVP and one HVP,
and the ratios the book quotes (targets: JVP ≤ ~3× forward, HVP ≤ ~5×
gradient). A second row differentiates with respect to the middle weight
matrix only, which leaves out the slicing of the flat vector.

BLAS runs on one thread (set before NumPy loads): on a shared two-core machine
a multi-threaded matrix product's time depends on what else runs, and the
ratios are meant to compare arithmetic, not scheduling.

Run: ``.venv/bin/python benchmarks/second_order.py``.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402

import numpy as np  # noqa: E402

from nnmath.autodiff import Tensor, hvp, jvp, softmax_cross_entropy_loss  # noqa: E402
from nnmath.book.chapters import ch19_forward_second_order as ch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import best_time  # noqa: E402

REPEATS = 7  # the best of 7 runs, after one warm-up run


def measure(label, f, x, v):
    t_forward = best_time(lambda: f(Tensor(x)), REPEATS, warmup=1)
    t_gradient = best_time(lambda: ch.gradient(f, x), REPEATS, warmup=1)
    t_jvp = best_time(lambda: jvp(f, x, v), REPEATS, warmup=1)
    t_hvp = best_time(lambda: hvp(f, x, v), REPEATS, warmup=1)
    print(f"{label:<22} forward {1e3 * t_forward:7.2f} ms  gradient {1e3 * t_gradient:7.2f} ms  "
          f"JVP {1e3 * t_jvp:7.2f} ms  HVP {1e3 * t_hvp:7.2f} ms")
    print(f"{'':<22} JVP / forward = {t_jvp / t_forward:.2f}   "
          f"HVP / gradient = {t_hvp / t_gradient:.2f}")


def main():
    rng = np.random.default_rng(0)
    N, sizes = 128, (784, 256, 256, 10)
    X = rng.standard_normal((N, 784))
    T = np.eye(10)[rng.integers(0, 10, N)]
    f, _, theta, shapes = ch.mlp(sizes, X, T, loss="ce", rng=rng)
    measure("all parameters (flat)", f, theta, rng.standard_normal(theta.size))

    W1, b1, W2, b2, W3, b3 = (Tensor(p, requires_grad=False) for p in ch.unflatten(theta, shapes))

    def f_middle(W):  # the same loss as a function of the middle weight matrix alone
        h = (X @ W1 + b1).tanh()
        h = (h @ W + b2).tanh()
        return softmax_cross_entropy_loss(h @ W3 + b3, T)

    W0 = W2.data.copy()
    measure("middle weights only", f_middle, W0, rng.standard_normal(W0.shape))
    counts = ch.pass_costs(f, theta, rng.standard_normal(theta.size))
    print(f"multiply-adds (chapter 14's count): JVP / forward = "
          f"{counts['jvp'] / counts['forward']:.2f}, HVP / gradient = "
          f"{counts['hvp'] / counts['gradient']:.2f}")


if __name__ == "__main__":
    main()
