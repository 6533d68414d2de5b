"""Each check of every identity of the normalisation part rejects a wrong formula.

For every registry entry of chapters ch-layer-norm, ch-batch-norm and
ch-residual-regularisation, a plausible wrong compact formula (a known slip:
a missing term or factor) is put in the entry's place, and the SymPy check,
the finite-difference check and the engine check must each fail. (That the
right formulas pass every route is tests/book/test_identities.py's job.)
"""

from dataclasses import replace

import numpy as np
import pytest

from nnmath.book.chapters.ch20_layer_norm import standardize_any
from nnmath.book.identities import REGISTRY, for_chapter
from nnmath.norm import standardize_grad_X


def _ln_without_xhat_term(delta, out, X, gamma, beta, eps):
    G, (_, inv_std) = delta * gamma, standardize_any(X, -1, eps)
    return inv_std * (G - G.mean(axis=-1, keepdims=True))


def _row_jacobian_without_xhat_term(delta, out, x, eps):
    G, (_, inv_std) = delta, standardize_any(x, -1, eps)
    return inv_std * (G - G.mean(axis=-1, keepdims=True))


def _bn_without_mean_term(delta, out, X, gamma, beta, eps):
    G, (Xhat, inv_std) = delta * gamma, standardize_any(X, 0, eps)
    return inv_std * (G - Xhat * (G * Xhat).mean(axis=0, keepdims=True))


def _bn_with_layer_axis(delta, out, X, gamma, beta, eps):  # means over the wrong axis
    Xhat, inv_std = standardize_any(X, 0, eps)
    G = delta * gamma
    mean_G = G.mean(axis=-1, keepdims=True)
    return inv_std * (G - mean_G - Xhat * (G * Xhat).mean(axis=-1, keepdims=True))


WRONG = {
    "layer_norm_row_jacobian": _row_jacobian_without_xhat_term,
    "layer_norm_grad_X": _ln_without_xhat_term,
    "layer_norm_grad_gamma": lambda delta, out, X, gamma, beta, eps: (delta * X).sum(axis=0),
    "layer_norm_grad_beta": lambda delta, out, X, gamma, beta, eps: delta.mean(axis=0),
    "batch_norm_grad_X": _bn_without_mean_term,
    "batch_norm_grad_gamma": lambda delta, out, X, gamma, beta, eps: (delta * X).sum(axis=0),
    "batch_norm_eval_grad_X": lambda delta, out, X, gamma, beta, mean, var, eps: delta * gamma,
    "residual_grad_X": lambda delta, out, X, W: REGISTRY["residual_grad_X"].compact(
        delta, out, X, W) - delta,                                  # the identity term dropped
    "weight_decay_grad": lambda delta, out, W, lam: delta * lam * W / 2,   # the 2 not cancelled
    "dropout_grad_X": lambda delta, out, X, mask, p: delta * mask,        # no 1/(1 − p)
}

CHAPTERS = ("derivations/20_layer_norm", "derivations/21_batch_norm",
            "derivations/22_residual_regularisation")


def test_every_identity_of_the_part_has_a_wrong_formula():
    names = {e.name for c in CHAPTERS for e in for_chapter(c)}
    assert names == set(WRONG)


def test_bn_wrong_axis_formula_is_also_rejected_numerically():
    entry = replace(REGISTRY["batch_norm_grad_X"], compact=_bn_with_layer_axis)
    assert not entry.check_numeric(np.random.default_rng(0)).passed


@pytest.mark.parametrize("name", sorted(WRONG))
def test_sympy_rejects_the_wrong_formula(name):
    wrong = replace(REGISTRY[name], compact=WRONG[name])
    assert not all(wrong.prove())


@pytest.mark.parametrize("name", sorted(WRONG))
def test_finite_differences_reject_the_wrong_formula(name):
    wrong = replace(REGISTRY[name], compact=WRONG[name])
    for seed in range(3):
        assert not wrong.check_numeric(np.random.default_rng(seed)).passed


@pytest.mark.parametrize("name", sorted(WRONG))
def test_the_engine_rejects_the_wrong_formula(name):
    wrong = replace(REGISTRY[name], compact=WRONG[name])
    for seed in range(3):
        assert not wrong.check_autodiff(np.random.default_rng(seed)).passed
