r"""Muon: momentum orthogonalised by a Newton–Schulz iteration (chapter 31), AdamW for the rest."""

import numpy as np

from ..checks import check_count, check_real
from .base import Optimizer

__all__ = ["Muon", "newton_schulz", "newton_schulz_step", "MUON_COEFFICIENTS", "CUBIC_COEFFICIENTS"]

#: ``(a, b, c)`` of the quintic Muon uses (Jordan et al. 2024): fast, ends in a band around 1.
MUON_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
#: ``(a, b, c)`` of the classical cubic Newton–Schulz iteration: converges to ``U Vᵀ``.
CUBIC_COEFFICIENTS = (1.5, -0.5, 0.0)


def _check_coefficients(owner, coefficients):
    """Return ``(a, b, c)`` as floats, or raise naming ``owner``."""
    if isinstance(coefficients, (str, bytes)) or not hasattr(coefficients, "__len__") \
            or len(coefficients) != 3:
        raise TypeError(f"{owner}: coefficients must be three numbers (a, b, c), got "
                        f"{coefficients!r}")
    a, b, c = (check_real(owner, f"coefficients[{i}]", v, lambda x: True, "a real number")
               for i, v in enumerate(coefficients))
    if a <= 1:
        raise ValueError(f"{owner}: coefficients[0] = a = p'(0) must be > 1, so that small "
                         f"singular values grow, got {a!r}")
    return a, b, c


def newton_schulz_step(X, a, b, c):
    r"""One Newton–Schulz step ``a X + b (X Xᵀ) X + c (X Xᵀ)² X`` (chapter 31).

    ``X`` of shape ``(r, s)``; works on numpy arrays and on SymPy matrix expressions
    (the chapter's proof for every size runs it on ``U S Vᵀ``). Returns shape ``(r, s)``.
    """
    A = X @ X.T                                     # A = X Xᵀ, (r, r)
    return a * X + (b * A + c * (A @ A)) @ X        # a X + b A X + c A² X


def newton_schulz(G, steps=5, coefficients=MUON_COEFFICIENTS):
    r"""Approximate the polar factor ``U Vᵀ`` of ``G = U Σ Vᵀ`` by a Newton–Schulz iteration.

    Parameters
    ----------
    G : array_like, shape (m, n)
        A real matrix (a gradient or momentum of a weight matrix).
    steps : int, optional
        Number of iterations ``k ≥ 1`` (default 5, as Muon).
    coefficients : (float, float, float), optional
        ``(a, b, c)`` of the odd polynomial ``p(σ) = aσ + bσ³ + cσ⁵``; default
        :data:`MUON_COEFFICIENTS` ``(3.4445, −4.7750, 2.0315)``;
        :data:`CUBIC_COEFFICIENTS` ``(1.5, −0.5, 0)`` converges to ``U Vᵀ`` itself.
        ``a = p'(0)`` must be ``> 1``.

    Returns
    -------
    ndarray, shape (m, n)
        ``X_k``, with ``X₀ = G / ‖G‖_F`` and
        ``X ← a X + b (X Xᵀ) X + c (X Xᵀ)² X``; zero for ``G = 0``.

    Notes
    -----
    With ``X = U S Vᵀ`` (``S`` diagonal), one step gives ``U p(S) Vᵀ``: the iteration
    keeps the singular vectors and applies ``p`` to every singular value, so
    ``X_k = U p^k(Σ/‖G‖_F) Vᵀ`` (chapter 31). Starting at ``G/‖G‖_F`` puts every
    singular value in ``(0, 1]``. The cubic's ``p^k`` tends to 1 there, so ``X_k → U Vᵀ``
    (rank ``r``: ``U`` of shape ``(m, r)``); Muon's quintic trades that limit for speed,
    and its values end in a band around 1 (about ``[0.7, 1.2]``), not at 1. For
    ``m > n`` the iteration runs on ``Gᵀ`` (the smaller Gram matrix) and transposes back:
    the polar factor of ``Gᵀ`` is ``(U Vᵀ)ᵀ``.

    Examples
    --------
    >>> import numpy as np
    >>> G = np.array([[3.0, 0.0], [0.0, 0.5]])
    >>> np.round(newton_schulz(G, 30, CUBIC_COEFFICIENTS), 8)
    array([[1., 0.],
           [0., 1.]])
    """
    a, b, c = _check_coefficients("newton_schulz", coefficients)
    steps = check_count("newton_schulz", "steps", steps)
    G = np.asarray(G)
    if G.ndim != 2 or G.dtype.kind not in "fiu" or G.size == 0:
        raise ValueError(f"newton_schulz: G must be a non-empty real 2-D array, got shape "
                         f"{G.shape} and dtype {G.dtype}")
    if not np.all(np.isfinite(G)):
        raise ValueError("newton_schulz: G has a NaN or infinite entry")
    X = np.array(G, dtype=np.result_type(G.dtype, np.float64))
    norm = np.linalg.norm(X)
    if norm == 0:
        return X
    tall = X.shape[0] > X.shape[1]
    X = (X.T if tall else X) / norm                 # (r, s) with r ≤ s: X Xᵀ is r × r
    for _ in range(steps):
        X = newton_schulz_step(X, a, b, c)
    return X.T if tall else X


