r"""Proofs for every size, attached to the registry entries (``entry.all_sizes_proof``).

Each entry below gets ``all_sizes_proof`` (a callable taking the
compact formula to check and returning a :class:`~nnmath.book.symbolic.ProofResult`)
and ``all_sizes_method``, ``"index notation"`` or ``"matrix calculus"``
(:mod:`nnmath.book.allsizes_proofs`). The proof runs the entry's own compact
formula on inputs of symbolic size. Where that formula is a NumPy function
that cannot take them (it calls ``np.asarray``, ``np.diag``, ...), the entry
names a *twin* in ``all_sizes_twin``: the function's formula written
with operations both NumPy arrays and :class:`~nnmath.book.allsizes.IndexArray` s
support. The twin is what the proof checks, and ``tests/book/test_all_sizes.py``
shows it equals the compact formula on random numbers. Entries without a proof
say why in :data:`NOT_PROVEN` (``all_sizes_missing``).
"""

from functools import lru_cache

import numpy as np
import sympy as sp

from .. import allsizes as ia
from ..allsizes import IndexArray, size_symbols
from ..allsizes_proofs import INDEX, MATRIX, prove_index_notation, prove_matrix_calculus
from ..symbolic import ProofResult
from .core import REGISTRY

__all__ = ["NOT_PROVEN", "attach", "diag_any"]

N, D, C, K = size_symbols("N D C K")


def attach(name, method, proof, twin=None, forward_twin=None):
    """Give the entry ``name`` its proof for every size, its method and (optionally) its twin.

    ``forward_twin``: the forward the proof runs, where the entry's forward cannot
    take symbolic sizes; ``tests/book/test_all_sizes.py`` shows it equals the entry's
    forward on random numbers, as it does for the twin of the compact formula.
    """
    entry = REGISTRY[name]
    entry.all_sizes_proof = lru_cache(maxsize=8)(proof)
    entry.all_sizes_method = method
    entry.all_sizes_twin = twin
    entry.all_sizes_forward = forward_twin
    return entry


def _index(name, shapes, statement, *, forward=None, twin=None, forward_twin=None, **options):
    entry = REGISTRY[name]
    forward = forward or forward_twin or entry.forward
    return attach(name, INDEX, lambda compact: prove_index_notation(
        forward, shapes, entry.wrt, compact, statement=f"{name}: {statement}", **options), twin,
        forward_twin)


def _matrix(name, shapes, statement, forward, *, twin=None):
    entry = REGISTRY[name]
    return attach(name, MATRIX, lambda compact: prove_matrix_calculus(
        forward, shapes, entry.wrt, compact, statement=f"{name}: {statement}"), twin)


def _by_sign(name, shapes, statement, *, forward=None, twin=None, **options):
    """Index notation twice, with the entries of ``Z`` all positive, then all negative.

    After the Kronecker deltas are summed away the gradient's entry ``(c0, c1)``
    depends on ``Z[c0, c1]`` alone, so the two cases cover every sign pattern.
    """
    entry = REGISTRY[name]
    forward = forward or entry.forward

    def proof(compact):
        cases = [prove_index_notation(forward, shapes, entry.wrt, compact,
                                      statement=f"{name}: {statement} (Z {sign})",
                                      assumptions={"Z": {sign: True}}, **options)
                 for sign in ("positive", "negative")]
        return ProofResult(f"{name}: {statement}, for z > 0 and z < 0 (z = 0 excluded)",
                           all(c.holds for c in cases), [c.slow for c in cases],
                           [c.fast for c in cases], {"method": INDEX, "cases": cases})
    return attach(name, INDEX, proof, twin)


def diag_any(p):
    """``np.diag(p)`` of a vector: NumPy's for numbers, ``[i = j] p_i`` for an IndexArray."""
    if isinstance(p, IndexArray):
        return IndexArray(p.shape * 2, lambda i: sp.KroneckerDelta(i[0], i[1]) * p.at(i[:1]))
    return np.diag(p)


