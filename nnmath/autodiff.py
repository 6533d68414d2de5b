r"""A reverse-mode automatic differentiation engine on NumPy arrays.

:class:`Tensor` wraps a float64 array. Every operation on tensors returns a new
tensor that remembers its parents and a *local backward rule*: a function that
maps the gradient of the loss with respect to the output, ``g``, to the
gradients with respect to each parent (a vector-Jacobian product). The rule is
written right next to the forward computation, so the derivative of each
operation can be read where the operation is defined.

:meth:`Tensor.backward` orders the graph topologically (iteratively, with an
explicit stack, so a chain of 100 000 operations is no problem), then visits
the nodes in reverse. A node is visited only after every one of its successors
has added its contribution, which is what makes the result correct when a value
is used more than once (chapter 13 shows what goes wrong otherwise).

The engine is the third, independent route that checks every identity of the
book: it never calls the compact formulas of the layers, it only chains the
local rules below (chapter 14).

Examples
--------
>>> import numpy as np
>>> from nnmath.autodiff import Tensor
>>> a = Tensor(np.array([1.0, 2.0, 3.0]))
>>> loss = (a * a).sum()
>>> loss.backward()
>>> a.grad
array([2., 4., 6.])
"""

import numpy as np

__all__ = ["Tensor", "unbroadcast", "topological_order", "softmax", "log_softmax",
           "logsumexp", "maximum", "leaky_relu", "mse_loss", "softmax_cross_entropy_loss",
           "jacobian", "from_sequential", "operation_counts", "naive_recursive_backward"]


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
    if getattr(grad, "shape", None) == shape:  # nothing was broadcast (the common case)
        return grad
    grad = np.asarray(grad)
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra == 1 and grad.shape[1:] == shape:  # the bias case: (N, C) -> (C,)
        return grad.sum(axis=0)
    if extra < 0 or any(n not in (1, m) for n, m in zip(shape, grad.shape[extra:])):
        raise ValueError(f"unbroadcast: a gradient of shape {grad.shape} cannot come "
                         f"from broadcasting an operand of shape {shape}")
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                       if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


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


def topological_order(root, *, include_constants=False):
    """Nodes of the graph below ``root``, each after all of its parents.

    Depth-first post-order with an explicit stack (no recursion, so the depth
    of the graph is not limited by Python's recursion limit).

    Parameters
    ----------
    root : Tensor
    include_constants : bool, optional
        Whether to list constants (tensors with ``requires_grad=False``);
        the backward pass leaves them out, as no gradient flows to them.

    Returns
    -------
    list of Tensor
        ``root`` is the last element; parents are listed in operand order.
    """
    order, seen = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:          # every parent is already in `order`
            order.append(node)
            continue
        if node in seen:          # Tensors hash by identity
            continue
        seen.add(node)
        stack.append((node, True))
        for parent in reversed(node._parents):  # reversed: the first operand is popped first
            if (include_constants or parent.requires_grad) and parent not in seen:
                stack.append((parent, False))
    return order


def _as_tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value, requires_grad=False)


