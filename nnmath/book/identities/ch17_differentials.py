r"""Registry entries of chapter 17: results of the trace trick.

The inverse and the log-determinant are checked through the very functions the
engine's primitives call in their backward rules
(:func:`nnmath.autodiff.linalg.inv_vjp`, :func:`~nnmath.autodiff.linalg.logdet_vjp`).
Their third route must not use those rules, so it does not call ``inv`` or
``logdet``: :func:`~nnmath.book.chapters.ch17_differentials.gauss_jordan`
inverts by elementary row operations written with Tensor operations, and the
engine differentiates the elimination step by step. The Gaussian
log-likelihood goes the same way. Samples are strictly diagonally dominant
(non-symmetric) or symmetric positive definite, so elimination without
pivoting never meets a zero pivot and every determinant is positive.
"""

from ...autodiff import linalg as la
from ..chapters import ch17_differentials as ch
from .core import IdentityEntry, kernel, register


def _sample_square(rng, n=4):
    return {"X": ch.diagonally_dominant(rng, n)}


def _sample_trace_quadratic(rng, D=4, K=3):
    return {"A": rng.standard_normal((D, D)), "W": rng.standard_normal((D, K))}


def _sample_gaussian(rng, N=6, D=3):
    return {"Sigma": ch.spd(rng, D), "X": rng.standard_normal((N, D)),
            "mu": rng.standard_normal(D)}


def _sample_gaussian_precision(rng, N=6, D=3):
    sample = _sample_gaussian(rng, N, D)
    return {"Lam": sample.pop("Sigma"), **sample}


def _tensor_gaussian(Sigma, X, mu):
    """The log-likelihood with the inverse and log det from elimination (no inv/logdet rules)."""
    N, D = X.shape
    R = X - mu
    quadratic = (R @ ch.elimination_inv(Sigma).T * R).sum()  # Σ_n r_nᵀ Σ⁻¹ r_n
    return -0.5 * (N * D * float(ch._log_2pi(X.data)) + N * ch.elimination_logdet(Sigma)
                   + quadratic)


def _tensor_gaussian_precision(Lam, X, mu):
    N, D = X.shape
    R = X - mu
    return -0.5 * (N * D * float(ch._log_2pi(X.data)) - N * ch.elimination_logdet(Lam)
                   + (R @ Lam.T * R).sum())


register(IdentityEntry(
    name="inverse_grad",
    title="Matrix inverse: gradient with respect to the matrix",
    latex=(r"Y = X^{-1} \;\Rightarrow\; \frac{\partial L}{\partial X} = "
           r"-X^{-\top} \delta\, X^{-\top}"),
    shapes={"X": "(n, n)", "delta": "(n, n)", "dL/dX": "(n, n)"},
    forward=ch.inv_any,
    wrt="X",
    compact=kernel(la.inv_vjp, X_inv="out"),
    sample=_sample_square,
    symbolic_sizes=({"X": (1, 1)}, {"X": (2, 2)}),  # 3x3 works too, but takes seconds
    tensor_forward=lambda X: ch.elimination_inv(X),
    notes=("From dX^{-1} = -X^{-1} dX X^{-1}. The autodiff route inverts by Gauss-Jordan "
           "elimination in Tensor operations, so it never uses this rule."),
))

register(IdentityEntry(
    name="logdet_grad",
    title="Log-determinant: gradient with respect to the matrix",
    latex=(r"\ell = \log\det X \;\Rightarrow\; \frac{\partial \ell}{\partial X} = X^{-\top}"),
    shapes={"X": "(n, n)", "delta": "()", "dl/dX": "(n, n)"},
    forward=ch.logdet_any,
    wrt="X",
    compact=lambda delta, out, X: la.logdet_vjp(delta, ch.inv_any(X)),
    sample=_sample_square,
    symbolic_sizes=({"X": (2, 2)}, {"X": (3, 3)}),
    tensor_forward=lambda X: ch.elimination_logdet(X),
    notes=("det X > 0. From d log det X = tr(X^{-1} dX). The autodiff route sums the logs of "
           "the elimination pivots, whose product is det X, so neither the rule nor an "
           "inverse enters it."),
))

