"""K-FAC's helpers against their formulas written out, and the taps it installs.

Independent routes: ``kfac_factors`` is ``aᵀa / N`` and ``gᵀg / N`` with the sums
written as loops over the rows; ``factored_damping`` adds ``π √λ I`` and
``√λ / π I`` with ``π = sqrt(mean trace A / mean trace G)``, and ``π = 1`` when
either factor is zero; the output tap is installed once per model and passes
every argument through to the model's own forward.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import KFAC
from nnmath.optim.kfac import factored_damping, kfac_factors
from nnmath.optim.muon import newton_schulz


def test_factors_are_the_averaged_outer_products():
    rng = np.random.default_rng(0)
    for N in (1, 4):
        a, g = rng.standard_normal((N, 3)), rng.standard_normal((N, 2))
        A, G = kfac_factors(a, g)
        np.testing.assert_allclose(A, sum(np.outer(r, r) for r in a) / N, rtol=1e-13)
        np.testing.assert_allclose(G, sum(np.outer(r, r) for r in g) / N, rtol=1e-13)


@pytest.mark.parametrize("a, g", [(np.ones((0, 3)), np.ones((0, 2))), (np.ones(3), np.ones((3, 2))),
                                  (np.ones((3, 2)), np.ones(3)), (np.ones((3, 2)), np.ones((2, 2)))])
def test_factors_refuse_bad_shapes_exactly(a, g):
    with pytest.raises(ValueError) as info:
        kfac_factors(a, g)
    assert str(info.value) == (f"kfac_factors: a and g must be (N, D) and (N, C) with the same "
                               f"N >= 1, got {a.shape} and {g.shape}")


def test_damping_is_split_by_the_ratio_of_mean_traces():
    rng = np.random.default_rng(1)
    a, g = rng.standard_normal((5, 3)), 0.1 * rng.standard_normal((5, 2))
    A, G = a.T @ a, g.T @ g
    pi = np.sqrt((np.trace(A) / 3) / (np.trace(G) / 2))
    Ad, Gd = factored_damping(A, G, 0.04)
    np.testing.assert_allclose(Ad, A + pi * 0.2 * np.eye(3), rtol=1e-13)
    np.testing.assert_allclose(Gd, G + 0.2 / pi * np.eye(2), rtol=1e-13)


@pytest.mark.parametrize("zero", ["A", "G", "both"])
def test_a_zero_factor_takes_pi_one(zero):
    A = np.zeros((3, 3)) if zero in ("A", "both") else np.diag([1.0, 2.0, 3.0])
    G = np.zeros((2, 2)) if zero in ("G", "both") else np.diag([4.0, 5.0])
    Ad, Gd = factored_damping(A, G, 0.09)
    np.testing.assert_array_equal(Ad, A + 0.3 * np.eye(3))
    np.testing.assert_array_equal(Gd, G + 0.3 * np.eye(2))


class _Scaled(nm.Sequential):
    """A model whose forward takes more than X, to see the tap pass it through."""

    def forward(self, X, shift=0.0, *, scale=1.0):
        return super().forward(X) * scale + shift


def test_the_output_tap_is_installed_once_and_passes_every_argument():
    rng = np.random.default_rng(2)
    model = _Scaled(nm.Linear(3, 4, rng=rng))
    X = rng.standard_normal((2, 3))
    expected = model.forward(X, 0.5, scale=2.0)
    KFAC(model, lr=0.1)
    installed = model.hooks
    KFAC(model, lr=0.1)
    assert model.hooks == installed and len(installed) == 1   # the second optimiser reuses it
    np.testing.assert_array_equal(model.forward(X, 0.5, scale=2.0), expected)
    np.testing.assert_array_equal(installed[0].output, expected)


@pytest.mark.parametrize("coefficients, message", [
    ((np.inf, 0.0, 0.0), "newton_schulz: coefficients[0] must be finite and a real number, got inf"),
    ((2.0, np.nan, 0.0), "newton_schulz: coefficients[1] must be finite and a real number, got nan"),
])
def test_newton_schulz_names_a_coefficient_that_is_not_finite(coefficients, message):
    with pytest.raises(ValueError) as info:
        newton_schulz(np.eye(2), 1, coefficients)
    assert str(info.value) == message
