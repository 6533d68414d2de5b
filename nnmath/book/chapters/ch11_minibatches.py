r"""Mini-batches: per-sample gradients, the bias as a weight row, and the least-squares Hessian.

Chapter 11 shows that the gradient of a mean loss over a batch is the sum of
per-sample outer products, and that this sum is one matrix product ``Xᵀδ``
(:func:`nnmath.matmul.matmul_grad_W`). :func:`per_sample_weight_gradients`
keeps the ``N`` outer products apart, which is the slow route the chapter
compares against. :func:`append_ones_column` and :func:`fold_bias` turn
``X W + b`` into a single product, and :func:`least_squares_hessian` with
:func:`condition_number` measure how standardising the features reshapes the
loss surface. The registry entries are in :mod:`nnmath.book.identities.ch11_minibatches`.

All functions accept NumPy object arrays of SymPy symbols where the algebra
allows it, so the registry's SymPy proofs can run them.
"""

import numpy as np

from ...checks import check_int, check_real
from ...losses import mse_grad_Y
from ...matmul import matmul_grad_W

__all__ = ["per_sample_weight_gradients", "append_ones_column", "fold_bias", "unfold_bias",
           "least_squares_hessian", "condition_number", "gradient_descent_path"]


def _matrix(owner, name, value):
    """``value`` as a 2-D array (numeric or object), or raise naming ``owner``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufO":
        raise TypeError(f"{owner}: {name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{owner}: {name} must be 2-D, got shape {arr.shape}")
    return arr


def per_sample_weight_gradients(X, dY):
    r"""Return the weight gradient of every sample separately, the outer products ``x_nᵀ δ_n``.

    Parameters
    ----------
    X : array, shape (N, D)
        Layer input, one sample per row.
    dY : array, shape (N, C)
        Upstream gradient ``δ = ∂L/∂Y`` of ``Y = X W (+ b)``.

    Returns
    -------
    G : array, shape (N, D, C)
        ``G[n] = outer(X[n], dY[n])``, the gradient that sample ``n`` alone
        contributes to ``∂L/∂W``.

    Raises
    ------
    ValueError
        If ``X`` or ``dY`` is not 2-D, or their numbers of rows differ.

    Notes
    -----
    .. math:: G_{njk} = X_{nj}\,\delta_{nk}, \qquad
              \sum_{n=1}^{N} G_{n} = X^\top \delta

    The sum over ``n`` is :func:`nnmath.matmul.matmul_grad_W`; chapter 11
    (mini-batches) derives it. Materialising ``G`` costs ``N·D·C`` numbers, ``N``
    times the memory of the gradient itself: use it to inspect per-sample
    gradients, not to train.

    Examples
    --------
    >>> import numpy as np
    >>> X, dY = np.arange(6.0).reshape(3, 2), np.ones((3, 1))
    >>> G = per_sample_weight_gradients(X, dY)
    >>> G.shape, np.array_equal(G.sum(axis=0), X.T @ dY)
    ((3, 2, 1), True)
    """
    owner = "per_sample_weight_gradients"
    X, dY = _matrix(owner, "X", X), _matrix(owner, "dY", dY)
    if X.shape[0] != dY.shape[0]:
        raise ValueError(f"{owner}: X has shape {X.shape} and dY has shape {dY.shape}; "
                         f"they need the same number of samples (rows)")
    return np.einsum("nd,nc->ndc", X, dY)


def append_ones_column(X):
    r"""Append a column of ones to a batch: ``[X  1]``.

    Parameters
    ----------
    X : array, shape (N, D)

    Returns
    -------
    X1 : array, shape (N, D + 1)
        ``X`` with a last column of ones (same dtype as ``X``).

    Notes
    -----
    With :func:`fold_bias`, ``[X 1] [W; bᵀ] = X W + 1 bᵀ``: the bias becomes the
    weight of a constant input feature (chapter 11).

    Examples
    --------
    >>> append_ones_column(np.array([[2.0], [3.0]]))
    array([[2., 1.],
           [3., 1.]])
    """
    X = _matrix("append_ones_column", "X", X)
    return np.concatenate([X, np.ones((X.shape[0], 1), dtype=X.dtype)], axis=1)


def fold_bias(W, b):
    r"""Stack the bias under the weights as one extra row: ``[W; bᵀ]``.

    Parameters
    ----------
    W : array, shape (D, C)
    b : array, shape (C,)

    Returns
    -------
    Wb : array, shape (D + 1, C)

    Raises
    ------
    ValueError
        If ``W`` is not 2-D or ``b`` is not of shape ``(C,)``.

    Notes
    -----
    .. math:: [X \;\; \mathbf{1}] \begin{bmatrix} W \\ \mathbf{b}^\top \end{bmatrix}
              = XW + \mathbf{1}\mathbf{b}^\top

    Applied to gradients, ``fold_bias(dW, db)`` is the gradient of the folded
    weights, ``[X 1]ᵀ δ`` (chapter 11). :func:`unfold_bias` undoes it.

    Examples
    --------
    >>> fold_bias(np.eye(2), np.array([5.0, 6.0]))
    array([[1., 0.],
           [0., 1.],
           [5., 6.]])
    """
    owner = "fold_bias"
    W = _matrix(owner, "W", W)
    b = np.asarray(b)
    if b.shape != (W.shape[1],):
        raise ValueError(f"{owner}: W has shape {W.shape}, so b must have shape "
                         f"({W.shape[1]},), got {b.shape}")
    return np.concatenate([W, b.reshape(1, -1)], axis=0)


def unfold_bias(Wb):
    r"""Split folded weights ``[W; bᵀ]`` back into ``(W, b)``.

    Parameters
    ----------
    Wb : array, shape (D + 1, C)

    Returns
    -------
    W : array, shape (D, C)
        All rows but the last.
    b : array, shape (C,)
        The last row.

    Raises
    ------
    ValueError
        If ``Wb`` is not 2-D with at least two rows.

    Notes
    -----
    The inverse of :func:`fold_bias`; on the gradient ``[X 1]ᵀ δ`` it returns
    ``(Xᵀδ, 1ᵀδ)``, the weight and bias gradients of :class:`nnmath.Linear`
    (chapter 11).
    """
    Wb = _matrix("unfold_bias", "Wb", Wb)
    if Wb.shape[0] < 2:
        raise ValueError(f"unfold_bias: Wb needs at least one weight row and the bias row, "
                         f"got shape {Wb.shape}")
    return Wb[:-1], Wb[-1]


def least_squares_hessian(X):
    r"""Hessian ``XᵀX / N`` of the mean squared error of a linear model.

    Parameters
    ----------
    X : array, shape (N, D)
        Design matrix, one sample per row (append a column of ones with
        :func:`append_ones_column` to include the bias).

    Returns
    -------
    H : ndarray, shape (D, D)
        Symmetric positive semi-definite.

    Raises
    ------
    ValueError
        If ``X`` is not 2-D with at least one row.

    Notes
    -----
    For ``L(w) = 1/(2N) ‖X w − t‖²`` (:func:`nnmath.losses.mse` of ``X w``),

    .. math:: \nabla L = \frac{1}{N} X^\top (X\mathbf{w} - \mathbf{t}), \qquad
              \nabla^2 L = \frac{1}{N} X^\top X ,

    the same matrix for every target and, with ``C`` outputs, for every column
    of ``W``. Its condition number sets the speed of gradient descent
    (chapter 11).

    Examples
    --------
    >>> least_squares_hessian(np.array([[1.0, 0.0], [0.0, 2.0]]))
    array([[0.5, 0. ],
           [0. , 2. ]])
    """
    X = _matrix("least_squares_hessian", "X", X)
    if X.shape[0] == 0:
        raise ValueError("least_squares_hessian: X has no rows")
    return X.T @ X / X.shape[0]


def condition_number(H):
    r"""Ratio of the largest to the smallest eigenvalue of a symmetric PSD matrix.

    Parameters
    ----------
    H : array, shape (D, D)
        Symmetric positive semi-definite, e.g. :func:`least_squares_hessian`.

    Returns
    -------
    kappa : float
        ``λ_max / λ_min`` (≥ 1); ``inf`` when ``H`` is singular
        (``λ_min ≤ 1e-14 · λ_max``).

    Raises
    ------
    ValueError
        If ``H`` is not square, not symmetric, has a clearly negative
        eigenvalue, is zero, or holds NaN or infinity.

    Notes
    -----
    .. math:: \kappa(H) = \frac{\lambda_{\max}(H)}{\lambda_{\min}(H)}

    Gradient descent with step ``1/λ_max`` on a quadratic with Hessian ``H``
    shrinks the error along the flattest direction by only ``1 − 1/κ`` per
    step (chapter 11).

    Examples
    --------
    >>> float(condition_number(np.diag([4.0, 1.0])))
    4.0
    """
    owner = "condition_number"
    H = _matrix(owner, "H", H).astype(np.float64)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"{owner}: H must be square, got shape {H.shape}")
    if not np.all(np.isfinite(H)):
        raise ValueError(f"{owner}: H contains NaN or infinite values")
    scale = float(np.max(np.abs(H))) if H.size else 0.0
    if scale == 0.0:
        raise ValueError(f"{owner}: H is zero (or empty), its condition number is undefined")
    if not np.allclose(H, H.T, rtol=1e-10, atol=1e-12 * scale):
        raise ValueError(f"{owner}: H must be symmetric")
    eigenvalues = np.linalg.eigvalsh(H)   # ascending
    lo, hi = float(eigenvalues[0]), float(eigenvalues[-1])
    if lo < -1e-10 * hi:
        raise ValueError(f"{owner}: H has the negative eigenvalue {lo:.3e}; "
                         f"it must be positive semi-definite")
    if lo <= 1e-14 * hi:
        return float("inf")
    return hi / lo


def gradient_descent_path(X, T, W0, *, lr, steps):
    r"""Full-batch gradient descent on ``mse(X W, T)``; return every iterate.

    Parameters
    ----------
    X : array, shape (N, D)
        Design matrix (use :func:`append_ones_column` for a bias).
    T : array, shape (N, C)
        Targets.
    W0 : array, shape (D, C)
        Starting weights.
    lr : float > 0
        Step size ``η``.
    steps : int ≥ 0

    Returns
    -------
    path : ndarray, shape (steps + 1, D, C)
        ``path[0] = W0`` and ``path[k+1] = path[k] − η Xᵀ(X path[k] − T)/N``.

    Raises
    ------
    ValueError
        For mismatched shapes, a non-positive or non-finite ``lr`` or a
        negative ``steps``.

    Notes
    -----
    Each step applies :func:`nnmath.losses.mse_grad_Y` and
    :func:`nnmath.matmul.matmul_grad_W`; the loop runs over steps, never over
    samples. Chapter 11 draws these paths on the loss surface.
    """
    owner = "gradient_descent_path"
    X, T, W = (_matrix(owner, n, v).astype(np.float64) for n, v in (("X", X), ("T", T), ("W0", W0)))
    if T.shape[0] != X.shape[0] or W.shape != (X.shape[1], T.shape[1]):
        raise ValueError(f"{owner}: shapes X {X.shape}, T {T.shape}, W0 {W.shape} do not fit "
                         f"X (N, D), T (N, C), W0 (D, C)")
    lr = check_real(owner, "lr", lr, lambda v: v > 0, "> 0")
    steps = check_int(owner, "steps", steps, 0)
    path = np.empty((steps + 1,) + W.shape)
    path[0] = W
    for k in range(steps):
        W = W - lr * matmul_grad_W(mse_grad_Y(X @ W, T), X)   # ∂L/∂W = Xᵀ(XW − T)/N
        path[k + 1] = W
    return path
