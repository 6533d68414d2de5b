"""Each check of every convolution identity rejects a wrong compact formula.

For every entry of chapters 23 and 24 a plausible slip (a flipped kernel, a
correlation where a convolution belongs, a lost stride, an averaged window)
replaces the compact formula; the SymPy proof, the finite-difference check and
the engine check must each fail on it, and the all-sizes proofs must fail on a
flipped index.
"""

import dataclasses

import numpy as np
import pytest

from nnmath import conv as cv
from nnmath.book.chapters import ch23_conv1d as c1
from nnmath.book.identities import REGISTRY
from nnmath.book.identities import ch24_conv2d as reg24
from nnmath.im2col import im2col


def _flip(a):
    return np.asarray(a)[..., ::-1]


def _mean_pool_grad(kernel, stride):
    """The gradient of *average* pooling: δ spread evenly over the window."""
    def compact(delta, out, X):
        (kh, kw), (sh, sw) = kernel, stride
        OH, OW = delta.shape[2:]
        dX = np.zeros(X.shape, dtype=np.asarray(delta).dtype)
        for u in range(kh):
            for v in range(kw):
                dX[:, :, u:u + sh * OH:sh, v:v + sw * OW:sw] += delta * (1 / (kh * kw))
        return dX
    return compact


WRONG = {
    # ∂L/∂w with the kernel flipped: the convolution instead of the correlation
    "conv1d_grad_w": lambda d, out, x, w: _flip(c1.correlate1d_grad_w(x, d, len(w))),
    # ∂L/∂x as a correlation of δ with w (kernel not flipped)
    "conv1d_grad_x": lambda d, out, x, w: c1.correlate1d_grad_x(d, _flip(w), len(x)),
    # the stride forgotten: δ not dilated
    "conv1d_strided_grad_w": lambda d, out, x, w: c1.correlate1d_grad_w(x, d, len(w), 1, 1),
    "conv1d_strided_grad_x": lambda d, out, x, w: c1.correlate1d_grad_x(d, _flip(w), len(x), 2, 1),
    "conv2d_grad_W": lambda d, out, X, K: cv.conv2d_grad_W(
        d, im2col(X, K.shape[2:], reg24.STRIDE, reg24.PADDING), K.shape)[..., ::-1, ::-1],
    "conv2d_grad_X": lambda d, out, X, K: cv.conv2d_grad_X(
        d, K[..., ::-1, ::-1], X.shape, reg24.STRIDE, reg24.PADDING),
    "conv2d_grad_b": lambda d, out, X, K, b: np.asarray(d).sum(axis=(0, 2, 3)) / 2,
    "maxpool2d_grad_X": _mean_pool_grad((2, 2), (2, 2)),
    "maxpool2d_overlapping_grad_X": _mean_pool_grad((2, 2), (1, 1)),
}

CONV_ENTRIES = [n for n in REGISTRY if REGISTRY[n].chapter.startswith(("derivations/23_",
                                                                      "derivations/24_"))]


def test_every_convolution_entry_has_a_wrong_formula():
    assert sorted(CONV_ENTRIES) == sorted(WRONG)


def _wrong_entry(name):
    entry = REGISTRY[name]
    return dataclasses.replace(entry, compact=WRONG[name])  # a custom proof receives it too


@pytest.mark.parametrize("name", sorted(WRONG))
def test_sympy_rejects_the_wrong_formula(name):
    assert not all(p.holds for p in _wrong_entry(name).prove())


@pytest.mark.parametrize("name", sorted(WRONG))
def test_finite_differences_reject_the_wrong_formula(name):
    assert not _wrong_entry(name).check_numeric(np.random.default_rng(0)).passed


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_engine_rejects_the_wrong_formula(name):
    assert not _wrong_entry(name).check_autodiff(np.random.default_rng(0)).passed


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_right_formula_passes_the_same_checks(name):
    # the control: with the registered formula the checks pass on the same draws
    # (its proofs run in test_identities.py)
    entry = REGISTRY[name]
    assert entry.check_numeric(np.random.default_rng(0)).passed
    assert entry.check_autodiff(np.random.default_rng(0)).passed


def test_all_sizes_proofs_reject_a_flipped_index():
    right = {key: REGISTRY[f"conv1d_grad_{key}"].extra["index_notation_proof"]() for key in "wx"}
    wrong = c1.prove_conv1d_collapse_all_sizes(wrong_w=True, wrong_x=True)
    assert right["w"].holds and right["x"].holds
    assert not wrong["w"].holds and not wrong["x"].holds
