r"""Networks as a chain of modules: :class:`Sequential`.

:class:`Sequential` runs its modules in order on the way forward and in
reverse order on the way back: each module turns ``∂E/∂(its output)`` into
``∂E/∂(its input)``. Chapter 9 derives why this is right;
:mod:`nnmath.book.chapters.ch09_backprop_layers` writes the same recursion with
explicit deltas.
"""

from .module import Module, check_module

__all__ = ["Sequential"]


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
            check_module("Sequential", module, f"module {i}")
        self.layers = list(modules)

    def forward(self, X):
        """Run ``X`` through every module in order and return the last output."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    # fit asks for backward(..., input_grad=False): the first module may skip dX.
    can_skip_input_grad = True

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

    def children(self):
        return list(self.layers)

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
