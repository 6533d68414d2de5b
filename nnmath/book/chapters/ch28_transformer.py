"""Chapter 28 (a transformer block that learns): the model, its training, the engine check."""

import numpy as np

from ... import Embedding, LayerNorm, Linear, PositionalEmbedding, ReLU, Residual, SelfAttention
from ... import Sequential, SoftmaxCrossEntropy
from ...autodiff import from_module, softmax_cross_entropy_loss
from ...gradcheck import norm_relative_error

__all__ = ["transformer", "attention_layer", "engine_agreement"]


def transformer(vocab, max_len, d_model, n_heads, hidden, *, rng, causal=False):
    """Embeddings + positions, one pre-LayerNorm block, a final LayerNorm and a read-out.

    ``x → x + Attn(LN(x)) → x + MLP(LN(x)) → LN → Linear``, the MLP being
    ``Linear(d, hidden) → ReLU → Linear(hidden, d)``. Input: token indices
    ``(N, T)``; output: logits ``(N, T, vocab)``.
    """
    d = d_model
    return Sequential(
        Embedding(vocab, d, rng=rng),
        PositionalEmbedding(max_len, d, rng=rng),
        Residual(Sequential(LayerNorm(d), SelfAttention(d, n_heads, causal=causal, rng=rng))),
        Residual(Sequential(LayerNorm(d), Linear(d, hidden, rng=rng), ReLU(),
                            Linear(hidden, d, rng=rng))),
        LayerNorm(d),
        Linear(d, vocab, rng=rng),
    )


def attention_layer(model):
    """The :class:`~nnmath.SelfAttention` inside :func:`transformer`'s first block."""
    return model.layers[2].module.layers[1]


def engine_agreement(model, X, labels):
    """Largest relative difference between the hand backward and the engine, over all parameters.

    Runs the model's own forward, :class:`~nnmath.SoftmaxCrossEntropy` and
    ``backward``; then the same network rebuilt from Tensor operations by
    :func:`nnmath.autodiff.from_module`, with the loss written as
    the engine's cross-entropy over the ``N·T`` positions.

    Returns
    -------
    worst : float
        max over parameters of ``‖hand − engine‖ / max(‖engine‖, 1e-6)``.
    loss_difference : float
        ``|L_hand − L_engine|``.
    """
    loss = SoftmaxCrossEntropy()
    L = loss.forward(model.forward(X), labels)
    model.backward(loss.backward())
    forward, params = from_module(model)
    logits = forward(X)
    C = logits.shape[-1]
    Lt = softmax_cross_entropy_loss(logits.reshape(-1, C), np.eye(C)[np.reshape(labels, -1)])
    Lt.backward()
    worst = max(norm_relative_error(grad, params[name].grad)
                for name, _, grad in model.parameters())
    return float(worst), abs(L - Lt.item())
