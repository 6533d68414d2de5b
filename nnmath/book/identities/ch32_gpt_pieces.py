"""Registry entries of chapter 32 (derivations/32_gpt_pieces.ipynb). Replace the example."""

from .core import IdentityEntry, register

CHAPTER = "derivations/32_gpt_pieces"

register(IdentityEntry(
    name="gpt_pieces_example",
    title="Element-wise product: gradient with respect to the weights",
    chapter=CHAPTER,
    latex=r"\vb{y} = \vb{x} \odot \vb{w} \;\Rightarrow\; "
          r"\frac{\partial L}{\partial \vb{w}} = \vb{x} \odot \vb{\delta}",
    shapes={"x": "(D,)", "w": "(D,)", "delta": "(D,)", "dL/dw": "(D,)"},
    forward=lambda x, w: x * w,
    wrt="w",
    compact=lambda delta, out, x, w: x * delta,
    sample=lambda rng: {"x": rng.standard_normal(4), "w": rng.standard_normal(4)},
    symbolic_sizes=({"x": (2,), "w": (2,)}, {"x": (3,), "w": (3,)}),
    tensor_forward=lambda x, w: (x * w),
))
