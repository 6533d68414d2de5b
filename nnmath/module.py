"""The base class of every layer, activation and loss, and the input checks they share.

A :class:`Module` has a ``forward`` that caches what its ``backward`` needs, and
a ``backward`` that turns the upstream gradient ``δ = ∂L/∂out`` into
``∂L/∂in`` (chapter 9 chains them into backpropagation). Modules with
parameters also store the gradients of the parameters and list them in
:meth:`Module.parameters`; optimisers update the parameter arrays in place.
"""

import numbers

import numpy as np

__all__ = ["Module", "as_float_array", "check_shape", "check_forward_called", "check_module",
           "check_distinct_modules", "check_nonempty", "check_count", "check_real",
           "check_float_dtype", "check_rng"]


class Module:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train`` and ``eval``.

    Subclasses override :meth:`forward` and :meth:`backward`; a module with
    parameters also overrides :meth:`parameters`, and a container (a module
    holding modules) overrides :meth:`children`. Calling a module calls its
    ``forward``.

    Gradients follow one rule, in the layers as in :class:`nnmath.autodiff.Tensor`:
    ``backward`` *sets* them (``dW = Xᵀδ`` replaces the previous ``dW``);
    nothing accumulates across calls.
    """

    training = True  # read by the layers that differ between training and evaluation

    def forward(self, *inputs):
        """Compute the output and cache what :meth:`backward` needs."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dY):
        """Return ``∂L/∂input`` given ``dY = ∂L/∂output``; store parameter gradients."""
        raise NotImplementedError(f"{type(self).__name__}.backward is not implemented")

    def parameters(self):
        """List of ``(name, param_array, grad_array)`` tuples.

        Empty for a module without parameters. ``grad_array`` is None until
        :meth:`backward` has run. Optimisers update ``param_array`` in place,
        so the list is rebuilt on every call and always shows current arrays.
        """
        return []

    def children(self):
        """The modules this module holds (none, unless it is a container)."""
        return []

    def named_children(self):
        """``(prefix, module)`` of every module held; names below it read ``prefix.name``.

        The prefix is the position (``"0"``, ``"1"``, ...), as in
        ``parameters()`` of a :class:`~nnmath.Sequential`; ``""`` adds none.
        """
        return [(str(i), child) for i, child in enumerate(self.children())]

    # -- state: parameters and buffers --------------------------------------------
    # A buffer is an array that is state but not trained (BatchNorm's running
    # statistics): a layer lists the attribute names here, nothing more.
    buffer_names = ()

    def buffers(self):
        """List of ``(name, array)``: this module's buffers, then its children's (prefixed)."""
        named = [(name, getattr(self, name)) for name in self.buffer_names]
        for prefix, child in self.named_children():
            get = getattr(child, "buffers", None)
            for name, array in (get() if callable(get) else []):
                named.append((f"{prefix}.{name}" if prefix else name, array))
        return named

    def _state_arrays(self):
        """``{name: (kind, array)}`` of every parameter and buffer: the arrays themselves."""
        state = {name: ("parameter", param) for name, param, _ in self.parameters()}
        state.update((name, ("buffer", array)) for name, array in self.buffers())
        return state

    def state_dict(self):
        """Return ``{dotted name: copy}`` of every parameter and buffer.

        Returns
        -------
        dict of str to ndarray
            E.g. ``{"0.W": ..., "0.b": ..., "1.gamma": ..., "1.running_mean": ...}``;
            copies, so later training does not change them.
        """
        return {name: np.array(array, copy=True)
                for name, (_, array) in self._state_arrays().items()}

    def load_state_dict(self, state):
        """Copy the arrays of ``state`` (from :meth:`state_dict`) into this module, in place.

        Every layer keeps its own array objects (an optimiser holding them still
        sees the loaded values).

        Parameters
        ----------
        state : dict of str to array_like
            Exactly the names of :meth:`state_dict`, each with the same shape and dtype.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Naming the missing or unexpected keys, or the key whose shape or dtype
            differs; nothing is changed then.
        """
        owner = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state, dict):
            raise TypeError(f"{owner}: expected a dict of arrays, got {type(state).__name__}")
        own = self._state_arrays()
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise ValueError(f"{owner}: the state does not match the model: missing keys "
                             f"{missing}, unexpected keys {unexpected}")
        for name, (kind, array) in own.items():  # check everything before changing anything
            value = np.asarray(state[name])
            if value.shape != array.shape or value.dtype != array.dtype:
                raise ValueError(f"{owner}: {kind} {name!r} has shape {value.shape} and dtype "
                                 f"{value.dtype}; the model expects {array.shape} and "
                                 f"{array.dtype}")
        for name, (_, array) in own.items():
            array[...] = state[name]
        return self

    def train(self, mode=True):
        """Put this module and every module it holds in training mode; return it."""
        self.training = bool(mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Put this module and every module it holds in evaluation mode; return it."""
        return self.train(False)

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    def __repr__(self):
        return f"{type(self).__name__}()"


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
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be positive, got {value}")
    return int(value)


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
