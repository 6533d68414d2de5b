"""One GPT training step (forward, cross-entropy, backward, SGD update), timed two ways.

* ``GPT``: :class:`nnmath.GPT` (tied weights, LayerNorm, learned positions, causal
  attention, exact GELU), ``SoftmaxCrossEntropy`` and an SGD update of every parameter;
* ``numpy``: the same arithmetic written inline as one flat function (it uses the same
  ``nnmath.gelu.normal_cdf``, NumPy having no error function).

The flat step's gradients are first checked against the model's. Target: GPT ≤ 1.2×
numpy (measured 1.17x and 1.08x, the second with batch 8, on a shared two-core machine). Run:
``python benchmarks/gpt_step.py``.
"""

import os
import sys

import numpy as np

import nnmath as nm
from nnmath.gelu import normal_cdf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ratio, paired_times  # noqa: E402

CONFIGS = [  # (name, vocab, context, d_model, n_layers, n_heads, batch)
    ("char GPT d=64 L=2 T=64", 87, 64, 64, 2, 4, 16),
    ("char GPT d=128 L=4 T=128", 87, 128, 128, 4, 4, 4),
]
LR = 0.1


def _ln(x, g, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    c = x - mu
    inv = 1.0 / np.sqrt((c * c).mean(-1, keepdims=True) + eps)
    xh = c * inv
    return xh * g + b, xh, inv


def _ln_back(dy, xh, inv, g):
    G = dy * g
    dx = inv * (G - G.mean(-1, keepdims=True) - xh * (G * xh).mean(-1, keepdims=True))
    return dx, (dy * xh).reshape(-1, xh.shape[-1]).sum(0), dy.reshape(-1, xh.shape[-1]).sum(0)


def flat_step(p, n_layers, H, idx, labels, lr):
    """Forward, loss, backward and update of the tied LayerNorm GPT, inline; returns the grads."""
    N, T = idx.shape
    E, P = p["tok.W"], p["pos.P"]
    V, D = E.shape
    dh = D // H
    mask = np.tri(T, dtype=bool)
    x = E[idx] + P[:T]
    caches = []
    for i in range(n_layers):
        b = f"blocks.{i}."
        a, xh1, inv1 = _ln(x, p[b + "ln1.gamma"], p[b + "ln1.beta"])
        a2 = a.reshape(N * T, D)
        q, k, v = ((a2 @ p[b + "attn." + w]).reshape(N, T, H, dh).transpose(0, 2, 1, 3)
                   for w in ("Wq", "Wk", "Wv"))
        S = np.where(mask, q @ k.transpose(0, 1, 3, 2) * dh ** -0.5, -np.inf)
        A = np.exp(S - S.max(-1, keepdims=True))
        A /= A.sum(-1, keepdims=True)
        C = (A @ v).transpose(0, 2, 1, 3).reshape(N * T, D)
        x = x + (C @ p[b + "attn.Wo"]).reshape(N, T, D)
        m, xh2, inv2 = _ln(x, p[b + "ln2.gamma"], p[b + "ln2.beta"])
        m2 = m.reshape(N * T, D)
        h = m2 @ p[b + "mlp.0.W"] + p[b + "mlp.0.b"]
        cdf = normal_cdf(h)
        gl = h * cdf
        x = x + (gl @ p[b + "mlp.2.W"] + p[b + "mlp.2.b"]).reshape(N, T, D)
        caches.append((a2, xh1, inv1, q, k, v, A, C, m2, xh2, inv2, h, cdf, gl))
    xf, xhf, invf = _ln(x, p["ln_f.gamma"], p["ln_f.beta"])
    xf2 = xf.reshape(N * T, D)
    Z = xf2 @ E.T
    Pz = np.exp(Z - Z.max(-1, keepdims=True))
    Pz /= Pz.sum(-1, keepdims=True)
    dZ = Pz
    dZ[np.arange(N * T), labels.reshape(-1)] -= 1
    dZ /= N * T
    g = {"tok.W": dZ.T @ xf2}
    dx, g["ln_f.gamma"], g["ln_f.beta"] = _ln_back((dZ @ E).reshape(N, T, D), xhf, invf,
                                                   p["ln_f.gamma"])
    for i in reversed(range(n_layers)):
        b = f"blocks.{i}."
        a2, xh1, inv1, q, k, v, A, C, m2, xh2, inv2, h, cdf, gl = caches[i]
        d2 = dx.reshape(N * T, D)
        g[b + "mlp.2.W"], g[b + "mlp.2.b"] = gl.T @ d2, d2.sum(0)
        dh_ = (d2 @ p[b + "mlp.2.W"].T) * (cdf + h * np.exp(-0.5 * h * h) / np.sqrt(2 * np.pi))
        g[b + "mlp.0.W"], g[b + "mlp.0.b"] = m2.T @ dh_, dh_.sum(0)
        dm, g[b + "ln2.gamma"], g[b + "ln2.beta"] = _ln_back(
            (dh_ @ p[b + "mlp.0.W"].T).reshape(N, T, D), xh2, inv2, p[b + "ln2.gamma"])
        dx = dx + dm
        d2 = dx.reshape(N * T, D)
        g[b + "attn.Wo"] = C.T @ d2
        dC = (d2 @ p[b + "attn.Wo"].T).reshape(N, T, H, dh).transpose(0, 2, 1, 3)
        dv = A.transpose(0, 1, 3, 2) @ dC
        dA = dC @ v.transpose(0, 1, 3, 2)
        dS = A * (dA - (dA * A).sum(-1, keepdims=True)) * dh ** -0.5
        dq, dk = dS @ k, dS.transpose(0, 1, 3, 2) @ q
        da = 0
        for w, dw in (("Wq", dq), ("Wk", dk), ("Wv", dv)):
            dw = dw.transpose(0, 2, 1, 3).reshape(N * T, D)
            g[b + "attn." + w] = a2.T @ dw
            da = da + dw @ p[b + "attn." + w].T
        da, g[b + "ln1.gamma"], g[b + "ln1.beta"] = _ln_back(da.reshape(N, T, D), xh1, inv1,
                                                            p[b + "ln1.gamma"])
        dx = dx + da
    g["pos.P"] = np.zeros_like(P)
    g["pos.P"][:T] = dx.sum(0)
    np.add.at(g["tok.W"], idx.reshape(-1), dx.reshape(N * T, D))
    for name, value in p.items():
        value -= lr * g[name]
    return g


def gpt_step(model, loss, idx, labels, lr):
    loss.forward(model.forward(idx), labels)
    model.backward(loss.backward())
    for _, value, grad in model.parameters():
        value -= lr * grad


def main():
    for name, V, T, D, L, H, N in CONFIGS:
        rng = np.random.default_rng(0)
        model = nm.GPT(V, T, D, L, H, rng=rng)
        loss = nm.SoftmaxCrossEntropy()
        idx, labels = rng.integers(0, V, (N, T)), rng.integers(0, V, (N, T))
        flat = {n: a.copy() for n, a, _ in model.parameters()}
        g = flat_step(flat, L, H, idx, labels, 0.0)
        gpt_step(model, loss, idx, labels, 0.0)
        worst = max(np.max(np.abs(grad - g[n])) for n, _, grad in model.parameters())
        times = paired_times([lambda: gpt_step(model, loss, idx, labels, LR),
                              lambda: flat_step(flat, L, H, idx, labels, LR)], 9)
        print(f"{name}: GPT {np.median(times[:, 0]) * 1e3:.1f} ms, numpy "
              f"{np.median(times[:, 1]) * 1e3:.1f} ms, ratio {median_ratio(times, 0, 1):.2f}x "
              f"(max gradient difference {worst:.1e})")


if __name__ == "__main__":
    main()
