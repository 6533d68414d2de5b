r"""The Gaussian error linear unit, GELU, and the error function it needs (issue 25).

``GELU(x) = x Φ(x)``, with ``Φ`` the standard normal distribution function,
weighs its input by the probability that a standard normal variable lies below
it. Its derivative has two terms, by the product rule:

.. math:: \frac{d}{dx}\, x\,\Phi(x) = \Phi(x) + x\,\varphi(x),
          \qquad \varphi(x) = \frac{e^{-x^2/2}}{\sqrt{2\pi}} .

NumPy has no error function and SciPy is not a dependency, so :func:`erf` and
:func:`erfc` are written here from two classical expansions, each used where it
converges fast; both agree with :func:`math.erf` to about ``1e-15``
(``tests/lib/test_gelu_rmsnorm_rope.py``). The tanh approximation of GPT-2 is the
other option, as in ``torch.nn.GELU(approximate="tanh")``.
"""

import numpy as np

from .checks import check_choice
from .module import Module

__all__ = ["erf", "erfc", "normal_cdf", "gelu", "gelu_grad_Z", "GELU"]

_SPLIT = 2.5    # |x| below: the power series of erf; above: the continued fraction of erfc
_TERMS = 40     # enough for 1e-16 on [0, 2.5]
_DEPTH = 40     # enough for 4e-15 relative on [2.5, ∞)
_SERIES = [1.0]                      # c_n = 2^n / (1·3·5···(2n+1))
for _n in range(1, _TERMS):
    _SERIES.append(_SERIES[-1] * 2.0 / (2 * _n + 1))


def _erf_series(x):
    r"""``erf(x) = (2/√π) e^{−x²} Σ_n 2ⁿ x^{2n+1} / (2n+1)!!``: positive terms, no cancellation."""
    z = x * x
    p = np.full_like(x, _SERIES[-1])
    for c in reversed(_SERIES[:-1]):   # Horner in z = x²
        p *= z
        p += c
    return (2.0 / np.sqrt(np.pi)) * np.exp(-z) * x * p


def _erfc_fraction(x):
    r"""``erfc(x) = e^{−x²}/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …))))`` for ``x ≥ 2.5``."""
    t = x.copy()
    for k in range(_DEPTH, 0, -1):     # evaluated from the bottom up
        t = x + (0.5 * k) / t
    return np.exp(-x * x) / (np.sqrt(np.pi) * t)


def erf(x):
    r"""The error function ``erf(x) = (2/√π) ∫₀ˣ e^{−t²} dt``, element-wise.

    Parameters
    ----------
    x : array_like of float, any shape

    Returns
    -------
    ndarray of float64, shape of ``x``

    Notes
    -----
    For ``|x| < 2.5`` a power series with positive terms (so no cancellation),
    evaluated by Horner's rule; beyond, ``1 − erfc(|x|)`` with the continued
    fraction of :func:`erfc`. Absolute error about ``1e-15`` against
    :func:`math.erf`; ``erf`` is odd.

    Examples
    --------
    >>> [round(float(v), 12) for v in erf(np.array([0.0, 1.0, -3.0]))]
    [0.0, 0.84270079295, -0.999977909503]
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = a < _SPLIT
    out = np.empty_like(x)
    out[small] = _erf_series(x[small])
    out[~small] = np.sign(x[~small]) * (1.0 - _erfc_fraction(a[~small]))
    return out


def erfc(x):
    r"""The complementary error function ``erfc(x) = 1 − erf(x)``, accurate where it is tiny.

    Parameters
    ----------
    x : array_like of float, any shape

    Returns
    -------
    ndarray of float64, shape of ``x``

    Notes
    -----
    For ``x ≥ 2.5`` the continued fraction (relative error about ``4e-15``, so
    ``erfc(10) ≈ 2.1e-45`` keeps its digits); for ``x ≤ −2.5``,
    ``2 − erfc(−x)``; in between, ``1 − erf(x)``.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.empty_like(x)
    big, low = x >= _SPLIT, x <= -_SPLIT
    mid = ~(big | low)
    out[big] = _erfc_fraction(x[big])
    out[low] = 2.0 - _erfc_fraction(-x[low])
    out[mid] = 1.0 - _erf_series(x[mid])
    return out


