r"""The core of the reverse-mode engine: :class:`Tensor`, its primitives, the backward pass.

Every operation on tensors returns a new tensor that remembers its parents and
a *local backward rule*, written right beside the forward computation: it maps
the upstream gradient ``dY = ∂L/∂Y`` to the gradient of each parent (a
vector-Jacobian product). :meth:`Tensor.backward` visits the graph in reverse
topological order, so a node passes ``dY`` on only once every successor has
added its share: what makes a value used twice come out right (chapter 13).

The engine is the third, independent route that checks every identity of the
book: it chains these local rules, never the layers' compact formulas (chapter
14). Forward mode (chapter 19) has its rules beside the code that runs them,
in :mod:`nnmath.autodiff.tangents`; what they need beyond the parents and the
value (axes, an index, a mask) a node keeps in ``_saved``.
"""

import numpy as np

from .order import topological_order
from .shapes import (_broadcast, _check_positive, _check_upstream, _first_true, _float_array,
                     _is_batched_product, _normalize_axes, _permutation, _reshaped, _shaped,
                     unbroadcast)

__all__ = ["Tensor", "as_tensor", "unbroadcast", "topological_order"]


def as_tensor(value):
    """``value`` itself if it is a Tensor, else a constant Tensor holding it."""
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
        ``∂L/∂data`` from the last call of :meth:`backward` that reached this
        tensor, the shape of ``data``; zeros before. A backward pass *sets*
        the gradients it computes, as a layer's ``backward`` sets ``dW``: the
        one rule of both engines (:meth:`zero_grad` resets to zero).
    op : str
        The operation that produced this tensor (``""`` for a leaf).

    Notes
    -----
    Each operation stores its parents and a local rule ``dY ↦ (dP_1, …, dP_k)``
    computing ``dP_i = (∂Y/∂P_i)ᵀ dY`` without forming the Jacobian (``None``
    for a constant parent, which needs none). Derived operations (``-``,
    ``/``, ``mean``, …) are compositions of the core ones. Chapters 13 and 14.
    """

    # NumPy defers to Tensor's reflected operators: ndarray + Tensor -> Tensor.__radd__.
    __array_ufunc__ = None

    def __init__(self, data, *, requires_grad=True, name=None, _parents=(), _op="",
                 _backward=None, _saved=None):
        if isinstance(data, Tensor):
            raise TypeError("Tensor: data is already a Tensor; use it directly")
        if _parents:  # the fresh result of an operation: no copy needed
            self.data = np.asarray(data, dtype=np.float64)
            requires_grad = any(p.requires_grad for p in _parents)
        else:
            self.data = _float_array(data)
        self.requires_grad = bool(requires_grad)
        self.name = name
        self.op = _op
        self._grad = None
        self._parents = tuple(_parents)
        self._backward = _backward  # local rule: dY -> tuple of gradients, one per parent
        self._saved = _saved        # what forward mode needs besides parents and value

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
        a, b = self, as_tensor(other)

        def backward(dY):  # ∂(a+b)/∂a = ∂(a+b)/∂b = I: add hands dY on unchanged
            return unbroadcast(dY, a.shape), unbroadcast(dY, b.shape)
        return Tensor(_broadcast("+", a, b, np.add), _parents=(a, b), _op="+",
                      _backward=backward)

    def __mul__(self, other):
        a, b = self, as_tensor(other)

        def backward(dY):  # ∂(ab)/∂a = diag(b): multiply swaps the operands
            return (unbroadcast(dY * b.data, a.shape) if a.requires_grad else None,
                    unbroadcast(dY * a.data, b.shape) if b.requires_grad else None)
        return Tensor(_broadcast("*", a, b, np.multiply), _parents=(a, b), _op="*",
                      _backward=backward)

    def __pow__(self, other):
        a, b = self, as_tensor(other)
        out = _broadcast("**", a, b, np.power)

        def backward(dY):  # ∂a^b/∂a = b a^(b−1); ∂a^b/∂b = a^b ln a (only if b varies)
            return (unbroadcast(dY * b.data * a.data ** (b.data - 1.0), a.shape),
                    unbroadcast(dY * out * np.log(a.data), b.shape) if b.requires_grad else None)
        return Tensor(out, _parents=(a, b), _op="**", _backward=backward)

    def __matmul__(self, other):
        a, b = self, as_tensor(other)
        A, B = a.data, b.data
        if _is_batched_product(A, B):
            from .sequence import batched_matmul  # a stack of matrices: the batched product
            return batched_matmul(a, b)
        A2 = A if A.ndim == 2 else A[None, :]  # a vector on the left is a row (1, D)
        B2 = B if B.ndim == 2 else B[:, None]  # a vector on the right is a column (D, 1)

        def backward(dY):  # Y = AB: ∂L/∂A = dY Bᵀ, ∂L/∂B = Aᵀ dY (chapter 5)
            dY = dY.reshape(A2.shape[0], B2.shape[1])
            return (_shaped(dY @ B2.T, A.shape) if a.requires_grad else None,
                    _shaped(A2.T @ dY, B.shape) if b.requires_grad else None)
        return Tensor(A @ B, _parents=(a, b), _op="@", _backward=backward)

    def transpose(self, *axes):
        """Permute the axes (reverse them by default: the matrix transpose for 2-D)."""
        axes = _permutation(axes, self.shape)
        inverse = tuple(np.argsort([a % self.ndim for a in axes]))

        def backward(dY):  # a permutation of entries: permute the gradient back
            return (dY.transpose(inverse),)
        return Tensor(self.data.transpose(axes), _parents=(self,), _op="T", _backward=backward,
                      _saved=axes)

    T = property(transpose)

    def reshape(self, *shape):
        """Return the same entries in a new shape (as :meth:`numpy.ndarray.reshape`)."""
        old = self.shape

        def backward(dY):  # the same entries: reshape the gradient back
            return (dY.reshape(old),)
        return Tensor(_reshaped(self.data, shape), _parents=(self,), _op="reshape",
                      _backward=backward)

    def __getitem__(self, index):
        index = index.data.astype(int) if isinstance(index, Tensor) else index
        old = self.shape

        def backward(dY):  # entries picked (possibly repeatedly) get their gradients summed
            full = np.zeros(old)
            np.add.at(full, index, dY)
            return (full,)
        return Tensor(self.data[index], _parents=(self,), _op="[]", _backward=backward,
                      _saved=index)

    def sum(self, axis=None, keepdims=False):
        """Sum over ``axis`` (all axes by default), like :func:`numpy.sum`."""
        axes = _normalize_axes(axis, self.ndim, "sum")
        shape = self.shape

        def backward(dY):  # every summand receives dY: copy it back over the summed axes
            return (np.broadcast_to(dY if keepdims else np.expand_dims(dY, axes), shape),)
        return Tensor(self.data.sum(axis=axes, keepdims=keepdims), _parents=(self,),
                      _op="sum", _backward=backward, _saved=(axes, keepdims))

    def max(self, axis=None, keepdims=False):
        """Maximum over ``axis`` (all axes by default); the gradient goes to the first maximum."""
        axes = _normalize_axes(axis, self.ndim, "max")
        if self.size == 0:
            raise ValueError("Tensor.max: the tensor is empty")
        top = self.data.max(axis=axes, keepdims=True)
        first = _first_true(self.data == top, axes)

        def backward(dY):  # max routes dY to the (first) winner of each group: the max gate
            return ((dY if keepdims else np.expand_dims(dY, axes)) * first,)
        out = top if keepdims else top.squeeze(axis=axes)
        return Tensor(out, _parents=(self,), _op="max", _backward=backward,
                      _saved=(axes, keepdims, first))

    def exp(self):
        """Elementwise ``e^x``."""
        out = np.exp(self.data)

        def backward(dY):  # (e^x)' = e^x
            return (dY * out,)
        return Tensor(out, _parents=(self,), _op="exp", _backward=backward)

    def log(self):
        """Elementwise natural logarithm; every entry must be positive."""
        x = self.data
        _check_positive("log", x)

        def backward(dY):  # (ln x)' = 1/x
            return (dY / x,)
        return Tensor(np.log(x), _parents=(self,), _op="log", _backward=backward)

    def sqrt(self):
        """Elementwise square root; every entry must be positive (the derivative is 1/(2√x))."""
        _check_positive("sqrt", self.data)
        out = np.sqrt(self.data)

        def backward(dY):  # (√x)' = 1/(2√x)
            return (dY * 0.5 / out,)
        return Tensor(out, _parents=(self,), _op="sqrt", _backward=backward)

    def tanh(self):
        """Elementwise hyperbolic tangent."""
        out = np.tanh(self.data)

        def backward(dY):  # tanh' = 1 − tanh² (chapter 6)
            return (dY * (1.0 - out * out),)
        return Tensor(out, _parents=(self,), _op="tanh", _backward=backward)

    def sigmoid(self):
        """Elementwise logistic sigmoid, without overflow for large ``|x|``."""
        out = np.exp(-np.logaddexp(0.0, -self.data))  # 1/(1+e^−x), stable for both signs

        def backward(dY):  # σ' = σ(1 − σ) (chapter 6)
            return (dY * out * (1.0 - out),)
        return Tensor(out, _parents=(self,), _op="sigmoid", _backward=backward)

    def relu(self):
        """Elementwise ``max(x, 0)``; its derivative at 0 is taken as 0."""
        positive = self.data > 0

        def backward(dY):  # relu' = [x > 0]
            return (dY * positive,)
        return Tensor(self.data * positive, _parents=(self,), _op="relu", _backward=backward,
                      _saved=positive)

    def leaky_relu(self, slope=0.01):
        """Elementwise ``x`` for ``x > 0``, ``slope·x`` otherwise; derivative ``slope`` at 0.

        A primitive: ``relu(x) − slope·relu(−x)`` would have the derivative 0
        at 0, outside the subdifferential ``[slope, 1]`` (chapter 6).
        """
        factor = np.where(self.data > 0, 1.0, float(slope))

        def backward(dY):  # leaky_relu' = 1 for x > 0, slope for x ≤ 0
            return (dY * factor,)
        return Tensor(self.data * factor, _parents=(self,), _op="leaky_relu",
                      _backward=backward, _saved=factor)

    # -- derived operations: compositions of the core ones -----------------------
    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):  # a constant b is negated by NumPy: no node for it
        return self + (-other if isinstance(other, Tensor) else -np.asarray(other, np.float64))

    def __truediv__(self, other):
        return self * as_tensor(other) ** -1.0

    def mean(self, axis=None, keepdims=False):
        """Mean over ``axis`` (all axes by default): the sum divided by the count."""
        count = int(np.prod([self.shape[a] for a in _normalize_axes(axis, self.ndim, "mean")]))
        return self.sum(axis=axis, keepdims=keepdims) * (1.0 / count)

    # Reflected operators: `2 - t` is `Tensor(2) - t`, and so on.
    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other):
        return as_tensor(other) - self

    def __rtruediv__(self, other):
        return as_tensor(other) / self

    def __rpow__(self, other):
        return as_tensor(other) ** self

    def __rmatmul__(self, other):
        return as_tensor(other) @ self

    # -- the backward pass -----------------------------------------------------------
    def backward(self, grad=None):
        """Set ``.grad`` of every node below this one to ``∂self/∂node`` (times ``grad``).

        Parameters
        ----------
        grad : array_like, optional
            The upstream gradient ``∂L/∂self``, of the shape of ``self``.
            Required unless ``self`` has one element (then it defaults to 1).

        Notes
        -----
        Nodes are visited in reverse topological order, so each node's gradient
        is complete (summed over all of its successors, chapter 13) before its
        local rule passes it on. The pass *sets* ``.grad`` on every node it
        reaches, as a layer's ``backward`` sets ``dW``: a second call gives the
        same gradients, not twice them.
        """
        pending = {self: _check_upstream(self, grad)}  # this pass's gradients, summed so far
        held = set()  # ids of the arrays that operation nodes keep as their .grad
        for node in reversed(topological_order(self)):
            # complete: every successor came earlier; asarray, as a rule on 0-d data returns
            # a NumPy scalar (read-only), not an array
            dY = np.asarray(pending.pop(node))
            if node._backward is None:  # a leaf owns its .grad: copy a view or a shared array
                node._grad = dY if dY.flags.owndata and id(dY) not in held else np.array(dY)
                continue
            node._grad = dY
            held.add(id(dY))
            for parent, dP in zip(node._parents, node._backward(dY)):
                if parent.requires_grad:  # the fan-out sum of chapter 13
                    pending[parent] = dP if parent not in pending else pending[parent] + dP

    def zero_grad(self):
        """Reset ``.grad`` to zero on this tensor and every tensor below it."""
        for node in topological_order(self, include_constants=True):
            node._grad = None
