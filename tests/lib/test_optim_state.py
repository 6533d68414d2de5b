"""Optimiser state (resuming exactly), the learning-rate schedule, and every input check."""

import io
import math

import numpy as np
import pytest

import nnmath as nm
from nnmath.optim import warmup_cosine


def mlp(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return nm.Sequential(nm.Linear(3, 5, rng=rng, dtype=dtype), nm.Tanh(),
                         nm.Linear(5, 2, rng=rng, dtype=dtype))


def data(seed=1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((8, 3)), rng.standard_normal((8, 2))


def train(model, opt, steps, start=0, base_lr=None):
    """``steps`` steps of MSE on fixed data; with ``base_lr``, a warm-up/cosine schedule."""
    X, T = data()
    loss = nm.MSE()
    for s in range(start, start + steps):
        if base_lr is not None:
            opt.lr = base_lr * warmup_cosine(s, total=10, warmup=3, floor=0.1)
        loss.forward(model.forward(X), T)
        model.backward(loss.backward())
        opt.step()


def copy_params(model, into):
    for (_, src, _), (_, dst, _) in zip(model.parameters(), into.parameters()):
        dst[...] = src


CONFIGS = [
    (nm.SGD, {"lr": 0.1}, {"lr": 1.0}),
    (nm.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}, {"lr": 1.0}),
    (nm.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}, {"lr": 1.0, "momentum": 0.1}),
    (nm.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1}, {}),
    (nm.AdamW, {"lr": 0.01, "eps": 1e-6, "weight_decay": 0.05}, {"weight_decay": 0.5}),
]
IDS = ["sgd", "sgd-momentum", "sgd-nesterov", "adam", "adamw"]


def resume(cls, kwargs, fresh_kwargs, base_lr=None, *, tamper=None):
    """10 steps straight vs 5 steps, state through an ``.npz`` file, 5 more on fresh objects."""
    straight = mlp()
    train(straight, cls(straight, **kwargs), 10, base_lr=base_lr)

    first = mlp()
    opt = cls(first, **kwargs)
    train(first, opt, 5, base_lr=base_lr)
    buffer = io.BytesIO()
    np.savez(buffer, **{f"param/{n}": p for n, p, _ in first.parameters()},
             **{f"optim/{k}": v for k, v in opt.state_dict().items()})
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as f:
        saved = {k: f[k] for k in f.files}

    second = mlp(seed=99)   # other weights, overwritten from the file
    for name, param, _ in second.parameters():
        param[...] = saved[f"param/{name}"]
    opt2 = cls(second, **fresh_kwargs)  # other hyperparameters: the state dict restores them
    opt2.load_state_dict({k[len("optim/"):]: v for k, v in saved.items() if k.startswith("optim/")})
    if tamper:
        tamper(opt2)
    train(second, opt2, 5, start=5, base_lr=base_lr)
    return straight, second


@pytest.mark.parametrize("cls, kwargs, fresh", CONFIGS, ids=IDS)
@pytest.mark.parametrize("schedule", [None, 0.05], ids=["fixed-lr", "warmup-cosine"])
def test_resuming_from_a_state_dict_is_bit_identical(cls, kwargs, fresh, schedule):
    straight, resumed = resume(cls, kwargs, fresh, base_lr=schedule)
    for (name, a, _), (_, b, _) in zip(straight.parameters(), resumed.parameters()):
        np.testing.assert_array_equal(a, b, err_msg=name)


def _forget_steps(opt):
    opt.steps = 0


def _forget_buffers(opt):
    for buffers in opt.state.values():
        for value in buffers.values():
            value[...] = 0


@pytest.mark.parametrize("cls, kwargs, tamper", [
    (nm.Adam, {"lr": 0.01}, _forget_steps),        # bias corrections restart
    (nm.Adam, {"lr": 0.01}, _forget_buffers),      # moments restart from zero
    (nm.SGD, {"lr": 0.1, "momentum": 0.9}, _forget_buffers),
], ids=["adam-step", "adam-moments", "sgd-momentum"])
def test_the_resume_check_sees_a_lost_step_count_or_buffer(cls, kwargs, tamper):
    straight, resumed = resume(cls, kwargs, kwargs, tamper=tamper)
    assert any(not np.array_equal(a, b) for (_, a, _), (_, b, _)
               in zip(straight.parameters(), resumed.parameters()))