def normal_cdf(x):
    r"""``Φ(x) = ½ erfc(−x/√2)``, the standard normal distribution function (exact in the far left tail)."""
    return 0.5 * erfc(-np.asarray(x, dtype=np.float64) / np.sqrt(2.0))


_C = np.sqrt(2.0 / np.pi)    # the tanh approximation: Φ(x) ≈ ½(1 + tanh(√(2/π)(x + 0.044715 x³)))
_A = 0.044715


def gelu(Z, approximate="none"):
    r"""GELU of ``Z`` element-wise, as ``torch.nn.functional.gelu``.

    Parameters
    ----------
    Z : array_like, any shape
    approximate : {"none", "tanh"}, optional

    Returns
    -------
    Y : ndarray, shape of ``Z``

    Notes
    -----
    .. math:: \text{"none"}:\ y = x\,\Phi(x), \qquad
              \text{"tanh"}:\ y = \tfrac12 x\bigl(1 + \tanh u\bigr),\
              u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)

    Examples
    --------
    >>> np.round(gelu(np.array([-1.0, 0.0, 1.0])), 6)
    array([-0.158655,  0.      ,  0.841345])
    """
    approximate = check_choice("gelu", "approximate", approximate, ("none", "tanh"))
    Z = np.asarray(Z)
    if approximate == "tanh":
        return 0.5 * Z * (1.0 + np.tanh(_C * (Z + _A * Z ** 3)))
    return (Z * normal_cdf(Z)).astype(np.result_type(Z, np.float32), copy=False)


def gelu_grad_Z(dY, Z, approximate="none"):
    r"""Gradient through GELU, from its input: ``dY ⊙ GELU'(Z)``.

    Parameters
    ----------
    dY : array, shape S
        Upstream gradient ``∂L/∂Y``.
    Z : array, shape S
        The GELU's input.
    approximate : {"none", "tanh"}, optional

    Returns
    -------
    dX : ndarray, shape S

    Notes
    -----
    Element-wise, so the Jacobian is diagonal (chapter 6) and the
    vector-Jacobian product is a product of arrays:

    .. math:: \text{"none"}:\ \frac{\partial L}{\partial x} = \delta\,\bigl(\Phi(x) + x\,\varphi(x)\bigr),
              \qquad
              \text{"tanh"}:\ \delta\Bigl(\tfrac12(1 + \tanh u)
              + \tfrac12 x\,(1 - \tanh^2 u)\sqrt{2/\pi}\,(1 + 3\cdot 0.044715\,x^2)\Bigr)
    """
    approximate = check_choice("gelu_grad_Z", "approximate", approximate, ("none", "tanh"))
    Z = np.asarray(Z)
    if approximate == "tanh":
        t = np.tanh(_C * (Z + _A * Z ** 3))
        return dY * (0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t * t) * _C * (1.0 + 3 * _A * Z * Z))
    phi = np.exp(-0.5 * Z * Z) / np.sqrt(2.0 * np.pi)
    return dY * (normal_cdf(Z) + Z * phi)


class GELU(Module):
    r"""Element-wise GELU, as ``torch.nn.GELU(approximate)``; caches its input.

    Parameters
    ----------
    approximate : {"none", "tanh"}, optional
        ``"none"``: ``x Φ(x)`` with the error function; ``"tanh"``: GPT-2's
        approximation. See :func:`gelu` and :func:`gelu_grad_Z`.

    Examples
    --------
    >>> act = GELU()
    >>> np.round(act.forward(np.array([[1.0, -2.0]])), 6)
    array([[ 0.841345, -0.0455  ]])
    """

    def __init__(self, approximate="none"):
        self.approximate = check_choice("GELU", "approximate", approximate, ("none", "tanh"))
        self._X = None

    def forward(self, X):
        """Return ``GELU(X)`` element-wise; cache ``X``."""
        self._X = X
        return gelu(self._X, self.approximate).astype(self._X.dtype, copy=False)

    def backward(self, dY):
        """Return ``dY ⊙ (Φ(X) + X φ(X))`` (or the tanh form's derivative)."""
        return gelu_grad_Z(dY, self._X, self.approximate).astype(self._X.dtype, copy=False)

    def __repr__(self):
        return f"GELU(approximate={self.approximate!r})"
