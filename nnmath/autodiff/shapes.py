"""Shape bookkeeping shared by the engine's local rules, and the checks of its operations.

:func:`unbroadcast` is the rule of broadcasting itself (a copied operand gets
the sum of its copies' gradients, chapter 13); two helpers name the axes a
reduction runs over and pick the first maximum of each group; the rest check
the operands of the core operations, so that bad input gets an error naming
the operation and the shapes, and the core reads as mathematics.
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


# -- the checks of the core operations: a clear error instead of a NumPy one -------------

def _float_array(data):
    """A float64 copy of ``data``, or a TypeError that names what could not be converted."""
    try:
        if np.iscomplexobj(data):  # np.array would drop the imaginary part, warning only
            raise TypeError("complex values are not supported")
        return np.array(data, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Tensor: cannot convert {type(data).__name__} to a float64 "
                        f"array ({exc})") from None


def _broadcast(op, a, b, fn):
    """``fn(a.data, b.data)``, or a clear error naming both shapes when they do not broadcast."""
    try:
        return fn(a.data, b.data)
    except ValueError:
        raise ValueError(f"Tensor {op}: operands of shapes {a.shape} and {b.shape} do not "
                         f"broadcast together") from None


def _is_batched_product(A, B):
    """Whether ``A @ B`` is a product of stacks of matrices; a clear error if it is no product."""
    batched = A.ndim >= 2 and B.ndim >= 2 and max(A.ndim, B.ndim) > 2
    if not (batched or (1 <= A.ndim <= 2 and 1 <= B.ndim <= 2)) \
            or A.shape[-1] != B.shape[-2 if B.ndim >= 2 else 0]:
        raise ValueError(f"Tensor @: cannot multiply shapes {A.shape} and {B.shape}; "
                         f"operands must be 1-D or 2-D, or both batches of matrices, "
                         f"with matching inner dimensions")
    return batched


def _permutation(axes, shape):
    """``axes`` as a tuple (reversed axes by default), checked to permute the axes of ``shape``."""
    ndim = len(shape)
    axes = tuple(axes[0]) if len(axes) == 1 and not np.isscalar(axes[0]) else tuple(axes)
    axes = axes or tuple(reversed(range(ndim)))
    if sorted(a % max(ndim, 1) for a in axes) != list(range(ndim)):
        raise ValueError(f"Tensor.transpose: axes {axes} are not a permutation of the "
                         f"{ndim} axes of a tensor of shape {shape}")
    return axes


def _check_positive(who, x):
    """Raise a ValueError naming ``who`` unless every entry of ``x`` is positive."""
    if np.any(x <= 0):
        raise ValueError(f"Tensor.{who}: input must be positive, got minimum "
                         f"{float(np.min(x)):.3g}")


def _reshaped(data, shape):
    """``data.reshape(*shape)``, or a clear error naming both shapes."""
    try:
        return data.reshape(*shape)
    except ValueError:
        raise ValueError(f"Tensor.reshape: cannot reshape a tensor of shape {data.shape} "
                         f"({data.size} entries) into {shape}") from None


def _shaped(array, shape):
    """``array`` in ``shape``, itself when it has it already (a view would cost a leaf a copy)."""
    return array if array.shape == shape else array.reshape(shape)


def _check_upstream(root, grad):
    """The upstream gradient of ``root.backward(grad)`` as a fresh float64 array (1 by default)."""
    if not root.requires_grad:
        raise ValueError("Tensor.backward: this tensor is a constant; no gradient flows")
    if grad is None and root.size != 1:
        raise ValueError(f"Tensor.backward: an output of shape {root.shape} needs an "
                         f"explicit upstream gradient of that shape")
    grad = np.ones(root.shape) if grad is None else np.array(grad, dtype=np.float64)
    if grad.shape != root.shape:
        raise ValueError(f"Tensor.backward: upstream gradient of shape {grad.shape} "
                         f"does not match the output's shape {root.shape}")
    return grad
