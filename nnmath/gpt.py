r"""A small GPT: token and position embeddings, pre-norm transformer blocks, tied logits (issue 25).

Every part is a layer of the library with its own backward pass; this module
only wires them up, so the backward pass of the whole model is the chain rule
over the wiring:

* a :class:`Block` computes ``h = x + attn(ln1(x))`` and ``y = h + mlp(ln2(h))``,
  so its backward adds each branch's input gradient to the skip connection's
  (the residual rule ``∂L/∂x = δ + ∂L/∂x|_F`` of chapter 22), twice;
* with tied weights the logits are ``Z = x Eᵀ`` with ``E = tok.W``, so ``E`` is
  used twice, as a lookup table and as the output projection, and its
  gradient is the sum of both uses: ``dE = scatter(δ_embedding) + δ_Zᵀ x``.
"""


import numpy as np

from .activations import softmax
from .attention import SelfAttention
from .gelu import GELU
from .layers import Linear
from .model import Sequential
from .checks import (check_choice, check_count, check_indices, check_init, check_input_shape,
                     check_int, check_real, check_rng, check_sequence_length)
from .matmul import matmul_grad_W, matmul_grad_X
from .layers import as_rows
from .module import Module
from .norm import LayerNorm
from .rmsnorm import RMSNorm
from .sequence import Embedding, PositionalEmbedding

__all__ = ["Block", "GPT"]

_NORMS = {"layer": LayerNorm, "rms": RMSNorm}




class Block(Module):
    r"""One pre-norm transformer block: causal self-attention, then an MLP, each with a skip.

    Parameters
    ----------
    d_model : int
    n_heads : int
        Must divide ``d_model``.
    mlp_ratio : int, optional
        Hidden width of the MLP is ``mlp_ratio · d_model``.
    norm : {"layer", "rms"}, optional
        :class:`nnmath.LayerNorm` or :class:`nnmath.rmsnorm.RMSNorm`.
    rope : bool, optional
        Rotary position embedding in the attention.
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional

    Attributes
    ----------
    ln1, attn, ln2, mlp : Module
        ``attn`` is a causal :class:`nnmath.SelfAttention`; ``mlp`` is
        ``Sequential(Linear(d, r·d), GELU(), Linear(r·d, d))``.

    Notes
    -----
    .. math:: h = x + \operatorname{attn}(\operatorname{ln_1}(x)), \qquad
              y = h + \operatorname{mlp}(\operatorname{ln_2}(h))

    and backward, with ``δ = ∂L/∂y``:
    ``∂L/∂h = δ + ln2ᵀ(mlpᵀ(δ))``, ``∂L/∂x = ∂L/∂h + ln1ᵀ(attnᵀ(∂L/∂h))``,
    each ``ᵀ`` a layer's own backward.
    """

    def __init__(self, d_model, n_heads, *, mlp_ratio=4, norm="layer", rope=False, rng=None,
                 dtype=np.float64):
        d = check_count("Block", "d_model", d_model)
        r = check_count("Block", "mlp_ratio", mlp_ratio)
        Norm = _NORMS[check_choice("Block", "norm", norm, tuple(_NORMS))]
        rng, dtype = check_init("Block", rng, dtype)
        self.ln1 = Norm(d, dtype=dtype)
        self.attn = SelfAttention(d, n_heads, causal=True, rope=rope, rng=rng, dtype=dtype)
        self.ln2 = Norm(d, dtype=dtype)
        self.mlp = Sequential(Linear(d, r * d, rng=rng, dtype=dtype), GELU(),
                              Linear(r * d, d, rng=rng, dtype=dtype))

    def forward(self, X):
        """Return ``h + mlp(ln2(h))`` with ``h = X + attn(ln1(X))``, for ``X (N, T, d)``."""
        H = X + self.attn.forward(self.ln1.forward(X))
        return H + self.mlp.forward(self.ln2.forward(H))

    def backward(self, dY):
        """Return ``∂L/∂X``: each branch's input gradient added to its skip connection's."""
        dH = dY + self.ln2.backward(self.mlp.backward(dY))
        return dH + self.ln1.backward(self.attn.backward(dH))

    def children(self):
        return [self.ln1, self.attn, self.ln2, self.mlp]

    def parameters(self):
        return [(f"{name}.{p}", a, g) for name in ("ln1", "attn", "ln2", "mlp")
                for p, a, g in getattr(self, name).parameters()]

    def __repr__(self):
        return (f"Block(\n  ln1={self.ln1!r},\n  attn={self.attn!r},\n  ln2={self.ln2!r},\n"
                f"  mlp=" + repr(self.mlp).replace("\n", "\n  ") + "\n)")


