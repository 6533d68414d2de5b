r"""Chapter 16 (vanishing and exploding gradients): a signal through a deep stack of layers.

The variance of a pre-activation is the fan-in times the variance of a weight
times the second moment of the layer's input; :func:`propagate` measures how
activations and gradients grow or shrink layer by layer.
"""

from dataclasses import dataclass

import numpy as np

from ...activations import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from ...checks import check_count
from ...init import INITIALISERS
from ...matmul import matmul_forward, matmul_grad_W, matmul_grad_X

ACTIVATIONS = {"sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU, "leaky_relu": LeakyReLU,
               "identity": Identity}
"""Activation modules by name (each call builds a fresh module)."""


def preactivation_variance(fan_in, weight_var, input_second_moment):
    r"""Variance of a pre-activation :math:`z = \sum_{i=1}^{n} x_i w_i`.

    Parameters
    ----------
    fan_in : int
        ``n``.
    weight_var : float
        :math:`\operatorname{Var}(w)` of i.i.d. zero-mean weights.
    input_second_moment : float
        :math:`\mathbb{E}[x_i^2]` of inputs independent of the weights.

    Returns
    -------
    var : float
        :math:`n \operatorname{Var}(w)\, \mathbb{E}[x^2]`.

    Notes
    -----
    The second moment of the input enters, not its variance: a ReLU's output
    has a non-zero mean, and it still counts (chapter 16).
    """
    return float(fan_in) * float(weight_var) * float(input_second_moment)


@dataclass
class Propagation:
    r"""Statistics of one forward and one backward pass through ``depth`` layers.

    Layer ``l = 1..depth`` computes :math:`Z_l = H_{l-1} W_l`,
    :math:`H_l = f(Z_l)`, with :math:`H_0 = X`. Every array below has shape
    ``(depth,)`` and entry ``l - 1`` describes layer ``l``.

    Attributes
    ----------
    activation, init : str
        Names of the activation and the initialisation.
    input_second_moment : float
        :math:`\mathbb{E}[x^2]` of the batch fed in.
    preactivation_var : ndarray
        :math:`\operatorname{Var}(Z_l)` over batch and units.
    activation_var : ndarray
        :math:`\operatorname{Var}(H_l)`.
    activation_second_moment : ndarray
        :math:`\mathbb{E}[H_l^2]`.
    grad_W_norm : ndarray
        :math:`\lVert \partial L / \partial W_l \rVert_F`.
    grad_input_norm : ndarray
        :math:`\lVert \partial L / \partial H_{l-1} \rVert_F`, the gradient
        that layer ``l`` passes down.
    """

    activation: str
    init: str
    input_second_moment: float
    preactivation_var: np.ndarray
    activation_var: np.ndarray
    activation_second_moment: np.ndarray
    grad_W_norm: np.ndarray
    grad_input_norm: np.ndarray


def _resolve(owner, value, table, what):
    if isinstance(value, str):
        if value not in table:
            raise ValueError(f"{owner}: unknown {what} {value!r}; known: {', '.join(table)}")
        return value, table[value]
    if callable(value):
        return getattr(value, "__name__", type(value).__name__), value
    raise TypeError(f"{owner}: {what} must be a name or a callable, got {value!r}")


def propagate(activation, init, *, depth=20, width=64, batch=128, rng, X=None, upstream=None):
    r"""Send a random batch forward through ``depth`` square layers and a gradient back.

    Parameters
    ----------
    activation : str or callable
        A key of :data:`ACTIVATIONS` (``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ...) or a zero-argument factory of an activation module.
    init : str or callable
        A key of :data:`INITIALISERS` (``"naive"``, ``"xavier"``, ``"he"``)
        or ``f(in_features, out_features, rng) -> W`` (e.g.
        ``functools.partial(naive_normal, std=0.01)``).
    depth, width, batch : int, optional
        Number of layers, units per layer (all layers are ``width × width``;
        no bias), and batch size.
    rng : numpy.random.Generator
        Draws the weights, and ``X`` and ``upstream`` when they are omitted.
    X : array, shape (batch, width), optional
        Input batch; standard normal by default (second moment 1).
    upstream : array, shape (batch, width), optional
        :math:`\partial L/\partial H_{\text{depth}}`; standard normal by default.

    Returns
    -------
    Propagation
        Per-layer variances of the forward signal and norms of the gradients.

    Notes
    -----
    The backward pass applies, layer by layer from the top, the activation's
    backward and then the two compact formulas of chapter 5,
    :math:`\partial L/\partial W_l = H_{l-1}^\top \delta_l` and
    :math:`\partial L/\partial H_{l-1} = \delta_l W_l^\top`: the gradient
    reaching layer ``l`` is the upstream gradient times a product of
    ``depth - l + 1`` Jacobians, which is why its norm can vanish or explode
    (chapter 16).

    Examples
    --------
    >>> import numpy as np
    >>> p = propagate("relu", "he", depth=3, width=8, batch=4, rng=np.random.default_rng(0))
    >>> p.activation_second_moment.shape, p.grad_W_norm.shape
    ((3,), (3,))
    """
    owner = "propagate"
    act_name, make_act = _resolve(owner, activation, ACTIVATIONS, "activation")
    init_name, make_W = _resolve(owner, init, INITIALISERS, "init")
    depth, width, batch = (check_count(owner, what, n) for what, n in
                           (("depth", depth), ("width", width), ("batch", batch)))
    H = rng.standard_normal((batch, width)) if X is None else np.asarray(X, dtype=np.float64)
    if H.shape != (batch, width):
        raise ValueError(f"{owner}: X has shape {H.shape}, expected {(batch, width)}")

    Ws, acts, inputs = [], [], []
    pre_var, act_var, act_m2 = (np.empty(depth) for _ in range(3))
    input_m2 = float(np.mean(H ** 2))
    for layer in range(depth):  # forward: Z = H W, H = f(Z)
        W = np.asarray(make_W(width, width, rng), dtype=np.float64)
        act = make_act()
        inputs.append(H)
        Z = matmul_forward(H, W)
        H = act.forward(Z)
        Ws.append(W)
        acts.append(act)
        pre_var[layer], act_var[layer] = Z.var(), H.var()
        act_m2[layer] = np.mean(H ** 2)

    G = rng.standard_normal((batch, width)) if upstream is None else np.asarray(upstream, float)
    if G.shape != (batch, width):
        raise ValueError(f"{owner}: upstream has shape {G.shape}, expected {(batch, width)}")
    grad_W, grad_in = np.empty(depth), np.empty(depth)
    for layer in reversed(range(depth)):  # backward: δ = f'(Z) ⊙ G, then chapter 5
        delta = acts[layer].backward(G)
        grad_W[layer] = np.linalg.norm(matmul_grad_W(delta, inputs[layer]))
        G = matmul_grad_X(delta, Ws[layer])
        grad_in[layer] = np.linalg.norm(G)
    return Propagation(act_name, init_name, input_m2, pre_var, act_var, act_m2, grad_W, grad_in)
