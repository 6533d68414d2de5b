"""The reverse-mode automatic differentiation engine (chapters 13, 14 and 19).

Where things are: a primitive is an operation with a backward rule of its own
(its forward and its rule side by side, the upstream gradient always ``dY``);
everything else is a composition of primitives and needs no rule.

* :mod:`~nnmath.autodiff.tensor`: the core, read top to bottom: :class:`Tensor`,
  the arithmetic primitives (``+ * ** @``, transpose, reshape, indexing, sum,
  max, exp, log, sqrt, tanh, sigmoid, relu, leaky relu) and the backward pass;
  helped by :mod:`~nnmath.autodiff.order` (the topological order) and
  :mod:`~nnmath.autodiff.shapes` (summing a gradient over broadcast axes);
* the primitives of the later chapters, each in the module of its chapter:
  ``maximum`` in :mod:`~nnmath.autodiff.functions` (with softmax, logsumexp
  and the losses, compositions); ``inv``, ``logdet`` and ``solve`` in
  :mod:`~nnmath.autodiff.linalg` (chapter 17); ``batched_matmul``, ``where``
  and ``stack`` in :mod:`~nnmath.autodiff.sequence` (with embeddings, the RNN
  and attention, compositions; chapters 26 to 28); ``erf`` in
  :mod:`~nnmath.autodiff.gpt` (with GELU, RMSNorm and the rotary embedding);
* compositions only: :mod:`~nnmath.autodiff.conv` (convolution, pooling;
  chapter 24) and :mod:`~nnmath.autodiff.norm` (layer and batch norm;
  chapters 20 and 21);
* forward mode: :mod:`~nnmath.autodiff.tangents` holds the tangent rule of
  every primitive above in one table keyed by the operation's name, and
  :mod:`~nnmath.autodiff.forward` runs it: ``jvp``, ``hvp`` (chapter 19). A
  tangent is written ``da``, ``dX`` (the differential of chapter 17), a
  gradient ``dY`` (only inside backward rules);
* whole graphs: :mod:`~nnmath.autodiff.graph` (the Jacobian by reverse mode)
  and :mod:`~nnmath.autodiff.convert` (``from_module``: a network of the
  library's layers rewritten with Tensors, the one engine module that imports
  the layers).

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
from .graph import reverse_mode_jacobian
from . import norm
from .norm import batch_norm, layer_norm
from .linalg import inv, logdet, solve
from .forward import forward_mode_jacobian, hvp, jvp
from . import conv
from .conv import conv2d, flatten, max_pool2d, patch_indices
from . import sequence
from .sequence import batched_matmul, stack, where
from . import gpt
from .convert import from_gpt, from_module, from_sequential

__all__ = ["Tensor", "as_tensor", "topological_order", "unbroadcast", "leaky_relu",
           "log_softmax", "logsumexp", "maximum", "mse_loss", "softmax",
           "softmax_cross_entropy_loss", "from_module", "from_sequential", "from_gpt",
           "reverse_mode_jacobian",
           "norm", "batch_norm", "layer_norm", "inv", "logdet", "solve", "jvp", "hvp",
           "forward_mode_jacobian", "conv", "conv2d", "flatten", "max_pool2d", "patch_indices",
           "sequence", "batched_matmul", "stack", "where", "gpt"]
