r"""Proofs for every size, attached to the registry entries (``extra["all_sizes_proof"]``).

Each entry below gets ``extra["all_sizes_proof"]`` (a callable taking the
compact formula to check and returning a :class:`~nnmath.book.symbolic.ProofResult`)
and ``extra["all_sizes_method"]``, ``"index notation"`` or ``"matrix calculus"``
(:mod:`nnmath.book.allsizes_proofs`). The proof runs the entry's own compact
formula on inputs of symbolic size. Where that formula is a NumPy function
that cannot take them (it calls ``np.asarray``, ``np.diag``, ...), the entry
names a *twin* in ``extra["all_sizes_twin"]``: the function's formula written
with operations both NumPy arrays and :class:`~nnmath.book.allsizes.IndexArray` s
support. The twin is what the proof checks, and ``tests/test_all_sizes.py``
shows it equals the compact formula on random numbers. Entries without a proof
say why in :data:`NOT_PROVEN`.
"""

from functools import lru_cache

import numpy as np
import sympy as sp

from ..allsizes import IndexArray, size_symbols
from ..allsizes_proofs import INDEX, MATRIX, prove_index_notation, prove_matrix_calculus
from ..symbolic import ProofResult
from .core import REGISTRY

__all__ = ["NOT_PROVEN", "attach", "diag_any"]

N, D, C, K = size_symbols("N D C K")


def attach(name, method, proof, twin=None):
    """Give the entry ``name`` its proof for every size, its method and (optionally) its twin."""
    entry = REGISTRY[name]
    entry.extra["all_sizes_proof"] = lru_cache(maxsize=8)(proof)
    entry.extra["all_sizes_method"] = method
    if twin is not None:
        entry.extra["all_sizes_twin"] = twin
    return entry


def _index(name, shapes, statement, *, forward=None, twin=None, **options):
    entry = REGISTRY[name]
    forward = forward or entry.forward
    return attach(name, INDEX, lambda compact: prove_index_notation(
        forward, shapes, entry.wrt, compact, statement=f"{name}: {statement}", **options), twin)


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
for _name in ("matmul_grad_W", "matmul_grad_X"):
    REGISTRY[_name].extra["all_sizes_method"] = INDEX

# -- chapter 6: activations, element by element, any shape ------------------------------
_ELEMENTWISE = {"Z": (N, C)}
_index("sigmoid_backward", _ELEMENTWISE, "dL/dZ = delta Y (1 - Y) for all N, C",
       forward=lambda Z: 1 / (1 + np.exp(-Z)))
_index("tanh_backward", _ELEMENTWISE, "dL/dZ = delta (1 - Y^2) for all N, C")
_by_sign("relu_backward", _ELEMENTWISE, "dL/dZ = delta [Z > 0] for all N, C",
         twin=lambda delta, out, Z: np.where(Z > 0, delta, 0))
_by_sign("leaky_relu_backward", {**_ELEMENTWISE, "slope": ()},
         "dL/dZ = delta ([Z > 0] + a [Z <= 0]) for all N, C",
         forward=lambda Z, slope: np.where(Z > 0, Z, slope * Z))

# -- chapter 7: one layer --------------------------------------------------------------------
_index("bias_grad", {"X": (N, C), "b": (C,)}, "dL/db = 1^T delta for all N, C")
_index("one_layer_delta", {"z": (C,), "u": (C,)}, "ds/dz = u * f'(z) for all C (f = tanh)")
for _wrt in ("W", "b", "x"):
    _index(f"one_layer_grad_{_wrt}", {"W": (C, D), "x": (D,), "b": (C,), "u": (C,)},
           "the one-layer gradient for all C, D (f = tanh)")

# -- chapter 8: losses and softmax -----------------------------------------------------------
_index("mse_grad", {"Y": (N, C), "T": (N, C)}, "dL/dY = (Y - T)/N for all N, C")
_SOFTMAX = REGISTRY["softmax_backward"].symbolic_forward.__globals__["softmax_any"]
_index("softmax_jacobian", {"z": (C,)}, "delta^T (diag p - p p^T) for all C",
       forward=lambda z: _SOFTMAX(z),
       twin=lambda delta, out, z: delta @ (diag_any(out) - np.multiply.outer(out, out)))
