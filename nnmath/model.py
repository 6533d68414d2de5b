r"""Networks as a chain of modules, and the formulas of backpropagation through them.

:class:`Sequential` runs its modules in order on the way forward and in
reverse order on the way back: each module turns ``∂E/∂(its output)`` into
``∂E/∂(its input)``. Chapter 9 derives why this is right for a network
``X_l = f_l(X_{l−1} W_l)``: the functions :func:`output_delta`,
:func:`delta_recursion` and :func:`backprop_weight_gradients` write the
chapter's equations once (they run on NumPy floats and on SymPy object
arrays), :func:`prove_backprop` proves them with SymPy, and
:func:`multiply_adds` counts the cost of the two passes.

Chapter 10 examines a different formula, the "reuse" formula of a small MLP
library; :func:`reuse_formula_gradients` implements it literally so it can be
compared with backpropagation. It is kept as the object of that examination,
not as a recommended way to compute gradients.
"""

import numbers

import numpy as np
import sympy as sp

from .matmul import matmul_grad_W, matmul_grad_X
from .module import Module
from .symbolic import ProofResult, is_zero, symbol_array

__all__ = [
    "Sequential",
    "output_delta",
    "delta_recursion",
    "backprop_deltas",
    "backprop_weight_gradients",
    "prove_backprop",
    "multiply_adds",
    "reuse_formula_gradients",
]


