r"""Chapter 30 (curvature and the natural gradient, K-FAC): Fisher matrices, proofs, the experiment.

* The output-space Fisher of softmax cross-entropy by its definition, an
  expectation over the classes (:func:`fisher_output`), and three proofs for every
  size: it equals the Hessian ``diag(p) − ppᵀ`` for every number of classes
  (:func:`prove_fisher_equals_hessian_all_sizes`); one sample's Fisher block of a
  Linear layer is ``(ããᵀ) ⊗ (ggᵀ)`` in the row-major vec
  (:func:`prove_one_sample_kronecker_all_sizes`); ``(A ⊗ G)⁻¹ = A⁻¹ ⊗ G⁻¹``
  (:func:`prove_kron_inverse_all_sizes`).
* On a small network: the Fisher by per-class backward passes against chapter 19's
  Gauss–Newton products (:func:`fisher_by_expectation`, :func:`gauss_newton_ce`);
  the exact Fisher block of every Linear against its K-FAC approximation
  (:func:`fisher_blocks`); the natural gradient under a change of parameters
  (:func:`logistic_natural_gradient`); multiply-add counts (:func:`step_costs`).
"""

import numpy as np

from ...activations import softmax
from ...autodiff import Tensor, jvp
from ...optim.kfac import kfac_factors, tap_linear_layers

__all__ = ["fisher_output", "fisher_vp", "inverse_any", "kron_solve_dense",
           "prove_fisher_equals_hessian_all_sizes", "prove_one_sample_kronecker_all_sizes",
           "prove_kron_inverse_all_sizes", "gauss_newton_ce", "fisher_by_expectation",
           "fisher_blocks", "logistic_natural_gradient", "step_costs", "train_curve"]


def fisher_output(P):
    """``E_{y~p}[(e_y − p)(e_y − p)ᵀ]`` for each row ``p`` of ``P (N, C)``: ``(N, C, C)``.

    The expectation written out as a sum over the ``C`` classes, weight ``p_y``;
    works on float arrays and on object arrays of SymPy expressions.
    """
    P = np.asarray(P)
    E = np.eye(P.shape[1], dtype=int)
    S = E[None, :, :] - P[:, None, :]                  # S[n, y] = e_y − p_n (the score in z)
    return (P[:, :, None, None] * S[:, :, :, None] * S[:, :, None, :]).sum(axis=1)


def fisher_vp(delta, P):
    """Row ``n``: the output Fisher of ``p_n`` times ``δ_n``; ``(N, C)``."""
    return (fisher_output(P) * np.asarray(delta)[:, None, :]).sum(axis=2)


def inverse_any(A):
    """``A⁻¹``: NumPy for floats, SymPy for an object array of symbols."""
    A = np.asarray(A)
    if A.dtype == object:
        import sympy as sp
        return np.array(sp.Matrix(A).inv(), dtype=object)
    return np.linalg.inv(A)


def kron_solve_dense(M, A, G):
    """``unvec_r((A ⊗ G)⁻¹ vec_r M)`` with the dense ``(DC, DC)`` matrix: the slow route."""
    return np.linalg.solve(np.kron(A, G), np.asarray(M).reshape(-1)).reshape(np.shape(M))