class Tensor:
    """A float64 array that records the operations applied to it.

    Parameters
    ----------
    data : array_like
        The value; copied into a float64 array.
    requires_grad : bool, optional
        Whether gradients flow to this tensor. Plain numbers and arrays mixed
        into an expression become constants (``requires_grad=False``).
    name : str, optional
        A label for drawings of the graph (chapter 13).

    Attributes
    ----------
    data : ndarray
        The value.
    grad : ndarray
        ``∂L/∂data`` after :meth:`backward`, the shape of ``data``; zeros
        before. Calls to :meth:`backward` *accumulate* into it (as in
        PyTorch); :meth:`zero_grad` resets it.
    op : str
        The operation that produced this tensor (``""`` for a leaf).

    Notes
    -----
    Each operation stores its parents and a local rule ``g ↦ (g_1, …, g_k)``
    computing ``g_i = (∂out/∂parent_i)ᵀ g`` without forming the Jacobian.
    Derived operations (``-``, ``/``, ``mean``, ``softmax``, …) are compositions
    of the core ones, so they have no rule of their own. Chapters 13 and 14.
    """

    # NumPy defers to Tensor's reflected operators: ndarray + Tensor -> Tensor.__radd__.
    __array_ufunc__ = None
    __slots__ = ("data", "requires_grad", "name", "op", "_grad", "_parents", "_backward")

    def __init__(self, data, *, requires_grad=True, name=None):
        if isinstance(data, Tensor):
            raise TypeError("Tensor: data is already a Tensor; use it directly")
        try:
            self.data = np.array(data, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Tensor: cannot convert {type(data).__name__} to a float64 "
                            f"array ({exc})") from None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.op = ""
        self._grad = None
        self._parents = ()
        self._backward = None  # local rule: g -> tuple of gradients, one per parent

    @classmethod
    def _make(cls, data, parents, op, backward):
        """A result of ``op`` on ``parents`` with the local rule ``backward``."""
        out = cls.__new__(cls)
        out.data = data if data.dtype == np.float64 else data.astype(np.float64)
        out.requires_grad = parents[0].requires_grad or parents[-1].requires_grad  # 1-2 operands
        out.name = None
        out.op = op
        out._grad = None
        out._parents = parents
        out._backward = backward
        return out

    # -- basic attributes ------------------------------------------------------
    @property
    def grad(self):
        return np.zeros_like(self.data) if self._grad is None else self._grad

    @grad.setter
    def grad(self, value):
        value = np.asarray(value, dtype=np.float64)
        if value.shape != self.data.shape:
            raise ValueError(f"Tensor.grad: shape {value.shape} differs from the data's "
                             f"{self.data.shape}")
        self._grad = value

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    parents = property(lambda self: self._parents)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        label = f", name={self.name!r}" if self.name else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Tensor({np.array2string(self.data, precision=4)}{op}{label})"

    def named(self, name):
        """Set the label shown in drawings of the graph; return the tensor itself."""
        self.name = name
        return self

    def item(self):
        """The value of a one-element tensor as a Python float."""
        return float(self.data.item())

    def numpy(self):
        """The value as an ndarray (the array itself, not a copy)."""
        return self.data

    # -- core operations: forward and local backward rule side by side ------------
    def __add__(self, other):
        other = _as_tensor(other)
        a, b = self, other

        def backward(g):  # ∂(a+b)/∂a = ∂(a+b)/∂b = I: add distributes g unchanged
            return (unbroadcast(g, a.shape) if a.requires_grad else None,
                    unbroadcast(g, b.shape) if b.requires_grad else None)
        return Tensor._make(a.data + b.data, (a, b), "+", backward)

    def __mul__(self, other):
        other = _as_tensor(other)
        a, b = self, other

        def backward(g):  # ∂(ab)/∂a = diag(b): multiply swaps the operands
            return (unbroadcast(g * b.data, a.shape) if a.requires_grad else None,
                    unbroadcast(g * a.data, b.shape) if b.requires_grad else None)
        return Tensor._make(a.data * b.data, (a, b), "*", backward)

    def __pow__(self, other):
        other = _as_tensor(other)
        a, b = self, other
        e = b.data.item() if b.data.ndim == 0 else b.data  # a plain number: NumPy squares fast
        out = a.data ** e

        def backward(g):  # ∂a^b/∂a = b a^(b−1); ∂a^b/∂b = a^b ln a (each only if needed)
            ga = g * (e * a.data ** (e - 1.0)) if a.requires_grad else None
            gb = g * out * np.log(a.data) if b.requires_grad else None
            return (None if ga is None else unbroadcast(ga, a.shape),
                    None if gb is None else unbroadcast(gb, b.shape))
        return Tensor._make(out, (a, b), "**", backward)

    def __matmul__(self, other):
        other = _as_tensor(other)
        a, b = self, other
        A, B = a.data, b.data
        if not (1 <= A.ndim <= 2 and 1 <= B.ndim <= 2) or A.shape[-1] != B.shape[0]:
            raise ValueError(f"Tensor @: cannot multiply shapes {A.shape} and {B.shape}; "
                             f"operands must be 1-D or 2-D with matching inner dimensions")
        out = A @ B
        A2 = A if A.ndim == 2 else A[None, :]  # a vector on the left is a row (1, D)
        B2 = B if B.ndim == 2 else B[:, None]  # a vector on the right is a column (D, 1)

        def backward(g):  # Y = AB: ∂L/∂A = G Bᵀ, ∂L/∂B = Aᵀ G (chapter 5)
            G = g if g.ndim == 2 else g.reshape(A2.shape[0], B2.shape[1])
            gA = G @ B2.T if a.requires_grad else None
            gB = A2.T @ G if b.requires_grad else None
            if A.ndim == 1 and gA is not None:  # back from the row (1, D) to the vector (D,)
                gA = gA.reshape(A.shape)
            if B.ndim == 1 and gB is not None:  # back from the column (D, 1) to (D,)
                gB = gB.reshape(B.shape)
            return gA, gB
        return Tensor._make(out, (a, b), "@", backward)

    def transpose(self):
        """Reverse the axes (the matrix transpose for 2-D tensors)."""
        def backward(g):  # a permutation of entries: permute the gradient back
            return (g.T,)
        return Tensor._make(self.data.T, (self,), "T", backward)

    T = property(transpose)

    def reshape(self, *shape):
        """Return the same entries in a new shape."""
        old = self.shape

        def backward(g):
            return (g.reshape(old),)
        return Tensor._make(self.data.reshape(*shape), (self,), "reshape", backward)

    def __getitem__(self, index):
        old = self.shape

        def backward(g):  # entries picked (possibly repeatedly) get their gradients summed
            full = np.zeros(old)
            np.add.at(full, index, g)
            return (full,)
        return Tensor._make(np.asarray(self.data[index]), (self,), "[]", backward)

    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (all axes by default), like :func:`numpy.sum`."""
        axes = _normalize_axes(axis, self.ndim, "sum")
        shape = self.shape

        def backward(g):  # every summand receives g: copy it back over the summed axes
            if not keepdims and g.ndim:  # a 0-d g (a full sum) broadcasts as it is
                g = np.expand_dims(g, axes)
            return (np.full(shape, g),)
        out = self.data.sum(axis=None if axis is None else axes, keepdims=keepdims)
        return Tensor._make(np.asarray(out), (self,), "sum", backward)

    def exp(self):
        """Elementwise ``e^x``."""
        out = np.exp(self.data)

        def backward(g):  # (e^x)' = e^x
            return (g * out,)
        return Tensor._make(out, (self,), "exp", backward)

    def log(self):
        """Elementwise natural logarithm; every entry must be positive."""
        if np.any(self.data <= 0):
            raise ValueError(f"Tensor.log: input must be positive, got minimum "
                             f"{float(np.min(self.data)):.3g}")
        x = self.data

        def backward(g):  # (ln x)' = 1/x
            return (g / x,)
        return Tensor._make(np.log(x), (self,), "log", backward)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        out = np.tanh(self.data)

        def backward(g):  # tanh' = 1 − tanh² (chapter 6)
            return (g * (1.0 - out * out),)
        return Tensor._make(out, (self,), "tanh", backward)

    def sigmoid(self):
        """Elementwise logistic sigmoid, without overflow for large ``|x|``."""
        out = np.exp(-np.logaddexp(0.0, -self.data))  # 1/(1+e^−x), stable for both signs

        def backward(g):  # σ' = σ(1 − σ) (chapter 6)
            return (g * out * (1.0 - out),)
        return Tensor._make(out, (self,), "sigmoid", backward)

    def relu(self):
        """Elementwise ``max(x, 0)``; its derivative at 0 is taken as 0."""
        mask = self.data > 0

        def backward(g):  # relu' = [x > 0]
            return (g * mask,)
        return Tensor._make(self.data * mask, (self,), "relu", backward)

    # -- derived operations: compositions of the core ones -----------------------
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):  # a − b = a + (−b); a constant b is negated by NumPy
        return self + (-other if isinstance(other, Tensor) else -np.asarray(other, np.float64))

    def __truediv__(self, other):
        return self * _as_tensor(other) ** -1.0

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis`` (all axes by default): the sum divided by the count."""
        count = int(np.prod([self.shape[a] for a in _normalize_axes(axis, self.ndim, "mean")]))
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / count)

    # Reflected operators: `2 - t` is `Tensor(2) - t`, and so on.
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return _as_tensor(other) - self

    def __rtruediv__(self, other):
        return _as_tensor(other) / self

    def __rpow__(self, other):
        return _as_tensor(other) ** self

    def __rmatmul__(self, other):
        return _as_tensor(other) @ self

    # -- the backward pass -----------------------------------------------------------
    def backward(self, grad=None):
        """Accumulate ``∂L/∂node`` into ``.grad`` of every node below this one.

        Parameters
        ----------
        grad : array_like, optional
            The upstream gradient ``∂L/∂self``, of the shape of ``self``.
            Required unless ``self`` has one element (then it defaults to 1).

        Notes
        -----
        Nodes are visited in reverse topological order, so each node's gradient
        is complete (summed over all of its successors, chapter 13) before its
        local rule passes it on. Gradients of this pass are kept apart and then
        *added* to ``.grad``: calling ``backward`` twice gives twice the
        gradient, everywhere in the graph, as in PyTorch. Call
        :meth:`zero_grad` in between to start afresh.
        """
        if grad is None:
            if self.size != 1:
                raise ValueError(f"Tensor.backward: an output of shape {self.shape} needs an "
                                 f"explicit upstream gradient of that shape")
            grad = np.ones_like(self.data)
        else:
            grad = np.array(grad, dtype=np.float64)
            if grad.shape != self.shape:
                raise ValueError(f"Tensor.backward: upstream gradient of shape {grad.shape} "
                                 f"does not match the output's shape {self.shape}")
        if not self.requires_grad:
            raise ValueError("Tensor.backward: this tensor is a constant; no gradient flows")
        pending = {self: grad}  # gradients of this pass, summed over successors so far
        for node in reversed(topological_order(self)):
            g = pending.pop(node)  # complete: every successor came earlier
            if node._backward is None:  # a leaf: keep a private copy
                node._grad = np.array(g) if node._grad is None else node._grad + g
                continue
            node._grad = g if node._grad is None else node._grad + g
            for parent, g_parent in zip(node._parents, node._backward(g)):
                if parent.requires_grad:  # the fan-out sum of chapter 13
                    pending[parent] = g_parent if parent not in pending else \
                        pending[parent] + g_parent

    def zero_grad(self):
        """Reset ``.grad`` to zero on this tensor and every tensor below it."""
        if not self._parents:
            self._grad = None
            return
        for node in topological_order(self):
            node._grad = None

    # -- activations as named functions ----------------------------------------------
    def leaky_relu(self, slope=0.01):
        """``x`` for ``x > 0``, ``slope·x`` otherwise (derived: relu(x) − slope·relu(−x))."""
        return leaky_relu(self, slope)