# -- chapters 3 to 5: products -------------------------------------------------------------
_matrix("linear_map_grad_x", {"W": (C, D), "x": (D, 1)}, "dL/dx = W^T delta for all C, D",
        lambda W, x: W * x, twin=lambda delta, out, W, x: W.T @ delta)
_index("quadratic_form_grad", {"A": (D, D), "x": (D,)}, "df/dx = (A + A^T) x for all D",
       forward=lambda A, x: x @ A @ x, twin=lambda delta, out, A, x: delta * ((A + A.T) @ x))
_index("quadratic_form_grad_A", {"A": (D, D), "x": (D,)}, "df/dA = x x^T for all D",
       forward=lambda A, x: x @ A @ x,
       twin=lambda delta, out, A, x: delta * np.multiply.outer(x, x))
_index("vector_matmul_grad_W", {"x": (D,), "W": (D, C)}, "dL/dW = x^T delta for all D, C")
_index("column_matvec_grad_W", {"W": (C, D), "x": (D,)}, "dL/dW = delta x^T for all C, D")

# -- chapter 6: activations, element by element, any shape ------------------------------
_ELEMENTWISE = {"Z": (N, C)}
_index("sigmoid_grad_Z", _ELEMENTWISE, "dL/dZ = delta Y (1 - Y) for all N, C",
       forward=lambda Z: 1 / (1 + np.exp(-Z)))
_index("tanh_grad_Z", _ELEMENTWISE, "dL/dZ = delta (1 - Y^2) for all N, C")
_by_sign("relu_grad_Z", _ELEMENTWISE, "dL/dZ = delta [Z > 0] for all N, C",
         twin=lambda delta, out, Z: np.where(Z > 0, delta, 0))
_by_sign("leaky_relu_grad_Z", {**_ELEMENTWISE, "slope": ()},
         "dL/dZ = delta ([Z > 0] + a [Z <= 0]) for all N, C",
         forward=lambda Z, slope: np.where(Z > 0, Z, slope * Z))

# -- chapter 7: one layer --------------------------------------------------------------------
_index("bias_grad", {"X": (N, C), "b": (C,)}, "dL/db = 1^T delta for all N, C")
_index("one_layer_delta", {"z": (C,), "u": (C,)}, "ds/dz = u * f'(z) for all C (f = tanh)")
for _wrt in ("W", "b", "x"):
    _index(f"one_layer_grad_{_wrt}", {"W": (C, D), "x": (D,), "b": (C,), "u": (C,)},
           "the one-layer gradient for all C, D (f = tanh)")

# -- chapter 8: losses and softmax -----------------------------------------------------------
_index("mse_grad_Y", {"Y": (N, C), "T": (N, C)}, "dL/dY = (Y - T)/N for all N, C")
_SOFTMAX = REGISTRY["softmax_grad_Z"].symbolic_forward.__globals__["softmax_any"]
_index("softmax_jacobian", {"z": (C,)}, "delta^T (diag p - p p^T) for all C",
       forward=lambda z: _SOFTMAX(z),
       twin=lambda delta, out, z: delta @ (diag_any(out) - np.multiply.outer(out, out)))
_index("softmax_grad_Z", {"Z": (N, C)}, "P * (delta - sum(delta * P)) for all N, C",
       forward=lambda Z: _SOFTMAX(Z))


def _rows_sum_to_one(inputs, index):
    k = sp.Symbol("k", integer=True)
    return {sp.Sum(inputs["T"].at((index[0], k)), (k, 0, inputs["T"].shape[-1] - 1)): 1}


_index("softmax_cross_entropy_grad_Z", {"Z": (N, C), "T": (N, C)},
       "dL/dZ = (softmax(Z) - T)/N for all N, C, assuming each row of T sums to 1",
       forward=lambda Z, T: -np.sum(T * np.log(_SOFTMAX(Z))) / Z.shape[0],
       relations=_rows_sum_to_one)

# -- chapter 9: backpropagation --------------------------------------------------------------
_index("backprop_output_delta", {"Z": (N, C), "T": (N, C)}, "(X_L - T) * f'(Z_L) for all N, C")
_index("backprop_delta_recursion", {"Z": (N, D), "W": (D, C)},
       "(delta W^T) * f'(Z) for all N, D, C")
