r"""Chapter 34 (A GPT that writes): the chapter's own demonstrations and studies.

* :func:`engine_gradient_errors`: every parameter gradient of a :class:`nnmath.GPT`
  against the autodiff engine's (:func:`nnmath.autodiff.convert.from_gpt`);
* :func:`tied_gradient_parts`: the two uses' shares of ``tok.dW`` in a tied GPT;
* :func:`train_char_gpt`: AdamW with a warm-up-cosine schedule on next-character windows;
* :func:`unigram_entropy` and :func:`mean_loss`: the baselines and the validation loss;
* :func:`step_flops`: the floating-point operations of the matrix products of one
  training step, from the shapes alone.
"""

import numpy as np

import nnmath as nm
from nnmath import autodiff
from nnmath.autodiff.convert import from_gpt
from nnmath.data.text import text_windows
from nnmath.finite_differences import norm_relative_error
from nnmath.optim import AdamW, warmup_cosine

__all__ = ["engine_gradient_errors", "tied_gradient_parts", "train_char_gpt", "mean_loss",
           "unigram_entropy", "step_flops", "flops_from_parameters"]


def engine_gradient_errors(model, idx, labels):
    """``{name: relative error}`` of each ``model`` gradient against the engine's.

    Runs ``SoftmaxCrossEntropy`` and :meth:`GPT.backward` on ``idx (N, T)`` and
    ``labels (N, T)``, then the same loss through the engine's version of the
    model, and compares parameter by parameter (Frobenius relative error).
    """
    loss = nm.SoftmaxCrossEntropy()
    loss.forward(model.forward(idx), labels)
    model.backward(loss.backward())
    forward, params = from_gpt(model)
    logits = forward(idx)
    V = logits.shape[-1]
    onehot = np.eye(V)[labels.reshape(-1)]
    autodiff.softmax_cross_entropy_loss(logits.reshape(-1, V), onehot).backward()
    return {name: norm_relative_error(grad, params[name].grad)
            for name, _, grad in model.parameters()}


def tied_gradient_parts(model, idx, labels):
    """The lookup's and the projection's shares of ``tok.dW`` in a tied GPT, and the total.

    Returns ``(lookup, head, total)``: ``head = δ_Zᵀ x`` recomputed from the logits'
    gradient and ``ln_f``'s output, ``lookup = total − head``, where ``total`` is
    the ``tok.dW`` that :meth:`GPT.backward` stores.
    """
    if not model.tie_weights:
        raise ValueError("tied_gradient_parts: the model has untied weights")
    loss = nm.SoftmaxCrossEntropy()
    loss.forward(model.forward(idx), labels)
    dZ = loss.backward()
    model.backward(dZ)
    x = model.ln_f.forward(_last_hidden(model, idx))
    head = dZ.reshape(-1, model.vocab_size).T @ x.reshape(-1, model.d_model)
    total = model.tok.dW.copy()
    return total - head, head, total


def _last_hidden(model, idx):
    x = model.tok.forward(idx)
    if model.pos is not None:
        x = model.pos.forward(x)
    for block in model.blocks:
        x = block.forward(x)
    return x


def unigram_entropy(ids, vocab_size):
    r"""Entropy ``−Σ_c p_c log p_c`` (nats) of the token frequencies ``p`` of ``ids``.

    The cross-entropy of the best prediction that ignores the context: a model
    that always predicts ``p`` scores exactly this on the text ``p`` is counted on.
    """
    counts = np.bincount(np.asarray(ids), minlength=vocab_size)
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def mean_loss(model, X, Y):
    """The mean next-token cross-entropy of ``model`` on windows ``X, Y (n, T)``."""
    return float(nm.SoftmaxCrossEntropy().forward(model.forward(X), Y))


def train_char_gpt(train_ids, *, vocab_size, context, d_model, n_layers, n_heads, batch,
                   steps, lr, warmup, floor=0.1, weight_decay=0.01, seed=0):
    """Train a tied GPT on random windows of ``train_ids``; return ``(model, losses)``.

    Each step draws ``batch`` windows of ``context + 1`` tokens, takes one AdamW
    step on the mean cross-entropy, with learning rate
    ``lr · warmup_cosine(step, total=steps, warmup=warmup, floor=floor)``.
    ``losses[s]`` is the training loss of step ``s`` (on its own batch).
    """
    rng = np.random.default_rng(seed)
    model = nm.GPT(vocab_size, context, d_model, n_layers, n_heads, rng=rng)
    loss = nm.SoftmaxCrossEntropy()
    opt = AdamW(model, lr=lr, weight_decay=weight_decay)
    losses = np.empty(steps)
    for s in range(steps):
        opt.lr = lr * warmup_cosine(s, total=steps, warmup=warmup, floor=floor)
        X, Y = text_windows(train_ids, context, batch, rng)
        losses[s] = loss.forward(model.forward(X), Y)
        model.backward(loss.backward())
        opt.step()
    return model, losses


def step_flops(*, vocab_size, T, d_model, n_layers, N, mlp_ratio=4):
    r"""Floating-point operations of the matrix products of one forward and backward pass.

    A product of an ``(m, k)`` and a ``(k, n)`` matrix costs ``2mkn`` (a multiply
    and an add per term). Per token, forward, a layer costs ``2(4 + 2r)d²`` in
    its four attention projections and two MLP matrices and ``4Td`` in the scores
    ``QKᵀ`` and ``AV`` (the full ``T × T`` matrix, as the library computes it);
    the tied logits cost ``2dV``. Backward, each product ``Y = XW`` needs two
    products of the same size (``δWᵀ`` and ``Xᵀδ``), so the step costs three
    times the forward. Element-wise work (norms, GELU, softmax) is not counted.

    Returns
    -------
    int
        ``3 N T (L (2(4 + 2r) d² + 4 T d) + 2 d V)``.
    """
    d, L, r, V = d_model, n_layers, mlp_ratio, vocab_size
    forward = N * T * (L * (2 * (4 + 2 * r) * d * d + 4 * T * d) + 2 * d * V)
    return 3 * forward


def flops_from_parameters(model, N, T):
    """The same count as :func:`step_flops`, read off the model's weight matrices.

    Every 2-D weight of a block ``(a, b)`` is a product costing ``2ab`` per token;
    each head's scores and weighted sum cost ``2 T d_h`` each per token; the tied
    logits use ``tok.W (V, d)``. An independent route for the test of :func:`step_flops`.
    """
    per_token = 0
    for name, W, _ in model.parameters():
        if name.startswith("blocks.") and W.ndim == 2:
            per_token += 2 * W.shape[0] * W.shape[1]
    for block in model.blocks:
        d_h = block.attn.d_model // block.attn.n_heads
        per_token += block.attn.n_heads * 2 * (2 * T * d_h)
    per_token += 2 * model.tok.W.shape[0] * model.tok.W.shape[1]
    return 3 * N * T * per_token
