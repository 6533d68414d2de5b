"""Networks of the library's layers rewritten as engine graphs, to check their backward passes.

:func:`from_module` takes a module tree (a :class:`nnmath.Sequential`, a
single layer, a :class:`nnmath.GPT`) and returns a function that builds the
same computation from Tensor operations, with copies of the parameters. The
engine then differentiates it with its local rules alone, never with the
hand-derived backward passes it is used to check (chapter 14 and the later
parts).

This is the one engine module that imports the library's layers (a test keeps
it so): the rest of :mod:`nnmath.autodiff` knows Tensors only.
"""

import numpy as np

from .. import activations as act
from ..attention import SelfAttention
from ..gelu import GELU
from ..gpt import GPT
from ..layers import Linear
from ..model import Residual, Sequential
from ..norm import LayerNorm
from ..rmsnorm import RMSNorm
from ..sequence import RNN, Embedding, PositionalEmbedding
from .functions import leaky_relu, softmax
from .gpt import gelu, gpt_self_attention, rms_norm
from .norm import layer_norm
from .sequence import embedding, linear, rnn, self_attention
from .tensor import Tensor

__all__ = ["from_module", "from_sequential", "from_gpt"]

_ELEMENTWISE = {act.Tanh: Tensor.tanh, act.Sigmoid: Tensor.sigmoid, act.ReLU: Tensor.relu,
                act.Identity: lambda x: x, act.Softmax: softmax}


def from_module(module):
    """A module tree rewritten with Tensor operations, for checking its backward pass.

    Parameters
    ----------
    module : Module
        ``Sequential`` (nested allowed), ``Residual``, ``Linear``, the
        activations, ``GELU``, ``LayerNorm``, ``RMSNorm``, ``Embedding``,
        ``PositionalEmbedding``, ``RNN``, ``SelfAttention`` or a whole ``GPT``.

    Returns
    -------
    forward : callable
        ``forward(X)`` returns the output Tensor, built from ``params``.
    params : dict of str to Tensor
        Copies of the parameters under the names ``module.parameters()`` gives
        (``"0.W"``, ``"0.b"``, …); after a backward pass their ``.grad`` holds
        the engine's gradients.

    Raises
    ------
    TypeError
        For a module with no Tensor version here (the message names it).

    Notes
    -----
    Each ``Linear`` becomes ``X @ W + b`` and each activation its Tensor
    operation, so the gradients come from the engine's local rules alone
    (chapter 14).

    Examples
    --------
    >>> import nnmath as nm
    >>> forward, params = from_module(nm.Sequential(nm.Linear(2, 3), nm.Tanh()))
    >>> sorted(params)
    ['0.W', '0.b']
    """
    if isinstance(module, GPT):
        return from_gpt(module)
    params = {}
    return _convert(module, "", params), params


def from_sequential(model):
    """:func:`from_module` under the name chapter 14 uses for a :class:`nnmath.Sequential`."""
    return from_module(model)


def _convert(m, prefix, params):
    """``forward`` of module ``m``; its parameters go into ``params`` as ``prefix + name``."""
    def p(name, value):
        params[prefix + name] = Tensor(value)
        return params[prefix + name]

    if isinstance(m, Sequential):
        steps = [_convert(layer, f"{prefix}{i}.", params) for i, layer in enumerate(m.layers)]

        def run(X):
            for step in steps:
                X = step(X)
            return X
        return run
    if isinstance(m, Residual):
        inner = _convert(m.module, prefix, params)  # Residual.parameters() adds no prefix
        return lambda X: X + inner(X)
    if isinstance(m, Linear):
        W, b = p("W", m.W), p("b", m.b)
        return lambda X: linear(X, W, b)
    if isinstance(m, act.LeakyReLU):
        return lambda X: leaky_relu(X, m.slope)
    if isinstance(m, GELU):
        return lambda X: gelu(X, m.approximate)
    if isinstance(m, LayerNorm):
        gamma, beta = p("gamma", m.gamma), p("beta", m.beta)
        return lambda X: layer_norm(X, gamma, beta, m.eps)
    if isinstance(m, RMSNorm):
        gamma = p("gamma", m.gamma)
        return lambda X: rms_norm(X, gamma, m.eps)
    if isinstance(m, Embedding):
        W = p("W", m.W)
        return lambda idx: embedding(W, idx)
    if isinstance(m, PositionalEmbedding):
        P = p("P", m.P)
        return lambda X: X + P[:X.shape[1]]
    if isinstance(m, RNN):
        Wx, Wh, b = p("Wx", m.Wx), p("Wh", m.Wh), p("b", m.b)
        return lambda X: rnn(X, Wx, Wh, b, np.zeros((X.shape[0], m.hidden_size)))
    if isinstance(m, SelfAttention):
        Ws = [p(n, getattr(m, n)) for n in ("Wq", "Wk", "Wv", "Wo")]
        if m.rope:
            return lambda X: gpt_self_attention(X, *Ws, n_heads=m.n_heads, causal=m.causal,
                                                rope_qk=True)
        return lambda X: self_attention(X, *Ws, n_heads=m.n_heads, causal=m.causal)
    if type(m) in _ELEMENTWISE:
        return _ELEMENTWISE[type(m)]
    raise TypeError(f"from_module: {type(m).__name__} has no Tensor version")


def from_gpt(model):
    """A :class:`nnmath.gpt.GPT` rewritten with Tensor operations.

    Parameters
    ----------
    model : GPT

    Returns
    -------
    forward : callable
        ``forward(idx)`` returns the logits Tensor ``(N, T, vocab)``.
    params : dict of str to Tensor
        Copies of the parameters under the names ``model.parameters()`` gives;
        after a backward pass their ``.grad`` holds the engine's gradients.
        With tied weights ``"tok.W"`` is one Tensor used twice, so the engine
        sums its two gradients by its own fan-out rule.
    """
    params = {name: Tensor(value) for name, value, _ in model.parameters()}

    def norm(layer, prefix, x):
        if isinstance(layer, LayerNorm):
            return layer_norm(x, params[prefix + ".gamma"], params[prefix + ".beta"], layer.eps)
        return rms_norm(x, params[prefix + ".gamma"], layer.eps)

    def forward(idx):
        E = params["tok.W"]
        x = embedding(E, idx)
        if model.pos is not None:
            x = x + params["pos.P"][:x.shape[1]]
        for i, block in enumerate(model.blocks):
            b = f"blocks.{i}."
            Ws = [params[f"{b}attn.{n}"] for n in ("Wq", "Wk", "Wv", "Wo")]
            x = x + gpt_self_attention(norm(block.ln1, b + "ln1", x), *Ws,
                                       n_heads=block.attn.n_heads, rope_qk=block.attn.rope)
            h = linear(norm(block.ln2, b + "ln2", x), params[b + "mlp.0.W"], params[b + "mlp.0.b"])
            h = gelu(h, block.mlp[1].approximate)
            x = x + linear(h, params[b + "mlp.2.W"], params[b + "mlp.2.b"])
        x = norm(model.ln_f, "ln_f", x)
        if model.head is None:
            return linear(x, E.T)
        return linear(x, params["head.W"], params["head.b"])
    return forward, params
