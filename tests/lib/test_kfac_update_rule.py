"""K-FAC over several steps against its update rule written out in NumPy.

Independent route: a two-layer network (Linear, Tanh, Linear) whose forward
and backward are re-derived here by hand give, per layer, the inputs ``a``
(with a column of ones for the bias) and the output gradients ``g`` (times N,
the empirical Fisher of a mean loss); then the factors ``ãᵀã/N``, ``gᵀg/N``,
their moving average with ``decay``, the factored damping, the preconditioned
direction ``A⁻¹ (∇W̃ + λW̃) G⁻¹``, momentum and the step, as chapter 30 and the
docstring state them. Factors are refreshed every ``update_every`` steps.
"""

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import KFAC


def _damped_inverses(A, G, lam):
    pi = np.sqrt((np.trace(A) / A.shape[0]) / (np.trace(G) / G.shape[0]))
    return (np.linalg.inv(A + pi * np.sqrt(lam) * np.eye(A.shape[0])),
            np.linalg.inv(G + np.sqrt(lam) / pi * np.eye(G.shape[0])))


@pytest.mark.parametrize("kwargs", [
    {"damping": 0.05, "decay": 0.7, "momentum": 0.5, "weight_decay": 0.1, "update_every": 2},
    {"damping": 0.02, "decay": 0.3, "update_every": 1},
    {},
], ids=["all set", "plain", "defaults"])
def test_kfac_steps_follow_the_rule(kwargs):
    lr, lam = 0.1, kwargs.get("damping", 1e-3)
    decay, mu = kwargs.get("decay", 0.95), kwargs.get("momentum", 0.0)
    wd, every = kwargs.get("weight_decay", 0.0), kwargs.get("update_every", 1)
    rng = np.random.default_rng(0)
    model = nm.Sequential(nm.Linear(3, 4, rng=rng), nm.Tanh(), nm.Linear(4, 2, rng=rng))
    opt = KFAC(model, lr=lr, fisher="empirical", **kwargs)
    W1, b1, W2, b2 = (p.copy() for _, p, _ in model.parameters())
    factors, velocity = {}, {}
    for t in range(5):
        X, T = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
        N = X.shape[0]
        # forward and backward by hand
        Z1 = X @ W1 + b1
        H = np.tanh(Z1)
        Y = H @ W2 + b2
        dY = (Y - T) / N
        dZ1 = (dY @ W2.T) * (1 - H ** 2)
        grads = {"0.W": X.T @ dZ1, "0.b": dZ1.sum(0), "2.W": H.T @ dY, "2.b": dY.sum(0)}
        model.forward(X)
        model.backward(dY)
        opt.step()
        layers = {"0": (X, dZ1 * N, W1, b1), "2": (H, dY * N, W2, b2)}
        new = {}
        for name, (a, g, W, b) in layers.items():
            if t % every == 0:
                at = np.hstack([a, np.ones((N, 1))])
                A, G = at.T @ at / N, g.T @ g / N
                if name in factors:
                    A = decay * factors[name][0] + (1 - decay) * A
                    G = decay * factors[name][1] + (1 - decay) * G
                factors[name] = (A, G, *_damped_inverses(A, G, lam))
            _, _, A_inv, G_inv = factors[name]
            full = np.vstack([grads[name + ".W"], grads[name + ".b"][None]])
            full = full + wd * np.vstack([W, b[None]])
            D = A_inv @ full @ G_inv
            for key, d in ((name + ".W", D[:-1]), (name + ".b", D[-1])):
                velocity[key] = d if (key not in velocity or not mu) else mu * velocity[key] + d
            new[name] = (W - lr * velocity[name + ".W"], b - lr * velocity[name + ".b"])
        (W1, b1), (W2, b2) = new["0"], new["2"]
        for (pname, param, _), ref in zip(model.parameters(), (W1, b1, W2, b2)):
            np.testing.assert_allclose(param, ref, rtol=1e-9, atol=1e-12, err_msg=f"{pname} {t}")
    assert opt.steps == 5
    assert set(opt.state["0.W"]) == ({"momentum_buffer"} if mu else set())
