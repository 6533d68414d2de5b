"""Learning-rate schedules: a factor to multiply the base learning rate by at each step."""

import math

from ..checks import check_int, check_real

__all__ = ["warmup_cosine"]


def warmup_cosine(step, *, total, warmup, floor=0.0):
    r"""Return the learning-rate factor at ``step``: linear warm-up, then cosine decay.

    Parameters
    ----------
    step : int
        Steps taken so far (``0`` before the first update), ``≥ 0``.
    total : int
        Length of the schedule, ``≥ 1``; the factor reaches ``floor`` at ``step == total``
        and stays there after.
    warmup : int
        Warm-up steps, ``0 ≤ warmup ≤ total``.
    floor : float, optional
        The final factor, in ``[0, 1]`` (default 0).

    Returns
    -------
    float
        The factor; multiply the base learning rate by it before each step.

    Notes
    -----
    With ``s = step``, ``W = warmup``, ``T = total``, ``f = floor``:

    .. math::
        \text{factor}(s) = \begin{cases}
          (s + 1) / W & s < W, \\
          f + (1 - f)\,\tfrac12 \bigl(1 + \cos(\pi\,(s - W) / (T - W))\bigr) & W \le s < T, \\
          f & s \ge T.
        \end{cases}

    The warm-up goes from ``1/W`` at step 0 to 1 at step ``W − 1``: the first
    update already moves (a factor 0 would make ``lr = 0``, which no optimiser
    accepts). With ``floor=0`` it stays ``> 0`` over the steps ``0, …, T − 1``.

    Examples
    --------
    >>> [round(warmup_cosine(s, total=6, warmup=2), 3) for s in range(7)]
    [0.5, 1.0, 1.0, 0.854, 0.5, 0.146, 0.0]
    """
    step = check_int("warmup_cosine", "step", step, 0)
    total = check_int("warmup_cosine", "total", total, 1)
    warmup = check_int("warmup_cosine", "warmup", warmup, 0)
    if warmup > total:
        raise ValueError(f"warmup_cosine: warmup must be <= total, got warmup={warmup}, total={total}")
    floor = check_real("warmup_cosine", "floor", floor, lambda v: 0 <= v <= 1, "in [0, 1]")
    if step < warmup:
        return (step + 1) / warmup
    if step >= total:
        return floor
    progress = (step - warmup) / (total - warmup)
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))
