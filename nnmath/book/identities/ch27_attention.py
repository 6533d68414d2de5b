"""Registry entries for scaled dot-product attention and self-attention (chapter 27).

The compact formulas are :func:`nnmath.attention.attention_grads` and
:func:`nnmath.attention.self_attention_grads`, the functions
:class:`~nnmath.SelfAttention` calls. Both need the attention weights ``A``; for
numbers they come from :func:`nnmath.attention.attention_forward`, for SymPy
symbols from :func:`sym_attention`, the textbook softmax of chapter 8 with the
masked entries set to exactly 0. The SymPy checks use ``d = 4`` for the core
entries, so the factor ``1/√d = 1/2`` is exact and a formula that drops it fails.

SymPy merges ``exp(a)·exp(b)`` into ``exp(a + b)``, and ``simplify`` then grinds
for many seconds on what is a rational function of the exponentials. The
symbolic forwards therefore write the exponential as :class:`Exp`, which SymPy
differentiates as ``exp`` (``Exp' = Exp``) but never merges; the difference of
the two routes is then a rational function of the symbols and of the ``Exp``
atoms, and :func:`is_rational_zero` decides it exactly by cancelling it with
every atom replaced by a fresh symbol. That substitution is sound: a rational
function that is identically zero stays zero whatever values the atoms take.
"""

import numpy as np
import sympy as sp

from ... import attention as att
from ..allsizes import IndexArray
from ..symbolic import ProofResult, contract, jacobian_tensor, symbol_array
from .core import IdentityEntry, register


def _ad():
    from ...autodiff import sequence
    return sequence


class Exp(sp.Function):
    """The exponential, as a SymPy function that is never merged: ``Exp' = Exp``."""

    def fdiff(self, argindex=1):
        return self

    def _eval_evalf(self, prec):
        return sp.exp(self.args[0])._eval_evalf(prec)


_sym_Exp = np.vectorize(Exp, otypes=[object])


def is_rational_zero(A, *, seed=0):
    """True when every entry of ``A`` is exactly 0 as a rational function of symbols and Exp atoms.

    A random rational point refutes a non-zero entry first (cheaply); the
    others are cancelled exactly with each ``Exp(...)`` replaced by a symbol.
    """
    rng = np.random.default_rng(seed)
    entries = [sp.sympify(a) for a in np.asarray(A, dtype=object).flat]
    symbols = set().union(*[e.free_symbols for e in entries])
    point = {x: sp.Rational(int(rng.integers(11, 90)), 100) for x in symbols}
    if any(abs(complex(e.xreplace(point).evalf(30))) > 1e-9 for e in entries):
        return False
    atoms = sorted(set().union(*[e.atoms(Exp) for e in entries]), key=sp.default_sort_key)
    fresh = {a: sp.Symbol(f"E_{i}", positive=True) for i, a in enumerate(atoms)}
    return all(sp.cancel(sp.together(e.xreplace(fresh))) == 0 for e in entries)


def prove_exp_rational(forward, sizes, wrt, compact, name):
    """Like :func:`nnmath.book.symbolic.prove_vjp` at each of ``sizes``, decided by :func:`is_rational_zero`."""
    results = []
    for shapes in sizes:
        inputs = {k: symbol_array(k, shape, real=True) for k, shape in shapes.items()}
        out = np.asarray(forward(**inputs), dtype=object)
        delta = symbol_array(r"\delta", out.shape)
        slow = contract(jacobian_tensor(out, inputs[wrt]), delta)
        fast = np.asarray(compact(delta, out, **inputs), dtype=object)
        holds = fast.shape == slow.shape and is_rational_zero(slow - fast)
        results.append(ProofResult(f"{name} at {shapes}", holds, slow, fast))
    return results


def sym_attention(Q, K, V, mask=None):
    """``(Y, A)`` of attention on object arrays: ``Exp`` of the scores, 0 where masked."""
    S = (Q @ np.swapaxes(K, -1, -2)) * sp.Integer(Q.shape[-1]) ** sp.Rational(-1, 2)
    E = _sym_Exp(S)
    if mask is not None:
        E = np.where(mask, E, 0)
    A = E / np.sum(E, axis=-1, keepdims=True)
    return A @ V, A