def _fan_ratio(shape):
    """``fan_out / fan_in``: ``(in, out)`` for a 2-D weight, ``(out, in, ...)`` for a kernel."""
    if len(shape) == 2:
        return shape[1] / shape[0]
    return shape[0] / int(np.prod(shape[1:]))


def _embedding_arrays(model):
    """``id`` of every embedding table in ``model`` (these go to AdamW, not Muon)."""
    from ..sequence import Embedding, PositionalEmbedding   # late: optim loads before layers
    found, todo = set(), [model]
    while todo:
        module = todo.pop()
        if isinstance(module, (Embedding, PositionalEmbedding)):
            found.update(id(p) for _, p, _ in module.parameters())
        children = getattr(module, "children", None)
        todo.extend(children() if callable(children) else ())
    return found


class Muon(Optimizer):
    r"""Muon: orthogonalised Nesterov momentum for weight matrices, AdamW for the rest.

    Parameters
    ----------
    model : Module
        Anything with ``parameters()`` returning ``(name, param, grad)``.
    lr : float, optional
        Learning rate ``η`` of the Muon parameters (default 0.02).
    momentum : float, optional
        ``μ`` in ``[0, 1)`` (default 0.95).
    nesterov : bool, optional
        Orthogonalise ``(1 − μ) g + μ m`` instead of ``m`` (default True; needs ``μ > 0``).
    ns_steps : int, optional
        Newton–Schulz steps ``k ≥ 1`` (default 5), with :data:`MUON_COEFFICIENTS`.
    adamw_lr : float, optional
        Learning rate of the AdamW parameters (default ``3e-4``).
    adamw_betas : (float, float), optional
        AdamW's ``(β₁, β₂)`` (default ``(0.9, 0.95)``).
    adamw_eps : float, optional
        AdamW's ``ε`` (default ``1e-10``).
    weight_decay : float, optional
        Decoupled decay ``λ ≥ 0`` (default 0) of every parameter: ``θ ← (1 − ηλ) θ``
        with the parameter's own learning rate.
    adamw_params : tuple of str, optional
        Names of further parameters to train with AdamW, e.g. the output layer's weight.

    Notes
    -----
    As the reference implementation (Jordan et al. 2024, ``MuonWithAuxAdam``): a
    parameter with two or more axes that is not an embedding table (:class:`Embedding`,
    :class:`PositionalEmbedding`) nor listed in ``adamw_params`` is a *Muon parameter*;
    a kernel ``(C_out, C_in, kh, kw)`` is flattened to ``(C_out, C_in·kh·kw)``. At step
    ``t``, with gradient ``g``,

    .. math::
        m_t = \mu m_{t-1} + (1-\mu) g_t \ (m_0 = 0), \quad
        u_t = (1-\mu) g_t + \mu m_t, \quad
        \theta_t = \theta_{t-1} - \eta \sqrt{\max(1, d_\text{out}/d_\text{in})}\;
        \mathrm{NS}_k(u_t),

    ``NS_k`` being :func:`newton_schulz` (≈ the polar factor ``U Vᵀ`` of ``u_t``, the
    steepest-descent direction under the spectral norm) and ``u_t = m_t`` without
    Nesterov. Biases, LayerNorm/BatchNorm gains, embedding tables and ``adamw_params``
    get AdamW (:class:`AdamW`'s step with the betas and ε above, ``adamw_lr``).

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.layers import Linear
    >>> layer = Linear(3, 2, rng=np.random.default_rng(0))
    >>> _ = layer.forward(np.ones((1, 3))); _ = layer.backward(np.ones((1, 2)))
    >>> opt = Muon(layer)
    >>> sorted(opt.groups().items())
    [('W', 'muon'), ('b', 'adamw')]
    """

    _hyperparameters = ("momentum", "nesterov", "ns_steps", "adamw_lr", "adamw_betas",
                        "adamw_eps", "weight_decay", "adamw_params")

    def __init__(self, model, lr=0.02, *, momentum=0.95, nesterov=True, ns_steps=5,
                 adamw_lr=3e-4, adamw_betas=(0.9, 0.95), adamw_eps=1e-10, weight_decay=0.0,
                 adamw_params=()):
        super().__init__(model, lr)
        self.momentum = check_real("Muon", "momentum", momentum, lambda v: 0 <= v < 1, "in [0, 1)")
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"Muon: nesterov must be True or False, got {nesterov!r}")
        if nesterov and not self.momentum:
            raise ValueError(f"Muon: nesterov=True needs momentum > 0, got momentum={momentum!r}")
        self.nesterov = bool(nesterov)
        self.ns_steps = check_count("Muon", "ns_steps", ns_steps)
        self.adamw_lr = check_real("Muon", "adamw_lr", adamw_lr, lambda v: v > 0, "> 0")
        if isinstance(adamw_betas, (str, bytes)) or not hasattr(adamw_betas, "__len__") \
                or len(adamw_betas) != 2:
            raise TypeError(f"Muon: adamw_betas must be a pair (beta1, beta2), got {adamw_betas!r}")
        self.adamw_betas = tuple(check_real("Muon", f"adamw_betas[{i}]", b,
                                            lambda v: 0 <= v < 1, "in [0, 1)")
                                 for i, b in enumerate(adamw_betas))
        self.adamw_eps = check_real("Muon", "adamw_eps", adamw_eps, lambda v: v > 0, "> 0")
        self.weight_decay = check_real("Muon", "weight_decay", weight_decay,
                                       lambda v: v >= 0, ">= 0")
        if isinstance(adamw_params, str) or not all(isinstance(n, str) for n in adamw_params):
            raise TypeError(f"Muon: adamw_params must be a tuple of parameter names, got "
                            f"{adamw_params!r}")
        self.adamw_params = tuple(adamw_params)
        names = [name for name, _, _ in model.parameters()]
        if unknown := [n for n in self.adamw_params if n not in names]:
            raise ValueError(f"Muon: adamw_params names {unknown[0]!r}, which is not a parameter "
                             f"of the model (parameters: {', '.join(names)})")
        self._embeddings = _embedding_arrays(model)

    def groups(self):
        """``{parameter name: "muon" or "adamw"}``: which rule updates each parameter."""
        return {name: self._group(name, param) for name, param, _ in self.model.parameters()}

    def _group(self, name, param):
        muon = (np.ndim(param) >= 2 and id(param) not in self._embeddings
                and name not in self.adamw_params)
        return "muon" if muon else "adamw"

    def _buffers(self, group=None):
        if group is None:
            return ("momentum_buffer", "exp_avg", "exp_avg_sq")
        return ("momentum_buffer",) if group == "muon" else ("exp_avg", "exp_avg_sq")

    def _buffers_of(self, name, param):
        """Its group's buffers: ``momentum_buffer``, or ``exp_avg`` and ``exp_avg_sq``."""
        return self._buffers(self._group(name, param))

    def step(self):
        """Update every parameter in place, with the gradients of the last ``backward``."""
        params = self._checked_parameters()
        self.steps += 1
        for name, param, grad in params:
            state = self.state.setdefault(name, {})
            if self._group(name, param) == "muon":
                self._muon_update(param, grad, state)
            else:
                self._adamw_update(param, grad, state)

    def _muon_update(self, param, grad, state):
        mu = self.momentum
        m = state.setdefault("momentum_buffer", np.zeros_like(param))
        m *= mu
        m += (1 - mu) * grad                              # m ← μ m + (1 − μ) g
        u = (1 - mu) * grad + mu * m if self.nesterov else m
        O = newton_schulz(u.reshape(u.shape[0], -1), self.ns_steps)   # kernels as (C_out, ·)
        scale = np.sqrt(max(1.0, _fan_ratio(param.shape)))
        param *= 1 - self.lr * self.weight_decay          # decoupled decay
        param -= self.lr * scale * O.reshape(param.shape)

    def _adamw_update(self, param, grad, state):
        beta1, beta2 = self.adamw_betas
        if not state:
            state["exp_avg"], state["exp_avg_sq"] = np.zeros_like(param), np.zeros_like(param)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m *= beta1
        m += (1 - beta1) * grad
        v *= beta2
        v += (1 - beta2) * grad * grad
        m_hat = m / (1 - beta1 ** self.steps)
        v_hat = v / (1 - beta2 ** self.steps)
        param *= 1 - self.adamw_lr * self.weight_decay
        param -= self.adamw_lr * m_hat / (np.sqrt(v_hat) + self.adamw_eps)
