"""Chapter 10 (the reuse formula): the sources' formula, and the arithmetic of backpropagation."""

import numpy as np


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


def _linear_activation_pairs(owner, model):
    from ...activations import Softmax
    from ...layers import Linear

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


def library_code_gradients(model, x, t):
    r"""Weight gradients as the library's *code* computes them, for its mean squared error.

    The library's cost is ``C = mean_c (t_c − a_{L,c})²`` and its
    ``MSE.derivative`` returns the *scalar* ``−2·mean(t − a_L)``, which is
    ``Σ_c ∂C/∂a_{L,c}``; its code multiplies the printed formula by that
    scalar. Chapter 10 shows this is exact for one output only.

    Parameters
    ----------
    model : Sequential
        As in :func:`reuse_formula_gradients`.
    x : array, shape (D_0,)
    t : array, shape (n,)
        The target of the sample.

    Returns
    -------
    grads : list of arrays
        One per ``Linear``, in nnmath's ``(in, out)`` layout.
    """
    a_L = model.forward(np.asarray(x, dtype=np.float64)[None, :])[0]
    scalar = -2.0 * float(np.mean(np.asarray(t, dtype=np.float64) - a_L))
    return [scalar * R for R in reuse_formula_gradients(model, x)]
