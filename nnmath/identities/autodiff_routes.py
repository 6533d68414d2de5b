"""The third route for entries registered without one: their forward as Tensor operations.

Every identity is checked by the reverse-mode engine (:meth:`Identity.check_autodiff`),
which needs the entry's forward map written with :class:`nnmath.autodiff.Tensor`
operations. Topic modules usually give it as ``tensor_forward=``; this module
supplies it for the entries that do not, and is imported after all of them
(``tests/test_autodiff.py`` asserts that every entry ends up with one).
Each function below is the entry's ``forward``, nothing more: the engine
differentiates it with its own local rules, independently of ``compact``.
"""

from .core import REGISTRY

TENSOR_FORWARDS = {
    # chapter 4: y = x W (row vector) and y = W x (column vector)
    "vector_matmul_grad_W": lambda x, W: x @ W,
    "column_matvec_grad_W": lambda W, x: W @ x,
}

for _name, _forward in TENSOR_FORWARDS.items():
    if _name in REGISTRY and REGISTRY[_name].tensor_forward is None:
        REGISTRY[_name].tensor_forward = _forward