class Sequential(Module):
    """A chain of modules applied one after the other.

    Parameters
    ----------
    *modules : Module
        Anything with ``forward`` and ``backward`` methods (layers,
        activations, other ``Sequential`` s), in the order the data flows.

    Attributes
    ----------
    layers : list
        The modules, in order.

    Raises
    ------
    TypeError
        If a module has no callable ``forward`` or ``backward``.
    ValueError
        If no module is given.

    Notes
    -----
    ``backward`` calls the modules' ``backward`` in reverse order, which is
    the δ recursion of chapter 9: a ``Linear`` turns ``δ`` into ``δWᵀ`` and an
    activation multiplies by ``f'(Z)``.

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.layers import Linear
    >>> from nnmath.activations import Tanh
    >>> rng = np.random.default_rng(0)
    >>> model = Sequential(Linear(4, 8, rng=rng), Tanh(), Linear(8, 3, rng=rng))
    >>> model.forward(np.ones((5, 4))).shape
    (5, 3)
    >>> [name for name, _, _ in model.parameters()]
    ['0.W', '0.b', '2.W', '2.b']
    """

    def __init__(self, *modules):
        if not modules:
            raise ValueError("Sequential: needs at least one module, got none")
        for i, module in enumerate(modules):
            for method in ("forward", "backward"):
                if not callable(getattr(module, method, None)):
                    raise TypeError(
                        f"Sequential: module {i} ({type(module).__name__}: {module!r}) has no "
                        f"callable {method}(); every module needs forward and backward"
                    )
        self.layers = list(modules)

    def forward(self, X):
        """Run ``X`` through every module in order and return the last output."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dY, *, input_grad=True):
        """Send ``dY = ∂E/∂output`` back through the modules; return ``∂E/∂input``.

        With ``input_grad=False`` (what :func:`nnmath.fit` uses) a first module
        that can skip its input gradient (a ``Linear``) does so, saving one
        matrix product as large as its forward pass, and None is returned.
        """
        first = self.layers[0] if self.layers else None
        for layer in reversed(self.layers[1:]):
            dY = layer.backward(dY)
        if first is None:
            return dY
        if not input_grad and getattr(first, "can_skip_input_grad", False):
            return first.backward(dY, input_grad=False)
        return first.backward(dY)

    def parameters(self):
        """``(name, param, grad)`` of every module, names prefixed by the module index."""
        params = []
        for i, layer in enumerate(self.layers):
            get = getattr(layer, "parameters", None)
            for name, param, grad in (get() if callable(get) else []):
                params.append((f"{i}.{name}", param, grad))
        return params

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"


# -- the equations of chapter 9 ------------------------------------------------

def output_delta(Y, T, fprime):
    r"""δ of the last layer for ``E = ½‖Y − T‖²`` with ``Y = f(Z)``.

    Parameters
    ----------
    Y : array, shape (N, C)
        The network's output ``X_L = f_L(Z_L)``.
    T : array, shape (N, C)
        Targets.
    fprime : array, shape (N, C)
        ``f_L'(Z_L)``, element by element.

    Returns
    -------
    delta : array, shape (N, C)
        ``∂E/∂Z_L``.

    Notes
    -----
    .. math:: \delta_L = (X_L - T) \odot f_L'(Z_L)

    Derived in chapter 9. (nnmath's :class:`~nnmath.losses.MSE` divides
    ``E`` by the batch size ``N``, which divides every δ by ``N``.)
    """
    return (Y - T) * fprime


def delta_recursion(delta_next, W_next, fprime):
    r"""One step of the δ recursion: from ``δ_{l+1}`` to ``δ_l``.

    Parameters
    ----------
    delta_next : array, shape (N, C)
        ``δ_{l+1} = ∂E/∂Z_{l+1}``.
    W_next : array, shape (D, C)
        ``W_{l+1}``, with ``Z_{l+1} = X_l W_{l+1}``.
    fprime : array, shape (N, D)
        ``f_l'(Z_l)``, element by element.

    Returns
    -------
    delta : array, shape (N, D)
        ``δ_l = ∂E/∂Z_l``.

    Notes
    -----
    .. math:: \delta_l = \left(\delta_{l+1} W_{l+1}^\top\right) \odot f_l'(Z_l)

    The product with ``W_{l+1}ᵀ`` is :func:`nnmath.matmul.matmul_grad_X`
    (chapter 5); the element-wise factor is the diagonal Jacobian of ``f_l``
    (chapter 6). Chapter 9 proves the recursion for any depth.
    """
    return matmul_grad_X(delta_next, W_next) * fprime


def backprop_deltas(weights, fprimes, Y, T):
    r"""All deltas ``δ_1, …, δ_L`` of ``E = ½‖X_L − T‖²``.

    Parameters
    ----------
    weights : list of arrays
        ``[W_1, …, W_L]``, ``W_l`` of shape ``(D_{l−1}, D_l)``.
    fprimes : list of arrays
        ``[f_1'(Z_1), …, f_L'(Z_L)]``, ``f_l'(Z_l)`` of shape ``(N, D_l)``.
    Y : array, shape (N, D_L)
        ``X_L``.
    T : array, shape (N, D_L)

    Returns
    -------
    deltas : list of arrays
        ``[δ_1, …, δ_L]``, ``δ_l`` of shape ``(N, D_l)``.

    Notes
    -----
    :func:`output_delta` for ``δ_L``, then :func:`delta_recursion` down to
    ``δ_1`` (chapter 9).
    """
    if len(weights) != len(fprimes) or not weights:
        raise ValueError(
            f"backprop_deltas: need one f' per weight matrix, got {len(weights)} weights "
            f"and {len(fprimes)} derivatives"
        )
    deltas = [output_delta(Y, T, fprimes[-1])]
    for l in range(len(weights) - 1, 0, -1):  # python index l is the book's layer l+1
        deltas.insert(0, delta_recursion(deltas[0], weights[l], fprimes[l - 1]))
    return deltas


def backprop_weight_gradients(inputs, weights, fprimes, Y, T):
    r"""``∂E/∂W_l = X_{l−1}ᵀ δ_l`` for every layer of ``X_l = f_l(X_{l−1} W_l)``.

    Parameters
    ----------
    inputs : list of arrays
        ``[X_0, …, X_{L−1}]``, the input of each layer.
    weights, fprimes, Y, T
        As in :func:`backprop_deltas`.

    Returns
    -------
    grads : list of arrays
        ``[∂E/∂W_1, …, ∂E/∂W_L]``, each of the shape of its ``W_l``.

    Notes
    -----
    .. math:: \frac{\partial E}{\partial W_l} = X_{l-1}^\top \delta_l

    is :func:`nnmath.matmul.matmul_grad_W` applied to each layer (chapter 9).
    Works on NumPy object arrays of SymPy expressions, which is how
    :func:`prove_backprop` checks it.
    """
    if len(inputs) != len(weights):
        raise ValueError(
            f"backprop_weight_gradients: need one input per weight matrix, got "
            f"{len(inputs)} inputs and {len(weights)} weights"
        )
    deltas = backprop_deltas(weights, fprimes, Y, T)
    return [matmul_grad_W(X, d) for X, d in zip(inputs, deltas)]


def _symbolic_derivative(f):
    """``z ↦ f'(z)`` for an undefined SymPy function, as SymPy's chain rule writes it."""
    s = sp.Dummy("s")
    df = f(s).diff(s)
    return np.vectorize(lambda z: df.subs(s, z), otypes=[object])


def prove_backprop(widths=(2, 2, 2, 2), N=1):
    r"""Prove the δ recursion with SymPy on a network of arbitrary activations.

    Builds ``X_l = f_l(X_{l−1} W_l)`` with symbolic ``X_0``, ``W_l``, ``T``
    and *undefined* functions ``f_1, …, f_L``, differentiates
    ``E = ½‖X_L − T‖²`` by every weight directly, and compares with
    :func:`backprop_weight_gradients`.

    Parameters
    ----------
    widths : sequence of int
        ``(D_0, D_1, …, D_L)``; ``L = len(widths) − 1`` layers.
    N : int
        Batch size.

    Returns
    -------
    ProofResult
        ``holds`` is True when every entry of every difference simplifies to
        zero. ``slow`` and ``fast`` are the lists of exact and formula
        gradients; ``details`` holds ``"E"``, ``"deltas"`` and ``"weights"``.

    Notes
    -----
    Because ``f_l`` are undefined, the proof covers every differentiable
    activation at once (chapter 9).
    """
    widths = [int(w) for w in widths]
    L = len(widths) - 1
    if L < 1 or min(widths) < 1 or N < 1:
        raise ValueError(f"prove_backprop: need ≥ 2 positive widths and N ≥ 1, got {widths}, N={N}")
    X = symbol_array("x", (N, widths[0]), real=True)
    T = symbol_array("t", (N, widths[-1]), real=True)
    weights = [symbol_array(f"w^{{({l})}}", (widths[l - 1], widths[l]), real=True)
               for l in range(1, L + 1)]
    fs = [sp.Function(f"f_{l}") for l in range(1, L + 1)]
    inputs, fprimes = [], []
    for W, f in zip(weights, fs):
        inputs.append(X)
        Z = X @ W
        fprimes.append(_symbolic_derivative(f)(Z))
        X = np.vectorize(f, otypes=[object])(Z)
    E = sp.Rational(1, 2) * sp.Add(*[(y - t) ** 2 for y, t in zip(X.flat, T.flat)])
    slow = [np.vectorize(lambda w: sp.diff(E, w), otypes=[object])(W) for W in weights]
    fast = backprop_weight_gradients(inputs, weights, fprimes, X, T)
    holds = all(is_zero(s - f) for s, f in zip(slow, fast))
    return ProofResult(
        f"dE/dW_l = X_(l-1)^T delta_l for widths {tuple(widths)}, N={N}, any f_l",
        holds, slow, fast,
        {"E": E, "deltas": backprop_deltas(weights, fprimes, X, T), "weights": weights},
    )


def multiply_adds(layer_sizes, N, *, input_gradient=True):
    r"""Multiply-adds of the forward and backward pass of a chain of ``Linear`` layers.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``(D_0, D_1, …, D_L)``: layer ``l`` maps ``D_{l−1}`` features to ``D_l``.
    N : int
        Batch size.
    input_gradient : bool, optional
        Whether the first layer computes ``∂E/∂X_0`` (not needed for training:
        with False, the first layer's backward costs ``N·D·C`` only).

    Returns
    -------
    rows : list of dict
        One per layer: ``{"layer", "D", "C", "forward", "backward"}``.

    Notes
    -----
    Forward ``Z = XW`` costs ``N·D·C`` multiply-adds; backward computes
    ``∂E/∂W = Xᵀδ`` (``D·N·C``) and ``∂E/∂X = δWᵀ`` (``N·C·D``), twice the
    forward. Activations and biases add ``O(N·C)`` element-wise operations,
    not counted (chapter 9).
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1 or int(N) < 1:
        raise ValueError(
            f"multiply_adds: need ≥ 2 positive layer sizes and N ≥ 1, got {layer_sizes}, N={N}"
        )
    N = int(N)
    rows = []
    for l, (D, C) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        forward = N * D * C
        backward = forward if (l == 1 and not input_gradient) else 2 * forward
        rows.append({"layer": l, "D": D, "C": C, "forward": forward, "backward": backward})
    return rows


# -- chapter 10: the formula under examination -------------------------------

def _linear_activation_pairs(owner, model):
    from .activations import Softmax
    from .layers import Linear

    layers = list(getattr(model, "layers", []))
    if not layers or len(layers) % 2:
        raise ValueError(f"{owner}: the model must alternate Linear and activation modules, "
                         f"got {len(layers)} modules")
    pairs = list(zip(layers[0::2], layers[1::2]))
    for i, (lin, act) in enumerate(pairs):
        if not isinstance(lin, Linear) or isinstance(act, (Linear, Softmax)):
            raise TypeError(
                f"{owner}: modules {2 * i} and {2 * i + 1} must be a Linear followed by an "
                f"element-wise activation, got {type(lin).__name__}, {type(act).__name__}")
    return pairs


def reuse_formula_gradients(model, x, *, loss_grad=None):
    r"""Weight gradients by the "reuse" formula of the MLP library of chapter 10.

    This implements, literally, the formula *under examination* in chapter
    10; it is not a recommended way to compute gradients (use
    :meth:`Sequential.backward`).

    Parameters
    ----------
    model : Sequential
        ``Linear, act, Linear, act, …``: every ``Linear`` followed by an
        element-wise activation, as the library requires.
    x : array, shape (D_0,)
        One input sample (the library trains one sample at a time).
    loss_grad : array, shape (n,), optional
        If given, ``diag(loss_grad)`` is appended as the last factor of every
        ``V_k``, as the library's *code* initialises its ``reuse`` matrix. The
        formula as printed has no such factor (default).

    Returns
    -------
    grads : list of arrays
        One per ``Linear``, each of the shape of its ``W`` (``(in, out)``).

    Notes
    -----
    The library writes layers in the column convention, ``z_k = A_k a_{k−1}
    + b_k`` with ``A_k = W_kᵀ`` for nnmath's row-major ``W_k``; so its
    ``A_iᵀ`` is nnmath's ``W_i``. With ``D_i = diag(f_i'(z_i))``:

    .. math::
        V_k = \prod_{i=k+1}^{L} A_i^\top D_i, \qquad
        \frac{\partial C}{\partial A_k} \overset{?}{=}
        \bigl(f_k'(z_k)\, a_{k-1}^\top\bigr) \odot \bigl(V_k \mathbf{1}\bigr)

    (``V_L = I``), the column sum ``V_k 1`` multiplying row ``i`` of the outer
    product by its ``i``-th entry. The result is returned transposed, in
    nnmath's ``(in, out)`` layout. Chapter 10 compares it with
    backpropagation.
    """
    pairs = _linear_activation_pairs("reuse_formula_gradients", model)
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or x.shape[0] != pairs[0][0].in_features:
        raise ValueError(f"reuse_formula_gradients: x must have shape "
                         f"({pairs[0][0].in_features},), got {x.shape}")
    layer_inputs, fprimes = [], []
    a = x[None, :]  # (1, D_0)
    for lin, act in pairs:
        layer_inputs.append(a[0])
        a = act.forward(lin.forward(a))
        fprimes.append(act.backward(np.ones_like(a))[0])  # f'(z_k): diagonal of D_k
    n = a.shape[1]
    seed = np.eye(n) if loss_grad is None else np.diag(np.asarray(loss_grad, float).reshape(n))
    grads = []
    for k in range(len(pairs)):
        V = np.eye(pairs[k][0].out_features)
        for i in range(k + 1, len(pairs)):
            V = V @ pairs[i][0].W @ np.diag(fprimes[i])  # A_iᵀ D_i
        V = V @ seed                                       # (m_k, n)
        column_sum = np.sum(V, axis=1)[:, None]            # Σ_j V_k[:, j], shape (m_k, 1)
        outer = np.outer(fprimes[k], layer_inputs[k])      # f_k'(z_k) a_{k−1}ᵀ, (m_k, p)
        grads.append((outer * column_sum).T)               # back to nnmath's (in, out)
    return grads
