"""The checks the library shares: arrays, shapes, sizes, arguments; one copy of each.

Every check takes the name of its caller (``owner``, e.g. ``"Linear.forward"``
or ``"Conv2d"``) and raises a ``TypeError`` or ``ValueError`` that names it,
the offending value and what was expected, so that bad input never surfaces as
a numpy traceback, a silent NaN or a wrong result. The :class:`~nnmath.module.Module`
base runs the array checks of every layer (:func:`check_input_shape`,
:func:`check_upstream`); the layers' constructors call the argument checks.
"""

import numbers

import numpy as np

from .im2col import conv_output_size

__all__ = ["as_float_array", "check_shape", "check_input_shape", "check_upstream",
           "check_forward_called", "check_module", "check_distinct_modules", "check_nonempty",
           "check_count", "check_int", "check_real", "check_float_dtype", "check_rng", "check_init",
           "check_choice", "as_pair", "check_conv_input", "check_indices",
           "check_batch_variance", "check_sequence_length", "check_finite_array",
           "check_flag", "check_pair", "check_training_data", "check_model_and_loss"]


def as_float_array(owner, value, what="input"):
    """Return ``value`` as a floating-point ndarray, or raise naming ``owner``.

    Floating arrays keep their dtype (float32 stays float32); integer and
    boolean arrays become float64.

    Parameters
    ----------
    owner : str
        Name used in error messages, e.g. ``"Linear.forward"``.
    value : array_like
    what : str, optional
        What the value is, e.g. ``"X"`` or ``"dY"``.

    Returns
    -------
    ndarray of a floating dtype

    Raises
    ------
    TypeError
        If ``value`` is not a real numeric array (strings, objects, complex,
        ragged lists).
    """
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise TypeError(f"{owner}: {what} is not a numeric array ({err})") from None
    kind = arr.dtype.kind
    if kind == "f":
        return arr
    if kind in "iub":
        return arr.astype(np.float64)
    raise TypeError(
        f"{owner}: {what} must be a real numeric array, got dtype {arr.dtype}"
        f" (of type {type(value).__name__})"
    )


def check_shape(owner, what, arr, expected):
    """Raise ``ValueError`` naming ``owner`` unless ``arr.shape == expected``."""
    if arr.shape != tuple(expected):
        raise ValueError(
            f"{owner}: {what} has shape {arr.shape}, expected {tuple(expected)}"
        )


def check_forward_called(owner, cached):
    """Raise ``ValueError`` if ``backward`` runs before ``forward`` (nothing cached)."""
    if cached is None:
        raise ValueError(f"{owner}: backward called before forward (nothing cached)")


def check_nonempty(owner, X):
    """Raise ``ValueError`` naming ``owner`` if ``X`` holds no sample (``N = X.shape[0] = 0``)."""
    if X.shape[0] == 0:
        raise ValueError(f"{owner}: X has shape {X.shape}, an empty batch; "
                         f"expected at least one sample (N ≥ 1)")


def check_module(owner, value, what="module", *, methods=("forward", "backward")):
    """Raise a TypeError naming ``owner`` unless ``value`` is a module instance.

    Catches the two slips that otherwise fail deep inside with a missing-argument
    error: passing the class (``Tanh`` for ``Tanh()``) and passing something
    else entirely (e.g. the loss where the model goes).
    """
    if isinstance(value, type):
        raise TypeError(f"{owner}: {what} is the class {value.__name__}, not an instance; "
                        f"write {value.__name__}(...)")
    missing = [m for m in methods if not callable(getattr(value, m, None))]
    if missing:
        raise TypeError(f"{owner}: {what} ({type(value).__name__}) has no callable "
                        f"{' or '.join(missing)}(); expected a module with "
                        f"{', '.join(methods)}")
    return value


def check_distinct_modules(owner, modules):
    """Raise a ValueError naming ``owner`` if one module instance appears twice in ``modules``.

    The search goes into containers (``children()``), so ``Sequential(layer,
    Residual(layer))`` is caught too. A position is the index in ``modules``,
    then the index among each container's children: ``"1.0"`` is the first
    module inside module 1. Why refuse: a module keeps its last forward pass for
    its backward and *sets* its gradients, so a second use overwrites the first
    (wrong gradients) and a shared weight is listed, and stepped, twice.
    """
    seen = {}  # id(module) -> its first position

    def visit(module, position):
        if id(module) in seen:
            name = type(module).__name__
            raise ValueError(
                f"{owner}: module {position} ({name}) is the same instance as module "
                f"{seen[id(module)]}; a module keeps its last forward pass for backward, so "
                f"using one instance twice gives wrong gradients. Use separate instances "
                f"(a new {name}(...) for each place)")
        seen[id(module)] = position
        get = getattr(module, "children", None)
        for i, child in enumerate(get() if callable(get) else []):
            visit(child, f"{position}.{i}")

    for i, module in enumerate(modules):
        visit(module, str(i))


# -- argument checks of constructors -------------------------------------------
# Each takes the name of its caller (``owner``, e.g. ``"Conv2d"``) for its message.