def maximum(a, b):
    """Elementwise maximum of two tensors (or a tensor and a constant).

    The gradient is *routed* to the larger operand (to ``a`` on ties): the max
    gate of chapter 13.
    """
    a, b = _as_tensor(a), _as_tensor(b)
    a_wins = a.data >= b.data

    def backward(g):  # ∂max(a,b)/∂a = [a ≥ b]: max routes g to the winner
        return (unbroadcast(g * a_wins, a.shape) if a.requires_grad else None,
                unbroadcast(g * ~a_wins, b.shape) if b.requires_grad else None)
    return Tensor._make(np.maximum(a.data, b.data), (a, b), "max", backward)


def leaky_relu(x, slope=0.01):
    """Leaky ReLU, derived from :meth:`Tensor.relu`: ``relu(x) − slope·relu(−x)``."""
    x = _as_tensor(x)
    return x.relu() - slope * (-x).relu()


def logsumexp(x, axis=-1, keepdims=False):
    r"""``log Σ exp(x)`` along ``axis``, shifted by the (constant) maximum to avoid overflow.

    Notes
    -----
    .. math:: \operatorname{lse}(x) = m + \log \sum_j e^{x_j - m}, \quad m = \max_j x_j

    The shift ``m`` enters as a constant: ``lse`` does not depend on it, so
    no gradient needs to flow through it.
    """
    x = _as_tensor(x)
    m = Tensor(np.max(x.data, axis=axis, keepdims=True), requires_grad=False)
    out = m + (x - m).exp().sum(axis=axis, keepdims=True).log()
    return out if keepdims else out.sum(axis=axis)


