"""One MLP training step through the autodiff engine vs the same step with Sequential.

Both run forward, the MSE loss ``1/(2N) Σ‖y − t‖²``, backward and an SGD
update on the same network ``X_l = f(X_{l−1} W_l + b_l)``:

* ``Sequential``: nnmath's layers and their hand-written backward passes;
* ``Tensor``: the network rebuilt with :func:`nnmath.autodiff.from_sequential`,
  so the graph is recorded on every forward pass and differentiated by the
  engine's local rules.

The two do the same matrix products: neither computes the gradient with
respect to the data (``X`` is a constant for the engine; Sequential is asked
for ``input_grad=False``, as :func:`nnmath.fit` does), and neither zeroes its
gradients first (a backward pass *sets* them, in both). The engine adds the
bookkeeping of a node per operation (closure, topological sort, dictionary of
pending gradients). Target: Tensor / Sequential ≤ 1.2 at 784-256-256-10.
Run: ``make bench``.

Measured (2026-12-04, AMD EPYC, 2 logical CPUs shared with other jobs,
``OPENBLAS_NUM_THREADS=1``, each run the median of 50 paired steps, five runs),
Tensor / Sequential at 784-256-256-10: 1.35–1.41 (median 1.39) with the engine
as it was before issue 22, 1.07–1.15 (median 1.10) after. Where the time went:
the product's backward computed the gradient of the constant ``X`` (a product
as costly as the forward pass), and every leaf copied its gradient. A
``zero_grad`` before each step (this file called it until then) costs another
~0.1: it frees the large gradient arrays, the allocator hands their memory
back to the system, and the next pass page-faults it in again.
"""

import os
import sys

import numpy as np

import nnmath as nm
from nnmath import autodiff as ad
from nnmath.model import Sequential
from nnmath.optim import SGD

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import paired_times  # noqa: E402

CONFIGS = [  # (name, layer widths, activation, batch)
    ("784-256-256-10 tanh, N=128", (784, 256, 256, 10), nm.Tanh, 128),
    ("64-128-128-10 relu, N=64", (64, 128, 128, 10), nm.ReLU, 64),
    ("4-16-3 tanh, N=32", (4, 16, 3), nm.Tanh, 32),
]
LR = 0.01


def build(widths, activation, rng):
    layers = []
    for i, (d, c) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nm.Linear(d, c, rng=rng))
        if i < len(widths) - 2:
            layers.append(activation())
    return Sequential(*layers)


def sequential_step(model, loss, opt, X, T):
    loss.forward(model.forward(X), T)
    model.backward(loss.backward(), input_grad=False)  # as fit does: no dX for the data
    opt.step()


def tensor_step(forward, params, X, T):
    ad.mse_loss(forward(X), T).backward()  # sets every .grad, as Sequential's backward sets dW
    for p in params:
        p.data -= LR * p.grad


def main():
    print(f"{'config':<30} {'Sequential':>11} {'Tensor':>11} {'Tensor/Seq':>11}")
    for name, widths, activation, batch in CONFIGS:
        rng = np.random.default_rng(0)
        model = build(widths, activation, rng)
        X = rng.standard_normal((batch, widths[0]))
        T = rng.standard_normal((batch, widths[-1]))
        forward, params = ad.from_sequential(model)  # copies of the same initial weights
        params = list(params.values())
        loss, opt = nm.MSE(), SGD(model, LR)
        repeats = 50 if widths[0] > 100 else 1000
        # the steps alternate, so they share the machine's load; the median of each
        t_seq, t_ten = np.median(paired_times([lambda: sequential_step(model, loss, opt, X, T),
                                               lambda: tensor_step(forward, params, X, T)],
                                              repeats), axis=0)
        # same arithmetic: after identical steps the weights still agree
        drift = max(float(np.max(np.abs(p.data - q))) for p, (_, q, _) in
                    zip(params, model.parameters()))
        assert drift < 1e-9, f"{name}: the two routes drifted apart by {drift:.2e}"
        print(f"{name:<30} {t_seq * 1e3:>9.3f}ms {t_ten * 1e3:>9.3f}ms {t_ten / t_seq:>11.2f}")


if __name__ == "__main__":
    main()