for _wrt in ("W", "X"):
    _index(f"backprop_layer_grad_{_wrt}", {"X": (N, D), "W": (D, C)},
           "the layer gradient through tanh for all N, D, C")

# -- chapter 11: mini-batches ----------------------------------------------------------------
_index("minibatch_grad_W_outer_products", {"X": (N, D), "W": (D, C)},
       "sum_n x_n^T delta_n = X^T delta for all N, D, C",
       twin=lambda delta, out, X, W: np.einsum("nd,nc->ndc", X, delta).sum(axis=0))

# -- chapter 17: the trace trick ---------------------------------------------------------------
_matrix("inverse_grad", {"X": (D, D)}, "dL/dX = -X^{-T} delta X^{-T} for all n, X invertible",
        lambda X: X.inverse())
for _wrt in ("W", "A"):
    _matrix(f"trace_quadratic_grad_{_wrt}", {"A": (D, D), "W": (D, K)},
            "the gradient of tr(W^T A W) for all D, K", lambda A, W: sp.Trace(W.T * A * W))

# -- chapter 19: a Hessian-vector product ----------------------------------------------------
_index("softmax_cross_entropy_hvp", {"Z": (N, C), "V": (N, C), "T": (N, C)},
       "H V = P * (V - sum(V * P))/N for all N, C")

# -- chapters 20 to 22: normalisation, residuals, regularisation ---------------------------
_NORM = {"X": (N, D), "gamma": (D,), "beta": (D,), "eps": ()}
for _name in ("layer_norm_grad_X", "layer_norm_grad_gamma", "layer_norm_grad_beta",
              "batch_norm_grad_X", "batch_norm_grad_gamma"):
    _index(_name, _NORM, "for all N, D and every eps > 0", assumptions={"eps": {"positive": True}})
_index("batch_norm_eval_grad_X", {**_NORM, "mean": (D,), "var": (D,)},
       "delta * gamma / sqrt(var + eps) for all N, D, var >= 0, eps > 0",
       assumptions={"eps": {"positive": True}, "var": {"nonnegative": True}})
_index("residual_grad_X", {"X": (N, D), "W": (D, D)}, "delta + (delta * (1 - tanh^2(XW))) W^T "
       "for all N, D")
_index("weight_decay_grad", {"W": (D, C), "lam": ()}, "dR/dW = lambda W for all D, C")
_index("dropout_grad_X", {"X": (N, D), "mask": (N, D), "p": ()},
       "delta * M / (1 - p) for all N, D, every mask and p")

# -- chapter 27: attention ---------------------------------------------------------------------
_T, _d, _dv = size_symbols("T d d_v")
for _prefix in ("attention", "causal_attention"):
    for _wrt in "QKV":
        _index(f"{_prefix}_grad_{_wrt}", {"Q": (_T, _d), "K": (_T, _d), "V": (_T, _dv)},
               "for all T, d, d_v" + (", masked weights exactly 0" if "causal" in _prefix else ""))


# -- the second part of issue 23: twins of scatter-adds, reshapes, paddings -----------------

# chapter 11: the bias folded into the weights ([X 1] [W; b^T])
_index("bias_as_weight_row_grad", {"X": (N, D), "Wb": (D + 1, C)},
       "dL/d[W; b] = [X^T delta; 1^T delta] for all N, D, C",
       forward_twin=lambda X, Wb: ia.concatenate([X, ia.ones((X.shape[0], 1))], axis=1) @ Wb,
       twin=lambda delta, out, X, Wb: ia.concatenate(
           [X.T @ delta, np.sum(delta, axis=0)[None, :]], axis=0))

# chapter 20: the Jacobian of one normalised row, J = (I - 11^T/D - xhat xhat^T/D)/s
_STANDARDIZE = REGISTRY["layer_norm_grad_X"].forward.__globals__["standardize_any"]