def check_count(owner, name, value):
    """Return ``value`` as an int ≥ 1 (a size), or raise naming ``owner``.

    Raises ``TypeError`` unless ``value`` is an integer (a bool is not) and
    ``ValueError`` unless it is positive.
    """
    _check_integer(owner, name, value)
    if value < 1:
        raise ValueError(f"{owner}: {name} must be positive, got {value}")
    return int(value)


def check_int(owner, name, value, low):
    """Return ``value`` as an int ``>= low``, or raise naming ``owner`` (a bool is not an int)."""
    _check_integer(owner, name, value)
    if value < low:
        raise ValueError(f"{owner}: {name} must be >= {low}, got {value!r}")
    return int(value)


def _check_integer(owner, name, value):
    """Raise a TypeError naming ``owner`` unless ``value`` is an integer (a bool is not)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")


def check_real(owner, name, value, valid=None, bound=None):
    """Return ``value`` as a float, or raise naming ``owner``.

    Raises ``TypeError`` unless ``value`` is a real number (a bool is not). With
    ``valid`` (a predicate), also ``ValueError`` unless ``value`` is finite and
    ``valid(value)``; ``bound`` says the range in the message, e.g. ``"> 0"``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    if valid is not None and not (np.isfinite(value) and valid(value)):
        raise ValueError(f"{owner}: {name} must be finite and {bound}, got {value!r}")
    return float(value)


def check_float_dtype(owner, dtype):
    """Return ``np.dtype(dtype)``, or raise ``TypeError`` naming ``owner`` unless it is floating."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{owner}: dtype must be a floating dtype, got {dtype!r}") from None
    if dtype.kind != "f":
        raise TypeError(f"{owner}: dtype must be a floating dtype, got {dtype}")
    return dtype


def check_rng(owner, rng, *, optional=False):
    """Return ``rng``, or raise ``TypeError`` naming ``owner`` unless it is a numpy Generator.

    With ``optional=True``, ``None`` is allowed and gives a fresh unseeded
    generator.
    """
    if optional and rng is None:
        return np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        allowed = " or None" if optional else ""
        raise TypeError(f"{owner}: rng must be a numpy.random.Generator{allowed}, "
                        f"got {type(rng).__name__}")
    return rng


# -- shapes of layer inputs and upstream gradients (run by the Module base) ------

def _matches(shape, spec, sizes):
    """Whether ``shape`` fits ``spec``; ``"..."`` stands for any number of axes."""
    if "..." in spec:
        k = spec.index("...")
        before, after = spec[:k], spec[k + 1:]
        if len(shape) < len(before) + len(after):
            return False
        pairs = list(zip(before, shape)) + list(zip(after, shape[len(shape) - len(after):]))
    else:
        if len(shape) != len(spec):
            return False
        pairs = list(zip(spec, shape))
    # a fixed name must have its size; a free one at least one entry, except the batch N
    return all(n == sizes[name] if name in sizes else (n >= 1 or name == "N")
               for name, n in pairs)


def check_input_shape(owner, X, spec, sizes, what="X"):
    """Raise a ValueError naming ``owner`` unless ``X.shape`` fits ``spec``.

    Parameters
    ----------
    owner : str
    X : ndarray
    spec : tuple of str, or list of such tuples (alternatives)
        Axis names, e.g. ``("N", "...", "in_features")``; ``"..."`` stands for any
        number of axes (none included).
    sizes : dict of str to int
        The names whose size is fixed (``{"in_features": 4}``); other names are free,
        with at least one entry, except ``"N"``: an empty batch passes.
    """
    alternatives = spec if isinstance(spec, list) else [spec]
    if any(_matches(X.shape, s, sizes) for s in alternatives):
        return
    described = " or ".join("(" + ", ".join(str(sizes.get(name, name)) for name in s) + ")"
                            for s in alternatives)
    raise ValueError(f"{owner}: {what} has shape {X.shape}, expected {described}")


def check_upstream(owner, dY, shape):
    """Return ``dY`` as a float array of the last forward's output ``shape``, or raise.

    ``shape`` is None before the first forward pass: then backward has nothing to use.
    """
    check_forward_called(owner, shape)
    dY = as_float_array(owner, dY, "dY")
    if dY.shape != shape:
        raise ValueError(f"{owner}: dY has shape {dY.shape}, expected {shape} "
                         f"(the shape of the last forward's output)")
    return dY


# -- arguments of constructors (continued) -------------------------------------

def check_init(owner, rng, dtype):
    """Return ``(rng, dtype)`` checked: a Generator (fresh if None) and a floating dtype."""
    dtype = check_float_dtype(owner, dtype)
    return check_rng(owner, rng, optional=True), dtype


def check_choice(owner, name, value, choices):
    """Return ``value`` if it is one of ``choices``, or raise a ValueError naming them."""
    if value not in choices:
        allowed = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{owner}: {name} must be {allowed}, got {value!r}")
    return value


def as_pair(owner, name, value, *, minimum):
    """Return ``value`` (an int or a pair of ints, each ``>= minimum``) as a pair of ints.

    Raises
    ------
    TypeError
        If ``value`` is not an int or a pair of ints (a float, a bool, a string).
    ValueError
        If an entry is below ``minimum`` or a sequence does not have two entries.
    """
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}")
    for v in pair:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{owner}: {name} must be an int or a pair of ints, got {value!r}")
        if v < minimum:
            raise ValueError(f"{owner}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def check_conv_input(owner, shape, kernel, stride, padding):
    """Raise a ValueError naming ``owner`` unless a 4-D input of ``shape`` fits the kernel.

    Returns
    -------
    (OH, OW) : tuple of int
        The output height and width (:func:`nnmath.im2col.conv_output_size`).
    """
    if len(shape) != 4:
        raise ValueError(f"{owner}: input must be 4-D (N, C, H, W), got shape {tuple(shape)}")
    height, width = shape[2:]
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    if kh > height + 2 * ph or kw > width + 2 * pw:
        raise ValueError(
            f"{owner}: kernel {kh}×{kw} is larger than the padded input "
            f"{height + 2 * ph}×{width + 2 * pw} (input {height}×{width}, padding {ph}, {pw})")
    return conv_output_size(height, kh, sh, ph), conv_output_size(width, kw, sw, pw)


def check_indices(owner, indices, num_embeddings):
    """Integer indices in ``[0, num_embeddings)`` as an intp array, or a clear error."""
    try:
        arr = np.asarray(indices)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{owner}: indices are not an integer array ({err})") from None
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{owner}: indices must be integers, got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= num_embeddings):
        bad = arr.min() if arr.min() < 0 else arr.max()
        raise ValueError(f"{owner}: index {bad.item()} is out of range for "
                         f"{num_embeddings} embeddings (valid: 0 to {num_embeddings - 1})")
    return arr.astype(np.intp, copy=False)


def check_batch_variance(owner, X, features):
    """Raise unless each of ``features`` has at least 2 values in ``X`` (a batch variance)."""
    M = X.size // features
    if M < 2:
        raise ValueError(f"{owner}: in training mode each feature needs at least 2 values to "
                         f"have a variance, got X of shape {X.shape} ({M} per feature); use "
                         f"eval() for single samples")


def check_sequence_length(owner, T, limit, name):
    """Raise unless ``1 ≤ T ≤ limit`` (a sequence that fits ``name``, e.g. ``max_len``)."""
    if not 1 <= T <= limit:
        raise ValueError(f"{owner}: sequence length T = {T}, expected 1 <= T <= {name} = {limit}")


def check_finite_array(owner, value, what, shape):
    """Return ``value`` as a float array of ``shape`` with finite entries, or raise."""
    arr = as_float_array(owner, value, what)
    check_shape(owner, what, arr, shape)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{owner}: {what} contains {np.count_nonzero(~np.isfinite(arr))} "
                         f"NaN or infinite value(s)")
    return arr


# -- arguments of fit ------------------------------------------------------------

def check_flag(owner, name, value):
    """Return ``value`` if it is True or False, or raise a TypeError naming ``owner``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return bool(value)


