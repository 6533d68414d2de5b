r"""Registry entries for one-dimensional convolution (chapter 23).

``y = x ⋆ w`` is the cross-correlation ``y_i = Σ_t w_t x̃_{s i + t}`` of
:func:`nnmath.book.chapters.ch23_conv1d.correlate1d`. Its compact gradients
are a correlation (``∂L/∂w``) and a full convolution (``∂L/∂x``). The engine
route runs the same map as a one-row image through
:func:`nnmath.autodiff.conv2d`, that is gathering by an index array and ``@``:
it never sees a correlation or a convolution formula. The stride-1 entries
also carry, in ``extra["index_notation_proof"]``, a proof for symbolic lengths ``n``
and ``k`` that the index-notation formulas (which ``compact`` implements in NumPy)
are the contraction of the Jacobian; SymPy cannot run ``compact`` itself at
symbolic lengths, so it is not the entry's ``all_sizes_proof``.
"""

from functools import lru_cache

from ...autodiff import conv2d as tensor_conv2d
from ..chapters import ch23_conv1d as c1
from .core import IdentityEntry, register


def _sample(n, k):
    return lambda rng: {"x": rng.standard_normal(n), "w": rng.standard_normal(k)}


def _tensor_correlate(stride, padding):
    """The 1-D correlation as the engine's 2-D one on a ``(1, 1, 1, n)`` image."""
    def forward(x, w):
        y = tensor_conv2d(x.reshape(1, 1, 1, -1), w.reshape(1, 1, 1, -1),
                          stride=(1, stride), padding=(0, padding))
        return y.reshape(-1)
    return forward


@lru_cache(maxsize=1)
def _proofs_all_sizes():
    return c1.prove_conv1d_collapse_all_sizes()


def _all_sizes(key):
    return lambda: _proofs_all_sizes()[key]


for stride, padding, suffix, sizes in (
        (1, 0, "", ({"x": (4,), "w": (2,)}, {"x": (6,), "w": (3,)}, {"x": (3,), "w": (3,)})),
        (2, 1, "_strided", ({"x": (5,), "w": (3,)}, {"x": (6,), "w": (2,)},
                            {"x": (7,), "w": (3,)}))):
    how = "" if not suffix else f" (stride {stride}, padding {padding})"
    extra_w = {"index_notation_proof": _all_sizes("w")} if not suffix else {}
    extra_x = {"index_notation_proof": _all_sizes("x")} if not suffix else {}
    register(IdentityEntry(
        name=f"conv1d{suffix}_grad_w",
        title=f"1-D convolution: gradient with respect to the kernel{how}",
        latex=(r"y = x \star w,\ y_i = \sum_t w_t\, \tilde x_{s i + t} \;\Rightarrow\; "
               r"\frac{\partial L}{\partial w_t} = \sum_i \delta_i\, \tilde x_{s i + t}"
               r" = (\tilde x \star \delta^{(s)})_t"),
        shapes={"x": "(n,)", "w": "(k,)", "delta": "(m,)", "dL/dw": "(k,)"},
        forward=lambda x, w, s=stride, p=padding: c1.correlate1d(x, w, s, p),
        wrt="w",
        compact=lambda delta, out, x, w, s=stride, p=padding:
            c1.correlate1d_grad_w(x, delta, len(w), s, p),
        sample=_sample(9 if suffix else 8, 3),
        symbolic_sizes=sizes,
        tensor_forward=_tensor_correlate(stride, padding),
        extra=extra_w,
        notes=(f"Stride {stride}, padding {padding}; δ^(s) is δ with s − 1 zeros between "
               f"neighbours, x̃ the zero-padded input.") if suffix else
              "The correlation of the input with δ; SymPy proof for symbolic n, k.",
    ))
    register(IdentityEntry(
        name=f"conv1d{suffix}_grad_x",
        title=f"1-D convolution: gradient with respect to the input{how}",
        latex=(r"y = x \star w \;\Rightarrow\; \frac{\partial L}{\partial \tilde x_j}"
               r" = \sum_t w_t\, \delta^{(s)}_{j - t} = (\delta^{(s)} * w)_j"),
        shapes={"x": "(n,)", "w": "(k,)", "delta": "(m,)", "dL/dx": "(n,)"},
        forward=lambda x, w, s=stride, p=padding: c1.correlate1d(x, w, s, p),
        wrt="x",
        compact=lambda delta, out, x, w, s=stride, p=padding:
            c1.correlate1d_grad_x(delta, w, len(x), s, p),
        sample=_sample(9 if suffix else 8, 3),
        symbolic_sizes=sizes,
        tensor_forward=_tensor_correlate(stride, padding),
        extra=extra_x,
        notes=(f"Stride {stride}, padding {padding}: the full convolution of the dilated δ "
               f"with w, cropped by the padding (a transposed convolution).") if suffix else
              "The full convolution of δ with w (the transposed convolution); SymPy proof "
              "for symbolic n, k.",
    ))
