r"""Chapter 31 (steepest descent under a norm: Shampoo and Muon): checks and the comparison.

The polar factor from the SVD (the independent route), the steepest-descent checks
(random directions on the unit spectral sphere, projected descent), Shampoo's
preconditioned step, and the optimiser comparison on chapter 25's digits CNN and
chapter 28's transformer. To compare one more optimiser, add one line to
:data:`FACTORIES`.
"""

import numpy as np

from ... import SoftmaxCrossEntropy, data
from ...optim import KFAC, SGD, Adam, AdamW, Muon
from ...optim.kfac import tap_linear_layers
from . import ch25_cnn_digits as ch25
from . import ch28_transformer as ch28

__all__ = ["polar_factor", "nuclear_norm", "random_unit_spectral", "projected_descent",
           "psd_power", "shampoo_direction", "SHAMPOO_POWER", "clip_spectral", "TASKS", "FACTORIES", "make_task", "train_curve",
           "compare", "tail_loss", "output_matrix", "optimiser_flops", "gradient_flops", "KFAC_UPDATE_EVERY",
           "batch_rows", "kfac_layers"]


# -- the polar factor and steepest descent ---------------------------------------------------
def polar_factor(G, rtol=1e-10):
    """``U Vᵀ`` of the thin SVD ``G = U Σ Vᵀ`` of rank ``r`` (numpy's SVD).

    Singular values below ``rtol · σ_max`` count as zero: their vectors are left out.
    """
    U, s, Vt = np.linalg.svd(G, full_matrices=False)
    r = int(np.sum(s > rtol * s[0]))
    return U[:, :r] @ Vt[:r]


def nuclear_norm(G):
    """``‖G‖_* = Σ σᵢ``, the sum of the singular values."""
    return float(np.linalg.svd(G, compute_uv=False).sum())


def random_unit_spectral(rng, shape, n):
    """``n`` random matrices of ``shape`` scaled to spectral norm 1, as ``(n, *shape)``."""
    D = rng.standard_normal((n, *shape))
    return D / np.linalg.norm(D, ord=2, axis=(1, 2))[:, None, None]


def clip_spectral(D):
    """``D`` with its singular values clipped at 1 (so ``‖·‖₂ ≤ 1``)."""
    U, s, Vt = np.linalg.svd(D, full_matrices=False)
    return U @ np.diag(np.minimum(s, 1.0)) @ Vt


def projected_descent(G, rng, steps=500, step_size=0.2):
    """Minimise ``⟨G, Δ⟩`` over ``‖Δ‖₂ ≤ 1`` from a random start: ``Δ ← clip(Δ − t G)``.

    Every iterate is feasible (its singular values are clipped at 1); returns the last one.
    """
    D = clip_spectral(rng.standard_normal(G.shape))
    for _ in range(steps):
        D = clip_spectral(D - step_size * G)
    return D


# -- Shampoo ----------------------------------------------------------------------------------
#: The power Shampoo applies to each Kronecker factor of a matrix parameter: ``L^{-1/4}``.
SHAMPOO_POWER = -0.25


def psd_power(A, p, rtol=1e-10):
    """``A^p`` of a symmetric positive semi-definite ``A`` on its range (pseudo-inverse for p < 0).

    Eigenvalues below ``rtol · λ_max`` count as zero and stay zero.
    """
    lam, Q = np.linalg.eigh(A)
    keep = lam > rtol * lam.max()
    powered = np.zeros_like(lam)
    powered[keep] = lam[keep] ** p
    return (Q * powered) @ Q.T


def shampoo_direction(gradients, eps=0.0):
    r"""Shampoo's step direction ``L^{-1/4} G R^{-1/4}`` for the last gradient ``G``.

    ``L = Σ_t G_t G_tᵀ + ε I``, ``R = Σ_t G_tᵀ G_t + ε I`` over ``gradients`` (a list of
    ``(m, n)`` arrays); the powers act on the range (:func:`psd_power`).
    """
    L = sum(G @ G.T for G in gradients) + eps * np.eye(gradients[0].shape[0])
    R = sum(G.T @ G for G in gradients) + eps * np.eye(gradients[0].shape[1])
    return psd_power(L, SHAMPOO_POWER) @ gradients[-1] @ psd_power(R, SHAMPOO_POWER)


# -- the comparison ---------------------------------------------------------------------------
#: The two tasks: chapter 25's CNN on the digits, chapter 28's transformer on digit reversal.
TASKS = {"cnn": {"batch": 32}, "transformer": {"batch": 16}}