def prove_fisher_equals_hessian_all_sizes(summand=None):
    r"""Prove ``Σ_y p_y (δ_yi − p_i)(δ_yj − p_j) = ∂²ℓ/∂z_i∂z_j`` for symbolic ``C``.

    ``ℓ(z) = log Σ_k e^{z_k} − z_y`` (any label ``y``); ``p_i = e^{z_i} / Σ_k e^{z_k}``.
    Two facts are told to SymPy: the indices lie in range (``i, j ≤ C − 1``, which
    picks the first branch of the ``Piecewise`` that ``KroneckerDelta`` sums give),
    and the probabilities sum to one (``Σ_y p_y = 1``); both are in
    ``details["facts"]``.

    Parameters
    ----------
    summand : callable, optional
        ``(p, y, i, j) ↦`` the outer-product entry under test; default
        ``(δ_yi − p_i)(δ_yj − p_j)`` (a test hands a wrong one).
    """
    import sympy as sp

    from ..symbolic import ProofResult

    C = sp.symbols("C", integer=True, positive=True)
    p, z = sp.IndexedBase("p"), sp.IndexedBase("z")
    y, i, j, k = sp.symbols("y i j k", integer=True, nonnegative=True)
    summand = summand or (lambda p, y, i, j: (sp.KroneckerDelta(y, i) - p[i])
                          * (sp.KroneckerDelta(y, j) - p[j]))
    in_range = {sp.Le(i, C - 1): True, sp.Le(j, C - 1): True}

    def drop_range(e):
        return e.replace(lambda x: isinstance(x, sp.Piecewise), lambda x: x.subs(in_range).doit())

    fisher = drop_range(sp.Sum(sp.expand(p[y] * summand(p, y, i, j)), (y, 0, C - 1)).doit())
    fisher = fisher.replace(lambda x: isinstance(x, sp.Sum), sp.factor_terms)
    total = sp.Sum(p[y], (y, 0, C - 1))
    fisher = sp.expand(fisher.subs(total, 1))
    norm = sp.Sum(sp.exp(z[k]), (k, 0, C - 1))
    hessian = drop_range(sp.diff(sp.log(norm) - z[y], z[i], z[j]).doit())
    as_z = fisher.subs({p[i]: sp.exp(z[i]) / norm, p[j]: sp.exp(z[j]) / norm})
    holds = sp.simplify(hessian - as_z) == 0
    return ProofResult("E_y[(e_y - p)(e_y - p)^T] = Hessian of -log p_y in z, for all C",
                       bool(holds), hessian, fisher,
                       {"facts": {"range": in_range, "normalisation": {total: 1}}})


def prove_one_sample_kronecker_all_sizes(kron=None):
    r"""Prove that one sample's Fisher block of ``W (D, C)`` is ``(aaᵀ) ⊗ (ggᵀ)`` in ``vec_r``, all ``D, C``.

    The per-sample gradient is the library's ``matmul_grad_W(gᵀ, aᵀ) = a gᵀ`` (chapter 5,
    one row); entry ``r`` of its ``vec_r`` is entry ``(⌊r/C⌋, r mod C)``. Entry ``(r, s)``
    of ``vec_r(agᵀ) vec_r(agᵀ)ᵀ`` is compared with entry ``(r, s)`` of SymPy's
    ``KroneckerProduct``, whose block index ``Mod(⌊r/C⌋, D)`` is ``⌊r/C⌋`` since
    ``0 ≤ r < DC`` (the range fact, in ``details``).

    Parameters
    ----------
    kron : callable, optional
        ``(aaᵀ, ggᵀ) ↦`` the claimed block; default ``KroneckerProduct(aaᵀ, ggᵀ)``.
    """
    import sympy as sp

    from ...matmul import matmul_grad_W
    from ..symbolic import ProofResult

    D, C = sp.symbols("D C", integer=True, positive=True)
    r, s = sp.symbols("r s", integer=True, nonnegative=True)
    a, g = sp.MatrixSymbol("a", D, 1), sp.MatrixSymbol("g", C, 1)
    grad = matmul_grad_W(g.T, a.T)                     # a gᵀ, the gradient of one sample
    outer = (grad[sp.floor(r / C), sp.Mod(r, C)] * grad[sp.floor(s / C), sp.Mod(s, C)]).doit()
    claim = (kron or (lambda A, G: sp.KroneckerProduct(A, G)))(a * a.T, g * g.T)
    facts = {sp.Mod(sp.floor(t / C), D): sp.floor(t / C) for t in (r, s)}
    entry = claim[r, s].xreplace(facts).doit()
    holds = sp.simplify(outer - entry) == 0
    return ProofResult("vec_r(a g^T) vec_r(a g^T)^T = (a a^T) kron (g g^T) for all D, C",
                       bool(holds), outer, entry, {"range facts": facts, "gradient": grad})