def attention_any(Q, K, V, mask=None):
    """``(Y, A)``: the library's stable attention for numbers, :func:`sym_attention` for symbols.

    For :class:`~nnmath.book.allsizes.IndexArray` s (symbolic ``T`` and ``d``):
    the textbook softmax of the scaled scores with NumPy's functions, masked
    entries exactly 0 (``np.where``).
    """
    if isinstance(Q, IndexArray):
        E = np.exp((Q @ np.swapaxes(K, -1, -2)) / sp.sqrt(Q.shape[-1]))
        E = E if mask is None else np.where(mask, E, 0)
        A = E / np.sum(E, axis=-1, keepdims=True)
        return A @ V, A
    if np.asarray(Q).dtype == object:
        return sym_attention(Q, K, V, mask)
    return att.attention_forward(Q, K, V, mask)


# -- scaled dot-product attention: dQ, dK, dV ------------------------------------------

def _mask(causal, T):
    """The causal mask; for a symbolic ``T`` the :class:`~nnmath.book.allsizes.IndexArray` ``[s ≤ t]``."""
    if not causal:
        return None
    if isinstance(T, sp.Basic) and not T.is_Integer:
        return IndexArray((T, T), lambda i: sp.Le(i[1], i[0]))
    return att.causal_mask(T)


def attention_compact(wrt, causal):
    """The ``wrt`` component of :func:`nnmath.attention.attention_grads`."""
    def compact(delta, out, Q, K, V):
        _, A = attention_any(Q, K, V, _mask(causal, Q.shape[-2]))
        return att.attention_grads(delta, Q, K, V, A)["QKV".index(wrt)]
    return compact


def _sample_attention(rng, N=2, T=4, d=4, dv=3):
    return {"Q": rng.standard_normal((N, T, d)), "K": rng.standard_normal((N, T, d)),
            "V": rng.standard_normal((N, T, dv))}


ATTENTION_SIZES = ({"Q": (2, 4), "K": (2, 4), "V": (2, 1)},   # d = 4: 1/√d = 1/2
                   {"Q": (3, 1), "K": (3, 1), "V": (3, 1)})

ATTENTION_LATEX = {
    "V": r"\frac{\partial L}{\partial V} = A^{\top} \delta",
    "Q": (r"\frac{\partial L}{\partial Q} = \frac{1}{\sqrt d}\, dS\, K,\quad "
          r"dS_{t,:} = \vb{a}_t \odot \bigl(dA_{t,:} - \langle dA_{t,:}, \vb{a}_t \rangle\bigr),"
          r"\; dA = \delta V^{\top}"),
    "K": (r"\frac{\partial L}{\partial K} = \frac{1}{\sqrt d}\, dS^{\top} Q,\quad "
          r"dS_{t,:} = \vb{a}_t \odot \bigl(dA_{t,:} - \langle dA_{t,:}, \vb{a}_t \rangle\bigr),"
          r"\; dA = \delta V^{\top}"),
}

for _causal in (False, True):
    for _wrt in "VQK":
        _prefix = "causal_attention" if _causal else "attention"
        _forward = (lambda causal: lambda Q, K, V: attention_any(
            Q, K, V, _mask(causal, np.shape(Q)[-2]))[0])(_causal)
        register(IdentityEntry(
            name=f"{_prefix}_grad_{_wrt}",
            title=(("Causal attention" if _causal else "Scaled dot-product attention")
                   + f": gradient with respect to the {dict(Q='queries', K='keys', V='values')[_wrt]}"),
            latex=((r"A = \operatorname{softmax}\Bigl(\frac{QK^{\top}}{\sqrt d}"
                    + (r" + M" if _causal else "") + r"\Bigr),\; Y = AV \;\Rightarrow\; ")
                   + ATTENTION_LATEX[_wrt]),
            shapes={"Q": "(T, d)", "K": "(T, d)", "V": "(T, d_v)", "A": "(T, T)",
                    "delta": "(T, d_v)", f"dL/d{_wrt}": {"Q": "(T, d)", "K": "(T, d)",
                                                         "V": "(T, d_v)"}[_wrt]},
            forward=_forward,
            wrt=_wrt,
            compact=attention_compact(_wrt, _causal),
            sample=_sample_attention,
            proof=(lambda f, w, n: lambda compact: prove_exp_rational(
                f, ATTENTION_SIZES, w, compact, n))(_forward, _wrt, f"{_prefix}_grad_{_wrt}"),
            tensor_forward=(lambda causal: lambda Q, K, V: _ad().scaled_dot_product_attention(
                Q, K, V, _mask(causal, Q.shape[-2]))[0])(_causal),
            notes=("Softmax row by row; a batch axis in front is allowed. "
                   + ("M is 0 on and below the diagonal and minus infinity above: masked "
                      "weights are exactly 0, so the same formula holds." if _causal else "")),
        ))


