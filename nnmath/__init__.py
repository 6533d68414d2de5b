"""nnmath: the matrix calculus of neural networks, as a small NumPy package.

Every backward formula here is derived in a chapter of the book and checked
three ways (SymPy, finite differences, the autodiff engine) by the tests.
"""

from . import identities, jacobian, matmul, symbolic

__version__ = "0.1.0"

__all__ = ["identities", "jacobian", "matmul", "symbolic"]
