r"""K-FAC: the natural gradient with a Kronecker-factored Fisher for every Linear layer (chapter 30).

For a :class:`~nnmath.layers.Linear` layer ``Y = XW + b`` of a softmax
classifier, the Fisher block of the stacked weights ``W̃ = [W; bᵀ] (D + 1, C)``
is approximated by ``A ⊗ G`` in the row-major vec (NumPy's ``reshape(-1)``),
with ``A = E[ã ãᵀ]`` over the layer's inputs ``ã = [x, 1]`` and ``G = E[g gᵀ]``
over the per-sample gradients ``g`` of the log-likelihood with respect to the
layer's output. Since ``(A ⊗ G)⁻¹ = A⁻¹ ⊗ G⁻¹`` and
``vec_r(A⁻¹ M G⁻¹) = (A⁻¹ ⊗ G⁻¹) vec_r(M)`` (``G`` symmetric), the natural-gradient
direction of the layer is ``A⁻¹ ∇W̃ G⁻¹`` (:func:`kfac_precondition`), two small
inverses in place of one of size ``(D + 1) C``.

To see ``ã`` and ``g`` without changing :mod:`nnmath.layers`, :func:`tap_linear_layers`
gives every ``Linear`` of a model a :class:`LinearTap`, a hook of the
:class:`~nnmath.module.Module` protocol: after each forward pass and before each
backward pass the layer tells it its input and its upstream gradient ``dY``.
"""


import numpy as np

from ..activations import softmax
from ..layers import Linear, as_rows
from ..checks import check_int, check_real
from .base import Optimizer

__all__ = ["KFAC", "LinearTap", "tap_linear_layers", "kfac_factors", "factored_damping",
           "kfac_precondition"]

_FACTORS = ("A", "G", "A_inv", "G_inv")


def kfac_factors(a, g):
    """Return ``A = aᵀa / N (D, D)`` and ``G = gᵀg / N (C, C)`` from ``a (N, D)``, ``g (N, C)``.

    The batch estimates of ``E[a aᵀ]`` and ``E[g gᵀ]`` (chapter 30): rows are samples.
    """
    a, g = np.asarray(a), np.asarray(g)
    if a.ndim != 2 or g.ndim != 2 or a.shape[0] != g.shape[0] or a.shape[0] == 0:
        raise ValueError(f"kfac_factors: a and g must be (N, D) and (N, C) with the same N >= 1, "
                         f"got {a.shape} and {g.shape}")
    return a.T @ a / a.shape[0], g.T @ g / g.shape[0]


def factored_damping(A, G, damping):
    r"""Return ``A + π√λ I`` and ``G + (√λ/π) I``: factored Tikhonov damping (Martens & Grosse).

    ``π = √((tr A / D) / (tr G / C))`` balances the two factors (their mean
    eigenvalues), so that ``(A + π√λ I) ⊗ (G + √λ/π I) = A ⊗ G + λ I + (cross terms)``:
    the Kronecker product of the damped factors is ``A ⊗ G + λI`` plus the
    positive semi-definite terms ``π√λ I ⊗ G + (√λ/π) A ⊗ I`` (chapter 30).
    """
    D, C = A.shape[0], G.shape[0]
    mean_A, mean_G = np.trace(A) / D, np.trace(G) / C
    pi = np.sqrt(mean_A / mean_G) if mean_A > 0 and mean_G > 0 else 1.0
    root = np.sqrt(damping)
    return A + pi * root * np.eye(D), G + root / pi * np.eye(C)


def kfac_precondition(grad, A_inv, G_inv):
    """Return ``A⁻¹ ∇W G⁻¹ (D, C)``: ``(A ⊗ G)⁻¹ vec_r(∇W)`` reshaped, ``A``, ``G`` symmetric (chapter 30)."""
    return A_inv @ grad @ G_inv


class LinearTap:
    """What one :class:`~nnmath.layers.Linear` saw last: its input and its output gradient.

    A hook (:meth:`nnmath.module.Module.add_hook`): the layer computes exactly as
    before and tells the tap what it saw.

    Attributes
    ----------
    layer : Linear
    inputs : ndarray, shape (rows, D) or None
        The input of the last ``forward`` (leading axes flattened into rows).
    output_grad : ndarray, shape (rows, C) or None
        The upstream gradient ``dY`` of the last ``backward``.
    """

    def __init__(self, layer):
        self.layer = layer
        self.inputs = None
        self.output_grad = None

    def after_forward(self, layer, X, Y):
        self.inputs = as_rows(X)

    def before_backward(self, layer, dY):
        self.output_grad = as_rows(dY)