def test_state_dict_is_flat_plain_numpy_and_a_copy():
    model = mlp()
    opt = nm.Adam(model, 0.01, betas=(0.8, 0.99))
    train(model, opt, 2)
    state = opt.state_dict()
    assert all(isinstance(k, str) and isinstance(v, np.ndarray) for k, v in state.items())
    assert all(v.dtype != object for v in state.values())
    assert str(state["type"]) == "Adam" and int(state["step"]) == 2
    assert state["betas"].tolist() == [0.8, 0.99] and float(state["lr"]) == 0.01
    assert state["shape/0.W"].tolist() == [3, 5]
    assert {k for k in state if k.startswith("exp_avg/")} == {"exp_avg/0.W", "exp_avg/0.b",
                                                              "exp_avg/2.W", "exp_avg/2.b"}
    saved = state["exp_avg/0.W"].copy()
    train(model, opt, 1)
    np.testing.assert_array_equal(state["exp_avg/0.W"], saved)   # not a view of live state


def test_state_is_per_parameter_name_and_keeps_the_dtype():
    model = mlp(dtype=np.float32)
    opt = nm.Adam(model, 0.01)
    train(model, opt, 2)
    assert set(opt.state) == {"0.W", "0.b", "2.W", "2.b"}
    assert all(v.dtype == np.float32 for s in opt.state.values() for v in s.values())
    assert all(p.dtype == np.float32 for _, p, _ in model.parameters())


def test_parameters_are_updated_in_place_and_adam_learns():
    model = mlp()
    ids = [id(p) for _, p, _ in model.parameters()]
    X, T = data()
    loss = nm.MSE()
    before = loss.forward(model.forward(X), T)
    train(model, nm.Adam(model, 0.02), 100)
    assert [id(p) for _, p, _ in model.parameters()] == ids
    assert loss.forward(model.forward(X), T) < 0.5 * before


def test_lr_is_public_and_changes_take_effect():
    a, b = mlp(), mlp()
    opt_a, opt_b = nm.SGD(a, 0.1, momentum=0.5), nm.SGD(b, 0.1, momentum=0.5)
    train(a, opt_a, 1)
    train(b, opt_b, 1)
    opt_b.lr = 0.3
    assert opt_b.lr == 0.3
    train(a, opt_a, 1)
    train(b, opt_b, 1)
    assert not np.array_equal(a.layers[0].W, b.layers[0].W)
    with pytest.raises(ValueError, match=r"SGD: lr must be a finite number > 0, got 0"):
        opt_b.lr = 0
    with pytest.raises(TypeError, match=r"Adam: lr must be a real number"):
        nm.Adam(mlp()).lr = "0.1"
    assert opt_b.lr == 0.3


def test_repr_shows_what_differs_from_the_defaults():
    model = mlp()
    assert repr(nm.SGD(model, 0.1)) == "SGD(lr=0.1)"
    assert repr(nm.SGD(model, 0.1, momentum=0.9, nesterov=True)) == \
        "SGD(lr=0.1, momentum=0.9, nesterov=True)"
    assert repr(nm.Adam(model)) == "Adam(lr=0.001)"
    assert repr(nm.AdamW(model, betas=(0.9, 0.95))) == "AdamW(lr=0.001, betas=(0.9, 0.95))"


def test_no_zero_grad_backward_sets_gradients():
    """The library's rule: ``backward`` sets gradients, so an optimiser has nothing to reset."""
    assert not any(hasattr(cls, "zero_grad") for cls in (nm.SGD, nm.Adam, nm.AdamW))


def test_exports():
    from nnmath.optim import SGD, Adam, AdamW
    assert (nm.SGD, nm.Adam, nm.AdamW) == (SGD, Adam, AdamW)


# -- every input check, by its message ----------------------------------------------

