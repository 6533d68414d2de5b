"""Chapter 27 (attention): full Jacobians for the sparsity figure, and the memory table."""

from ...autodiff import graph
from ...autodiff import sequence as ads

__all__ = ["self_attention_jacobian", "memory_table", "format_bytes"]


def self_attention_jacobian(X, Wq, Wk, Wv, Wo, *, n_heads=1, causal=False):
    """Full Jacobian ``∂Y/∂X`` of one sequence, ``(T, D, T, D)``, by reverse mode (exact zeros)."""
    T, D = X.shape
    return graph.reverse_mode_jacobian(
        lambda x: ads.self_attention(x.reshape(1, T, D), Wq, Wk, Wv, Wo, n_heads=n_heads,
                                     causal=causal).reshape(T, D), X)


def format_bytes(n):
    """``n`` bytes in the largest binary unit that keeps a number ≥ 1 (B, KiB, … TiB)."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024


def memory_table(T, d_model, n_heads, *, N=1, itemsize=8):
    """Bytes of the full Jacobians of one attention layer against its compact backward.

    Rows (entries × ``itemsize``, for ``N`` sequences of length ``T``):

    * ``∂Y/∂X`` in full: ``(N T D)²`` entries;
    * one ``T × T`` softmax Jacobian per row of every head: ``N H T³``;
    * the compact backward's cache: ``X``, ``Q``, ``K``, ``V``, ``C`` (``5 N T D``)
      and ``A`` (``N H T²``);

    Returns
    -------
    list of (str, int)
        Label and bytes.
    """
    D, H = d_model, n_heads
    return [("full Jacobian dY/dX", (N * T * D) ** 2 * itemsize),
            ("row-softmax Jacobians, all heads", N * H * T ** 3 * itemsize),
            ("compact backward: X, Q, K, V, C and A", (5 * N * T * D + N * H * T * T) * itemsize)]
