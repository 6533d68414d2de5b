"""The base class of every layer, activation and loss, and the protocol they share.

A :class:`Module` has a ``forward`` that caches what its ``backward`` needs, and
a ``backward`` that turns the upstream gradient ``dY = ∂L/∂Y`` into ``∂L/∂X``
(chapter 9 chains them into backpropagation). Modules with parameters also
store the gradients of the parameters and list them in :meth:`Module.parameters`;
optimisers update the parameter arrays in place.

The base runs the checks every layer shares, so that a layer's ``forward`` and
``backward`` show the mathematics alone: before ``forward``, the input becomes a
float array of the shape the layer declares (:attr:`Module.input_shape`,
:meth:`Module.check_input`); before ``backward``, ``dY`` must come after a
forward pass and have the shape of its output (:func:`nnmath.checks.check_upstream`).
"""

import functools

import numpy as np

from .checks import as_float_array, check_forward_called, check_input_shape, check_upstream

__all__ = ["Module"]


def _checked_forward(forward):
    """``forward`` behind the shared input check; it records the output's shape for backward."""
    @functools.wraps(forward)
    def checked(self, *args, **kwargs):
        args, kwargs = self.check_inputs(*args, **kwargs)
        Y = forward(self, *args, **kwargs)
        self._output_shape = np.shape(Y)  # () for a loss's float: forward has run
        if type(self).forward is checked:  # the outermost call, not a subclass's super()
            for hook in self.hooks:
                getattr(hook, "after_forward", _none)(self, args[0], Y)
        return Y
    return checked


def _checked_backward(backward):
    """``backward`` behind the shared upstream check: after forward, ``dY`` of the output's shape."""
    @functools.wraps(backward)
    def checked(self, *args, input_grad=True, **kwargs):
        owner = f"{type(self).__name__}.backward"
        if not self.takes_upstream:  # a loss: backward() starts the chain
            check_forward_called(owner, self._output_shape)
            return backward(self, *args, **kwargs)
        dY, *rest = args if args else (kwargs.pop("dY"),)
        dY = check_upstream(owner, dY, self._output_shape)
        if type(self).backward is checked:
            for hook in self.hooks:
                getattr(hook, "before_backward", _none)(self, dY)
        if not input_grad and hasattr(self, "parameter_grads"):  # training needs no dX
            return self.parameter_grads(dY)
        return backward(self, dY, *rest, **kwargs)
    return checked


def _none(*args):
    """A hook method that is not there: nothing to do."""


class Module:
    """Base class: ``forward``, ``backward``, ``parameters``, ``train`` and ``eval``.

    Subclasses override :meth:`forward` and :meth:`backward`; a module with
    parameters also overrides :meth:`parameters`, and a container (a module
    holding modules) overrides :meth:`children`. Calling a module calls its
    ``forward``.

    The base wraps every subclass's ``forward`` and ``backward`` in the shared
    checks (:meth:`check_input`, then the upstream gradient's shape), once, when
    the class is defined; ``help()`` and the docs show the layer's own signature
    and docstring.

    Gradients follow one rule, in the layers as in :class:`nnmath.autodiff.Tensor`:
    ``backward`` *sets* them (``dW = Xᵀδ`` replaces the previous ``dW``);
    nothing accumulates across calls. A module keeps what its backward needs,
    which may be the caller's input array itself (as PyTorch keeps saved
    tensors): edit ``X`` in place only after ``backward``.
    """

    training = True  # read by the layers that differ between training and evaluation

    #: The input ``forward`` takes: axis names, ``"..."`` for any number of axes, a
    #: name that is an int attribute of the module (``"in_features"``) fixed to it;
    #: a list gives alternatives; None accepts any shape.
    input_shape = None
    input_name = "X"  # what messages call the input (a loss's is Y or Z)
    #: False for a loss: its ``backward()`` takes no upstream gradient.
    takes_upstream = True
    _output_shape = None  # the shape of the last forward's output: what dY must have
    hooks = ()  # objects told what this module sees (add_hook); not part of its state

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = vars(cls)
        if "forward" in own:
            cls.forward = _checked_forward(own["forward"])
        if "backward" in own:
            cls.backward = _checked_backward(own["backward"])

    def add_hook(self, hook):
        """Tell ``hook`` what this module sees; return ``hook``.

        After every ``forward`` the base calls ``hook.after_forward(module, X, Y)``
        (with ``X`` as checked), before every ``backward``
        ``hook.before_backward(module, dY)``; a hook may define either. This is
        how an optimiser such as :class:`~nnmath.optim.KFAC` sees each layer's
        input and upstream gradient without changing the layer.
        """
        self.hooks = (*self.hooks, hook)
        return hook

    def check_inputs(self, X, *args, **kwargs):
        """``(args, kwargs)`` of ``forward``, checked: by default :meth:`check_input` on ``X``.

        A module whose forward takes more than ``X`` (a loss's targets, an RNN's
        ``h0``) overrides this.
        """
        return (self.check_input(X), *args), kwargs

    def check_input(self, X):
        """Return ``X`` as a float array of an accepted :attr:`input_shape`, or raise.

        Layers with more to check (a kernel that must fit, integer indices)
        override this and call ``super().check_input(X)``.
        """
        owner = f"{type(self).__name__}.forward"
        X = as_float_array(owner, X, self.input_name)
        if self.input_shape is not None:
            spec = self.input_shape if isinstance(self.input_shape, list) else [self.input_shape]
            sizes = {name: getattr(self, name) for s in spec for name in s
                     if isinstance(getattr(self, name, None), int)}
            check_input_shape(owner, X, self.input_shape, sizes, self.input_name)
        return X

    def forward(self, X):
        """Compute the output and cache what :meth:`backward` needs."""
        raise NotImplementedError(f"{type(self).__name__}.forward is not implemented")

    def backward(self, dY):
        """Return ``∂L/∂X`` given ``dY = ∂L/∂Y``; store parameter gradients.

        Every module also takes ``backward(dY, input_grad=False)`` (what
        :func:`nnmath.fit` calls): a module with a ``parameter_grads(dY)`` method
        (``Linear``, ``Conv2d``, ``Sequential``), the part of its backward that
        stores the parameters' gradients, then runs that alone and skips ``dX``,
        which training never uses and which costs as much as the forward pass.
        """
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