BAD_CONSTRUCTIONS = [
    (lambda m: nm.Adam(m, betas=(1.0, 0.999)), ValueError,
     r"Adam: betas\[0\] must be finite and in \[0, 1\), got 1.0"),
    (lambda m: nm.Adam(m, betas=(0.9, -0.1)), ValueError, r"Adam: betas\[1\] must be finite and in \[0, 1\)"),
    (lambda m: nm.AdamW(m, betas=(0.9, math.nan)), ValueError, r"AdamW: betas\[1\] must be finite"),
    (lambda m: nm.Adam(m, betas=0.9), TypeError, r"Adam: betas must be a pair"),
    (lambda m: nm.Adam(m, betas=(0.9, 0.99, 0.9)), TypeError, r"Adam: betas must be a pair"),
    (lambda m: nm.Adam(m, eps=0.0), ValueError, r"Adam: eps must be finite and > 0, got 0.0"),
    (lambda m: nm.AdamW(m, eps=-1e-8), ValueError, r"AdamW: eps must be finite and > 0"),
    (lambda m: nm.Adam(m, weight_decay=-0.1), ValueError, r"Adam: weight_decay must be finite and >= 0"),
    (lambda m: nm.AdamW(m, weight_decay=-1), ValueError, r"AdamW: weight_decay must be finite and >= 0"),
    (lambda m: nm.SGD(m, 0.1, weight_decay=math.inf), ValueError, r"SGD: weight_decay must be finite"),
    (lambda m: nm.SGD(m, 0.1, nesterov=True), ValueError, r"SGD: nesterov=True needs momentum > 0"),
    (lambda m: nm.SGD(m, 0.1, nesterov="yes", momentum=0.9), TypeError, r"SGD: nesterov must be True or False"),
    (lambda m: nm.SGD(m, 0.1, momentum=1.0), ValueError, r"SGD: momentum must be finite and in \[0, 1\), got 1.0"),
    (lambda m: nm.SGD(m, 0.1, momentum=-0.5), ValueError, r"SGD: momentum must be finite and in \[0, 1\)"),
    (lambda m: nm.Adam(m, lr=0), ValueError, r"Adam: lr must be a finite number > 0, got 0"),
    (lambda m: nm.AdamW(m, lr=math.nan), ValueError, r"AdamW: lr must be a finite number > 0, got nan"),
    (lambda m: nm.SGD(m, math.inf), ValueError, r"SGD: lr must be a finite number > 0, got inf"),
    (lambda m: nm.Adam(m, lr=True), TypeError, r"Adam: lr must be a real number"),
    (lambda m: nm.Adam(object()), TypeError, r"Adam: model must have a parameters\(\) method"),
]


@pytest.mark.parametrize("make, error, message", BAD_CONSTRUCTIONS,
                         ids=[m for _, _, m in BAD_CONSTRUCTIONS])
def test_bad_hyperparameters_are_named(make, error, message):
    with pytest.raises(error, match=message):
        make(mlp())


class Broken:
    """Two parameters; the second's gradient is given (None or the wrong shape)."""

    def __init__(self, grad):
        self.a, self.b, self.grad = np.ones(3), np.ones(2), grad

    def parameters(self):
        return [("a", self.a, np.ones(3)), ("b", self.b, self.grad)]


@pytest.mark.parametrize("cls", [nm.SGD, nm.Adam, nm.AdamW])
@pytest.mark.parametrize("grad, error, message", [
    (None, RuntimeError, r"\.step: parameter 'b' has no gradient; call backward first"),
    (np.ones(3), ValueError, r"\.step: gradient of 'b' has shape \(3,\), the parameter has shape \(2,\)"),
], ids=["none", "shape"])
def test_a_bad_gradient_is_named_and_nothing_is_updated(cls, grad, error, message):
    model = Broken(grad)
    with pytest.raises(error, match=cls.__name__ + message):
        cls(model, 0.1).step()
    np.testing.assert_array_equal(model.a, np.ones(3))   # checked before any update


def test_a_parameter_new_since_the_first_step_is_named():
    model = Broken(np.ones(2))
    opt = nm.Adam(model, 0.1)
    opt.step()
    model.parameters = lambda: [("a", model.a, np.ones(3)), ("b", model.b, np.ones(2)),
                                ("c", np.ones(1), np.ones(1))]
    with pytest.raises(ValueError, match=r"Adam.step: parameter 'c' is new since the first step"):
        opt.step()


def _trained_state(cls=nm.Adam, model=None, **kwargs):
    model = model or mlp()
    opt = cls(model, 0.1, **kwargs)
    train(model, opt, 2)
    return opt.state_dict()


def _wider():
    rng = np.random.default_rng(0)
    return nm.Sequential(nm.Linear(3, 6, rng=rng), nm.Tanh(), nm.Linear(6, 2, rng=rng))


def _deeper():
    rng = np.random.default_rng(0)
    return nm.Sequential(nm.Linear(3, 5, rng=rng), nm.Tanh(), nm.Linear(5, 2, rng=rng),
                         nm.Linear(2, 2, rng=rng))