def _row_jacobian_twin(delta, out, x, eps):
    xhat, inv_std = _STANDARDIZE(x, -1, eps)
    D_ = x.shape[0]
    return delta @ ((ia.eye(D_) - 1 / D_ - np.multiply.outer(xhat, xhat) / D_) * inv_std[0])


_index("layer_norm_row_jacobian", {"x": (D,), "eps": ()},
       "delta^T (I - 11^T/D - xhat xhat^T/D)/s for all D and every eps > 0",
       twin=_row_jacobian_twin, assumptions={"eps": {"positive": True}})

# chapter 26: the embedding's scatter-add is the product with the one-hot matrix E
_V, _T = size_symbols("V T")
_index("embedding_grad_W", {"W": (_V, D), "idx": (N, _T)},
       "dL/dW = E^T delta, E[(n, t), v] = [idx[n, t] = v], for all V, D, N, T and every "
       "integer index array with entries in [0, V) (repeats accumulate)",
       forward_twin=lambda W, idx: W[idx], assumptions={"idx": {"integer": True}},
       twin=lambda delta, out, W, idx: np.einsum("ntv,ntd->vd", ia.one_hot(idx, W.shape[0]),
                                                 delta))

# chapter 28: learned positions, and the cross-entropy over every position
_L = size_symbols("max_len")
_index("positional_grad_P", {"X": (N, _T, D), "P": (_L, D)},
       "dL/dP = [sum_n delta_n; 0] for all N, T, D and max_len >= T",
       twin=lambda delta, out, X, P: ia.concatenate(
           [delta.sum(axis=0), ia.zeros((P.shape[0] - X.shape[1], X.shape[2]))], axis=0))


def _targets_sum_to_one(inputs, index):
    k = sp.Symbol("k", integer=True)
    return {sp.Sum(inputs["T"].at((index[0], index[1], k)),
                   (k, 0, inputs["T"].shape[-1] - 1)): 1}


_index("sequence_cross_entropy_grad_Z", {"Z": (N, _T, C), "T": (N, _T, C)},
       "dL/dZ = (softmax(Z) - T)/(N T) for all N, T, C, assuming each target row sums to 1",
       forward_twin=lambda Z, T: -np.sum(T * np.log(_SOFTMAX(Z))) / (Z.shape[0] * Z.shape[1]),
       twin=lambda delta, out, Z, T: delta * (_SOFTMAX(Z) - T) / (Z.shape[0] * Z.shape[1]),
       relations=_targets_sum_to_one)

# chapter 18: Y = AXB; the Kronecker matrix kept as its 4-index array (np.kron of a (P, Q) and
# an (R, S) matrix is multiply.outer(a, b)[i, j, k, l] at row i R + k, column j S + l), vec and
# unvec as the index pairs they stand for (column-major vec: (p, q) <-> p + P q)
_P, _M, _Q = size_symbols("P M Q")
_KRON = {"A": (_P, _M), "X": (_M, N), "B": (N, _Q)}
_index("kron_vec_column", _KRON, "unvec((B^T kron A)^T vec delta) = A^T delta B^T for all P, M, "
       "N, Q", twin=lambda delta, out, A, X, B: np.einsum(
           "qnpm,pq->mn", np.multiply.outer(B.T, A), delta))
_index("kron_vec_row", _KRON, "unvec_r((A kron B^T)^T vec_r delta) = A^T delta B^T for all P, "
       "M, N, Q", twin=lambda delta, out, A, X, B: np.einsum(
           "pmqn,pq->mn", np.multiply.outer(A, B.T), delta))

# chapter 23: 1-D correlation, stride s and padding p fixed by the entry, lengths n, k symbolic.
# The twins restate correlate1d, pad1d, dilate, correlate1d_grad_w/_x index by index:
# x~_j = x_{j-p} [p <= j <= n-1+p];  delta^(s)_r = sum_i [r = s i] delta_i (r < (m-1)s+1);
# y_i = sum_t w_t x~_{s i + t};  dw_t = sum_r x~_{t+r} delta^(s)_r;
# full_j = sum_t w_t delta^(s)_{j-t} [0 <= j - t < (m-1)s+1], dx_c = full_{c+p}.
_n, _k = size_symbols("n k")


