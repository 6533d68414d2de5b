"""Chapter 9 (backpropagation through a chain of layers): the deltas, and a SymPy check of the recursion.

:class:`nnmath.Sequential` runs backpropagation module by module; the functions
here write the same recursion out with explicit deltas, as chapter 9 derives
it, and :func:`prove_backprop` checks it with SymPy against the Jacobian of the
whole network at fixed sizes.
"""

import numpy as np
import sympy as sp

from ...matmul import matmul_grad_W, matmul_grad_X
from ..symbolic import ProofResult, is_zero, symbol_array


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
    return [matmul_grad_W(d, X) for X, d in zip(inputs, deltas)]


def _symbolic_derivative(f):
    """``z ↦ f'(z)`` for an undefined SymPy function, as SymPy's chain rule writes it."""
    s = sp.Dummy("s")
    df = f(s).diff(s)
    return np.vectorize(lambda z: df.subs(s, z), otypes=[object])


def prove_backprop(widths=(2, 2, 2, 2), N=1, *, gradients=None):
    r"""Check the δ recursion exactly with SymPy on a network of arbitrary activations.

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
    gradients : callable, optional
        The formula under test, called like :func:`backprop_weight_gradients`
        (the default); a test hands a wrong one to see the check fail.

    Returns
    -------
    ProofResult
        ``holds`` is True when every entry of every difference simplifies to
        zero. ``slow`` and ``fast`` are the lists of exact and formula
        gradients; ``details`` holds ``"E"``, ``"deltas"`` and ``"weights"``.

    Notes
    -----
    Because ``f_l`` are undefined, the check covers every differentiable
    activation at once, at the given widths and batch size; chapter 9 proves
    the recursion for every size by induction.
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
    gradients = backprop_weight_gradients if gradients is None else gradients
    fast = gradients(inputs, weights, fprimes, X, T)
    holds = all(is_zero(s - f) for s, f in zip(slow, fast))
    return ProofResult(
        f"dE/dW_l = X_(l-1)^T delta_l for widths {tuple(widths)}, N={N}, any f_l",
        holds, slow, fast,
        {"E": E, "deltas": backprop_deltas(weights, fprimes, X, T), "weights": weights},
    )
