"""The timing loops the benchmarks share (a helper module, not a benchmark).

``make bench`` skips files whose names start with ``_``. A benchmark run as
``python benchmarks/NAME.py`` finds this module because Python puts the script's
folder first on ``sys.path``; each benchmark also inserts its own folder, so it
imports the same way when loaded from elsewhere.

* :func:`median_time`, :func:`best_time`: one step, repeated; the median (robust
  to a busy spell) or the minimum (the least disturbed run).
* :func:`paired_times`: several steps run in turn, round after round, so a
  change in a shared machine's load lands on all of them alike; with
  :func:`median_ratio`, the median of the per-round ratios of two of them.
"""

import time

import numpy as np

__all__ = ["median_time", "best_time", "paired_times", "median_ratio"]


def _times(step, repeats, warmup):
    for _ in range(warmup):  # caches, allocator
        step()
    times = np.empty(repeats)
    for r in range(repeats):
        start = time.perf_counter()
        step()
        times[r] = time.perf_counter() - start
    return times


def median_time(step, repeats, *, warmup=3):
    """Median wall time (seconds) of ``repeats`` calls of ``step()``, after ``warmup`` calls."""
    return float(np.median(_times(step, repeats, warmup)))


def best_time(step, repeats, *, warmup=0):
    """Smallest wall time (seconds) of ``repeats`` calls of ``step()``: the least disturbed run."""
    return float(np.min(_times(step, repeats, warmup)))


def paired_times(steps, repeats, *, warmup=3):
    """Wall times of the ``steps`` run in turn: an array ``(repeats, len(steps))`` of seconds.

    Each round runs every step once, in order, so each row holds runs made
    moments apart; ``warmup`` rounds come first and are not timed.
    """
    for _ in range(warmup):
        for step in steps:
            step()
    times = np.empty((repeats, len(steps)))
    for r in range(repeats):
        for s, step in enumerate(steps):
            start = time.perf_counter()
            step()
            times[r, s] = time.perf_counter() - start
    return times


def median_ratio(times, a=0, b=1):
    """Median over the rounds of ``times[:, a] / times[:, b]`` (from :func:`paired_times`).

    Each ratio compares two runs made moments apart, so it stays meaningful
    when the machine's load, and with it every time, changes between rounds.
    """
    return float(np.median(times[:, a] / times[:, b]))
