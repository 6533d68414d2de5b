"""The reverse-mode automatic differentiation engine (chapters 13 and 14).

Three parts, read in this order:

* :mod:`~nnmath.autodiff.tensor`: the core :class:`Tensor`, each primitive
  operation with its local backward rule beside it, and the backward pass;
* :mod:`~nnmath.autodiff.functions`: functions composed from the core
  operations (softmax, logsumexp, the losses), with no rules of their own;
* :mod:`~nnmath.autodiff.graph`: tools over a whole graph (the Jacobian by
  reverse mode, a :class:`nnmath.Sequential` rewritten with Tensors).

Examples
--------
>>> import numpy as np
>>> from nnmath.autodiff import Tensor
>>> a = Tensor(np.array([1.0, 2.0, 3.0]))
>>> (a * a).sum().backward()
>>> a.grad
array([2., 4., 6.])
"""

from .tensor import Tensor, as_tensor, topological_order, unbroadcast
from .functions import (leaky_relu, log_softmax, logsumexp, maximum, mse_loss, softmax,
                        softmax_cross_entropy_loss)
from .graph import from_sequential, reverse_mode_jacobian
from . import norm
from .norm import batch_norm, layer_norm
from . import sequence
from .sequence import batched_matmul, stack, where

__all__ = ["Tensor", "as_tensor", "topological_order", "unbroadcast", "leaky_relu",
           "log_softmax", "logsumexp", "maximum", "mse_loss", "softmax",
           "softmax_cross_entropy_loss", "from_sequential", "reverse_mode_jacobian",
           "norm", "batch_norm", "layer_norm",
           "sequence", "batched_matmul", "stack", "where"]