class _OutputTap:
    """The last output of a model's ``forward`` (its logits), for sampling labels."""

    def __init__(self):
        self.output = None

    def after_forward(self, model, X, Y):
        self.output = Y


def _hook(module, kind):
    """The hook of type ``kind`` this module already has, or None."""
    return next((hook for hook in module.hooks if isinstance(hook, kind)), None)


def _modules(model):
    seen, stack = [], [model]
    while stack:
        module = stack.pop()
        if any(module is m for m in seen):
            continue
        seen.append(module)
        get = getattr(module, "children", None)
        stack.extend(reversed(list(get() if callable(get) else [])))
    return seen


def tap_linear_layers(model):
    """Give every :class:`~nnmath.layers.Linear` in ``model`` a :class:`LinearTap` (once); return them.

    Walks ``model`` and its ``children()``. A layer that already has a tap keeps it, so
    several optimisers on one model share the taps. The tap is a hook of the layer
    (:meth:`~nnmath.module.Module.add_hook`): the layer's own code is unchanged.
    """
    return [_hook(module, LinearTap) or module.add_hook(LinearTap(module))
            for module in _modules(model) if isinstance(module, Linear)]


def _tap_output(model):
    return _hook(model, _OutputTap) or model.add_hook(_OutputTap())


class KFAC(Optimizer):
    r"""K-FAC: every Linear layer's gradient preconditioned by its damped Kronecker-factored Fisher.

    Parameters
    ----------
    model : Module
        A softmax classifier (its ``forward`` returns logits ``(N, C)`` or ``(N, T, C)``)
        trained with a loss that is the *mean* over rows (:class:`~nnmath.SoftmaxCrossEntropy`).
    lr : float
        Learning rate ``η``, finite and ``> 0``.
    damping : float, optional
        ``λ > 0`` (default ``1e-3``), split between the factors as in :func:`factored_damping`.
    momentum : float, optional
        ``μ`` in ``[0, 1)`` (default 0), on the preconditioned direction as :class:`SGD` does.
    update_every : int, optional
        Recompute the factors and their inverses every this many steps (default 1);
        the steps between reuse the last inverses.
    weight_decay : float, optional
        ``λ_wd ≥ 0`` (default 0), added to every gradient (L2) before preconditioning.
    fisher : {"true", "empirical"}, optional
        ``"true"`` (default): ``g`` from one extra backward pass with labels sampled from
        the model's softmax (the Fisher of the model); ``"empirical"``: ``g`` from the
        backward pass of the training labels.
    decay : float, optional
        Running average of the factors, ``A ← decay·A + (1 − decay)·A_batch`` (default
        0.95; the first update takes the batch factors), in ``[0, 1)``.
    seed : int, optional
        The labels of update ``t`` are drawn with ``numpy.random.default_rng([seed, t])``,
        so a restored state dict resumes exactly (default 0).

    Notes
    -----
    Every :class:`~nnmath.layers.Linear` whose ``W`` and ``b`` are in ``model.parameters()``
    is preconditioned, its bias folded into ``A`` as a column of ones in the input:
    ``W̃ = [W; bᵀ]``, ``ã = [x, 1]``, ``A = ãᵀã/N``, ``G = gᵀg/N`` (rows of ``g`` per
    sample; with ``fisher="empirical"``, ``N·dY``). With the damped factors
    ``A_λ, G_λ`` (:func:`factored_damping`) the direction is

    .. math:: D = A_\lambda^{-1}\,(\nabla_{\tilde W} L + \lambda_{wd} \tilde W)\,G_\lambda^{-1},

    then ``v ← μv + D`` (``v₁ = D``), ``W̃ ← W̃ − ηv``. **Every other parameter**
    (convolutions, normalisation, embeddings, attention) takes the :class:`SGD` step
    with the same ``lr``, ``momentum`` and ``weight_decay``. The optimiser gives each
    Linear a :class:`LinearTap` and hooks the model's output: ``step`` uses the input,
    output gradient and logits of the last forward and backward, so call it right
    after them. With ``fisher="true"``, an update step runs ``model.backward`` once
    more; the step uses the training gradients read before it, and afterwards the
    layers' gradient attributes hold those of the sampled labels. A batch-coupling
    layer (BatchNorm) makes ``g`` only approximately per-sample. Derived in chapter 30
    (Martens & Grosse 2015); no KL clipping or damping adaptation.

    Examples
    --------
    >>> import numpy as np
    >>> import nnmath as nm
    >>> rng = np.random.default_rng(0)
    >>> model = nm.Sequential(nm.Linear(4, 8, rng=rng), nm.Tanh(), nm.Linear(8, 3, rng=rng))
    >>> opt = KFAC(model, lr=0.1)
    >>> loss = nm.SoftmaxCrossEntropy()
    >>> X, y = rng.standard_normal((16, 4)), rng.integers(0, 3, 16)
    >>> first = loss.forward(model.forward(X), y)
    >>> for _ in range(5):
    ...     _ = loss.forward(model.forward(X), y)
    ...     _ = model.backward(loss.backward())
    ...     opt.step()
    >>> bool(loss.forward(model.forward(X), y) < first)
    True
    """

    _hyperparameters = ("damping", "momentum", "update_every", "weight_decay", "fisher",
                        "decay", "seed")

    def __init__(self, model, lr, *, damping=1e-3, momentum=0.0, update_every=1,
                 weight_decay=0.0, fisher="true", decay=0.95, seed=0):
        super().__init__(model, lr)
        self.damping = check_real("KFAC", "damping", damping, lambda v: v > 0, "> 0")
        self.momentum = check_real("KFAC", "momentum", momentum, lambda v: 0 <= v < 1, "in [0, 1)")
        self.weight_decay = check_real("KFAC", "weight_decay", weight_decay, lambda v: v >= 0,
                                       ">= 0")
        self.decay = check_real("KFAC", "decay", decay, lambda v: 0 <= v < 1, "in [0, 1)")
        self.update_every = check_int("KFAC", "update_every", update_every, 1)
        self.seed = check_int("KFAC", "seed", seed, 0)
        if fisher not in ("true", "empirical"):
            raise ValueError(f"KFAC: fisher must be 'true' or 'empirical', got {fisher!r}")
        self.fisher = fisher
        self.factors = {}
        self._layers = self._find_layers()
        if self.fisher == "true":
            self._output_tap = _tap_output(model)

    def _find_layers(self):
        """``[(weight name, bias name, tap)]`` for every Linear whose W and b the model lists."""
        params = list(self.model.parameters())
        layers = []
        for tap in tap_linear_layers(self.model):
            names = [next((n for n, p, _ in params if p is arr), None)
                     for arr in (tap.layer.W, tap.layer.b)]
            if None not in names:
                layers.append((names[0], names[1], tap))
        return layers

    def _buffers(self):
        return ("momentum_buffer",) if self.momentum else ()

    def _batch(self, who):
        """``(ã (N, D+1), g (N, C))`` per layer, from the last forward and backward."""
        for wname, _, tap in self._layers:
            if tap.inputs is None or tap.output_grad is None:
                raise RuntimeError(f"{who}: layer {wname!r} has no recorded forward and backward; "
                                   f"call model.forward and model.backward before step")
            if tap.inputs.shape[0] != tap.output_grad.shape[0]:
                raise ValueError(f"{who}: layer {wname!r} saw {tap.inputs.shape[0]} rows in its "
                                 f"last forward but {tap.output_grad.shape[0]} in its last "
                                 f"backward; step right after the forward and backward of a batch")
        if self.fisher == "true":
            Z = np.asarray(self._output_tap.output)
            P = softmax(as_rows(Z))
            u = np.random.default_rng([self.seed, self.steps]).random((P.shape[0], 1))
            labels = np.minimum((np.cumsum(P, axis=1) < u).sum(axis=1), P.shape[1] - 1)
            dZ = P - np.eye(P.shape[1], dtype=P.dtype)[labels]   # row n: ∇_z(−log p(y_n | x_n))
            self.model.backward(dZ.reshape(Z.shape), input_grad=False)
        for wname, _, tap in self._layers:
            a, g = tap.inputs, tap.output_grad
            if self.fisher == "empirical":
                g = g * g.shape[0]                     # the loss is a mean over the rows
            yield wname, np.hstack([a, np.ones((a.shape[0], 1), dtype=a.dtype)]), g

    def _update_factors(self, who):
        for wname, a, g in list(self._batch(who)):
            A, G = kfac_factors(a, g)
            old = self.factors.get(wname)
            if old is not None:
                A = self.decay * old["A"] + (1 - self.decay) * A
                G = self.decay * old["G"] + (1 - self.decay) * G
            A_damped, G_damped = factored_damping(A, G, self.damping)
            self.factors[wname] = {"A": A, "G": G, "A_inv": np.linalg.inv(A_damped),
                                   "G_inv": np.linalg.inv(G_damped)}

    def step(self):
        """Precondition every Linear layer's gradient, SGD for the rest; update in place."""
        who = "KFAC.step"
        params = self._checked_parameters()
        grads = {name: grad for name, _, grad in params}    # before any sampled backward
        if self.steps % self.update_every == 0:
            self._update_factors(who)
        elif missing := [w for w, _, _ in self._layers if w not in self.factors]:
            raise ValueError(f"{who}: layer {missing[0]!r} has no factors: the model changed")
        self.steps += 1
        values = {name: param for name, param, _ in params}
        directions = {}
        for wname, bname, _ in self._layers:
            full = np.vstack([grads[wname], grads[bname][None, :]])   # ∇W̃ (D + 1, C)
            if self.weight_decay:
                full = full + self.weight_decay * np.vstack([values[wname], values[bname][None]])
            f = self.factors[wname]
            D = kfac_precondition(full, f["A_inv"], f["G_inv"])
            directions[wname], directions[bname] = D[:-1], D[-1]
        for name, param, grad in params:
            direction = directions.get(name)
            if direction is None:
                direction = grad + self.weight_decay * param if self.weight_decay else grad
            state = self.state.setdefault(name, {})
            if self.momentum:
                if "momentum_buffer" in state:
                    state["momentum_buffer"] *= self.momentum
                    state["momentum_buffer"] += direction           # v ← μv + D
                else:
                    state["momentum_buffer"] = np.array(direction, dtype=param.dtype)
                direction = state["momentum_buffer"]
            param -= self.lr * direction

    def state_dict(self):
        """The base class's state dict plus ``"A/<W name>"``, ``"G/…"``, ``"A_inv/…"``, ``"G_inv/…"``."""
        state = super().state_dict()
        state.update((f"{key}/{w}", np.array(f[key]))
                     for w, f in self.factors.items() for key in _FACTORS)
        return state

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` (factors included); a bad one raises and changes nothing."""
        who = "KFAC.load_state_dict"
        if not hasattr(state, "keys"):
            raise TypeError(f"{who}: expected a dict from state_dict(), got {type(state).__name__}")
        if "type" in state and str(state["type"]) != "KFAC":
            raise ValueError(f"{who}: the state dict is for {str(state['type'])}, not KFAC")
        ours = {k for k in state if k.partition("/")[0] in _FACTORS}
        steps = int(np.asarray(state["step"])) if "step" in state else 0
        factors = {}
        for wname, _, tap in self._layers if steps else ():
            D, C = tap.layer.in_features + 1, tap.layer.out_features
            for key, shape in zip(_FACTORS, ((D, D), (C, C), (D, D), (C, C))):
                full = f"{key}/{wname}"
                if full not in state:
                    raise ValueError(f"{who}: missing key {full!r} (another model?)")
                if np.shape(state[full]) != shape:
                    raise ValueError(f"{who}: key {full!r} has shape {np.shape(state[full])}, "
                                     f"layer {wname!r} needs {shape}")
                factors.setdefault(wname, {})[key] = np.array(state[full], dtype=tap.layer.W.dtype)
        known = {f"{key}/{w}" for w in factors for key in _FACTORS}
        if unexpected := sorted(ours - known):
            raise ValueError(f"{who}: unexpected key {unexpected[0]!r} (another optimiser or model?)")
        super().load_state_dict({k: v for k, v in state.items() if k not in ours})
        self.factors = factors
