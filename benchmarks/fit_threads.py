"""How many BLAS threads ``fit`` should use: one, or all the cores (NumPy's default).

Runs the same ``fit`` (same data, model and seed) in a fresh process for each
``OPENBLAS_NUM_THREADS`` setting, alternating them over several rounds so that a
change in a shared machine's load lands on both alike, and reports the median
time per setting and the median of the per-round ratios. Two models: a digits
MLP 64-128-64-10 (the size of the book's chapters) and a wider 784-512-512-10 one
on random data. Run: ``python benchmarks/fit_threads.py``.
"""

import os
import subprocess
import sys
import time

import numpy as np

ROUNDS = 5
CASES = {  # name: (widths, samples, epochs, batch_size)
    "digits MLP 64-128-64-10": ((64, 128, 64, 10), 1797, 5, 32),
    "wide MLP 784-512-512-10": ((784, 512, 512, 10), 2048, 2, 128),
}

CHILD = """
import sys, time
import numpy as np
import nnmath as nm
widths, N, epochs, batch = eval(sys.argv[1])
rng = np.random.default_rng(0)
if widths[0] == 64:
    X, y = nm.data.load_digits()
    X = X.reshape(len(X), -1)
else:
    X, y = rng.standard_normal((N, widths[0])), rng.integers(0, widths[-1], N)
layers = []
for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
    layers.append(nm.Linear(a, b, rng=rng))
    if i < len(widths) - 2:
        layers.append(nm.ReLU())
model = nm.Sequential(*layers)
start = time.perf_counter()
nm.fit(model, nm.SoftmaxCrossEntropy(), X, y, epochs=epochs, batch_size=batch, lr=0.05,
       rng=np.random.default_rng(1), progress=False)
print(time.perf_counter() - start)
"""


def run(case, threads):
    env = dict(os.environ)
    env.pop("OPENBLAS_NUM_THREADS", None)
    if threads is not None:
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    out = subprocess.run([sys.executable, "-c", CHILD, repr(case)], env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout.strip())


def main():
    print(f"cores: {os.cpu_count()}; {ROUNDS} rounds, each setting in a fresh process")
    print(f"{'model':<26} {'1 thread':>10} {'default':>10} {'default / 1':>12}")
    for name, case in CASES.items():
        one, default, ratios = [], [], []
        for _ in range(ROUNDS):
            a, b = run(case, 1), run(case, None)
            one.append(a), default.append(b), ratios.append(b / a)
        print(f"{name:<26} {np.median(one):>9.2f}s {np.median(default):>9.2f}s "
              f"{np.median(ratios):>12.2f}")


if __name__ == "__main__":
    main()
