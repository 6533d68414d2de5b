r"""Exercises that grade themselves: ``check_answer(name, fn)``.

A reader who has derived the backward formula of a registered identity writes it
as a function with the registry's signature, ``fn(delta, out, **inputs)``
(``delta = ∂L/∂out``, ``out = forward(**inputs)``; see
:class:`nnmath.book.identities.core.IdentityEntry`), and hands it to
:func:`check_answer`. The check runs ``fn`` on random inputs at several sizes and
compares it, entry by entry, with central finite differences of
``⟨δ, forward(inputs)⟩``: the entry's *forward* is the referee, never its compact
formula, so the check does not assume the answer it grades.

Sizes: the entry's ``sample(rng)`` gives inputs at one size (drawn twice, with
different values). :func:`resized_sample` redraws them with every axis length
``d ≥ 2`` changed to ``d + k`` for ``k = −1, 1, 2``, keeping the structure it can
recognise (integer indices, one-hot or probability rows, 0/1 masks, symmetric
positive definite or diagonally dominant matrices, positive arrays, scalars). A
resized sample is used only if the forward accepts it and the entry's own formula
agrees with finite differences on it, so that it lies where the identity holds;
an entry whose structure the redraw does not keep is checked at its sample's size
only. ``python -m nnmath check NAME module:function`` runs the same check from the
command line.
"""

from dataclasses import dataclass, field

import numpy as np

from ..gradcheck import norm_relative_error, numeric_gradient
from .identities import get

__all__ = ["check_answer", "AnswerReport", "SampleResult", "resized_sample"]

#: Relative tolerance of the comparison: an entry differs when
#: ``|yours − finite differences| > RTOL · (|finite differences| + max |finite differences|)``,
#: and the answer fails when any entry differs or the norm-wise relative error exceeds it.
RTOL = 1e-5


@dataclass
class SampleResult:
    """The comparison on one sample: where the answer differs from finite differences."""

    sizes: dict                      # input name -> shape
    size: int                        # number of input entries, the order of the report
    rel_error: float = float("nan")  # norm-wise relative error (nan if fn failed)
    n_entries: int = 0               # entries of the gradient
    differing: list = field(default_factory=list)  # (index, yours, finite differences), first few
    n_differing: int = 0
    problem: str = ""                # an exception or a wrong shape, if any

    @property
    def passed(self):
        return not self.problem and self.n_differing == 0 and self.rel_error <= RTOL

    def describe_sizes(self):
        return ", ".join(f"{k} {tuple(v)}" for k, v in self.sizes.items())


@dataclass
class AnswerReport:
    """The outcome of :func:`check_answer`: truthy when the answer agrees at every size."""

    name: str
    wrt: str
    samples: list                    # SampleResult, smallest input first

    @property
    def passed(self):
        return all(s.passed for s in self.samples)

    def __bool__(self):
        return self.passed

    @property
    def first_failure(self):
        """The smallest sample (by number of input entries) on which the answer fails, or None."""
        return next((s for s in self.samples if not s.passed), None)

    def __str__(self):
        sizes = "; ".join(s.describe_sizes() for s in self.samples)
        if self.passed:
            return (f"{self.name}: your d/d{self.wrt} agrees with finite differences of the "
                    f"forward on {len(self.samples)} samples (relative error below {RTOL:.0e} "
                    f"on each); sizes: {sizes}")
        bad = self.first_failure
        n_bad = sum(not s.passed for s in self.samples)
        lines = [f"{self.name}: your d/d{self.wrt} is wrong on {n_bad} of {len(self.samples)} "
                 f"samples; the smallest: {bad.describe_sizes()}"]
        if bad.problem:
            lines.append(f"  {bad.problem}")
        else:
            lines.append(f"  {bad.n_differing} of {bad.n_entries} entries differ (relative "
                         f"error {bad.rel_error:.2e}), e.g.")
            for index, yours, reference in bad.differing:
                where = ", ".join(str(i) for i in index)
                lines.append(f"    {self.wrt}[{where}]: yours {yours:.6g}, "
                             f"finite differences {reference:.6g}")
        return "\n".join(lines)


def _sizes(inputs):
    return {k: np.shape(v) for k, v in inputs.items()}


def _compare(entry, fn, inputs, rng, max_listed):
    """Run ``fn`` on ``inputs`` and compare with finite differences of the forward."""
    sizes = _sizes(inputs)
    result = SampleResult(sizes=sizes, size=int(sum(np.size(v) for v in inputs.values())))
    out = entry.forward(**inputs)
    delta = rng.standard_normal(np.shape(out))
    wrt = entry.wrt

    def scalar(v):
        return float(np.sum(delta * entry.forward(**{**inputs, wrt: v})))

    expected = numeric_gradient(scalar, np.asarray(inputs[wrt], dtype=float))
    result.n_entries = int(expected.size)
    copies = {k: np.copy(v) for k, v in inputs.items()}      # the answer may not change the inputs
    try:
        actual = np.asarray(fn(np.copy(delta), np.copy(out), **copies), dtype=float)
    except Exception as err:  # noqa: BLE001 - the reader's code may fail in any way
        result.problem = f"your function raised {type(err).__name__}: {err}"
        return result
    if actual.shape != expected.shape:
        result.problem = (f"your function returned shape {actual.shape}; d/d{wrt} has the "
                          f"shape of {wrt}, {expected.shape}")
        return result
    if not np.all(np.isfinite(actual)):
        result.problem = "your function returned non-finite values"
        return result
    result.rel_error = float(norm_relative_error(actual, expected))
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    off = np.abs(actual - expected) > RTOL * (np.abs(expected) + scale)
    result.n_differing = int(np.count_nonzero(off))
    for index in list(zip(*np.nonzero(off)))[:max_listed]:
        index = tuple(int(i) for i in index)
        result.differing.append((index, float(actual[index]), float(expected[index])))
    return result


