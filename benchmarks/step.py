"""One full training step (forward, loss, backward, SGD update), timed three ways.

* ``Sequential``: nnmath's layers, softmax cross-entropy and SGD;
* ``numpy``: the same arithmetic written inline, the floor for any NumPy code;
* ``torch``: PyTorch on the CPU, when it is installed (skipped otherwise).

Targets: Sequential ≤ 1.10× numpy on the large configurations; faster than
PyTorch on the small one. Run: ``make bench``.
"""

import os
import sys

import numpy as np

import nnmath as nm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_ratio, median_time, paired_times  # noqa: E402
from _torch import load_torch, sgd_step  # noqa: E402

CONFIGS = [  # (name, layer widths, activation, batch, dtype)
    ("784-256-256-10 relu f64", (784, 256, 256, 10), "relu", 128, np.float64),
    ("784-256-256-10 relu f32", (784, 256, 256, 10), "relu", 128, np.float32),
    ("4-16-3 tanh f64", (4, 16, 3), "tanh", 32, np.float64),
]
LR = 0.01


def make_data(widths, batch, dtype, rng):
    X = rng.standard_normal((batch, widths[0])).astype(dtype)
    labels = rng.integers(0, widths[-1], size=batch)
    return X, labels


def build_nnmath(widths, activation, dtype, rng):
    act = {"relu": nm.ReLU, "tanh": nm.Tanh}[activation]
    modules = []
    for i, (d_in, d_out) in enumerate(zip(widths[:-1], widths[1:])):
        modules.append(nm.Linear(d_in, d_out, rng=rng, dtype=dtype))
        if i < len(widths) - 2:
            modules.append(act())
    model = nm.Sequential(*modules)
    return model, nm.SoftmaxCrossEntropy(), nm.SGD(model, lr=LR)


def nnmath_step(model, loss, opt, X, labels):
    loss.forward(model.forward(X), labels)
    model.backward(loss.backward(), input_grad=False)  # like the reference: no dX for the data
    opt.step()


def numpy_weights(model):
    return [(layer.W.copy(), layer.b.copy()) for layer in model.layers if hasattr(layer, "W")]


def numpy_step(params, activation, X, labels):
    """The reference: forward, softmax cross-entropy, backward and update, inline."""
    acts, pre = [X], []
    for i, (W, b) in enumerate(params):
        Z = acts[-1] @ W + b
        pre.append(Z)
        if i < len(params) - 1:
            acts.append(np.maximum(Z, 0) if activation == "relu" else np.tanh(Z))
    Z = pre[-1]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    N = X.shape[0]
    dZ = P
    dZ[np.arange(N), labels] -= 1
    dZ /= N
    for i in range(len(params) - 1, -1, -1):
        W, b = params[i]
        dW, db = acts[i].T @ dZ, dZ.sum(axis=0)
        if i:
            dA = dZ @ W.T
            dZ = dA * (pre[i - 1] > 0) if activation == "relu" else dA * (1 - acts[i] ** 2)
        W -= LR * dW
        b -= LR * db


def torch_step_factory(model, activation, X, labels):
    torch = load_torch(threads=2)
    if torch is None:
        return None
    layers = []
    linears = [layer for layer in model.layers if hasattr(layer, "W")]
    for i, lin in enumerate(linears):
        t = torch.nn.Linear(*lin.W.shape, dtype=getattr(torch, str(lin.W.dtype)))
        with torch.no_grad():
            t.weight.copy_(torch.from_numpy(lin.W.T.copy()))
            t.bias.copy_(torch.from_numpy(lin.b.copy()))
        layers.append(t)
        if i < len(linears) - 1:
            layers.append(torch.nn.ReLU() if activation == "relu" else torch.nn.Tanh())
    return sgd_step(torch, torch.nn.Sequential(*layers), X, labels, LR)


def main():
    print(f"{'config':<26} {'Sequential':>11} {'numpy':>11} {'torch':>11} {'Seq/numpy':>10} {'Seq/torch':>10}")
    for name, widths, activation, batch, dtype in CONFIGS:
        rng = np.random.default_rng(0)
        X, labels = make_data(widths, batch, dtype, rng)
        model, loss, opt = build_nnmath(widths, activation, dtype, rng)
        params = numpy_weights(model)
        repeats = 100 if widths[0] > 100 else 2000
        # alternating: each ratio compares two runs made a few milliseconds apart
        times = paired_times([lambda: nnmath_step(model, loss, opt, X, labels),
                              lambda: numpy_step(params, activation, X, labels)], repeats)
        t_seq, t_np = np.median(times, axis=0)
        ratio = median_ratio(times)
        torch_step = torch_step_factory(model, activation, X, labels)
        t_torch = median_time(torch_step, repeats) if torch_step else float("nan")
        ratio_torch = f"{t_seq / t_torch:>10.2f}" if torch_step else f"{'n/a':>10}"
        print(f"{name:<26} {t_seq * 1e3:>9.3f}ms {t_np * 1e3:>9.3f}ms "
              f"{(f'{t_torch * 1e3:9.3f}ms' if torch_step else 'not installed'):>11} "
              f"{ratio:>10.2f} {ratio_torch}")


if __name__ == "__main__":
    main()