def log_softmax(x, axis=-1):
    """``x − logsumexp(x)`` along ``axis`` (built from core operations)."""
    x = _as_tensor(x)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax(x, axis=-1):
    """``exp(x − m) / Σ exp(x − m)`` along ``axis``, ``m`` the constant maximum."""
    x = _as_tensor(x)
    e = (x - Tensor(np.max(x.data, axis=axis, keepdims=True), requires_grad=False)).exp()
    return e / e.sum(axis=axis, keepdims=True)


def mse_loss(Y, T):
    r"""Mean squared error ``1/(2N) Σ_n ‖y_n − t_n‖²`` with Tensor operations.

    Parameters
    ----------
    Y : Tensor, shape (N, C)
    T : array_like or Tensor, shape (N, C)

    Returns
    -------
    Tensor, shape ()

    Notes
    -----
    The convention of :class:`nnmath.MSE` (chapter 8); here nothing but the
    engine's core operations differentiates it.
    """
    Y = _as_tensor(Y)
    return ((Y - T) ** 2).sum() * (0.5 / Y.shape[0])


def softmax_cross_entropy_loss(Z, T):
    r"""Mean cross-entropy ``−1/N Σ_n Σ_c T_nc log softmax(Z)_nc`` with Tensor operations.

    Parameters
    ----------
    Z : Tensor, shape (N, C)
        Logits.
    T : array_like, shape (N, C)
        One-hot targets (or rows of probabilities).

    Returns
    -------
    Tensor, shape ()
    """
    Z = _as_tensor(Z)
    return (_as_tensor(T) * log_softmax(Z, axis=-1)).sum() * (-1.0 / Z.shape[0])