def prove_kron_inverse_all_sizes(inverse=None):
    r"""Prove ``(A ⊗ G)(A⁻¹ ⊗ G⁻¹) = I`` for symbolic ``D, C`` by the mixed-product rule.

    SymPy's ``combine_kronecker`` applies ``(A ⊗ G)(B ⊗ H) = AB ⊗ GH`` (valid when the
    shapes match, as here) and ``I_D ⊗ I_C = I_{DC}``.

    Parameters
    ----------
    inverse : callable, optional
        ``(A, G) ↦`` the claimed inverse of ``A ⊗ G``; default ``A⁻¹ ⊗ G⁻¹``.
    """
    import sympy as sp
    from sympy.matrices.expressions.kronecker import combine_kronecker

    from ..symbolic import ProofResult

    D, C = sp.symbols("D C", integer=True, positive=True)
    A, G = sp.MatrixSymbol("A", D, D), sp.MatrixSymbol("G", C, C)
    claim = (inverse or (lambda A, G: sp.KroneckerProduct(A.I, G.I)))(A, G)
    product = combine_kronecker(sp.KroneckerProduct(A, G) * claim).doit()
    holds = product == sp.Identity(D * C)
    return ProofResult("(A kron G)^-1 = A^-1 kron G^-1 for all D, C", bool(holds), product,
                       sp.Identity(D * C))