def _sum(body, size):
    r = ia.fresh_index("r")
    return sp.Sum(body(r), (r, 0, size - 1))


def pad_twin(x, p):
    """``pad1d(x, p)``: ``x̃_j = x_{j−p} [p ≤ j ≤ n − 1 + p]``."""
    n = x.shape[0]
    return IndexArray((n + 2 * p,), lambda j: x.at((j[0] - p,)) * ia.between(j[0], p, n - 1 + p))


def dilate_twin(delta, s):
    """``dilate(δ, s)``: ``δ⁽ˢ⁾_r = Σ_i [r = s i] δ_i``, length ``(m − 1)s + 1``."""
    m = delta.shape[0]
    return IndexArray(((m - 1) * s + 1,), lambda r: _sum(
        lambda i: sp.KroneckerDelta(r[0], s * i) * delta.at((i,)), m))


def correlate1d_twin(s, p):
    def forward(x, w):
        xp, k = pad_twin(x, p), w.shape[0]
        m = (x.shape[0] + 2 * p - k) // s + 1
        return IndexArray((m,), lambda i: _sum(lambda t: w.at((t,)) * xp.at((s * i[0] + t,)), k))
    return forward


def correlate1d_grad_w_twin(s, p):
    def twin(delta, out, x, w):
        xp, d = pad_twin(x, p), dilate_twin(delta, s)
        return IndexArray(w.shape, lambda t: _sum(
            lambda r: xp.at((t[0] + r,)) * d.at((r,)), d.shape[0]))
    return twin


def correlate1d_grad_x_twin(s, p):
    def twin(delta, out, x, w):
        d = dilate_twin(delta, s)
        full = IndexArray((x.shape[0] + 2 * p,), lambda j: _sum(
            lambda t: w.at((t,)) * d.at((j[0] - t,)) * ia.between(j[0] - t, 0, d.shape[0] - 1),
            w.shape[0]))
        return IndexArray(x.shape, lambda c: full.at((c[0] + p,)))
    return twin


for _suffix, _s, _p in (("", 1, 0), ("_strided", 2, 1)):
    for _wrt, _twin in (("w", correlate1d_grad_w_twin), ("x", correlate1d_grad_x_twin)):
        _index(f"conv1d{_suffix}_grad_{_wrt}", {"x": (_n,), "w": (_k,)},
               f"stride {_s}, padding {_p}, for all n, k with k <= n + {2 * _p}",
               forward_twin=correlate1d_twin(_s, _p), twin=_twin(_s, _p))

# chapter 24: 2-D convolution, stride (2, 1) and padding (1, 1) as in the entries, every size
# symbolic. im2col's matrix is kept as its 6-index array cols[n, i, j, c, u, v] (row (n, i, j),
# column (c, u, v), as im2col orders them) = X[n, c, s_h i + u - p_h, s_w j + v - p_w] inside
# the image, 0 in the padding; col2im adds dcols[n, i, j, c, u, v] into X[n, c, h, w] where
# s_h i + u - p_h = h and s_w j + v - p_w = w; _delta_rows is delta[n, o, i, j] read at (n, i, j).
_C_in, _C_out, _H, _W, _kh, _kw = size_symbols("C C_out H W k_h k_w")
_CONV2D_STRIDE, _CONV2D_PADDING = (2, 1), (1, 1)


def im2col_twin(X, kernel, stride, padding):
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    N_, C_, H_, W_ = X.shape
    OH, OW = (H_ + 2 * ph - kh) // sh + 1, (W_ + 2 * pw - kw) // sw + 1
    return IndexArray((N_, OH, OW, C_, kh, kw), lambda q: X.at(
        (q[0], q[3], sh * q[1] + q[4] - ph, sw * q[2] + q[5] - pw))
        * ia.between(sh * q[1] + q[4], ph, H_ - 1 + ph)
        * ia.between(sw * q[2] + q[5], pw, W_ - 1 + pw))


