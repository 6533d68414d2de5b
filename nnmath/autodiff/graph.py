"""Tools that work on a whole graph: Jacobians by reverse mode, networks as graphs.

:func:`reverse_mode_jacobian` runs one backward pass per output entry;
:func:`from_sequential` rewrites a :class:`nnmath.Sequential` with Tensor
operations, so the engine can check the hand-written backward pass (chapter 14).
"""

import numpy as np

from .functions import leaky_relu, softmax
from .tensor import Tensor

__all__ = ["reverse_mode_jacobian", "from_sequential"]


def reverse_mode_jacobian(f, x):
    """Full Jacobian of ``f`` at ``x`` by reverse mode: one backward pass per output entry.

    Parameters
    ----------
    f : callable
        Maps a Tensor of the shape of ``x`` to a Tensor.
    x : array_like

    Returns
    -------
    J : ndarray, shape ``f(x).shape + x.shape``
        ``J[o + i] = ∂f(x)[o] / ∂x[i]``, the layout of
        :func:`nnmath.gradcheck.numeric_jacobian`.

    Notes
    -----
    Row ``o`` of the Jacobian is the vector-Jacobian product ``e_oᵀ J``,
    which is exactly what :meth:`Tensor.backward` computes for the upstream
    gradient ``e_o`` (chapter 14).
    """
    x = Tensor(x)
    y = f(x)
    if not isinstance(y, Tensor):
        raise TypeError(f"reverse_mode_jacobian: f must return a Tensor, got {type(y).__name__}")
    J = np.zeros(y.shape + x.shape)
    for index in np.ndindex(y.shape):
        if not y.requires_grad:  # f does not depend on x
            break
        unit = np.zeros(y.shape)
        unit[index] = 1.0
        y.zero_grad()
        y.backward(unit)
        J[index] = x.grad
    return J


def from_sequential(model):
    """The same network as a :class:`nnmath.Sequential`, written with Tensor operations.

    Parameters
    ----------
    model : Sequential
        Of ``Linear``, ``Tanh``, ``Sigmoid``, ``ReLU``, ``LeakyReLU``,
        ``Identity`` and ``Softmax`` modules.

    Returns
    -------
    forward : callable
        ``forward(X)`` returns the output Tensor, built from ``params``.
    params : dict of str to Tensor
        Copies of the model's parameters under the names ``model.parameters()``
        gives (``"0.W"``, ``"0.b"``, …); their ``.grad`` holds the engine's
        gradients after a backward pass.

    Raises
    ------
    TypeError
        For a module the engine has no Tensor version of.

    Notes
    -----
    Each ``Linear`` becomes ``X @ W + b`` and each activation its Tensor
    method, so the gradients come from the engine's local rules alone, not
    from the hand-written backward passes they are compared with (chapter 14).
    """
    from ..activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
    from ..layers import Linear

    elementwise = {Tanh: Tensor.tanh, Sigmoid: Tensor.sigmoid, ReLU: Tensor.relu,
                   Identity: lambda x: x, Softmax: softmax}
    params, steps = {}, []
    for i, layer in enumerate(getattr(model, "layers", [])):
        if isinstance(layer, Linear):
            W = params[f"{i}.W"] = Tensor(layer.W)
            b = params[f"{i}.b"] = Tensor(layer.b)
            steps.append(lambda x, W=W, b=b: x @ W + b)
        elif isinstance(layer, LeakyReLU):
            steps.append(lambda x, slope=layer.slope: leaky_relu(x, slope))
        elif type(layer) in elementwise:
            steps.append(elementwise[type(layer)])
        else:
            raise TypeError(f"from_sequential: module {i} ({type(layer).__name__}) has no "
                            f"Tensor version")

    def forward(X):
        for step in steps:
            X = step(X)
        return X
    return forward, params
