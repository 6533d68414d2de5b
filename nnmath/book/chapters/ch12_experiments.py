r"""Chapter 12 (experiments): the best a 1-k-1 ReLU network can do, by least squares over its kinks.

A network ``Linear(1, k) → ReLU → Linear(k, 1)`` computes

.. math:: g(x) = c + \sum_{j=1}^{k} a_j \max\bigl(0, w_j x + b_j\bigr).

With ``w_j ≠ 0`` unit ``j`` is ``|w_j| \max(0, s_j (x − β_j))`` with the kink
``β_j = −b_j / w_j`` and the orientation ``s_j = sign(w_j)``; ``|w_j|`` can be
absorbed into ``a_j``. So once the kinks and orientations are fixed, ``g`` is
*linear* in ``(c, a_1, …, a_k)`` and the best of them is a least-squares
problem. :func:`best_relu_fit` searches the kinks on a grid (every orientation
pattern), then refines the best one by a shrinking coordinate search; every
candidate it evaluates is an actual network of this shape.
"""

from itertools import combinations, product

import numpy as np

__all__ = ["relu_features", "least_squares_fit", "best_relu_fit", "to_network"]


def relu_features(x, kinks, signs):
    """Columns ``1, max(0, s_j (x − β_j))`` of the least-squares problem, shape ``(M, k + 1)``.

    ``kinks`` and ``signs`` may carry leading batch axes: shape ``(..., k)``
    gives features of shape ``(..., M, k + 1)``.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    kinks, signs = np.asarray(kinks, dtype=np.float64), np.asarray(signs, dtype=np.float64)
    units = np.maximum(0.0, signs[..., None, :] * (x[:, None] - kinks[..., None, :]))
    ones = np.ones(units.shape[:-1] + (1,))
    return np.concatenate([ones, units], axis=-1)


def least_squares_fit(x, y, kinks, signs):
    """Best ``(c, a)`` for fixed kinks and orientations; returns ``(mse, coefficients)``.

    Batched over leading axes of ``kinks``/``signs``: ``mse`` then has their
    shape. A tiny ridge (``1e-12`` times the trace) keeps coinciding kinks solvable.
    """
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    F = relu_features(x, kinks, signs)                                 # (..., M, k+1)
    G = np.einsum("...mi,...mj->...ij", F, F)
    ridge = 1e-12 * np.trace(G, axis1=-2, axis2=-1)[..., None, None] * np.eye(G.shape[-1])
    coef = np.linalg.solve(G + ridge, np.einsum("...mi,m->...i", F, y)[..., None])[..., 0]
    residual = np.einsum("...mi,...i->...m", F, coef) - y
    return np.mean(residual ** 2, axis=-1), coef


def best_relu_fit(x, y, k=3, *, grid=None, refine_steps=20, search_every=5):
    """Search kinks and orientations of a 1-k-1 ReLU network for the least mean squared error.

    Parameters
    ----------
    x, y : array, shape (M,)
        Points and target values (the error is the mean over them).
    k : int
        Hidden units.
    grid : array, optional
        Candidate kinks (default: 21 points across ``[min x, max x]`` and one
        left of the data, where a unit acts as a linear term).
    refine_steps : int
        Halvings of the step of the coordinate search that refines the best
        grid point (on all the points).
    search_every : int
        The grid search scores every ``search_every``-th point only (speed);
        the refinement and the returned error use all of them.

    Returns
    -------
    dict
        ``"mse"``, ``"kinks"`` (k,), ``"signs"`` (k,), ``"coef"`` ``(c, a_1..a_k)``.
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    lo, hi = float(x.min()), float(x.max())
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if grid is None:
        grid = np.concatenate([[lo - 1.0], np.linspace(lo, hi, 21)])
    triples = np.array(list(combinations(grid, k)))                    # (T, k)
    xs, ys = x[::search_every], y[::search_every]
    best = {"mse": np.inf}
    for signs in product((1.0, -1.0), repeat=k):
        s = np.broadcast_to(np.array(signs), triples.shape)
        for start in range(0, len(triples), 2000):
            mse, _ = least_squares_fit(xs, ys, triples[start:start + 2000],
                                       s[start:start + 2000])
            i = int(np.argmin(mse))
            if mse[i] < best["mse"]:
                best = {"mse": float(mse[i]), "kinks": triples[start + i].copy(),
                        "signs": np.array(signs)}
    mse, coef = least_squares_fit(x, y, best["kinks"], best["signs"])  # on all points
    best.update(mse=float(mse), coef=coef)
    step = (hi - lo) / 20
    kinks = best["kinks"]
    for _ in range(refine_steps):                                      # coordinate search
        improved = True
        while improved:
            improved = False
            for j, d in product(range(k), (-step, step)):
                trial = kinks.copy()
                trial[j] += d
                mse, coef = least_squares_fit(x, y, trial, best["signs"])
                if mse < best["mse"] - 1e-15:
                    best.update(mse=float(mse), kinks=trial, coef=coef)
                    kinks, improved = trial, True
        step /= 2
    return best


def to_network(fit, *, rng=None):
    """The :class:`nnmath.Sequential` ``Linear(1, k) → ReLU → Linear(k, 1)`` that ``fit`` describes."""
    from ... import Linear, ReLU, Sequential

    k = len(fit["kinks"])
    net = Sequential(Linear(1, k, rng=rng), ReLU(), Linear(k, 1, rng=rng))
    net.layers[0].W[...] = fit["signs"][None, :]                        # w_j = s_j
    net.layers[0].b[...] = -fit["signs"] * fit["kinks"]                 # b_j = −s_j β_j
    net.layers[2].W[:, 0] = fit["coef"][1:]
    net.layers[2].b[...] = fit["coef"][0]
    return net