def conv2d_forward_twin(X, K, b=None):
    cols = im2col_twin(X, K.shape[2:], _CONV2D_STRIDE, _CONV2D_PADDING)
    Y = np.einsum("nijcuv,ocuv->noij", cols, K)
    return Y if b is None else Y + b[None, :, None, None]


def conv2d_grad_W_twin(delta, out, X, K):
    cols = im2col_twin(X, K.shape[2:], _CONV2D_STRIDE, _CONV2D_PADDING)
    return np.einsum("nijcuv,noij->ocuv", cols, delta)


def conv2d_grad_X_twin(delta, out, X, K):
    (sh, sw), (ph, pw) = _CONV2D_STRIDE, _CONV2D_PADDING
    dcols = np.einsum("noij,ocuv->nijcuv", delta, K)
    _, OH, OW, _, kh, kw = dcols.shape

    def entry(q):
        n, c, h, w = q
        i, j, u, v = (ia.fresh_index(x) for x in "ijuv")
        body = dcols.at((n, i, j, c, u, v)) * sp.KroneckerDelta(sh * i + u - ph, h) \
            * sp.KroneckerDelta(sw * j + v - pw, w)
        return sp.Sum(sp.Sum(sp.Sum(sp.Sum(body, (v, 0, kw - 1)), (u, 0, kh - 1)),
                             (j, 0, OW - 1)), (i, 0, OH - 1))
    return IndexArray(X.shape, entry)


_CONV2D = {"X": (N, _C_in, _H, _W), "K": (_C_out, _C_in, _kh, _kw)}
_index("conv2d_grad_W", _CONV2D, "dL/dK = cols^T delta for all N, C, C_out, H, W, k_h, k_w "
       "(stride (2, 1), padding (1, 1))", forward_twin=conv2d_forward_twin,
       twin=conv2d_grad_W_twin)
_index("conv2d_grad_X", _CONV2D, "dL/dX = col2im(delta K_mat^T) for all N, C, C_out, H, W, "
       "k_h, k_w (stride (2, 1), padding (1, 1))", forward_twin=conv2d_forward_twin,
       twin=conv2d_grad_X_twin)
_index("conv2d_grad_b", {**_CONV2D, "b": (_C_out,)}, "dL/db = delta summed over n, i, j for "
       "all sizes (stride (2, 1), padding (1, 1))", forward_twin=conv2d_forward_twin)

NOT_PROVEN = {
    "logdet_grad": "log det X: SymPy 1.14 differentiates log(Determinant(X)) to 0 and leaves "
                   "det X underived, and index notation has no det for symbolic n",
    "gaussian_loglik_grad_cov": "contains log det Sigma (see logdet_grad)",
    "gaussian_loglik_grad_precision": "contains log det Lambda (see logdet_grad)",
    "rnn_grad_Wh": "BPTT: the forward and rnn_grads loop over range(T) in Python, which a "
                   "symbolic T cannot drive; no closed form of the recursion is stated",
    "rnn_grad_Wx": "BPTT: as rnn_grad_Wh", "rnn_grad_b": "BPTT: as rnn_grad_Wh",
    "rnn_grad_X": "BPTT: as rnn_grad_Wh", "rnn_grad_h0": "BPTT: as rnn_grad_Wh",
    "self_attention_grad_X": "the twins of the head split run (all_sizes_heads.py, as for Wo "
                             "and Wv), but the derivative sums a column k over 0..H d_h - 1 "
                             "with a bracket [h d_h <= k < (h+1) d_h] that decide() cannot "
                             "shift to the twin's k = h d_h + j, 0 <= j < d_h",
    "self_attention_grad_Wq": "as self_attention_grad_X", "self_attention_grad_Wk":
        "as self_attention_grad_X",
}
"""Entries that carry no proof for every size, and why."""

for _name, _reason in NOT_PROVEN.items():
    REGISTRY[_name].all_sizes_missing = _reason

from . import all_sizes_heads, all_sizes_pool  # noqa: E402,F401  (head split; max pooling)
