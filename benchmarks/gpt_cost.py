"""The measured time of a GPT training step against its FLOP count (chapter 34).

One step is a forward pass, the cross-entropy and the backward pass of a tied
:class:`nnmath.GPT` (LayerNorm, learned positions, 4 heads, batch 8, vocabulary 87
as the book's corpus). Three sweeps from a base configuration (d_model 64, 2
layers, T = 64): the width d_model, the depth n_layers, the sequence length T.
Each configuration's time is the median of several steps; its FLOP count is
:func:`nnmath.book.chapters.ch34_gpt_writes.step_flops` (the matrix products).

Writes ``benchmarks/results/gpt_cost.json`` (committed; chapter 34 reads it) with
the CPU, the date, the NumPy version and the BLAS threads. Run:
``OPENBLAS_NUM_THREADS=1 python benchmarks/gpt_cost.py`` (``make bench`` runs it).
"""

import datetime
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

import nnmath as nm
from nnmath.book.chapters.ch34_gpt_writes import step_flops

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import median_time  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "gpt_cost.json"
VOCAB, HEADS, N = 87, 4, 8
BASE = {"d_model": 64, "n_layers": 2, "T": 64}
SWEEPS = {"d_model": [32, 64, 128, 256], "n_layers": [1, 2, 4, 8], "T": [32, 64, 128, 256]}


def _cpu():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def step_time(d_model, n_layers, T, repeats=7):
    """Median seconds of one forward + loss + backward of a tied GPT."""
    rng = np.random.default_rng(0)
    model = nm.GPT(VOCAB, T, d_model, n_layers, HEADS, rng=rng)
    loss = nm.SoftmaxCrossEntropy()
    idx, labels = rng.integers(0, VOCAB, (N, T)), rng.integers(0, VOCAB, (N, T))

    def step():
        loss.forward(model.forward(idx), labels)
        model.backward(loss.backward())
    return median_time(step, repeats, warmup=2)


def main():
    rows = []
    for key, values in SWEEPS.items():
        for value in values:
            cfg = {**BASE, key: value}
            seconds = step_time(**cfg)
            flops = step_flops(vocab_size=VOCAB, N=N, **cfg)
            rows.append({"sweep": key, **cfg, "flops": flops, "seconds": seconds})
            print(f"{key}={value}: {flops / 1e6:.0f} MFLOP, {seconds * 1e3:.1f} ms, "
                  f"{flops / seconds / 1e9:.2f} GFLOP/s", flush=True)
    result = {"cpu": _cpu(), "date": datetime.date.today().isoformat(),
              "numpy": np.__version__,
              "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
              "vocab_size": VOCAB, "n_heads": HEADS, "batch": N, "base": BASE, "rows": rows}
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
