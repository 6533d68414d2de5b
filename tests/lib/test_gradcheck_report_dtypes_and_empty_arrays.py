"""``gradcheck.check`` reports a float32 module's gradients in float64, as the numeric ones,
and checks arrays with no entries at all, keeping the floor it was given.

Independent route: the module's gradients ``δ ⊙ w`` and ``Σ_n δ ⊙ X`` written out in NumPy,
and, for empty arrays, the definition (nothing to compare: every error is 0).
"""

import numpy as np

import nnmath as nm
from nnmath.gradcheck import check


class _Float32Scale(nm.Module):
    """``Y = X * w`` (columnwise) computed in float32, forward and backward."""

    def __init__(self, w):
        self.w, self.dw = np.asarray(w, dtype=np.float32), None

    def forward(self, X):
        self._X = np.asarray(X, dtype=np.float32)
        return self._X * self.w

    def backward(self, dY):
        dY = np.asarray(dY, dtype=np.float32)
        self.dw = (dY * self._X).sum(axis=0)
        return dY * self.w

    def parameters(self):
        return [("w", self.w, self.dw)]


def test_the_gradients_of_a_float32_module_are_reported_in_float64():
    rng = np.random.default_rng(30)
    w = rng.standard_normal(3)
    X, delta = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    report = check(_Float32Scale(w), X, upstream=delta)
    X32, d32, w32 = (a.astype(np.float32).astype(np.float64) for a in (X, delta, w))
    expected = {"input": d32 * w32, "w": (d32 * X32).sum(axis=0)}
    assert [c.name for c in report.arrays] == list(expected)
    for c in report.arrays:
        assert c.analytic.dtype == c.numeric.dtype == np.float64, c.name
        np.testing.assert_allclose(c.analytic, expected[c.name], rtol=1e-6)


def test_arrays_without_entries_pass_with_the_floor_given():
    for floor in (1e-6, 1e-9):
        report = check(lambda x: float(np.sum(x ** 2)), np.zeros(0), grad=lambda x: 2 * x,
                       floor=floor)
        assert report.floor == floor
        assert report.passed and report.max_error == 0.0
        assert report.arrays[0].analytic.shape == report.arrays[0].numeric.shape == (0,)