def output_matrix(model):
    """Name of the model's last parameter with two or more axes (its read-out weight)."""
    return [name for name, p, _ in model.parameters() if np.ndim(p) >= 2][-1]


#: K-FAC recomputes its Kronecker factors and their inverses every this many steps.
KFAC_UPDATE_EVERY = 5

#: ``name -> (factory(model, lr), learning rates tried)``: one line per optimiser. Each grid
#: is a centre ×(1/3, 1, 3); Muon's AdamW part (biases, norms, embeddings, read-out) runs at
#: 0.01, the centre of Adam's grid. K-FAC (chapter 30) preconditions the Linear layers
#: (damping 0.1, factors every :data:`KFAC_UPDATE_EVERY` steps, momentum 0.9) and takes
#: momentum-SGD steps at the same rate on the rest.
FACTORIES = {
    "SGD": (lambda model, lr: SGD(model, lr), (0.1, 0.3, 1.0)),
    "momentum": (lambda model, lr: SGD(model, lr, momentum=0.9), (0.01, 0.03, 0.1)),
    "Adam": (lambda model, lr: Adam(model, lr), (0.003, 0.01, 0.03)),
    "AdamW": (lambda model, lr: AdamW(model, lr, weight_decay=0.01), (0.003, 0.01, 0.03)),
    "Muon": (lambda model, lr: Muon(model, lr, adamw_lr=0.01,
                                    adamw_params=(output_matrix(model),)), (0.007, 0.02, 0.06)),
    "KFAC": (lambda model, lr: KFAC(model, lr, damping=0.1, momentum=0.9,
                                    update_every=KFAC_UPDATE_EVERY), (0.01, 0.03, 0.1)),
}


