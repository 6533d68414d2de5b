r"""Registry entries for layer normalisation (chapter ch-layer-norm).

The compact formulas are the library's own functions,
:func:`nnmath.norm.standardize_grad_X` and :func:`nnmath.norm.affine_grads`,
fed the ``x̂`` and ``1/s`` that :class:`nnmath.LayerNorm` caches. The SymPy
route keeps ``ε`` a symbol (an input of shape ``()``), so each check at sizes
covers every ``ε``; the engine route is built from ``mean``, ``-``, ``**``, ``sqrt`` and
``/`` (:func:`nnmath.autodiff.layer_norm`), never from the rule it checks.
"""

from ... import autodiff as ad
from ...norm import affine_grads, standardize, standardize_grad_X
from ..allsizes import IndexArray
from ..chapters.ch20_layer_norm import row_jacobian
from ..chapters.ch20_layer_norm import standardize_any as _chapter_standardize_any
from .core import IdentityEntry, register


def standardize_any(X, axis, eps):
    """``(x̂, 1/s)`` as the layer computes them: the chapter's glue, or for an
    :class:`~nnmath.book.allsizes.IndexArray` (symbolic sizes) the library's own
    :func:`nnmath.norm.standardize`."""
    if isinstance(X, IndexArray):
        return standardize(X, axis, eps)[:2]
    return _chapter_standardize_any(X, axis, eps)


def layer_norm_any(X, gamma, beta, eps):
    """LayerNorm's forward over the last axis, for numbers or SymPy symbols."""
    return standardize_any(X, -1, eps)[0] * gamma + beta


def _sample_row(rng, D=5):
    return {"x": rng.standard_normal(D), "eps": 0.3}


def _sample_batch(rng, N=4, D=5):
    return {"X": rng.standard_normal((N, D)), "gamma": rng.standard_normal(D),
            "beta": rng.standard_normal(D), "eps": 0.3}


# -- the Jacobian of one row ---------------------------------------------------

def _row_forward(x, eps):
    return standardize_any(x, -1, eps)[0]


def _row_compact(delta, out, x, eps):
    return delta @ row_jacobian(x, eps)


register(IdentityEntry(
    name="layer_norm_row_jacobian",
    title="Normalising one row: its Jacobian",
    latex=(r"\hat{\vb{x}} = \frac{\vb{x} - \mu}{\sqrt{\sigma^2 + \varepsilon}} \;\Rightarrow\; "
           r"\frac{\partial \hat{\vb{x}}}{\partial \vb{x}} = \frac{1}{s}\Bigl(I - "
           r"\frac{\mathbf{1}\mathbf{1}^{\top}}{D} - \frac{\hat{\vb{x}}\hat{\vb{x}}^{\top}}{D}\Bigr)"),
    shapes={"x": "(D,)", "eps": "()", "delta": "(D,)", "dxhat/dx": "(D, D)"},
    forward=_row_forward,
    wrt="x",
    compact=_row_compact,
    sample=_sample_row,
    symbolic_sizes=({"x": (2,), "eps": ()}, {"x": (3,), "eps": ()}, {"x": (4,), "eps": ()}),
    tensor_forward=lambda x, eps: ad.norm.standardize(x, -1, eps),
    notes=("s = sqrt(sigma^2 + eps) and x-hat = (x - mu)/s, both with the same eps: the "
           "formula is exact for every eps > 0. Checked as the product delta^T J."),
))


# -- the batch: input, gamma, beta ---------------------------------------------

def _grad_X(delta, out, X, gamma, beta, eps):
    Xhat, inv_std = standardize_any(X, -1, eps)
    return standardize_grad_X(delta * gamma, Xhat, inv_std, -1)


def _grad_gamma(delta, out, X, gamma, beta, eps):
    return affine_grads(delta, standardize_any(X, -1, eps)[0], 0)[0]


def _grad_beta(delta, out, X, gamma, beta, eps):
    return affine_grads(delta, standardize_any(X, -1, eps)[0], 0)[1]


_BATCH_SIZES = ({"X": (1, 3), "gamma": (3,), "beta": (3,), "eps": ()},
                {"X": (2, 3), "gamma": (3,), "beta": (3,), "eps": ()},
                {"X": (2, 2), "gamma": (2,), "beta": (2,), "eps": ()})
_SHAPES = {"X": "(N, D)", "gamma": "(D,)", "beta": "(D,)", "delta": "(N, D)"}

for _name, _wrt, _compact, _latex, _title in (
        ("layer_norm_grad_X", "X", _grad_X,
         r"\frac{\partial L}{\partial \vb{x}_n} = \frac{1}{s_n}\Bigl(\vb{g}_n - "
         r"\operatorname{mean}(\vb{g}_n)\,\mathbf{1} - \hat{\vb{x}}_n\operatorname{mean}"
         r"(\vb{g}_n \odot \hat{\vb{x}}_n)\Bigr),\ \vb{g}_n = \vb{\gamma} \odot \vb{\delta}_n",
         "LayerNorm: gradient with respect to the input"),
        ("layer_norm_grad_gamma", "gamma", _grad_gamma,
         r"\frac{\partial L}{\partial \vb{\gamma}} = \sum_n \vb{\delta}_n \odot \hat{\vb{x}}_n",
         "LayerNorm: gradient with respect to the scale"),
        ("layer_norm_grad_beta", "beta", _grad_beta,
         r"\frac{\partial L}{\partial \vb{\beta}} = \sum_n \vb{\delta}_n",
         "LayerNorm: gradient with respect to the shift")):
    register(IdentityEntry(
        name=_name,
        title=_title,
        latex=r"Y = \vb{\gamma} \odot \hat{X} + \vb{\beta} \;\Rightarrow\; " + _latex,
        shapes={**_SHAPES, f"dL/d{_wrt}": "(N, D)" if _wrt == "X" else "(D,)"},
        forward=layer_norm_any,
        wrt=_wrt,
        compact=_compact,
        sample=_sample_batch,
        symbolic_sizes=_BATCH_SIZES,
        tensor_forward=lambda X, gamma, beta, eps: ad.layer_norm(X, gamma, beta, eps),
        notes="Means over the last axis (the D features of a row); eps is a symbol in the SymPy check.",
    ))

__all__ = ["layer_norm_any", "standardize_any"]
