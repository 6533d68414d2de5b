"""nnmath: the matrix calculus of neural networks, as a small NumPy package.

Every backward formula here is derived in a chapter of the book and checked
three ways (SymPy, finite differences, the autodiff engine) by the tests.
"""

from . import calculus, identities, jacobian, matmul, plotting, symbolic
from . import activations, layers, losses
from .module import Module
from .layers import Linear
from .activations import Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Softmax
from .losses import MSE, SoftmaxCrossEntropy

from . import autodiff, graphdraw
from .autodiff import Tensor

from . import data, model, optim, train
from .model import Sequential
from .optim import SGD
from .train import fit

from . import batching, checkpoint, clipping, gradcheck, init
from .clipping import clip_grad_norm

__version__ = "0.1.0"

__all__ = ["autodiff", "graphdraw", "Tensor", "calculus", "identities", "jacobian", "matmul", "plotting", "symbolic",
           "activations", "layers", "losses", "Module", "Linear",
           "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax",
           "MSE", "SoftmaxCrossEntropy",
           "data", "model", "optim", "train", "Sequential", "SGD", "fit",
           "batching", "checkpoint", "clipping", "gradcheck", "init", "clip_grad_norm"]
