"""Shape bookkeeping shared by the engine's local rules.

:func:`unbroadcast` is the rule of broadcasting itself (a copied operand gets
the sum of its copies' gradients, chapter 13); the other two helpers name the
axes a reduction runs over and pick the first maximum of each group.
"""

import numpy as np

__all__ = ["unbroadcast"]


def unbroadcast(grad, shape):
    """Sum a gradient back to the shape of the operand that NumPy broadcast.

    If ``a`` of shape ``shape`` was broadcast to ``grad.shape`` in the forward
    pass, each entry of ``a`` was *copied* to many places; the gradient of a
    copy is the sum of the gradients of all the copies (chapter 13).

    Parameters
    ----------
    grad : ndarray
        Gradient with respect to the broadcast result.
    shape : tuple of int
        Shape of the operand before broadcasting.

    Returns
    -------
    ndarray, shape ``shape``
        ``grad`` summed over the leading axes NumPy added and over the axes
        where ``shape`` has length 1.

    Raises
    ------
    ValueError
        If ``shape`` does not broadcast to ``grad.shape``.

    Examples
    --------
    >>> unbroadcast(np.ones((4, 3)), (3,))
    array([4., 4., 4.])
    """
    grad = np.asarray(grad)
    shape = tuple(shape)
    if grad.shape == shape:  # nothing was broadcast
        return grad
    extra = grad.ndim - len(shape)  # axes NumPy put in front
    if extra < 0 or any(n not in (1, m) for n, m in zip(shape, grad.shape[extra:])):
        raise ValueError(f"unbroadcast: a gradient of shape {grad.shape} cannot come "
                         f"from broadcasting an operand of shape {shape}")
    stretched = tuple(extra + i for i, n in enumerate(shape) if n == 1)  # axes of length 1
    return grad.sum(axis=tuple(range(extra)) + stretched, keepdims=True).reshape(shape)


def _normalize_axes(axis, ndim, who):
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.isscalar(axis) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"Tensor.{who}: axis {a} is out of range for {ndim} dimensions")
        out.append(a % ndim)
    return tuple(sorted(out))


def _first_true(mask, axes):
    """``mask`` with only the first True of each group along ``axes`` kept (C order)."""
    moved = np.moveaxis(mask, axes, tuple(range(-len(axes), 0)))
    flat = moved.reshape(moved.shape[:moved.ndim - len(axes)] + (-1,))
    keep = flat & (np.cumsum(flat, axis=-1) == 1)
    return np.moveaxis(keep.reshape(moved.shape), tuple(range(-len(axes), 0)), axes)
