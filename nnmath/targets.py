"""The checks of a loss's inputs: logits or predictions, class labels, one-hot targets.

One copy of each, used by :mod:`nnmath.losses` (through the :class:`~nnmath.module.Module`
protocol's ``check_inputs``) and by :func:`nnmath.losses.one_hot`.
"""

import numpy as np

from .checks import as_float_array

__all__ = ["check_labels", "check_same_batch", "flatten_positions", "check_class_targets",
           "check_regression_targets", "check_classification_targets"]



def check_labels(owner, labels, num_classes):
    """Integer labels of shape (N,) within [0, num_classes); returned as intp."""
    try:
        labels = np.asarray(labels)
    except (ValueError, TypeError) as err:
        raise TypeError(f"{owner}: labels are not a numeric array ({err})") from None
    if labels.ndim != 1:
        raise ValueError(f"{owner}: labels must have shape (N,), got {labels.shape}")
    kind = labels.dtype.kind
    if kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            bad = labels[~np.isfinite(labels) | (labels != np.round(labels))][0]
            raise ValueError(f"{owner}: labels must be integers, got {bad.item()!r}")
    elif kind not in "iu":
        raise TypeError(f"{owner}: labels must be integers, got dtype {labels.dtype}")
    if labels.size and labels.min() < 0:
        raise ValueError(f"{owner}: labels must be non-negative, got {labels.min().item()!r}")
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"{owner}: label {labels.max().item()!r} is out of range for {num_classes} classes"
            f" (valid: 0 to {num_classes - 1})"
        )
    return labels.astype(np.intp)


def check_same_batch(owner, Y, T, names):
    """Raise unless ``Y`` is a non-empty batch and ``T`` has its shape (``names`` for messages)."""
    if Y.ndim < 1 or Y.shape[0] == 0:
        raise ValueError(f"{owner}: empty batch, {names[0]} has shape {Y.shape}")
    if Y.shape != T.shape:
        if Y.ndim >= 1 and T.ndim >= 1 and Y.shape[0] != T.shape[0]:
            raise ValueError(
                f"{owner}: batch sizes differ, {names[0]} has shape {Y.shape}"
                f" and {names[1]} has shape {T.shape}"
            )
        raise ValueError(
            f"{owner}: {names[1]} has shape {T.shape}, expected {Y.shape} (the shape of {names[0]})"
        )


def flatten_positions(owner, Z, labels):
    """``(N, T, C)`` logits and ``(N, T)`` labels (or ``(N, T, C)`` targets) as N·T rows."""
    arr = np.asarray(labels)
    if arr.shape not in (Z.shape[:2], Z.shape):
        raise ValueError(f"{owner}: labels have shape {arr.shape}, expected {Z.shape[:2]}"
                         f" (class indices) or {Z.shape} (one-hot) for logits {Z.shape}")
    return Z.reshape(-1, Z.shape[2]), arr.reshape((-1,) + arr.shape[2:])


def check_class_targets(owner, labels, Z):
    """Labels ``(N,)`` as one-hot rows, or one-hot targets ``(N, C)`` checked, for logits ``Z``."""
    N, C = Z.shape
    arr = np.asarray(labels) if not isinstance(labels, np.ndarray) else labels
    if arr.ndim == 1:
        if arr.shape[0] != N:
            raise ValueError(
                f"{owner}: batch sizes differ, Z has shape {Z.shape} and labels have"
                f" shape {arr.shape}"
            )
        from .losses import one_hot  # the losses' own encoding (imported late: losses imports this)
        return one_hot(check_labels(owner, arr, C), C, dtype=Z.dtype)
    if arr.ndim == 2:
        T = as_float_array(owner, arr, "one-hot targets")
        if T.shape != Z.shape:
            raise ValueError(
                f"{owner}: one-hot targets have shape {T.shape}, expected {Z.shape}"
                f" (the shape of Z)"
            )
        if not (np.all(T >= 0) and np.allclose(T.sum(axis=1), 1.0, atol=1e-6)):
            raise ValueError(
                f"{owner}: one-hot targets must be non-negative with rows summing to 1"
            )
        return T.astype(Z.dtype, copy=False)
    raise ValueError(
        f"{owner}: labels must be class indices (N,) or one-hot (N, C), got shape {arr.shape}"
    )


def check_regression_targets(owner, Y, targets):
    """``(Y, targets)`` as float arrays of one shape, targets in the dtype of ``Y``, or raise."""
    Y = as_float_array(owner, Y, "Y")
    targets = as_float_array(owner, targets, "targets")
    check_same_batch(owner, Y, targets, ("Y", "targets"))
    return Y, targets.astype(Y.dtype, copy=False)


def check_classification_targets(owner, Z, labels):
    """Logits ``Z (N, C)`` or ``(N, T, C)`` and their labels: ``(Z, targets (rows, C))``, or raise.

    ``labels`` are class indices ``(N,)`` (``(N, T)``) or one-hot rows; the targets
    come back one-hot, one row per row of ``Z`` (every position of a sequence).
    """
    Z = as_float_array(owner, Z, "Z")
    rows, labels = flatten_positions(owner, Z, labels) if Z.ndim == 3 else (Z, labels)
    if rows.ndim != 2 or rows.shape[1] == 0:
        raise ValueError(f"{owner}: logits Z must have shape (N, C) with C >= 1, got {Z.shape}"
                         f" (or (N, T, C) for sequences)")
    if rows.shape[0] == 0:
        raise ValueError(f"{owner}: empty batch, Z has shape {Z.shape}")
    return Z, check_class_targets(owner, labels, rows)