register(IdentityEntry(
    name="trace_quadratic_grad_W",
    title="Trace of a quadratic form: gradient with respect to the matrix of vectors",
    latex=(r"f = \tr(W^{\top} A W) \;\Rightarrow\; \frac{\partial f}{\partial W} = "
           r"(A + A^{\top})\, W"),
    shapes={"A": "(D, D)", "W": "(D, K)", "delta": "()", "df/dW": "(D, K)"},
    forward=ch.trace_quadratic,
    wrt="W",
    compact=lambda delta, out, A, W: delta * ch.trace_quadratic_grad_W(A, W),
    sample=_sample_trace_quadratic,
    symbolic_sizes=({"A": (2, 2), "W": (2, 3)}, {"A": (3, 3), "W": (3, 2)}),
    tensor_forward=lambda A, W: (W * (A @ W)).sum(),
    notes="K = 1 is the quadratic form x^T A x of chapter 3.",
))

register(IdentityEntry(
    name="trace_quadratic_grad_A",
    title="Trace of a quadratic form: gradient with respect to the middle matrix",
    latex=(r"f = \tr(W^{\top} A W) \;\Rightarrow\; \frac{\partial f}{\partial A} = W W^{\top}"),
    shapes={"A": "(D, D)", "W": "(D, K)", "delta": "()", "df/dA": "(D, D)"},
    forward=ch.trace_quadratic,
    wrt="A",
    compact=lambda delta, out, A, W: delta * ch.trace_quadratic_grad_A(W),
    sample=_sample_trace_quadratic,
    symbolic_sizes=({"A": (2, 2), "W": (2, 3)}, {"A": (3, 3), "W": (3, 2)}),
    tensor_forward=lambda A, W: (W * (A @ W)).sum(),
))

register(IdentityEntry(
    name="gaussian_loglik_grad_cov",
    title="Gaussian log-likelihood: gradient with respect to the covariance",
    latex=(r"\ell(\Sigma) = -\tfrac{1}{2}\bigl(ND\log 2\pi + N\log\det\Sigma + "
           r"\tr(\Sigma^{-1}S)\bigr) \;\Rightarrow\; \frac{\partial \ell}{\partial \Sigma} = "
           r"\tfrac{1}{2}\bigl(\Sigma^{-\top} S\, \Sigma^{-\top} - N \Sigma^{-\top}\bigr)"),
    shapes={"Sigma": "(D, D)", "X": "(N, D)", "mu": "(D,)", "S": "(D, D)", "delta": "()",
            "dl/dSigma": "(D, D)"},
    forward=ch.gaussian_loglik,
    wrt="Sigma",
    compact=lambda delta, out, Sigma, X, mu: delta * ch.gaussian_grad_cov(Sigma, X, mu),
    sample=_sample_gaussian,
    symbolic_sizes=({"Sigma": (2, 2), "X": (2, 2), "mu": (2,)},
                    {"Sigma": (2, 2), "X": (3, 2), "mu": (2,)}),
    tensor_forward=_tensor_gaussian,
    fd_rtol=1e-6,
    notes=("S = sum_n (x_n - mu)(x_n - mu)^T. The D^2 entries of Sigma are independent "
           "variables (det Sigma > 0); at a symmetric Sigma the gradient is the symmetric "
           "(Sigma^{-1} S Sigma^{-1} - N Sigma^{-1})/2, zero at Sigma = S/N. The autodiff route "
           "takes the inverse and log det from Gauss-Jordan elimination."),
))

register(IdentityEntry(
    name="gaussian_loglik_grad_precision",
    title="Gaussian log-likelihood: gradient with respect to the precision",
    latex=(r"\ell(\Lambda) = -\tfrac{1}{2}\bigl(ND\log 2\pi - N\log\det\Lambda + "
           r"\tr(\Lambda S)\bigr) \;\Rightarrow\; \frac{\partial \ell}{\partial \Lambda} = "
           r"\tfrac{1}{2}\bigl(N \Lambda^{-\top} - S\bigr)"),
    shapes={"Lam": "(D, D)", "X": "(N, D)", "mu": "(D,)", "S": "(D, D)", "delta": "()",
            "dl/dLam": "(D, D)"},
    forward=ch.gaussian_loglik_precision,
    wrt="Lam",
    compact=lambda delta, out, Lam, X, mu: delta * ch.gaussian_grad_precision(Lam, X, mu),
    sample=_sample_gaussian_precision,
    symbolic_sizes=({"Lam": (2, 2), "X": (2, 2), "mu": (2,)},
                    {"Lam": (3, 3), "X": (2, 3), "mu": (3,)}),
    tensor_forward=_tensor_gaussian_precision,
    fd_rtol=1e-6,
    notes=("Lambda = Sigma^{-1}, det Lambda > 0; zero at Lambda = (S/N)^{-1}. The autodiff "
           "route takes log det Lambda from Gauss-Jordan elimination."),
))