def gauss_newton_ce(outputs, theta):
    """``G = Σ_n J_nᵀ (diag p_n − p_n p_nᵀ) J_n / N`` column by column: one JVP, one VJP each.

    Chapter 19's Gauss–Newton product with the mean cross-entropy's Hessian in the
    logits (the registry entry ``softmax_cross_entropy_hvp``) in place of ``I/N``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    columns = []
    for e in np.eye(theta.size):
        Z, JV = jvp(outputs, theta, e)
        P = softmax(Z)
        HJV = P * (JV - (JV * P).sum(axis=1, keepdims=True)) / Z.shape[0]
        t = Tensor(theta)
        outputs(t).backward(HJV)
        columns.append(t.grad)
    return np.stack(columns, axis=1)


def fisher_by_expectation(outputs, theta, labels=None):
    """The Fisher ``(1/N) Σ_n E_y[s_ny s_nyᵀ]`` with ``s_ny = ∇_θ log p(y | x_n)``, one backward per (n, y).

    With ``labels`` (N,), the empirical Fisher ``(1/N) Σ_n s_{n,y_n} s_{n,y_n}ᵀ`` instead.
    """
    theta = np.asarray(theta, dtype=np.float64)
    P = softmax(outputs(Tensor(theta)).data)
    N, C = P.shape
    F = np.zeros((theta.size, theta.size))
    for n in range(N):
        for y in (range(C) if labels is None else [labels[n]]):
            t, dZ = Tensor(theta), np.zeros((N, C))
            dZ[n] = np.eye(C)[y] - P[n]                # ∂ log p(y | x_n) / ∂z_n
            outputs(t).backward(dZ)
            F += (P[n, y] if labels is None else 1.0) * np.outer(t.grad, t.grad) / N
    return F


def fisher_blocks(model, X, labels=None):
    """Per Linear: the exact Fisher block of ``W̃ = [W; bᵀ]`` and its K-FAC ``A ⊗ G``, in ``vec_r``.

    True Fisher (``labels`` None): one vectorised backward per class ``y``, weighted by
    ``p_ny``; empirical Fisher: one backward with the given labels. The per-sample
    gradients are ``ã_n g_nᵀ`` (read from the taps); the exact block is the mean of
    their outer products, the K-FAC block ``E[ããᵀ] ⊗ E[ggᵀ]`` with the same weights.

    Returns
    -------
    list of (exact, kfac) pairs, one per Linear, each ``((D+1)C, (D+1)C)``.
    """
    taps = tap_linear_layers(model)
    P = softmax(model.forward(X))
    N, C = P.shape
    runs = [(np.eye(C)[labels], np.ones(N))] if labels is not None else \
        [(np.eye(C)[np.full(N, y)], P[:, y]) for y in range(C)]
    exact = [0.0] * len(taps)
    A = [0.0] * len(taps)
    G = [0.0] * len(taps)
    for onehot, weight in runs:
        model.backward(P - onehot)                     # row n: ∇_z(−log p(y | x_n))
        for k, tap in enumerate(taps):
            a = np.hstack([tap.inputs, np.ones((N, 1))])
            per_sample = (a[:, :, None] * tap.output_grad[:, None, :]).reshape(N, -1)
            exact[k] = exact[k] + (per_sample * weight[:, None]).T @ per_sample / N
            A[k] = kfac_factors(a, a)[0]
            G[k] = G[k] + kfac_factors(tap.output_grad * np.sqrt(weight)[:, None],
                                       tap.output_grad)[0]
    return [(exact[k], np.kron(A[k], G[k])) for k in range(len(taps))]


def logistic_natural_gradient(X, y, theta, B):
    """Natural and plain gradient steps of logistic regression, in ``θ`` and through ``θ = Bφ``.

    ``p(1 | x) = σ(xᵀθ)``; the Fisher is ``E_x E_{y~p}[s sᵀ]`` with the score
    ``s = (y − σ) x`` (a sum over ``y ∈ {0, 1}``). In ``φ`` the model is the same with
    features ``Bᵀx``, so its Fisher and gradient are computed by the same code.

    Returns
    -------
    dict
        ``"natural θ"``, ``"natural via φ"`` (``B F_φ⁻¹ ∇_φ L``), ``"plain θ"``,
        ``"plain via φ"`` (``B ∇_φ L``): directions in ``θ``-space, each ``(D,)``.
    """
    def fisher_and_grad(F_X, w):
        s = 1 / (1 + np.exp(-F_X @ w))
        grad = F_X.T @ (s - y) / len(y)                # ∇ of the mean negative log-likelihood
        outer = F_X[:, :, None] * F_X[:, None, :]                 # x xᵀ per sample
        F = sum((s if c else 1 - s)[:, None, None] * ((c - s) ** 2)[:, None, None] * outer
                for c in (0, 1))                       # E_{y~p}[(y − σ)² x xᵀ]
        return F.mean(axis=0), grad

    F_t, g_t = fisher_and_grad(X, theta)
    F_p, g_p = fisher_and_grad(X @ B, np.linalg.solve(B, theta))
    return {"natural θ": np.linalg.solve(F_t, g_t), "natural via φ": B @ np.linalg.solve(F_p, g_p),
            "plain θ": g_t, "plain via φ": B @ g_p}


def step_costs(sizes, N, update_every=1):
    """Multiply-adds per step of an MLP of Linear layers ``sizes``, batch ``N``, by optimiser.

    Matrix products only: forward ``N d c`` per layer, backward ``N d c`` for ``dW`` and
    for ``dX`` (none for the first layer); elementwise work (activations, updates) is
    left out. K-FAC adds per update the true-Fisher backward, the factors
    ``N(d+1)² + Nc²`` and two inverses counted as ``n³`` each (Gauss–Jordan), shared by
    ``update_every`` steps, and per step the product ``A⁻¹ ∇ G⁻¹``:
    ``(d+1)²c + (d+1)c²``.
    """
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(N * d * c for d, c in pairs)
    backward = sum(N * d * c for d, c in pairs) + sum(N * d * c for d, c in pairs[1:])
    first_order = forward + backward
    update = backward + sum(N * (d + 1) ** 2 + N * c ** 2 + (d + 1) ** 3 + c ** 3 for d, c in pairs)
    precondition = sum((d + 1) ** 2 * c + (d + 1) * c ** 2 for d, c in pairs)
    return {"SGD": first_order, "Adam": first_order,
            "KFAC": first_order + precondition + update / update_every}


def train_curve(model, optimizer, X, y, *, steps, batch, rng, every=10):
    """Mini-batch training with ``optimizer``; the full-set loss every ``every`` steps (and at 0)."""
    from ...losses import SoftmaxCrossEntropy

    loss, full = SoftmaxCrossEntropy(), SoftmaxCrossEntropy()
    curve = [full.forward(model.forward(X), y)]
    for step in range(1, steps + 1):
        idx = rng.choice(len(X), batch, replace=False)
        loss.forward(model.forward(X[idx]), y[idx])
        model.backward(loss.backward())
        optimizer.step()
        if step % every == 0:
            curve.append(full.forward(model.forward(X), y))
    return np.array(curve)