def check_pair(owner, name, value):
    """Return ``value`` if it is a pair (a tuple or list of two), or raise a TypeError."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{owner}: {name} must be a pair (X, targets)")
    return value


def check_training_data(owner, X, targets):
    """``(X, targets)`` as arrays of numbers with one sample per row, all finite, or raise."""
    X, targets = np.asarray(X), np.asarray(targets)
    if X.ndim < 1 or X.shape[0] == 0:
        raise ValueError(f"{owner}: X must hold at least one sample, got shape {X.shape}")
    if X.dtype.kind not in "fiu" or targets.dtype.kind not in "fiub":
        raise TypeError(f"{owner}: X and targets must be numeric, got dtypes {X.dtype} and "
                        f"{targets.dtype}")
    if targets.ndim < 1 or targets.shape[0] != X.shape[0]:
        raise ValueError(f"{owner}: X and targets must have the same number of samples, got "
                         f"X {X.shape} and targets {targets.shape}")
    for name, A in (("X", X), ("targets", targets)):
        if A.dtype.kind == "f" and not np.all(np.isfinite(A)):
            bad = int(np.count_nonzero(~np.isfinite(A)))
            raise ValueError(f"{owner}: {name} contains {bad} NaN or infinite value(s)")
    return X, targets


def check_model_and_loss(owner, model, loss):
    """Catch a class for an instance, a non-module, and model and loss swapped."""
    check_module(owner, model, "model")
    check_module(owner, loss, "loss")
    if not callable(getattr(model, "parameters", None)) or not list(model.parameters()):
        raise TypeError(f"{owner}: model ({type(model).__name__}) has no parameters to train; "
                        f"expected e.g. a Sequential (did you swap model and loss?)")
    if callable(getattr(loss, "parameters", None)) and list(loss.parameters()):
        raise TypeError(f"{owner}: loss ({type(loss).__name__}) has parameters; expected a loss "
                        f"such as SoftmaxCrossEntropy() (did you swap model and loss?)")