class GPT(Module):
    r"""A decoder-only transformer over token ids: ``(N, T)`` ints to ``(N, T, vocab)`` logits.

    Parameters
    ----------
    vocab_size : int
    context : int
        The longest sequence the model takes (the rows of ``pos.P``).
    d_model, n_layers, n_heads : int
    mlp_ratio : int, optional
    norm : {"layer", "rms"}, optional
        The normalisation of every block and of ``ln_f``.
    rope : bool, optional
        Rotary position embedding in every attention layer instead of ``pos``.
    tie_weights : bool, optional
        Logits ``x @ tok.Wᵀ`` (no ``head``) instead of a ``Linear(d, vocab)``.
    rng : numpy.random.Generator, optional
    dtype : floating dtype, optional

    Attributes
    ----------
    tok : Embedding
        ``W`` of shape ``(vocab, d)``, drawn ``N(0, 1/d)`` so tied logits start near unit scale.
    pos : PositionalEmbedding or None
        Learned positions; None with ``rope``.
    blocks : list of Block
    ln_f : LayerNorm or RMSNorm
    head : Linear or None
        None with ``tie_weights``.

    Notes
    -----
    .. math:: x_0 = E[\mathrm{idx}] + P_{:T}, \quad x_\ell = \operatorname{block}_\ell(x_{\ell-1}),
              \quad Z = \operatorname{ln_f}(x_L)\, E^\top \ (\text{tied})

    With tying, ``tok.dW`` holds the sum of the gradients of both uses of ``E``
    and ``parameters()`` lists ``tok.W`` once.

    Examples
    --------
    >>> model = GPT(11, 8, 16, 2, 2, rng=np.random.default_rng(0))
    >>> model.forward(np.zeros((3, 5), dtype=int)).shape
    (3, 5, 11)
    """

    def __init__(self, vocab_size, context, d_model, n_layers, n_heads, *, mlp_ratio=4,
                 norm="layer", rope=False, tie_weights=True, rng=None, dtype=np.float64):
        self.vocab_size = check_count("GPT", "vocab_size", vocab_size)
        self.context = check_count("GPT", "context", context)
        d = self.d_model = check_count("GPT", "d_model", d_model)
        self.n_layers = check_count("GPT", "n_layers", n_layers)
        self.n_heads = check_count("GPT", "n_heads", n_heads)
        if d % self.n_heads:
            raise ValueError(f"GPT: d_model = {d} is not divisible by n_heads = {self.n_heads}")
        Norm = _NORMS[check_choice("GPT", "norm", norm, tuple(_NORMS))]
        self.norm, self.rope, self.tie_weights = norm, bool(rope), bool(tie_weights)
        rng, dtype = check_init("GPT", rng, dtype)
        self.tok = Embedding(self.vocab_size, d, rng=rng, dtype=dtype)
        self.tok.W *= d ** -0.5
        self.pos = None if self.rope else PositionalEmbedding(self.context, d, rng=rng,
                                                              dtype=dtype)
        self.blocks = [Block(d, self.n_heads, mlp_ratio=mlp_ratio, norm=norm, rope=self.rope,
                             rng=rng, dtype=dtype) for _ in range(self.n_layers)]
        self.ln_f = Norm(d, dtype=dtype)
        self.head = None if self.tie_weights else Linear(d, self.vocab_size, rng=rng,
                                                         dtype=dtype)
        self._x = None        # ln_f's output, for the gradient of the tied projection

    def check_input(self, idx, owner="GPT.forward", crop=False):
        idx = check_indices(owner, idx, self.vocab_size)
        check_input_shape(owner, idx, ("N", "T"), {}, "idx")
        if not crop:  # generate crops to the context itself
            check_sequence_length(owner, idx.shape[1], self.context, "context (crop it)")
        return idx

    def forward(self, idx):
        """Return the logits ``(N, T, vocab)`` of the token ids ``idx (N, T)``, ``T ≤ context``."""
        x = self.tok.forward(idx)
        if self.pos is not None:
            x = self.pos.forward(x)
        for block in self.blocks:
            x = block.forward(x)
        x = self.ln_f.forward(x)
        if self.head is not None:
            return self.head.forward(x)
        self._x = x
        return x @ self.tok.W.T                       # Z = x Eᵀ: the table, used again

    def backward(self, dY):
        """Store every parameter's gradient from ``dY = ∂L/∂Z``, the logits' ``(N, T, vocab)``.

        Returns None: token ids have no gradient.
        """
        if self.head is not None:
            dx = self.head.backward(dY)
        else:                                         # Z = x Eᵀ: ∂L/∂x = δ E, ∂L/∂E = δᵀ x
            dx = matmul_grad_X(dY, self.tok.W.T)
            dE_head = matmul_grad_W(as_rows(dY), as_rows(self._x)).T
        dx = self.ln_f.backward(dx)
        for block in reversed(self.blocks):
            dx = block.backward(dx)
        if self.pos is not None:
            dx = self.pos.backward(dx)
        self.tok.backward(dx)
        if self.head is None:                         # E is used twice: the gradients add
            self.tok.dW += dE_head
        return None

    def children(self):
        return [m for m in (self.tok, self.pos, *self.blocks, self.ln_f, self.head)
                if m is not None]

    def parameters(self):
        """``(dotted name, array, grad)``, each array once: ``tok.W``, ``blocks.0.attn.Wq``, …"""
        named = [("tok", self.tok), ("pos", self.pos)]
        named += [(f"blocks.{i}", b) for i, b in enumerate(self.blocks)]
        named += [("ln_f", self.ln_f), ("head", self.head)]
        return [(f"{prefix}.{name}", a, g) for prefix, m in named if m is not None
                for name, a, g in m.parameters()]

    def generate(self, idx, max_new_tokens, *, temperature=1.0, rng):
        r"""Append ``max_new_tokens`` sampled tokens to each row of ``idx (N, T0)``.

        Parameters
        ----------
        idx : int array, shape (N, T0)
            Any ``T0 ≥ 1``: only the last ``context`` tokens are fed to the model.
        max_new_tokens : int ≥ 0
        temperature : float > 0, optional
            The next token is drawn from ``softmax(z / temperature)`` of the last
            position's logits ``z``.
        rng : numpy.random.Generator

        Returns
        -------
        ndarray of int, shape (N, T0 + max_new_tokens)
        """
        idx = self.check_input(idx, "GPT.generate", crop=True)
        max_new_tokens = check_int("GPT.generate", "max_new_tokens", max_new_tokens, 0)
        temperature = check_real("GPT.generate", "temperature", temperature, lambda v: v > 0,
                                 "> 0")
        rng = check_rng("GPT.generate", rng)
        for _ in range(max_new_tokens):
            z = self.forward(idx[:, -self.context:])[:, -1] / temperature   # (N, vocab)
            p = softmax(z)
            u = rng.random((idx.shape[0], 1))
            nxt = np.minimum((np.cumsum(p, axis=1) < u).sum(axis=1), self.vocab_size - 1)
            idx = np.concatenate([idx, nxt[:, None].astype(idx.dtype)], axis=1)
        return idx

    def __repr__(self):
        return (f"GPT(vocab_size={self.vocab_size}, context={self.context}, "
                f"d_model={self.d_model}, n_layers={self.n_layers}, n_heads={self.n_heads}, "
                f"norm={self.norm!r}, rope={self.rope}, tie_weights={self.tie_weights})")
