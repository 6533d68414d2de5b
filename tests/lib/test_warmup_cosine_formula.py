"""warmup_cosine step by step against its piecewise formula, and its exact error texts.

Independent route: the three cases of the docstring written out with
``math.cos`` (warm-up ``(s + 1)/W``, cosine ``f + (1 − f)(1 + cos(π(s − W)/(T − W)))/2``,
floor ``f`` from ``T`` on), compared at every step of several schedules.
"""

import math

import numpy as np
import pytest

from nnmath.optim import warmup_cosine


def _formula(s, T, W, f):
    if s < W:
        return (s + 1) / W
    if s >= T:
        return f
    return f + (1 - f) * (1 + math.cos(math.pi * (s - W) / (T - W))) / 2


@pytest.mark.parametrize("T, W, f", [(10, 3, 0.2), (7, 0, 0.0), (5, 5, 0.5), (9, 1, 1.0), (1, 0, 0.3)])
def test_every_step_follows_the_formula(T, W, f):
    for s in range(T + 3):
        assert warmup_cosine(s, total=T, warmup=W, floor=f) == pytest.approx(
            _formula(s, T, W, f), rel=1e-14, abs=1e-15), s


def test_default_floor_is_zero_and_numpy_integers_are_accepted():
    assert warmup_cosine(8, total=8, warmup=2) == 0.0
    assert warmup_cosine(np.int64(3), total=np.int32(8), warmup=np.uint8(2)) == pytest.approx(
        _formula(3, 8, 2, 0.0), rel=1e-14)


@pytest.mark.parametrize("step, total, warmup, error, message", [
    (-1, 10, 2, ValueError, "warmup_cosine: step must be >= 0, got -1"),
    (1.5, 10, 2, TypeError, "warmup_cosine: step must be an integer, got 1.5"),
    (True, 10, 2, TypeError, "warmup_cosine: step must be an integer, got True"),
    (np.bool_(False), 10, 2, TypeError, "warmup_cosine: step must be an integer, got np.False_"),
    (0, 0, 0, ValueError, "warmup_cosine: total must be >= 1, got 0"),
    (0, 10, -2, ValueError, "warmup_cosine: warmup must be >= 0, got -2"),
    (0, 10, 11, ValueError, "warmup_cosine: warmup must be <= total, got warmup=11, total=10"),
])
def test_bad_steps_are_named_exactly(step, total, warmup, error, message):
    with pytest.raises(error) as info:
        warmup_cosine(step, total=total, warmup=warmup)
    assert str(info.value) == message


def test_the_boundaries_of_the_checks_are_accepted():
    assert warmup_cosine(0, total=1, warmup=0) == 1.0
    assert warmup_cosine(0, total=1, warmup=1) == 1.0
    assert warmup_cosine(0, total=4, warmup=0, floor=1) == 1.0
    with pytest.raises(ValueError, match=r"^warmup_cosine: floor must be finite and in \[0, 1\]"):
        warmup_cosine(0, total=4, warmup=0, floor=-0.1)


@pytest.mark.parametrize("floor", [1.5, 2.0])
def test_a_floor_above_one_is_refused(floor):
    with pytest.raises(ValueError) as info:
        warmup_cosine(0, total=4, warmup=0, floor=floor)
    assert str(info.value) == f"warmup_cosine: floor must be finite and in [0, 1], got {floor}"
