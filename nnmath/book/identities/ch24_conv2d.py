r"""Registry entries for 2-D convolution and max pooling (chapter 24).

The compact formulas are the functions :class:`nnmath.Conv2d` and
:class:`nnmath.MaxPool2d` run: :func:`nnmath.conv.conv2d_grad_W` (``colsᵀδ``),
:func:`~nnmath.conv.conv2d_grad_X` (``col2im(δWᵀ)``),
:func:`~nnmath.conv.conv2d_grad_b` and :func:`~nnmath.conv.maxpool2d_grad_X`.
The convolution entries use a stride of ``(2, 1)`` and a padding of ``(1, 1)``,
so a slip in either shows. The engine routes (:func:`nnmath.autodiff.conv2d`,
:func:`~nnmath.autodiff.max_pool2d`) gather by index arrays and use ``@`` and
``max``; their ``np.add.at`` replaces :func:`nnmath.im2col.col2im`.
"""

import numpy as np

from ... import conv as cv
from ...autodiff import conv2d as tensor_conv2d, max_pool2d as tensor_max_pool2d
from ...im2col import im2col
from ..chapters import ch24_conv2d as c2
from .core import IdentityEntry, kernel, register

STRIDE, PADDING = (2, 1), (1, 1)


def _sample(rng, with_bias=False):
    inputs = {"X": rng.standard_normal((2, 2, 5, 4)), "K": rng.standard_normal((3, 2, 3, 2))}
    if with_bias:
        inputs["b"] = rng.standard_normal(3)
    return inputs


def _forward(X, K, b=None):
    return cv.conv2d_forward(X, K, b, STRIDE, PADDING)


def _tensor_forward(X, K, b=None):
    return tensor_conv2d(X, K, b, STRIDE, PADDING)


SIZES = ({"X": (1, 2, 4, 3), "K": (2, 2, 2, 2)}, {"X": (2, 1, 3, 3), "K": (1, 1, 3, 2)})

register(IdentityEntry(
    name="conv2d_grad_W",
    title="2-D convolution: gradient with respect to the kernels",
    latex=(r"Y = X \star K = \operatorname{cols}(X)\, K_{\text{mat}} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial K_{\text{mat}}} = \operatorname{cols}(X)^{\top} \delta_{\text{mat}}"),
    shapes={"X": "(N, C, H, W)", "K": "(C_out, C, kh, kw)", "delta": "(N, C_out, OH, OW)",
            "dL/dK": "(C_out, C, kh, kw)"},
    forward=_forward,
    wrt="K",
    compact=lambda delta, out, X, K: cv.conv2d_grad_W(delta,
                                                      im2col(X, K.shape[2:], STRIDE, PADDING), K.shape),
    sample=_sample,
    symbolic_sizes=SIZES,
    tensor_forward=_tensor_forward,
    notes="Stride (2, 1), padding (1, 1). Chapter 5's Xᵀδ with the unfolded input as X.",
))

register(IdentityEntry(
    name="conv2d_grad_X",
    title="2-D convolution: gradient with respect to the input",
    latex=(r"Y = \operatorname{cols}(X)\, K_{\text{mat}} \;\Rightarrow\; "
           r"\frac{\partial L}{\partial X} = \operatorname{col2im}\!\left(\delta_{\text{mat}}"
           r" K_{\text{mat}}^{\top}\right)"),
    shapes={"X": "(N, C, H, W)", "K": "(C_out, C, kh, kw)", "delta": "(N, C_out, OH, OW)",
            "dL/dX": "(N, C, H, W)"},
    forward=_forward,
    wrt="X",
    compact=lambda delta, out, X, K: cv.conv2d_grad_X(delta, K, X.shape, STRIDE, PADDING),
    sample=_sample,
    symbolic_sizes=SIZES,
    tensor_forward=_tensor_forward,
    notes="Stride (2, 1), padding (1, 1). Chapter 5's δWᵀ, then overlapping patches add up.",
))

register(IdentityEntry(
    name="conv2d_grad_b",
    title="2-D convolution: gradient with respect to the bias",
    latex=(r"Y_{n,o,i,j} = (X \star K)_{n,o,i,j} + b_o \;\Rightarrow\; "
           r"\frac{\partial L}{\partial b_o} = \sum_{n,i,j} \delta_{n,o,i,j}"),
    shapes={"b": "(C_out,)", "delta": "(N, C_out, OH, OW)", "dL/db": "(C_out,)"},
    forward=_forward,
    wrt="b",
    compact=kernel(cv.conv2d_grad_b),
    sample=lambda rng: _sample(rng, with_bias=True),
    symbolic_sizes=({"X": (1, 1, 3, 3), "K": (2, 1, 2, 2), "b": (2,)},
                    {"X": (2, 2, 3, 2), "K": (3, 2, 2, 2), "b": (3,)}),
    tensor_forward=_tensor_forward,
))


def maxpool_compact(kernel, stride):
    """The layers' max-pooling VJP: find the maxima of ``X``, route ``δ`` to them."""
    def compact(delta, out, X):
        _, argmax = cv.maxpool2d_forward(X, kernel, stride)
        return cv.maxpool2d_grad_X(delta, argmax, X.shape, kernel, stride)
    return compact


def maxpool_proofs(compact, kernel, stride, shapes):
    """:func:`~nnmath.book.chapters.ch24_conv2d.prove_maxpool_vjp` for every shape, two orders each."""
    return [c2.prove_maxpool_vjp(compact, shape, kernel, stride, seed=seed)
            for shape in shapes for seed in (0, 1)]


def _distinct(shape):
    """Inputs whose entries differ by at least 0.05: no ties, not even after a finite-difference step."""
    def sample(rng):
        size = int(np.prod(shape))
        return {"X": (rng.permutation(size) * 0.05 + rng.uniform(0, 0.01, size)).reshape(shape)}
    return sample


for name, kernel, stride, shapes, what in (
        ("maxpool2d_grad_X", (2, 2), (2, 2), [(1, 1, 4, 4), (1, 2, 3, 2)], "non-overlapping"),
        ("maxpool2d_overlapping_grad_X", (2, 2), (1, 1), [(1, 1, 3, 3), (1, 1, 2, 4)],
         "overlapping")):
    register(IdentityEntry(
        name=name,
        title=f"Max pooling ({what} windows): gradient with respect to the input",
        latex=(r"Y_{n,c,i,j} = \max_{(h,w) \in \mathcal W_{ij}} X_{n,c,h,w} \;\Rightarrow\; "
               r"\frac{\partial L}{\partial X_{n,c,h,w}} = \sum_{i,j} \delta_{n,c,i,j}\,"
               r"[(h, w) = \operatorname{argmax}_{\mathcal W_{ij}} X_{n,c}]"),
        shapes={"X": "(N, C, H, W)", "delta": "(N, C, OH, OW)", "dL/dX": "(N, C, H, W)"},
        forward=lambda X, k=kernel, s=stride: cv.maxpool2d_forward(X, k, s)[0],
        wrt="X",
        compact=maxpool_compact(kernel, stride),
        sample=_distinct((2, 2, 5, 4)),
        proof=lambda compact, k=kernel, s=stride, sh=shapes: maxpool_proofs(compact, k, s, sh),
        tensor_forward=lambda X, k=kernel, s=stride: tensor_max_pool2d(X, k, s),
        notes=(f"Kernel {kernel}, stride {stride}. Exact on the open regions without ties "
               f"(checked for two random orders of the entries at each size); at a tie the "
               f"gradient goes to the first maximum, a convention."),
    ))
