"""Seconds per training step of each optimiser of chapter 31's comparison, written to JSON.

For each task of ``nnmath.book.chapters.ch31_shampoo_muon`` (the digits CNN, the
transformer on digit reversal) and each optimiser of its ``FACTORIES`` (at the middle
rate of its grid; the rate does not change the arithmetic), a block of ``BLOCK`` full steps (forward, loss,
backward, optimiser update) on a fixed mini-batch is timed and divided by ``BLOCK``: K-FAC
recomputes its factors once every ``ch.KFAC_UPDATE_EVERY`` steps, so a block holds exactly
one such update and its time is the average step's, not the cheap one's. The optimisers run
in turn, round after round (``paired_times``), so a change in a shared machine's load
lands on all of them alike; the median per optimiser is written, with the machine,
the date and the library versions, to ``benchmarks/results/optimisers.json``, which
chapter 31 reads to plot loss against time. One BLAS thread, as in the notebooks.
Run: ``make bench`` (or ``python benchmarks/optimisers.py``).
"""

import datetime
import json
import os
import platform
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import nnmath as nm  # noqa: E402
from nnmath.book.chapters import ch31_shampoo_muon as ch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import paired_times  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results", "optimisers.json")
REPEATS = 300
BLOCK = ch.KFAC_UPDATE_EVERY
#: Written to the JSON: the conditions of the measurement.
NOTE = ("measured on a shared machine under load from other jobs (see load_average: the "
        "1-minute load before and after); the optimisers are interleaved round by round so "
        "the load lands on all alike, but absolute times are inflated and noisy")


def cpu_name():
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else ``platform.processor()``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def step_function(task, name):
    """A closure running one training step of optimiser ``name`` on ``task``."""
    model, X, y, _, _ = ch.make_task(task, 0)
    factory, rates = ch.FACTORIES[name]
    optimiser = factory(model, rates[len(rates) // 2])
    idx = np.random.default_rng(1).integers(0, len(X), ch.TASKS[task]["batch"])
    Xb, yb, loss = X[idx], y[idx], nm.SoftmaxCrossEntropy()

    def step():
        for _ in range(BLOCK):
            loss.forward(model.forward(Xb), yb)
            model.backward(loss.backward())
            optimiser.step()
    return step


def main():
    load_before = os.getloadavg()[0]
    seconds = {}
    for task in ch.TASKS:
        names = list(ch.FACTORIES)
        times = paired_times([step_function(task, n) for n in names], REPEATS, warmup=5)
        seconds[task] = {n: float(np.median(times[:, i])) / BLOCK for i, n in enumerate(names)}
        for n in names:
            print(f"{task:12s} {n:10s} {seconds[task][n] * 1e3:8.3f} ms/step "
                  f"({seconds[task][n] / seconds[task]['SGD']:.2f}× SGD)")
    result = {
        "machine": f"{cpu_name()}, {os.cpu_count()} logical CPUs, {platform.system()} "
                   f"{platform.machine()}",
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(), "numpy": np.__version__,
        "blas_threads": os.environ["OPENBLAS_NUM_THREADS"],
        "repeats": REPEATS, "block": BLOCK,
        "what": "median over repeats of the wall seconds of a block of `block` training steps "
                "(forward, loss, backward, update), divided by `block`",
        "note": NOTE,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "seconds_per_step": seconds,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