def jacobian(f, x):
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
        :func:`nnmath.jacobian.numeric_jacobian`.

    Notes
    -----
    Row ``o`` of the Jacobian is the vector-Jacobian product ``e_oᵀ J``,
    which is exactly what :meth:`Tensor.backward` computes for the upstream
    gradient ``e_o`` (chapter 14).
    """
    x = Tensor(x)
    y = f(x)
    if not isinstance(y, Tensor):
        raise TypeError(f"jacobian: f must return a Tensor, got {type(y).__name__}")
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
    from .activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
    from .layers import Linear

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


def operation_counts(root):
    """Arithmetic of the forward and the backward pass of the graph below ``root``.

    The unit is one multiply-add of a matrix product, or one output entry of
    an elementwise operation or a sum. The forward pass of ``A @ B`` with
    ``A (N, D)``, ``B (D, C)`` costs ``N·D·C``; its local rule costs ``N·D·C``
    for each operand that needs a gradient (``G Bᵀ`` and ``Aᵀ G``). An
    elementwise operation costs its size forward and its size per operand
    that needs a gradient backward. Moving entries (``.T``, ``reshape``,
    indexing) is counted as free.

    Parameters
    ----------
    root : Tensor

    Returns
    -------
    dict
        ``{op: (forward, backward)}`` summed over the nodes of each operation
        (constants' operations cost forward work only).

    Notes
    -----
    With matrix products dominating, backward costs about twice the forward
    pass, whatever the graph (chapter 14).
    """
    counts = {}
    for node in topological_order(root, include_constants=True):
        if not node._parents:
            continue
        grads = sum(p.requires_grad for p in node._parents) if node.requires_grad else 0
        if node.op == "@":
            a, b = node._parents
            rows = a.shape[0] if a.ndim == 2 else 1
            cols = b.shape[1] if b.ndim == 2 else 1
            fwd = rows * a.shape[-1] * cols
            bwd = fwd * grads
        elif node.op in ("T", "reshape", "[]"):
            fwd = bwd = 0
        elif node.op == "sum":
            fwd = bwd = node._parents[0].size
            bwd *= grads
        else:
            fwd = node.size
            bwd = fwd * grads
        f0, b0 = counts.get(node.op, (0, 0))
        counts[node.op] = (f0 + fwd, b0 + bwd)
    return counts


def naive_recursive_backward(root):
    """A *wrong* backward pass, kept to show why the topological order matters.

    Starting from ``root``, it passes each node's gradient to its parents as
    soon as the node is first reached depth-first, and visits each node once.
    When a value fans out, one successor may reach it (and make it pass its
    gradient on) before another successor has contributed: the late
    contribution then never reaches the inputs. Chapter 13 shows a case.

    It resets and then sets ``.grad`` on every node. Do not use it for anything
    but that demonstration; :meth:`Tensor.backward` is the correct algorithm.
    """
    root.zero_grad()
    root._grad = np.ones_like(root.data)
    visited = {root}

    def visit(node):
        if node._backward is None:
            return
        for parent, g_parent in zip(node._parents, node._backward(node.grad)):
            if parent.requires_grad:
                parent._grad = parent.grad + g_parent
        for parent in node._parents:
            if parent.requires_grad and parent not in visited:
                visited.add(parent)
                visit(parent)  # too early if another successor of `parent` is still to come

    visit(root)