# -- multi-head self-attention with projections -----------------------------------------

HEADS = 2


def self_attention_any(X, Wq, Wk, Wv, Wo, n_heads=HEADS, causal=True):
    """Forward of :class:`nnmath.SelfAttention` as a function; returns ``(Y, cache)``."""
    N, T, D = X.shape
    X2 = X.reshape(N * T, D)
    Q, K, V = (att.split_heads((X2 @ W).reshape(N, T, D), n_heads) for W in (Wq, Wk, Wv))
    Yh, A = attention_any(Q, K, V, _mask(causal, T))
    C = att.merge_heads(Yh)
    return (C.reshape(N * T, D) @ Wo).reshape(N, T, D), (Q, K, V, A, C)


def self_attention_compact(wrt):
    """The ``wrt`` component of :func:`nnmath.attention.self_attention_grads`."""
    def compact(delta, out, X, Wq, Wk, Wv, Wo):
        _, (Q, K, V, A, C) = self_attention_any(X, Wq, Wk, Wv, Wo)
        grads = att.self_attention_grads(delta, X, Q, K, V, A, C, Wq, Wk, Wv, Wo)
        return grads[("X", "Wq", "Wk", "Wv", "Wo").index(wrt)]
    return compact


def _sample_self_attention(rng, N=2, T=4, D=4):
    W = {k: rng.standard_normal((D, D)) / np.sqrt(D) for k in ("Wq", "Wk", "Wv", "Wo")}
    return {"X": rng.standard_normal((N, T, D)), **W}


SELF_ATTENTION_LATEX = {
    "X": r"\frac{\partial L}{\partial X} = dQ\, W_q^{\top} + dK\, W_k^{\top} + dV\, W_v^{\top}",
    "Wq": r"\frac{\partial L}{\partial W_q} = X^{\top} dQ",
    "Wk": r"\frac{\partial L}{\partial W_k} = X^{\top} dK",
    "Wv": r"\frac{\partial L}{\partial W_v} = X^{\top} dV",
    "Wo": r"\frac{\partial L}{\partial W_o} = C^{\top} \delta",
}

SELF_ATTENTION_SIZES = ({"X": (1, 2, 2), "Wq": (2, 2), "Wk": (2, 2), "Wv": (2, 2),
                         "Wo": (2, 2)},)


def prove_self_attention(wrt, compact):
    """The SymPy check of a self-attention gradient formula at :data:`SELF_ATTENTION_SIZES`."""
    return prove_exp_rational(lambda **a: self_attention_any(**a)[0], SELF_ATTENTION_SIZES,
                              wrt, compact, f"self_attention_grad_{wrt}")

for _wrt in ("X", "Wq", "Wk", "Wv", "Wo"):
    register(IdentityEntry(
        name=f"self_attention_grad_{_wrt}",
        title=f"Multi-head causal self-attention: gradient with respect to {_wrt}",
        latex=(r"Y = \operatorname{concat}_h\bigl(\operatorname{attn}(XW_q^{(h)}, XW_k^{(h)},"
               r" XW_v^{(h)})\bigr) W_o = C W_o \;\Rightarrow\; " + SELF_ATTENTION_LATEX[_wrt]),
        shapes={"X": "(N T, D)", "Wq, Wk, Wv, Wo": "(D, D)", "C": "(N T, D)",
                "dQ, dK, dV": "(N T, D) (heads side by side)", "delta": "(N T, D)"},
        forward=lambda X, Wq, Wk, Wv, Wo: self_attention_any(X, Wq, Wk, Wv, Wo)[0],
        wrt=_wrt,
        compact=self_attention_compact(_wrt),
        sample=_sample_self_attention,
        proof=(lambda w: lambda compact: prove_self_attention(w, compact))(_wrt),
        tensor_forward=lambda X, Wq, Wk, Wv, Wo: _ad().self_attention(
            X, Wq, Wk, Wv, Wo, n_heads=HEADS, causal=True),
        notes=("Two heads, causal mask; dQ, dK, dV are the per-head gradients of "
               "attention_grad_Q/K/V side by side. The SymPy check uses D = 2 "
               "(one column per head)."),
    ))
