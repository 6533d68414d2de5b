"""The reverse-mode automatic differentiation engine (chapters 13 and 14).

The parts, read in this order:

* :mod:`~nnmath.autodiff.tensor`: the core :class:`Tensor`, each primitive
  operation with its local backward rule beside it, and the backward pass;
* :mod:`~nnmath.autodiff.functions`: functions composed from the core
  operations (softmax, logsumexp, the losses), with no rules of their own;
* :mod:`~nnmath.autodiff.graph`: tools over a whole graph (the Jacobian by
  reverse mode, a :class:`nnmath.Sequential` rewritten with Tensors);
* :mod:`~nnmath.autodiff.linalg`: ``inv``, ``logdet`` and ``solve``, primitives
  with their own rules (chapter 17);
* :mod:`~nnmath.autodiff.forward`: forward mode and second order, ``jvp`` and
  ``hvp`` (chapter 19);
* :mod:`~nnmath.autodiff.conv`: convolution, max pooling and flattening
  composed from indexing, ``@``, ``reshape`` and ``max`` (chapter 24);
* :mod:`~nnmath.autodiff.norm`: layer and batch normalisation composed from
  means, powers and square roots (chapters 20 and 21);
* :mod:`~nnmath.autodiff.sequence`: ``batched_matmul``, ``where`` and ``stack``,
  primitives with their own rules, and embeddings, the RNN and attention built
  from them (chapters 26 to 28);
* :mod:`~nnmath.autodiff.gpt`: ``erf`` (a primitive with its own rule) and
  GELU, RMSNorm, the rotary embedding and a whole GPT composed from the rest.

Two small helpers serve the core: :mod:`~nnmath.autodiff.order` (the
topological order of the backward pass) and :mod:`~nnmath.autodiff.shapes`
(summing a gradient back over broadcast axes).

Examples
--------
>>> import numpy as np
>>> from nnmath.autodiff import Tensor
>>> a = Tensor(np.array([1.0, 2.0, 3.0]))
>>> (a * a).sum().backward()
>>> a.grad
array([2., 4., 6.])
"""

from .order import topological_order
from .shapes import unbroadcast
from .tensor import Tensor, as_tensor
from .functions import (leaky_relu, log_softmax, logsumexp, maximum, mse_loss, softmax,
                        softmax_cross_entropy_loss)
from .graph import from_sequential, reverse_mode_jacobian
from . import norm
from .norm import batch_norm, layer_norm
from .linalg import inv, logdet, solve
from .forward import forward_mode_jacobian, hvp, jvp
from . import conv
from .conv import conv2d, flatten, max_pool2d, patch_indices
from . import sequence
from .sequence import batched_matmul, stack, where
from . import gpt

__all__ = ["Tensor", "as_tensor", "topological_order", "unbroadcast", "leaky_relu",
           "log_softmax", "logsumexp", "maximum", "mse_loss", "softmax",
           "softmax_cross_entropy_loss", "from_sequential", "reverse_mode_jacobian",
           "norm", "batch_norm", "layer_norm", "inv", "logdet", "solve", "jvp", "hvp",
           "forward_mode_jacobian", "conv", "conv2d", "flatten", "max_pool2d", "patch_indices",
           "sequence", "batched_matmul", "stack", "where", "gpt"]