BAD_STATES = [
    (lambda: _trained_state(nm.SGD, momentum=0.9), nm.Adam, "the state dict is for SGD, not Adam"),
    (lambda: _trained_state(nm.Adam), nm.AdamW, "the state dict is for Adam, not AdamW"),
    (lambda: _trained_state(model=_wider()), nm.Adam,
     "key 'shape/0.W' has shape \\(3, 6\\), the model's parameter has shape \\(3, 5\\)"),
    (lambda: _trained_state(model=_deeper()), nm.Adam, "unexpected key 'exp_avg/3.W'"),
    (lambda: {k: v for k, v in _trained_state().items() if k != "exp_avg_sq/2.b"}, nm.Adam,
     "missing key 'exp_avg_sq/2.b'"),
    (lambda: {k: v for k, v in _trained_state().items() if k != "betas"}, nm.Adam, "missing key 'betas'"),
    (lambda: {k: v for k, v in _trained_state().items() if k != "type"}, nm.Adam, "missing key 'type'"),
    (lambda: {**_trained_state(), "eps": np.array(-1.0)}, nm.Adam, "Adam: eps must be finite and > 0"),
    (lambda: {**_trained_state(), "step": np.array(-3)}, nm.Adam, "key 'step' must be an integer >= 0"),
    (lambda: {**_trained_state(), "exp_avg/0.W": np.zeros((5, 3))}, nm.Adam,
     "key 'exp_avg/0.W' has shape \\(5, 3\\)"),
]


@pytest.mark.parametrize("make, cls, message", BAD_STATES, ids=[m for _, _, m in BAD_STATES])
def test_a_foreign_state_dict_is_refused_by_key_and_changes_nothing(make, cls, message):
    model = mlp()
    opt = cls(model, 0.5)
    train(model, opt, 1)
    before = {k: v.copy() for k, v in opt.state_dict().items()}
    with pytest.raises(ValueError, match=f"{cls.__name__}.load_state_dict: .*{message}"):
        opt.load_state_dict(make())
    after = opt.state_dict()
    assert before.keys() == after.keys()
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_a_state_dict_before_any_step_round_trips():
    a, b = mlp(), mlp()
    opt = nm.SGD(b, 1.0)
    opt.load_state_dict(nm.SGD(a, 0.2, momentum=0.9).state_dict())
    assert (opt.lr, opt.momentum, opt.steps, opt.state) == (0.2, 0.9, 0, {})
    train(a, nm.SGD(a, 0.2, momentum=0.9), 3)
    train(b, opt, 3)
    np.testing.assert_array_equal(a.layers[0].W, b.layers[0].W)


def test_load_state_dict_wants_a_dict():
    with pytest.raises(TypeError, match="SGD.load_state_dict: expected a dict"):
        nm.SGD(mlp(), 0.1).load_state_dict([1, 2])


# -- warmup_cosine --------------------------------------------------------------------

def test_warmup_counts_from_one_over_warmup_to_one():
    assert [warmup_cosine(s, total=10, warmup=4) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]


def test_cosine_values_at_computed_points():
    f = lambda s: warmup_cosine(s, total=10, warmup=2, floor=0.1)   # noqa: E731
    assert f(2) == 1.0                                            # the cosine starts at 1
    assert f(6) == pytest.approx(0.55, abs=1e-15)                 # halfway: (1 + floor)/2
    assert f(4) == pytest.approx(0.1 + 0.9 * (1 + math.sqrt(0.5)) / 2, abs=1e-15)
    assert f(10) == 0.1 and f(25) == 0.1                          # floor at total and after
    decay = [f(s) for s in range(2, 11)]
    assert all(a > b for a, b in zip(decay, decay[1:]))


def test_no_warmup_and_a_factor_above_zero_before_total():
    assert warmup_cosine(0, total=5, warmup=0) == 1.0
    factors = [warmup_cosine(s, total=7, warmup=3) for s in range(7)]
    assert min(factors) > 0   # so lr = base * factor is always a valid learning rate
    assert warmup_cosine(3, total=3, warmup=3) == 0.0


@pytest.mark.parametrize("kwargs, error, message", [
    ({"step": -1, "total": 10, "warmup": 2}, ValueError, "warmup_cosine: step must be >= 0, got -1"),
    ({"step": 1.5, "total": 10, "warmup": 2}, TypeError, "warmup_cosine: step must be an integer"),
    ({"step": True, "total": 10, "warmup": 2}, TypeError, "warmup_cosine: step must be an integer"),
    ({"step": 0, "total": 0, "warmup": 0}, ValueError, "warmup_cosine: total must be >= 1, got 0"),
    ({"step": 0, "total": 10, "warmup": -2}, ValueError, "warmup_cosine: warmup must be >= 0"),
    ({"step": 0, "total": 10, "warmup": 11}, ValueError, "warmup must be <= total, got warmup=11, total=10"),
    ({"step": 0, "total": 10, "warmup": 2, "floor": 1.5}, ValueError, r"floor must be finite and in \[0, 1\]"),
    ({"step": 0, "total": 10, "warmup": 2, "floor": math.nan}, ValueError, "floor must be finite"),
])
def test_warmup_cosine_rejects_bad_arguments(kwargs, error, message):
    step = kwargs.pop("step")
    with pytest.raises(error, match=message):
        warmup_cosine(step, **kwargs)
