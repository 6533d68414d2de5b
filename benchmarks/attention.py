"""Attention forward + backward, and the cost of BPTT against the sequence length.

1. ``nm.SelfAttention`` forward + backward at N=16, T=32, d_model=64, 4 heads,
   against a flat NumPy version of the same arithmetic written inline (the floor
   for any NumPy code), and against PyTorch on the CPU when it is installed.
   Target: SelfAttention ≤ 1.3× the flat version.
2. ``nm.RNN`` forward + backward (N=32, I=16, H=64) for T = 16 … 256: the time
   per step should stay flat (BPTT is linear in T).

Run: ``make bench`` or ``.venv/bin/python benchmarks/attention.py``. Results can
be noisy on a busy machine: each figure is the median of many repeats.
"""

import os
import sys

# One BLAS thread (unless the caller says otherwise): on a shared machine a thread pool
# per process makes the timings measure the scheduler, not the code.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings)

import nnmath as nm  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_time, paired_times  # noqa: E402
from _torch import load_torch  # noqa: E402

N, T, D, HEADS = 16, 32, 64, 4


def flat_attention_step(X, dY, Wq, Wk, Wv, Wo, heads):
    """Forward and backward of multi-head self-attention, inline NumPy, no checks."""
    n, t, d = X.shape
    dh = d // heads
    X2 = X.reshape(n * t, d)
    Q = (X2 @ Wq).reshape(n, t, heads, dh).transpose(0, 2, 1, 3)
    K = (X2 @ Wk).reshape(n, t, heads, dh).transpose(0, 2, 1, 3)
    V = (X2 @ Wv).reshape(n, t, heads, dh).transpose(0, 2, 1, 3)
    S = Q @ K.transpose(0, 1, 3, 2) / np.sqrt(dh)
    S -= S.max(axis=-1, keepdims=True)
    A = np.exp(S)
    A /= A.sum(axis=-1, keepdims=True)
    C = (A @ V).transpose(0, 2, 1, 3).reshape(n * t, d)
    _ = C @ Wo
    dY2 = dY.reshape(n * t, d)
    dWo = C.T @ dY2
    dC = (dY2 @ Wo.T).reshape(n, t, heads, dh).transpose(0, 2, 1, 3)
    dV = A.transpose(0, 1, 3, 2) @ dC
    dA = dC @ V.transpose(0, 1, 3, 2)
    dS = A * (dA - (dA * A).sum(axis=-1, keepdims=True)) / np.sqrt(dh)
    dQ = (dS @ K).transpose(0, 2, 1, 3).reshape(n * t, d)
    dK = (dS.transpose(0, 1, 3, 2) @ Q).transpose(0, 2, 1, 3).reshape(n * t, d)
    dV = dV.transpose(0, 2, 1, 3).reshape(n * t, d)
    dX = dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T
    return dX.reshape(n, t, d), X2.T @ dQ, X2.T @ dK, X2.T @ dV, dWo


def torch_step_factory(layer, X, dY):
    torch = load_torch(threads=2)
    if torch is None:
        return None
    Ws = [torch.from_numpy(getattr(layer, n).copy()).requires_grad_() for n in
          ("Wq", "Wk", "Wv", "Wo")]
    Xt = torch.from_numpy(X).requires_grad_()
    dYt = torch.from_numpy(dY)
    n, t, d = X.shape
    dh = d // HEADS

    def step():
        for W in Ws:
            W.grad = None
        Xt.grad = None
        Q, K, V = ((Xt @ W).reshape(n, t, HEADS, dh).transpose(1, 2) for W in Ws[:3])
        A = torch.softmax(Q @ K.transpose(-1, -2) / dh ** 0.5, dim=-1)
        Y = (A @ V).transpose(1, 2).reshape(n, t, d) @ Ws[3]
        Y.backward(dYt)

    return step


def bench_attention():
    rng = np.random.default_rng(0)
    layer = nm.SelfAttention(D, HEADS, rng=rng)
    X, dY = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    # the two routes must agree before their speed means anything
    layer.forward(X)
    dX = layer.backward(dY)
    ref = flat_attention_step(X, dY, layer.Wq, layer.Wk, layer.Wv, layer.Wo, HEADS)
    assert np.allclose(dX, ref[0], rtol=1e-10, atol=1e-12)

    def nnmath_step():
        layer.forward(X)
        layer.backward(dY)

    def flat_step():
        flat_attention_step(X, dY, layer.Wq, layer.Wk, layer.Wv, layer.Wo, HEADS)

    torch_step = torch_step_factory(layer, X, dY)
    steps = [nnmath_step, flat_step] + ([torch_step] if torch_step else [])
    # timed alternately so that load changes hit all alike; the median of each
    t_nm, t_np, *rest = np.median(paired_times(steps, 400), axis=0)
    t_torch = rest[0] if rest else None
    print(f"attention forward+backward (N={N}, T={T}, d={D}, {HEADS} heads):")
    print(f"  SelfAttention {t_nm * 1e3:.3f} ms, flat numpy {t_np * 1e3:.3f} ms, "
          f"ratio {t_nm / t_np:.2f} (target <= 1.3)")
    if t_torch is None:
        print("  PyTorch: not installed (not a dependency), no ratio")
    else:
        print(f"  PyTorch CPU {t_torch * 1e3:.3f} ms, SelfAttention / PyTorch {t_nm / t_torch:.2f}")


def bench_bptt():
    rng = np.random.default_rng(1)
    rnn = nm.RNN(16, 64, rng=rng)
    print("RNN forward+backward (N=32, I=16, H=64):")
    print(f"  {'T':>5} {'ms':>9} {'us per step':>12}")
    per_step = []
    for steps in (16, 32, 64, 128, 256):
        X, dH = rng.standard_normal((32, steps, 16)), rng.standard_normal((32, steps, 64))

        def step():
            rnn.forward(X)
            rnn.backward(dH)

        t = median_time(step, max(20, 2000 // steps))
        per_step.append(t / steps)
        print(f"  {steps:>5} {t * 1e3:>9.3f} {t / steps * 1e6:>12.2f}")
    lengths = np.array([16, 32, 64, 128, 256], dtype=float)
    totals = np.array(per_step) * lengths
    slope = np.polyfit(np.log(lengths), np.log(totals), 1)[0]
    slope_long = np.polyfit(np.log(lengths[2:]), np.log(totals[2:]), 1)[0]
    print(f"  log-log slope of time against T: {slope:.2f} over T = 16…256, "
          f"{slope_long:.2f} over T = 64…256 (1 = linear)")
    print("  (the per-step time may step up once the (T, N, H) arrays leave the cache; "
          "a linear cost keeps it flat after that)")


if __name__ == "__main__":
    bench_attention()
    bench_bptt()
