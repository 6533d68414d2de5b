r"""Pictures of Jacobians: where the non-zero entries of a full Jacobian sit.

A Jacobian of an output of shape ``S_out`` with respect to an input of shape
``S_in`` is an array of shape ``S_out + S_in`` (the layout of
:mod:`nnmath.book.jacobians`). To draw it we flatten it to an ordinary matrix: one
row per output entry, one column per input entry, both in row-major (C) order,
exactly as ``J.reshape(prod(S_out), prod(S_in))``. Chapters 4 and 5 draw the
3-D and 4-D Jacobians of ``y = xW`` and ``Y = XW`` this way; later chapters
draw ``diag(f'(z))`` and the softmax Jacobian with the same function.

Matplotlib is imported only when a figure is drawn, so ``import nnmath`` stays
light.
"""

from math import prod

import numpy as np

__all__ = ["flatten_jacobian", "nonzero_mask", "plot_sparsity"]

#: Colours of a zero and a non-zero entry.
ZERO_COLOR = "white"
NONZERO_COLOR = "#23408e"
BLOCK_COLOR = "#c9662b"


def _default_out_axes(J):
    return max(J.ndim // 2, 1)


def flatten_jacobian(J, n_out_axes=None):
    """Flatten a Jacobian of any rank to a matrix: rows = outputs, columns = inputs.

    Parameters
    ----------
    J : array_like, shape ``S_out + S_in``
        ``J[o + i] = ∂ out[o] / ∂ in[i]``, at least 2-D.
    n_out_axes : int, optional
        How many leading axes of ``J`` index the output, ``len(S_out)``.
        Default ``J.ndim // 2``: 1 for a 2-D or 3-D Jacobian (vector output),
        2 for a 4-D one (matrix output).

    Returns
    -------
    M : ndarray, shape ``(prod(S_out), prod(S_in))``
        ``M[r, s]`` is the derivative of the ``r``-th output entry by the
        ``s``-th input entry, both counted in row-major order. A view of ``J``
        when possible.

    Raises
    ------
    ValueError
        If ``J`` has fewer than 2 axes or ``n_out_axes`` does not leave at
        least one output and one input axis.

    Examples
    --------
    >>> import numpy as np
    >>> flatten_jacobian(np.zeros((2, 3, 4, 5))).shape
    (6, 20)
    >>> flatten_jacobian(np.zeros((2, 3, 4)), n_out_axes=2).shape
    (6, 4)
    """
    J = np.asarray(J)
    if J.ndim < 2:
        raise ValueError(
            f"flatten_jacobian: a Jacobian needs at least 2 axes (outputs, inputs), "
            f"got shape {J.shape}")
    if n_out_axes is None:
        n_out_axes = _default_out_axes(J)
    if isinstance(n_out_axes, bool) or not isinstance(n_out_axes, (int, np.integer)):
        raise TypeError(f"flatten_jacobian: n_out_axes must be an int, got {n_out_axes!r}")
    if not 1 <= n_out_axes <= J.ndim - 1:
        raise ValueError(
            f"flatten_jacobian: n_out_axes={n_out_axes} must be between 1 and "
            f"{J.ndim - 1} for a Jacobian of shape {J.shape}")
    out_shape, in_shape = J.shape[:n_out_axes], J.shape[n_out_axes:]
    return J.reshape(prod(out_shape), prod(in_shape))


def nonzero_mask(J, *, atol=0.0):
    """Boolean array, True where an entry of ``J`` is non-zero.

    Parameters
    ----------
    J : array_like
        Numbers, or a NumPy object array of SymPy expressions (then an entry
        counts as non-zero unless it is exactly ``0``, so ``x_1`` counts).
    atol : float, optional
        For numbers: an entry is non-zero when ``|J| > atol``.

    Returns
    -------
    mask : ndarray of bool, shape ``J.shape``
    """
    J = np.asarray(J)
    if J.dtype == object:
        return np.vectorize(lambda e: bool(e != 0), otypes=[bool])(J)
    return np.abs(J) > atol


def _index_labels(shape):
    """1-based labels of the entries of ``shape`` in row-major order: '1', '2' or '1,2'."""
    return [",".join(str(i + 1) for i in index) for index in np.ndindex(*shape)]


def plot_sparsity(J, n_out_axes=None, *, ax=None, title=None, out_label=None,
                  in_label=None, atol=0.0, blocks=True, max_ticks=24):
    r"""Draw the non-zero pattern of a full Jacobian, flattened to a matrix.

    Parameters
    ----------
    J : array_like, shape ``S_out + S_in``
        A 2-D, 3-D or 4-D (or higher) Jacobian in the layout of
        :mod:`nnmath.book.jacobians`; numbers or SymPy expressions.
    n_out_axes : int, optional
        Number of output axes, as in :func:`flatten_jacobian`.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure is made when omitted.
    title : str, optional
        Default: how many entries are non-zero, e.g. ``"12 of 36 entries non-zero"``.
    out_label, in_label : str, optional
        Axis labels; by default they name the shapes being flattened.
    atol : float, optional
        Entries with ``|J| <= atol`` are drawn as zero.
    blocks : bool, optional
        Draw thin lines between the blocks that belong to one value of the
        first output (input) index when the output (input) has several axes,
        so the block structure of a 4-D Jacobian is visible.
    max_ticks : int, optional
        Label every row (column) with its 1-based multi-index when there are
        at most this many; otherwise let Matplotlib choose numeric ticks.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The image's data (``ax.images[0].get_array()``) is
        ``nonzero_mask(flatten_jacobian(J, n_out_axes))``.

    Raises
    ------
    ValueError
        As :func:`flatten_jacobian`.

    Notes
    -----
    Row ``r`` is the ``r``-th output entry and column ``s`` the ``s``-th input
    entry, both in row-major order, so for ``∂Y/∂X`` of ``Y = XW`` (shape
    ``(N, C, N, D)``) the picture is the matrix :math:`I_N \otimes W^\top`.
    Chapter 4 uses it for the 3-D tensor of ``y = xW``, chapter 5 for the 4-D
    tensors of ``Y = XW``.
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    J = np.asarray(J)
    if n_out_axes is None and J.ndim >= 2:
        n_out_axes = _default_out_axes(J)
    M = flatten_jacobian(J, n_out_axes)
    out_shape, in_shape = J.shape[:n_out_axes], J.shape[n_out_axes:]
    mask = nonzero_mask(M, atol=atol)

    if ax is None:
        rows, cols = mask.shape
        scale = 0.35 if max(rows, cols) <= 30 else 6.0 / max(rows, cols)
        _, ax = plt.subplots(figsize=(min(max(cols * scale, 3.0), 10.0) + 1.0,
                                      min(max(rows * scale, 2.0), 8.0) + 1.0))
    ax.imshow(mask, cmap=ListedColormap([ZERO_COLOR, NONZERO_COLOR]), vmin=0, vmax=1,
              interpolation="nearest", aspect="equal")
    # a thin frame around every cell makes small patterns easy to count
    ax.set_xticks(np.arange(-0.5, mask.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, mask.shape[0]), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="minor", length=0)

    if blocks:
        if len(out_shape) > 1:
            step = prod(out_shape[1:])
            for r in range(step, mask.shape[0], step):
                ax.axhline(r - 0.5, color=BLOCK_COLOR, linewidth=1.2)
        if len(in_shape) > 1:
            step = prod(in_shape[1:])
            for s in range(step, mask.shape[1], step):
                ax.axvline(s - 0.5, color=BLOCK_COLOR, linewidth=1.2)

    if mask.shape[0] <= max_ticks:
        ax.set_yticks(np.arange(mask.shape[0]), _index_labels(out_shape))
    if mask.shape[1] <= max_ticks:
        ax.set_xticks(np.arange(mask.shape[1]), _index_labels(in_shape),
                      rotation=90 if len(in_shape) > 1 else 0)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_ylabel(out_label if out_label is not None
                  else f"output entry (shape {out_shape}, row-major)")
    ax.set_xlabel(in_label if in_label is not None
                  else f"input entry (shape {in_shape}, row-major)")
    if title is None:
        title = f"{int(mask.sum())} of {mask.size} entries non-zero"
    ax.set_title(title)
    return ax