_index("softmax_backward", {"Z": (N, C)}, "P * (delta - sum(delta * P)) for all N, C",
       forward=lambda Z: _SOFTMAX(Z))


def _rows_sum_to_one(inputs, index):
    k = sp.Symbol("k", integer=True)
    return {sp.Sum(inputs["T"].at((index[0], k)), (k, 0, inputs["T"].shape[-1] - 1)): 1}


_index("softmax_cross_entropy_grad", {"Z": (N, C), "T": (N, C)},
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
_index("dropout_backward", {"X": (N, D), "mask": (N, D), "p": ()},
       "delta * M / (1 - p) for all N, D, every mask and p")

# -- chapter 27: attention ---------------------------------------------------------------------
_T, _d, _dv = size_symbols("T d d_v")
for _prefix in ("attention", "causal_attention"):
    for _wrt in "QKV":
        _index(f"{_prefix}_grad_{_wrt}", {"Q": (_T, _d), "K": (_T, _d), "V": (_T, _dv)},
               "for all T, d, d_v" + (", masked weights exactly 0" if "causal" in _prefix else ""))

NOT_PROVEN = {
    "logdet_grad": "log det X: SymPy 1.14 differentiates log(Determinant(X)) to 0 and leaves "
                   "det X underived, and index notation has no det for symbolic n",
    "gaussian_loglik_grad_cov": "contains log det Sigma (see logdet_grad)",
    "gaussian_loglik_grad_precision": "contains log det Lambda (see logdet_grad)",
    "rnn_grad_Wh": "BPTT: the forward and rnn_backward loop over range(T) in Python, which a "
                   "symbolic T cannot drive; no closed form of the recursion is stated",
    "rnn_grad_Wx": "BPTT: as rnn_grad_Wh", "rnn_grad_b": "BPTT: as rnn_grad_Wh",
    "rnn_grad_X": "BPTT: as rnn_grad_Wh", "rnn_grad_h0": "BPTT: as rnn_grad_Wh",
    "self_attention_grad_X": "the heads are split by reshape, which symbolic sizes do not "
                             "support (index arithmetic h*D/H + e is not summed away)",
    "self_attention_grad_Wq": "as self_attention_grad_X", "self_attention_grad_Wk":
        "as self_attention_grad_X", "self_attention_grad_Wv": "as self_attention_grad_X",
    "self_attention_grad_Wo": "as self_attention_grad_X",
    "maxpool2d_grad_X": "max over a window: SymPy has no derivative of a max of a symbolic "
                        "number of entries; a twin with a symbolic argmax is not written yet",
    "maxpool2d_overlapping_grad_X": "as maxpool2d_grad_X",
    "embedding_grad_W": "the compact formula is a scatter-add (np.add.at); its index-notation "
                        "twin is not written yet",
    "kron_vec_column": "the compact formula reshapes a Kronecker product (np.kron); "
                       "kronecker_form_proof proves the Jacobian's form, not the NumPy function",
    "kron_vec_row": "as kron_vec_column",
    "conv1d_grad_w": "correlate1d_grad_w takes len(w) and loops in NumPy; index_notation_proof "
                     "proves the formula, a twin that runs the function is not written yet",
    "conv1d_grad_x": "as conv1d_grad_w", "conv1d_strided_grad_w": "as conv1d_grad_w",
    "conv1d_strided_grad_x": "as conv1d_grad_w",
    "conv2d_grad_W": "im2col and reshape to symbolic sizes are not supported",
    "conv2d_grad_X": "im2col, col2im and reshape to symbolic sizes are not supported",
    "conv2d_grad_b": "the forward runs im2col; an index-notation twin of it is not written yet",
    "layer_norm_row_jacobian": "row_jacobian builds np.eye(D) and an outer product of "
                               "fixed size; a twin is not written yet",
    "bias_as_weight_row_grad": "np.concatenate with np.ones of a symbolic size; a twin is "
                               "not written yet",
    "positional_grad_P": "positional_grad_P fills np.zeros((max_len, D)) by slicing; a twin "
                         "is not written yet",
    "sequence_cross_entropy_grad": "the forward and compact reshape (N, T, C) to (N T, C); a "
                                   "twin is not written yet",
}
"""Entries that carry no proof for every size, and why."""

for _name, _reason in NOT_PROVEN.items():
    REGISTRY[_name].extra["all_sizes_missing"] = _reason
