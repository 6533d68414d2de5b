r"""Registry entries for batch normalisation (chapter ch-batch-norm).

Training mode is LayerNorm's rule with the means taken over the batch axis
(:func:`nnmath.norm.standardize_grad_X` with ``axis=0``); evaluation mode is
a fixed affine map. ``ε`` is a symbol in the SymPy checks; the engine
route is :func:`nnmath.autodiff.batch_norm` (mean, subtraction, powers, sqrt).
"""

import numpy as np
import sympy as sp

from ... import autodiff as ad
from ...norm import affine_grads, standardize_grad_X
from ..allsizes import IndexArray
from .ch20_layer_norm import standardize_any
from .core import IdentityEntry, register


def batch_norm_any(X, gamma, beta, eps):
    """BatchNorm's training forward for ``X (N, F)``: each column standardised over the batch."""
    return standardize_any(X, 0, eps)[0] * gamma + beta


def _sample_batch(rng, N=5, F=3):
    return {"X": rng.standard_normal((N, F)), "gamma": rng.standard_normal(F),
            "beta": rng.standard_normal(F), "eps": 0.3}


def _grad_X(delta, out, X, gamma, beta, eps):
    Xhat, inv_std = standardize_any(X, 0, eps)
    return standardize_grad_X(delta * gamma, Xhat, inv_std, 0)


def _grad_gamma(delta, out, X, gamma, beta, eps):
    return affine_grads(delta, standardize_any(X, 0, eps)[0], 0)[0]


_SIZES = ({"X": (2, 2), "gamma": (2,), "beta": (2,), "eps": ()},
          {"X": (3, 2), "gamma": (2,), "beta": (2,), "eps": ()},
          {"X": (4, 1), "gamma": (1,), "beta": (1,), "eps": ()})
_SHAPES = {"X": "(N, F)", "gamma": "(F,)", "beta": "(F,)", "delta": "(N, F)"}

register(IdentityEntry(
    name="batch_norm_grad_X",
    title="BatchNorm (training): gradient with respect to the input",
    latex=(r"Y = \vb{\gamma} \odot \hat{X} + \vb{\beta} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial X_{:,f}} = \frac{1}{s_f}\Bigl(\vb{g}_f - "
           r"\operatorname{mean}(\vb{g}_f)\mathbf{1} - \hat{X}_{:,f}\operatorname{mean}"
           r"(\vb{g}_f \odot \hat{X}_{:,f})\Bigr),\ \vb{g}_f = \gamma_f \vb{\delta}_{:,f}"),
    shapes={**_SHAPES, "dL/dX": "(N, F)"},
    forward=batch_norm_any,
    wrt="X",
    compact=_grad_X,
    sample=_sample_batch,
    symbolic_sizes=_SIZES,
    tensor_forward=lambda X, gamma, beta, eps: ad.batch_norm(X, gamma, beta, eps),
    notes="Means over the batch axis with the batch's own statistics; eps is a symbol in the SymPy check.",
))

register(IdentityEntry(
    name="batch_norm_grad_gamma",
    title="BatchNorm (training): gradient with respect to the scale",
    latex=(r"Y = \vb{\gamma} \odot \hat{X} + \vb{\beta} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial \vb{\gamma}} = \sum_n \vb{\delta}_n \odot \hat{\vb{x}}_n"),
    shapes={**_SHAPES, "dL/dgamma": "(F,)"},
    forward=batch_norm_any,
    wrt="gamma",
    compact=_grad_gamma,
    sample=_sample_batch,
    symbolic_sizes=_SIZES,
    tensor_forward=lambda X, gamma, beta, eps: ad.batch_norm(X, gamma, beta, eps),
))


# -- evaluation mode: a fixed affine map ---------------------------------------

def _inv_sqrt(v, eps):
    if isinstance(v, IndexArray):
        return 1.0 / np.sqrt(v + eps)
    v = np.asarray(v)
    if v.dtype == object:
        eps = np.asarray(eps, dtype=object)[()]
        return np.vectorize(lambda a: 1 / sp.sqrt(a + eps), otypes=[object])(v)
    return 1.0 / np.sqrt(v + eps)


def batch_norm_eval_any(X, gamma, beta, mean, var, eps):
    """BatchNorm in evaluation mode: ``γ (X − mean) / √(var + ε) + β`` with fixed statistics."""
    return (X - mean) * _inv_sqrt(var, eps) * gamma + beta


def _eval_grad_X(delta, out, X, gamma, beta, mean, var, eps):
    return delta * gamma * _inv_sqrt(var, eps)


def _sample_eval(rng, N=5, F=3):
    return {**_sample_batch(rng, N, F), "mean": rng.standard_normal(F),
            "var": rng.uniform(0.5, 2.0, F)}


_EVAL_SIZES = tuple({**s, "mean": s["gamma"], "var": s["gamma"]} for s in _SIZES[:2])

register(IdentityEntry(
    name="batch_norm_eval_grad_X",
    title="BatchNorm (evaluation): gradient with respect to the input",
    latex=(r"Y = \vb{\gamma} \odot \frac{X - \vb{r}_\mu}{\sqrt{\vb{r}_{\sigma^2} + \varepsilon}}"
           r" + \vb{\beta} \;\Rightarrow\; \frac{\partial L}{\partial X} = \delta \odot "
           r"\frac{\vb{\gamma}}{\sqrt{\vb{r}_{\sigma^2} + \varepsilon}}"),
    shapes={**_SHAPES, "r_mu": "(F,)", "r_var": "(F,)", "dL/dX": "(N, F)"},
    forward=batch_norm_eval_any,
    wrt="X",
    compact=_eval_grad_X,
    sample=_sample_eval,
    symbolic_sizes=_EVAL_SIZES,
    tensor_forward=lambda X, gamma, beta, mean, var, eps:
        (X - mean) / (var + eps).sqrt() * gamma + beta,
    notes="The running statistics are constants: each sample is mapped on its own.",
))

__all__ = ["batch_norm_any", "batch_norm_eval_any"]
