"""Time and memory: gradient by full Jacobian contraction vs the compact formula.

For ``Y = X W`` with ``N = D = C = n`` the slow route builds the 4-D Jacobian
``∂Y/∂W`` (``n⁴`` entries) and contracts it with ``δ``; the compact route is one
product ``Xᵀδ`` (``n³`` multiply-adds, ``n²`` memory). Run: ``make bench``.
"""

import os
import sys

import numpy as np

from nnmath.book.jacobians import contract_with_upstream, jacobian_memory, matrix_by_matrix_jacobian_W
from nnmath.matmul import matmul_grad_W

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import best_time  # noqa: E402


def main():
    rng = np.random.default_rng(0)
    print(f"{'n':>4} {'full J bytes':>14} {'compact bytes':>14} {'slow s':>10} {'fast s':>10} {'slow/fast':>10}")
    rows = []
    for n in (8, 16, 32, 48, 64):
        X, W, delta = (rng.standard_normal((n, n)) for _ in range(3))
        slow = best_time(lambda: contract_with_upstream(matrix_by_matrix_jacobian_W(X, W), delta), 5)
        fast = best_time(lambda: matmul_grad_W(delta, X), 5)
        assert np.allclose(contract_with_upstream(matrix_by_matrix_jacobian_W(X, W), delta),
                           matmul_grad_W(delta, X))
        mem = jacobian_memory(n, n, n)
        rows.append((n, slow, fast))
        print(f"{n:>4} {mem['dY/dW']:>14,} {mem['dL/dW']:>14,} {slow:>10.2e} {fast:>10.2e} {slow / fast:>10.0f}")
    # Scaling exponent k in time ~ n^k: least squares on log-log over the sizes >= 16.
    n, slow, fast = (np.array(col[1:], dtype=float) for col in zip(*rows))
    print(f"time exponent, slow route: {np.polyfit(np.log(n), np.log(slow), 1)[0]:.1f} "
          f"(theory 4: building and contracting n^4 entries)")
    print(f"time exponent, compact:    {np.polyfit(np.log(n), np.log(fast), 1)[0]:.1f} "
          f"(theory 3; lower while call overhead dominates small products)")
    mem = jacobian_memory(64, 4096, 4096)
    print(f"a real layer, N=64, D=C=4096, float64: full dY/dW {mem['dY/dW'] / 2**40:.1f} TiB, "
          f"compact dL/dW {mem['dL/dW'] / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
