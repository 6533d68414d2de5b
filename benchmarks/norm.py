"""LayerNorm and BatchNorm forward + backward against hand-written flat NumPy.

The reference does the same arithmetic inline, with no checks, no caches on an
object and no shared helper: the floor for NumPy code. Target: each layer at
most 1.5× the reference on (N=128, F=256). Run: ``make bench``.
"""

import os
import sys

import numpy as np

import nnmath as nm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import paired_times  # noqa: E402

N, F, EPS = 128, 256, 1e-5
TARGET = 1.5


def flat_layer_norm(X, gamma, beta, dY):
    mu = X.mean(axis=1, keepdims=True)
    xc = X - mu
    inv = 1.0 / np.sqrt((xc * xc).mean(axis=1, keepdims=True) + EPS)
    xhat = xc * inv
    Y = xhat * gamma + beta
    g = dY * gamma
    dX = inv * (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True))
    return Y, dX, (dY * xhat).sum(axis=0), dY.sum(axis=0)


def flat_batch_norm(X, gamma, beta, dY, running_mean, running_var, momentum=0.1):
    mu = X.mean(axis=0)
    xc = X - mu
    var = (xc * xc).mean(axis=0)
    inv = 1.0 / np.sqrt(var + EPS)
    xhat = xc * inv
    running_mean *= 1 - momentum
    running_mean += momentum * mu
    running_var *= 1 - momentum
    running_var += momentum * var * (X.shape[0] / (X.shape[0] - 1))
    Y = xhat * gamma + beta
    g = dY * gamma
    dX = inv * (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0))
    return Y, dX, (dY * xhat).sum(axis=0), dY.sum(axis=0)


def main():
    rng = np.random.default_rng(0)
    X, dY = rng.standard_normal((N, F)), rng.standard_normal((N, F))
    gamma, beta = rng.standard_normal(F), rng.standard_normal(F)
    ln, bn = nm.LayerNorm(F), nm.BatchNorm(F)
    for layer in (ln, bn):
        layer.gamma[...], layer.beta[...] = gamma, beta
    rm, rv = np.zeros(F), np.ones(F)

    # same numbers first: the comparison is of equal work
    for layer, flat in ((ln, lambda: flat_layer_norm(X, gamma, beta, dY)),
                        (bn, lambda: flat_batch_norm(X, gamma, beta, dY, rm.copy(), rv.copy()))):
        Y, dX, dg, db = flat()
        np.testing.assert_allclose(layer.forward(X), Y, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(layer.backward(dY), dX, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(layer.dgamma, dg, rtol=1e-12, atol=1e-12)

    kept = {}  # each step keeps its outputs until its next run: the same allocation pattern

    def layer_step(layer):
        kept["layer"] = layer.forward(X), layer.backward(dY)

    def flat_step(flat):
        kept["flat"] = flat()

    print(f"forward + backward on (N={N}, F={F}), float64, best of 400 interleaved runs")
    print(f"{'layer':<10} {'nnmath':>10} {'flat numpy':>11} {'ratio':>7}  target <= {TARGET}")
    ok = True
    for name, layer, flat in (("LayerNorm", ln, lambda: flat_layer_norm(X, gamma, beta, dY)),
                              ("BatchNorm", bn, lambda: flat_batch_norm(X, gamma, beta, dY, rm, rv))):
        # alternating exposes both to the same load; the minimum is the least disturbed run
        times = paired_times([lambda: layer_step(layer), lambda: flat_step(flat)], 400, warmup=20)
        t_layer, t_flat = times.min(axis=0)
        ratio = t_layer / t_flat
        ok &= ratio <= TARGET
        print(f"{name:<10} {t_layer * 1e6:>8.1f}us {t_flat * 1e6:>9.1f}us {ratio:>7.2f}")
    print("within target" if ok else "ABOVE TARGET")


if __name__ == "__main__":
    main()
