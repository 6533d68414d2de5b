"""The engine's linear algebra (chapter 17): inv, logdet, solve — values, rules, bad input.

The rules are compared with central differences and with Gauss–Jordan
elimination written in elementary Tensor operations (an engine route that
never uses the rules).
"""

import numpy as np
import pytest

import nnmath.autodiff as ad
from nnmath.autodiff import Tensor
from nnmath.book.chapters import ch17_differentials as ch17
from nnmath.gradcheck import numeric_gradient


def _grad(f, x):
    t = Tensor(x)
    f(t).backward()
    return t.grad


@pytest.mark.parametrize("n", [1, 2, 4])
def test_values_match_numpy(n):
    rng = np.random.default_rng(n)
    X, B = ch17.diagonally_dominant(rng, n), rng.standard_normal((n, 2))
    np.testing.assert_allclose(ad.inv(X).data, np.linalg.inv(X), rtol=1e-12)
    np.testing.assert_allclose(ad.logdet(X).data, np.log(np.linalg.det(X)), rtol=1e-12)
    np.testing.assert_allclose(ad.solve(X, B).data, np.linalg.solve(X, B), rtol=1e-12)
    np.testing.assert_allclose(ad.solve(X, B[:, 0]).data, np.linalg.solve(X, B[:, 0]),
                               rtol=1e-12)


@pytest.mark.parametrize("n", [1, 3, 4])
def test_rules_match_finite_differences_and_elimination(n):
    rng = np.random.default_rng(10 + n)
    X = ch17.diagonally_dominant(rng, n)
    C, b = rng.standard_normal((n, n)), rng.standard_normal(n)
    cases = [(lambda x: (ad.inv(x) * C).sum(), lambda x: (ch17.elimination_inv(x) * C).sum()),
             (lambda x: ad.logdet(x), ch17.elimination_logdet),
             (lambda x: (ad.solve(x, b) * b).sum(),
              lambda x: (ch17.elimination_inv(x) @ b * b).sum())]
    for rule, elimination in cases:
        fd = numeric_gradient(lambda z: float(rule(Tensor(z)).data), X)
        np.testing.assert_allclose(_grad(rule, X), fd, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(_grad(rule, X), _grad(elimination, X), rtol=1e-10,
                                   atol=1e-12)


def test_solve_gradient_with_respect_to_the_right_hand_side():
    rng = np.random.default_rng(3)
    A, B, C = ch17.diagonally_dominant(rng, 3), rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    f = lambda z: (ad.solve(Tensor(A, requires_grad=False), z) * C).sum()  # noqa: E731
    np.testing.assert_allclose(_grad(f, B), numeric_gradient(lambda z: float(f(Tensor(z)).data), B),
                               rtol=1e-7)
    np.testing.assert_allclose(_grad(f, B), np.linalg.solve(A.T, C), rtol=1e-12)


@pytest.mark.parametrize("op", [ad.inv, ad.logdet, lambda x: ad.solve(x, np.ones(x.shape[0]))])
def test_non_square_input_is_rejected(op):
    with pytest.raises(ValueError, match=r"needs a square matrix, got shape \(2, 3\)"):
        op(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"needs a square matrix, got shape \(4,\)"):
        op(np.ones(4))


@pytest.mark.parametrize("op", [ad.inv, ad.logdet, lambda x: ad.solve(x, np.ones(x.shape[0]))])
@pytest.mark.parametrize("X", [np.array([[1.0, 2.0], [2.0, 4.0]]),            # exactly singular
                               np.array([[1.0, 1.0], [1.0, 1.0 + 1e-17]]),     # rounds to singular
                               np.diag([1.0, 1e-300])])                        # hopelessly ill-conditioned
def test_singular_input_is_rejected_not_turned_into_inf(op, X):
    with pytest.raises(ValueError, match="singular to working precision"):
        op(X)


def test_other_bad_inputs():
    with pytest.raises(ValueError, match="NaN or infinite"):
        ad.inv(np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="logdet: the determinant is negative"):
        ad.logdet(np.diag([1.0, -2.0]))
    with pytest.raises(ValueError, match=r"solve: B must have shape \(2,\) or \(2, k\)"):
        ad.solve(np.eye(2), np.ones(3))
    with pytest.raises(ValueError, match="empty"):
        ad.inv(np.zeros((0, 0)))


def test_float32_input_gives_float64_tensors():
    X = np.eye(2, dtype=np.float32) * 2
    assert ad.inv(X).data.dtype == np.float64  # the engine computes in float64, documented
