r"""Networks as a chain of modules: :class:`Sequential`, and the skip connection :class:`Residual`.

:class:`Sequential` runs its modules in order on the way forward and in
reverse order on the way back: each module turns ``∂E/∂(its output)`` into
``∂E/∂(its input)``. Chapter 9 derives why this is right;
:mod:`nnmath.book.chapters.ch09_backprop_layers` writes the same recursion with
explicit deltas.
"""

import numpy as np

from .checks import check_distinct_modules, check_module
from .module import Module

__all__ = ["Sequential", "Residual"]


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
        If no module is given, or one module instance appears twice (also inside
        a container): each use needs its own instance.

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
        check_distinct_modules("Sequential", modules)
        self.layers = list(modules)

    def check_input(self, X):
        return X  # each module checks its own input (the first may take integer ids)

    def forward(self, X):
        """Run ``X`` through every module in order and return the last output."""
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def backward(self, dY):
        """Send ``dY = ∂E/∂output`` back through the modules; return ``∂E/∂input``."""
        for layer in reversed(self.layers):
            dY = layer.backward(dY)
        return dY

    def parameter_grads(self, dY):
        """Every module's parameter gradients, the first module's ``dX`` skipped if it can be.

        What ``backward(dY, input_grad=False)`` (and so :func:`nnmath.fit`) runs:
        a first ``Linear`` or ``Conv2d`` saves one product as large as its forward
        pass. Returns None, or ``dX`` when the first module cannot skip it.
        """
        for layer in reversed(self.layers[1:]):
            dY = layer.backward(dY)
        return self.layers[0].backward(dY, input_grad=False)

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


class Residual(Module):
    r"""A skip connection around a module: ``Y = X + module(X)``.

    Parameters
    ----------
    module : Module
        Maps ``X`` to an array of the same shape (e.g. a ``Sequential`` of
        ``LayerNorm``, ``Linear`` and an activation).

    Raises
    ------
    TypeError
        If ``module`` is not a module instance.
    ValueError
        (in ``forward``) If the module changes the shape of ``X``.

    Notes
    -----
    The Jacobian is ``I + ∂F/∂X``, so the backward pass adds the upstream
    gradient to the module's input gradient,

    .. math:: \frac{\partial L}{\partial X} = \delta + \frac{\partial L}{\partial X}\Big|_F ,

    and ``δ`` reaches the layers below even where ``∂F/∂X`` is small
    (chapter :ref:`ch-residual-regularisation`). A container: ``children()``
    is ``[module]``, and ``parameters()`` are the module's, under the same names.

    Examples
    --------
    >>> import numpy as np
    >>> from nnmath.activations import Tanh
    >>> block = Residual(Tanh())
    >>> block.forward(np.zeros((1, 2))), block.backward(np.ones((1, 2)))
    (array([[0., 0.]]), array([[2., 2.]]))
    """

    def __init__(self, module):
        self.module = check_module("Residual", module)
        check_distinct_modules("Residual", [module])

    def forward(self, X):
        """Return ``X + module(X)``."""
        F = self.module.forward(X)
        if np.shape(F) != X.shape:
            raise ValueError(f"Residual.forward: the module {type(self.module).__name__} maps "
                             f"shape {X.shape} to {np.shape(F)}; a residual block must keep "
                             f"the shape")
        return X + F

    def backward(self, dY):
        """Return ``dY + module.backward(dY)``: the Jacobian ``I + ∂F/∂X`` applied to ``dY``."""
        return dY + self.module.backward(dY)

    def parameters(self):
        get = getattr(self.module, "parameters", None)
        return list(get()) if callable(get) else []

    def children(self):
        return [self.module]

    def named_children(self):
        return [("", self.module)]  # the module's names, unprefixed, as in parameters()

    def __repr__(self):
        inner = repr(self.module).replace("\n", "\n  ")
        return f"Residual(\n  {inner}\n)"
