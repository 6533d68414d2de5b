"""The weight gradient of a Linear layer over a mini-batch, timed three ways (chapter 11).

* ``loop``: one outer product ``x_nᵀ δ_n`` per sample, added up in Python;
* ``per-sample``: all ``N`` outer products at once (:func:`nnmath.book.chapters.ch11_minibatches.per_sample_weight_gradients`),
  then their sum: vectorised, but it materialises ``N·D·C`` numbers;
* ``matmul``: the single product ``Xᵀδ`` (:func:`nnmath.matmul.matmul_grad_W`), what ``Linear`` runs.

All three do the same ``N·D·C`` multiply-adds; the differences are interpreter
overhead and how well the arithmetic uses the cache and BLAS. Prints the best of
several repeats and the speed-up of ``matmul`` over each route. Run: ``make bench``
or ``python benchmarks/minibatch.py``.

BLAS runs on one thread (unless ``OPENBLAS_NUM_THREADS`` etc. are already set), so the
ratio measures one matrix product against many small ones on the same core, and a
busy machine does not make a multi-threaded BLAS spin and distort the result.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")   # must precede the first import of numpy

import timeit  # noqa: E402

import numpy as np  # noqa: E402

from nnmath.book.chapters.ch11_minibatches import per_sample_weight_gradients  # noqa: E402
from nnmath.matmul import matmul_grad_W  # noqa: E402

N, D, C = 256, 256, 256
REPEAT = 5


def loop_route(X, dY):
    """Σ_n outer(x_n, δ_n), one sample at a time: the slow route."""
    dW = np.zeros((X.shape[1], dY.shape[1]))
    for x_n, d_n in zip(X, dY):
        dW += np.outer(x_n, d_n)
    return dW


def per_sample_route(X, dY):
    return per_sample_weight_gradients(X, dY).sum(axis=0)


def best_time(fn, *args, number):
    """Best wall-clock seconds per call over REPEAT repeats of ``number`` calls."""
    return min(timeit.repeat(lambda: fn(*args), number=number, repeat=REPEAT)) / number


def main():
    rng = np.random.default_rng(0)
    X, dY = rng.standard_normal((N, D)), rng.standard_normal((N, C))
    reference = matmul_grad_W(dY, X)
    routes = [("loop", loop_route, 3), ("per-sample", per_sample_route, 3),
              ("matmul", lambda X, dY: matmul_grad_W(dY, X), 50)]
    times = {}
    for name, fn, number in routes:
        error = float(np.max(np.abs(fn(X, dY) - reference)))
        assert error < 1e-9, f"{name}: max difference {error:.2e} from Xᵀδ"
        times[name] = best_time(fn, X, dY, number=number)
    print(f"Linear weight gradient dW = Xᵀδ, N={N}, D={D}, C={C}, float64; "
          f"{N * D * C:,} multiply-adds on every route, "
          f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    for name, _, _ in routes:
        print(f"  {name:11s} {times[name] * 1e3:9.3f} ms")
    print(f"speed-up of one matrix product over the per-sample loop: "
          f"{times['loop'] / times['matmul']:.1f}x")
    print(f"speed-up over the vectorised per-sample outer products: "
          f"{times['per-sample'] / times['matmul']:.1f}x")


if __name__ == "__main__":
    main()