def _redraw(value, new_shape, rng):
    """A random array of ``new_shape`` with the structure of ``value`` (see the module)."""
    a = np.asarray(value)
    if a.ndim == 0:
        return value
    if a.dtype.kind in "iu":
        return rng.integers(a.min(), a.max() + 1, size=new_shape)
    a = a.astype(float)
    last = new_shape[-1]
    if np.all(a >= 0) and np.allclose(a.sum(axis=-1), 1):
        if np.all((a == 0) | (a == 1)):                       # one-hot rows
            return np.eye(last)[rng.integers(0, last, size=new_shape[:-1])]
        p = rng.uniform(0.1, 1.0, size=new_shape)             # probability rows
        return p / p.sum(axis=-1, keepdims=True)
    if np.all((a == 0) | (a == 1)):                           # a 0/1 mask
        return (rng.uniform(size=new_shape) < max(a.mean(), 0.2)).astype(float)
    square = a.ndim >= 2 and a.shape[-1] == a.shape[-2] and new_shape[-1] == new_shape[-2]
    if square and np.allclose(a, np.swapaxes(a, -1, -2)) and np.all(np.linalg.eigvalsh(a) > 0):
        G = rng.standard_normal(new_shape)
        return G @ np.swapaxes(G, -1, -2) / last + np.eye(last)
    diag = np.abs(np.diagonal(a, axis1=-2, axis2=-1)) if square else None
    if square and np.all(diag > np.abs(a).sum(axis=-1) - diag):
        M = rng.standard_normal(new_shape)
        d = np.abs(M).sum(axis=-1) + 1.0
        return M + np.eye(last) * (d[..., None] - np.diagonal(M, axis1=-2, axis2=-1)[..., None])
    if np.all(a > 0):
        return rng.uniform(a.min(), a.max(), size=new_shape)
    return rng.standard_normal(new_shape) * (a.std() or 1.0) + a.mean()


def resized_sample(sample, k, rng):
    """Redraw ``sample`` with every axis of length ``d ≥ 2`` changed to ``d + k`` (lengths 1 stay 1)."""
    def new(d):
        return d + k if d >= 2 and d + k >= 1 else d

    return {name: _redraw(v, tuple(new(d) for d in np.shape(v)), rng) for name, v in sample.items()}


def _identity_holds(entry, inputs, rng):
    """Whether ``inputs`` lie where the identity holds: the forward runs and the entry agrees."""
    try:
        with np.errstate(all="raise"):
            out = entry.forward(**inputs)
        if not np.all(np.isfinite(out)):
            return False
        return _compare(entry, entry.compact, inputs, rng, 0).passed
    except Exception:  # noqa: BLE001 - a redraw the forward rejects is simply not used
        return False


def check_answer(name, fn, *, seed=0, resize=(-1, 1, 2), max_listed=5):
    """Check a reader's backward formula for the registered identity ``name``.

    Parameters
    ----------
    name : str
        A registry entry (``python -m nnmath verify --list`` lists them).
    fn : callable
        ``fn(delta, out, **inputs)`` returning ``∂L/∂inputs[wrt]`` (the shape of
        that input), as the entry's own ``compact``.
    seed : int
        Seed of the random inputs and upstream gradients.
    resize : tuple of int
        Changes of every axis length tried besides the entry's own sample size.
    max_listed : int
        How many differing entries the report lists.

    Returns
    -------
    AnswerReport
        Truthy when ``fn`` agrees with finite differences of the entry's forward
        on every sample; otherwise ``report.first_failure`` is the smallest failing
        sample and ``str(report)`` names its sizes and the entries that differ.

    Examples
    --------
    >>> report = check_answer("matmul_grad_W", lambda delta, out, X, W: X.T @ delta)
    >>> bool(report)
    True
    >>> bool(check_answer("matmul_grad_W", lambda delta, out, X, W: 1.5 * X.T @ delta))
    False
    """
    entry = get(name)
    rng = np.random.default_rng(seed)
    base = entry.sample(rng)
    samples = [base, entry.sample(rng)]
    for k in resize:
        candidate = resized_sample(base, k, rng)
        if _sizes(candidate) != _sizes(base) and _identity_holds(entry, candidate, rng):
            samples.append(candidate)
    results = [_compare(entry, fn, inputs, rng, max_listed) for inputs in samples]
    results.sort(key=lambda r: r.size)
    return AnswerReport(name=name, wrt=entry.wrt, samples=results)