def make_task(task, seed):
    """``(model, X_train, y_train, X_test, y_test)`` of a task, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    if task == "cnn":
        X_train, X_test, y_train, y_test = ch25.digit_split(rng)
        return ch25.build_cnn(rng), X_train, y_train, X_test, y_test
    if task == "transformer":
        X, Y = data.reversal_data(1500, 8, rng)
        return (ch28.transformer(10, 8, 32, 1, 64, rng=rng), X[:1000], Y[:1000], X[1000:],
                Y[1000:])
    raise ValueError(f"make_task: task must be one of {sorted(TASKS)}, got {task!r}")


def train_curve(task, name, lr, steps, seed=31):
    """Training loss per step and the final held-out loss of optimiser ``name`` at rate ``lr``.

    Every run sees the same model initialisation and the same mini-batches.
    """
    model, X, y, X_test, y_test = make_task(task, seed)
    optimiser = FACTORIES[name][0](model, lr)
    batches = np.random.default_rng(seed + 1).integers(0, len(X), (steps, TASKS[task]["batch"]))
    loss, losses = SoftmaxCrossEntropy(), np.empty(steps)
    for t, idx in enumerate(batches):
        losses[t] = loss.forward(model.forward(X[idx]), y[idx])
        model.backward(loss.backward())
        optimiser.step()
    test_loss = loss.forward(model.forward(X_test), y_test)
    return losses, float(test_loss)


def tail_loss(losses, last=20):
    """Mean training loss over the ``last`` steps: the score a learning rate is picked by."""
    return float(np.mean(losses[-last:]))


def compare(task, steps, seed=31):
    """Each optimiser of :data:`FACTORIES` at its best rate of the grid on ``task``.

    Returns ``{name: {"lr", "losses", "test_loss", "tail": {lr: tail loss}}}``, the rate
    picked by the lowest :func:`tail_loss` (a rate whose run diverged scores ``inf``).
    """
    out = {}
    for name, (_, rates) in FACTORIES.items():
        runs = {lr: train_curve(task, name, lr, steps, seed) for lr in rates}
        tail = {lr: tail_loss(l) if np.all(np.isfinite(l)) else np.inf for lr, (l, _) in runs.items()}
        best = min(rates, key=tail.get)
        out[name] = {"lr": best, "losses": runs[best][0], "test_loss": runs[best][1], "tail": tail}
    return out


# -- deterministic cost per step --------------------------------------------------------------
def batch_rows(task):
    """Rows a Linear layer sees per batch: the batch, times the sequence length (8) for the
    transformer."""
    if task not in TASKS:
        raise ValueError(f"batch_rows: task must be one of {sorted(TASKS)}, got {task!r}")
    return TASKS[task]["batch"] * (8 if task == "transformer" else 1)


def kfac_layers(model):
    """``{weight name: Linear layer}`` of the layers K-FAC preconditions: every Linear whose
    ``W`` and ``b`` are among ``model.parameters()`` (the rest takes SGD steps)."""
    params = {id(p): n for n, p, _ in model.parameters()}
    return {params[id(t.layer.W)]: t.layer for t in tap_linear_layers(model)
            if id(t.layer.W) in params and id(t.layer.b) in params}


def optimiser_flops(model, name, ns_steps=5, task=None):
    """Floating-point operations of one optimiser update, counted from the parameter shapes.

    Per parameter of ``n`` entries: SGD 2n, momentum 4n, Adam 12n, AdamW 14n (one
    multiply or add each, square root and division counted as one). A Muon matrix flattened
    to ``(r, s)``, ``r ≤ s``: 6n for momentum, decay and step, 2n for ``‖·‖_F``, and per
    Newton–Schulz step ``2r²s`` (``XXᵀ``) ``+ 2r³`` (``A²``) ``+ 2r²s`` (``(bA + cA²)X``)
    ``+ 2r² + 2rs`` (the scalings and sums); AdamW for the rest.

    K-FAC (needs ``task``), averaged over its ``u =`` :data:`KFAC_UPDATE_EVERY` steps: per
    preconditioned layer ``W̃ (D + 1, C)``, every step ``2(D+1)²C + 2(D+1)C²`` (``A⁻¹ ∇ G⁻¹``)
    ``+ 4(D+1)C`` (momentum and step); every ``u`` steps, with ``N =`` :func:`batch_rows`,
    ``2N(D+1)² + 2NC²`` (the batch factors), ``3((D+1)² + C²)`` (running average, damping)
    and ``2((D+1)³ + C³)`` (the two inverses), plus the extra backward pass for the sampled
    labels, counted as two thirds of :func:`gradient_flops`; momentum SGD (4n) for the rest.
    """
    per = {"SGD": 2, "momentum": 4, "Adam": 12, "AdamW": 14}
    if name in per:
        return sum(per[name] * p.size for _, p, _ in model.parameters())
    if name == "KFAC":
        if task is None:
            raise ValueError("optimiser_flops: the K-FAC count needs task= (the batch's rows)")
        u, N = KFAC_UPDATE_EVERY, batch_rows(task)
        layers = kfac_layers(model)
        kept = {id(a) for layer in layers.values() for a in (layer.W, layer.b)}
        total = sum(4 * p.size for _, p, _ in model.parameters() if id(p) not in kept)
        every = 2 * gradient_flops(task) // 3
        for layer in layers.values():
            D, C = layer.in_features + 1, layer.out_features
            total += 2 * D * D * C + 2 * D * C * C + 4 * D * C
            every += 2 * N * (D * D + C * C) + 3 * (D * D + C * C) + 2 * (D ** 3 + C ** 3)
        return total + every // u
    if name != "Muon":
        raise ValueError(f"optimiser_flops: no count for {name!r}")
    optimiser = FACTORIES["Muon"][0](model, 0.02)
    total = 0
    for pname, p, _ in model.parameters():
        if optimiser.groups()[pname] == "adamw":
            total += 14 * p.size
            continue
        r, s = sorted((p.shape[0], p.size // p.shape[0]))
        total += 8 * p.size + ns_steps * (4 * r * r * s + 2 * r ** 3 + 2 * r * r + 2 * r * s)
    return total


def gradient_flops(task):
    """Multiply-adds ×2 of the forward pass of one batch, ×3 for forward and backward.

    Counts the matrix products (convolutions as im2col products, the linear layers, the
    attention projections, scores and weighted sums); element-wise work is left out.
    """
    B = TASKS[task]["batch"]
    if task == "cnn":   # conv 1→8 on 8×8, conv 8→16 on 4×4, linear 64→10 (3×3 kernels)
        macs = B * (64 * 8 * 9 + 16 * 16 * 8 * 9 + 64 * 10)
    elif task == "transformer":   # T = 8, d = 32, MLP 64, vocab 10
        T, d, h, v = 8, 32, 64, 10
        macs = B * T * (4 * d * d + 2 * T * d + 2 * d * h + d * v)
    else:
        raise ValueError(f"gradient_flops: task must be one of {sorted(TASKS)}, got {task!r}")
    return 3 * 2 * macs
