"""nnmath: the matrix calculus of neural networks, as a small NumPy package.

This package is the *library*: layers, activations, losses, the model, the
optimiser and the training loop, initialisers, checkpoints, data, the autodiff
engine and gradient checking. It needs only NumPy (and tqdm for progress bars).

The book's apparatus (the identity registry, SymPy proofs, full Jacobians, each
chapter's demonstrations) lives in :mod:`nnmath.book`, which imports the
library and is never imported by it. See ARCHITECTURE.md.
"""

__version__ = "0.2.0"

from . import activations, autodiff, gradcheck, im2col, init, layers, losses, matmul
from .module import Module
from .layers import Linear
from .activations import Sigmoid, Tanh, ReLU, LeakyReLU, Identity, Softmax
from .losses import MSE, SoftmaxCrossEntropy
from .autodiff import Tensor
from . import checkpoint, clipping, data, model, norm, optim, regularization, train
from .model import Residual, Sequential
from .norm import BatchNorm, LayerNorm
from .regularization import Dropout
from .optim import SGD, Adam, AdamW
from .train import fit
from .clipping import clip_grad_norm
from . import conv
from .conv import Conv2d, MaxPool2d, Flatten
from . import attention, sequence
from .sequence import Embedding, PositionalEmbedding, RNN
from .attention import SelfAttention
from . import flash, gelu, gpt, rmsnorm, rope
from .gelu import GELU
from .rmsnorm import RMSNorm
from .gpt import GPT

__all__ = ["activations", "autodiff", "gradcheck", "init", "layers", "losses", "matmul",
           "Module", "Linear", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Softmax",
           "MSE", "SoftmaxCrossEntropy", "Tensor", "checkpoint", "clipping", "data", "model",
           "optim", "train", "Sequential", "SGD", "Adam", "AdamW", "fit", "clip_grad_norm",
           "norm", "regularization", "Residual", "LayerNorm", "BatchNorm", "Dropout",
           "im2col", "conv", "Conv2d", "MaxPool2d", "Flatten",
           "attention", "sequence", "Embedding", "PositionalEmbedding", "RNN", "SelfAttention",
           "flash", "gelu", "gpt", "rmsnorm", "rope", "GELU", "RMSNorm", "GPT"]
