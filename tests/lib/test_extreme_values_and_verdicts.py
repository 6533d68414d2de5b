"""Extreme values and verdicts, each against an independent route.

The engine's softmax and log-sum-exp at logits of ±1000 (against SymPy at 50
digits), loading a checkpoint that holds more parameters than the model,
the pass verdict of :func:`nnmath.gradcheck.check` (decided by the worst entry,
as documented, not by the whole-array error), the epoch loss of ``fit`` when
the last batch is short (the mean over samples, not over batches), and the
standardiser against means and deviations computed by Python's
:mod:`statistics` on a copy taken before the transform.
"""

import statistics

import numpy as np
import pytest
import sympy as sp

import nnmath as nm
from nnmath import autodiff as ad
from nnmath import gradcheck as gc
from nnmath.autodiff import Tensor
from nnmath.checkpoint import load, save
from nnmath.data import Standardizer

EXTREME = np.array([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -1003.0]])


def _exact_logsumexp(row):
    """log Σ e^z at 50 digits, by SymPy: no shift, no floating point."""
    return float(sp.N(sp.log(sum(sp.exp(sp.Integer(int(z))) for z in row)), 50))


def _exact_softmax(row):
    exps = [sp.exp(sp.Integer(int(z))) for z in row]
    total = sum(exps)
    return np.array([float(sp.N(e / total, 50)) for e in exps])


def test_engine_logsumexp_at_plus_minus_1000_is_finite_and_exact():
    x = Tensor(EXTREME)
    out = ad.logsumexp(x, axis=-1)
    np.testing.assert_allclose(out.data, [_exact_logsumexp(r) for r in EXTREME],
                               rtol=1e-15, atol=0)
    out.sum().backward()    # ∂ lse / ∂ z = softmax(z)
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, [_exact_softmax(r) for r in EXTREME], rtol=1e-13,
                               atol=1e-300)


def test_engine_softmax_at_plus_minus_1000_is_finite_and_exact():
    x = Tensor(EXTREME)
    p = ad.softmax(x, axis=-1)
    np.testing.assert_allclose(p.data, [_exact_softmax(r) for r in EXTREME], rtol=1e-13,
                               atol=1e-300)
    upstream = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])
    p.backward(upstream)
    P = np.array([_exact_softmax(r) for r in EXTREME])
    expected = P * (upstream - np.sum(upstream * P, axis=-1, keepdims=True))  # diag(p) − p pᵀ
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, expected, rtol=1e-12, atol=1e-300)


def test_loading_a_checkpoint_with_extra_parameters_is_refused(tmp_path):
    rng = np.random.default_rng(0)
    big = nm.Sequential(nm.Linear(2, 3, rng=rng), nm.Tanh(), nm.Linear(3, 2, rng=rng))
    small = nm.Sequential(nm.Linear(2, 3, rng=rng), nm.Tanh())
    before = [p.copy() for _, p, _ in small.parameters()]
    path = tmp_path / "big.npz"
    save(big, path)
    with pytest.raises(ValueError, match=r"unexpected keys \['2\.W', '2\.b'\]"):
        load(small, path)
    for (_, after, _), old in zip(small.parameters(), before):
        np.testing.assert_array_equal(after, old)   # refused before anything was written


def test_check_verdict_is_decided_by_the_worst_entry():
    """One tiny gradient entry wrong by 50 %: the norm error is small, the check fails."""
    w = np.array([100.0, -200.0, 150.0, 1e-3])

    def f(x):
        return float(np.sum(w * x))

    def almost(x):                                  # the last entry is 1.5e-3, not 1e-3
        return w * np.array([1.0, 1.0, 1.0, 1.5])

    report = gc.check(f, np.ones(4), grad=almost)
    whole = report.arrays[0].array_error
    assert whole < report.rtol                      # the norm error alone would pass ...
    assert not report.passed                        # ... the worst entry fails the check
    name, index, analytic, numeric, err = report.worst_entry()
    # 0.5e-3 off, relative to the entry or to the zero floor ZERO_SCALE × 200 if larger
    floor = max(1.5e-3, gc.ZERO_SCALE * 200)
    assert index == (3,) and err == pytest.approx(0.5e-3 / floor, rel=1e-4)
    assert gc.check(f, np.ones(4), grad=lambda x: w).passed


@pytest.mark.parametrize("N, batch_size", [(10, 4), (7, 3), (5, 5)])
def test_fit_epoch_loss_is_the_mean_over_samples_with_a_short_last_batch(N, batch_size):
    """With a step too small to move the weights, the epoch loss is the loss of the whole set."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((N, 2))
    T = rng.standard_normal((N, 1)) * np.arange(1, N + 1)[:, None]   # batches differ a lot
    model = nm.Sequential(nm.Linear(2, 1, rng=rng))
    whole = float(np.mean(np.sum((model.forward(X) - T) ** 2, axis=1)) / 2)  # 1/(2N) Σ‖y − t‖²
    history = nm.fit(model, nm.MSE(), X, T, epochs=1, batch_size=batch_size, lr=1e-14,
                     rng=np.random.default_rng(1), progress=False)
    assert history["loss"][0] == pytest.approx(whole, rel=1e-9)


def test_standardizer_matches_statistics_computed_before_the_transform():
    rng = np.random.default_rng(4)
    X_train = rng.normal(5.0, 3.0, size=(40, 3))
    X_test = rng.normal(5.0, 3.0, size=(6, 3))
    train_copy, test_copy = X_train.copy(), X_test.copy()
    means = [statistics.fmean(col) for col in train_copy.T.tolist()]
    stds = [statistics.pstdev(col) for col in train_copy.T.tolist()]   # the biased 1/N one
    expected = [[(v - m) / s for v, m, s in zip(row, means, stds)] for row in test_copy.tolist()]
    scaler = Standardizer().fit(X_train)
    Z_train, Z_test = scaler.transform(X_train), scaler.transform(X_test)
    np.testing.assert_array_equal(X_train, train_copy)   # the inputs are left alone
    np.testing.assert_array_equal(X_test, test_copy)
    np.testing.assert_allclose(Z_test, expected, rtol=1e-12, atol=1e-12)
    for j in range(3):
        assert statistics.fmean(Z_train[:, j].tolist()) == pytest.approx(0, abs=1e-12)
        assert statistics.pstdev(Z_train[:, j].tolist()) == pytest.approx(1, rel=1e-12)
