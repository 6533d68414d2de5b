"""What every optimiser shares: the model, ``lr``, the step count, per-name state."""

import inspect
import math
import numbers

import numpy as np

__all__ = ["Optimizer", "check_learning_rate", "check_state_keys"]


def check_learning_rate(owner, lr):
    """Return ``lr`` as a float, or raise naming ``owner`` unless it is finite and > 0."""
    if isinstance(lr, (bool, np.bool_)) or not isinstance(lr, numbers.Real):
        raise TypeError(f"{owner}: lr must be a real number, got {lr!r} ({type(lr).__name__})")
    if not math.isfinite(lr) or lr <= 0:
        raise ValueError(f"{owner}: lr must be a finite number > 0, got {lr!r}")
    return float(lr)


def _plain(value):
    """A state-dict entry as a Python value: a 0-d array as a number, a 1-d one as a tuple."""
    value = np.asarray(value).tolist()
    return tuple(value) if isinstance(value, list) else value


class Optimizer:
    """What every optimiser shares: the model, ``lr``, the step count, the state.

    A subclass names its constructor's keyword arguments in ``_hyperparameters``,
    its buffers in ``_buffers()``, and updates one parameter in ``_update(param,
    grad, state)`` (``state``: that parameter's ``{buffer name: array}``).

    Attributes
    ----------
    lr : float
        The learning rate; may be changed between steps (checked on assignment:
        finite and ``> 0``).
    steps : int
        The number of steps taken.
    state : dict
        ``{parameter name: {buffer name: array}}``.
    """

    _hyperparameters = ()

    def __init__(self, model, lr):
        if not callable(getattr(model, "parameters", None)):
            raise TypeError(f"{type(self).__name__}: model must have a parameters() method, "
                            f"got {type(model).__name__}")
        self.model = model
        self.lr = lr
        self.steps = 0
        self.state = {}

    @property
    def lr(self):
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = check_learning_rate(type(self).__name__, value)

    def _buffers(self):
        return ()

    def _buffers_of(self, name, param):
        """The buffers that parameter ``name`` has once a step was taken (all of ``_buffers()``)."""
        return self._buffers()

    def step(self):
        """Update every parameter in place, with the gradients of the last ``backward``."""
        params = self._checked_parameters()
        self.steps += 1
        for name, param, grad in params:
            self._update(param, grad, self.state.setdefault(name, {}))

    def _checked_parameters(self):
        """``parameters()``, each checked before any is updated (a failed step changes nothing)."""
        who = f"{type(self).__name__}.step"
        params = list(self.model.parameters())
        for name, param, grad in params:
            if grad is None:
                raise RuntimeError(f"{who}: parameter {name!r} has no gradient; call backward first")
            if np.shape(grad) != np.shape(param):
                raise ValueError(f"{who}: gradient of {name!r} has shape {np.shape(grad)}, "
                                 f"the parameter has shape {np.shape(param)}")
            if self.steps and self._buffers() and name not in self.state:
                raise ValueError(f"{who}: parameter {name!r} is new since the first step: the model "
                                 f"changed")
            for buffer, value in self.state.get(name, {}).items():
                if value.shape != np.shape(param):
                    raise ValueError(f"{who}: parameter {name!r} has shape {np.shape(param)}, its "
                                     f"{buffer} has shape {value.shape}: the model changed")
        return params

    def state_dict(self):
        """Return the optimiser's state as a flat ``{str: numpy array}`` (copies).

        Keys: ``"type"`` (the class name), ``"step"``, ``"lr"``, each hyperparameter,
        ``"shape/<name>"`` for every parameter and ``"<buffer>/<name>"`` for every buffer.
        """
        state = {"type": np.array(type(self).__name__), "step": np.array(self.steps),
                 "lr": np.array(self.lr)}
        state.update((key, np.array(getattr(self, key))) for key in self._hyperparameters)
        state.update((f"shape/{name}", np.array(np.shape(param), dtype=np.int64))
                     for name, param, _ in self.model.parameters())
        state.update((f"{buffer}/{name}", np.array(value))
                     for name, buffers in self.state.items() for buffer, value in buffers.items())
        return state

    def load_state_dict(self, state):
        """Restore a :meth:`state_dict` of the same optimiser type and model shapes (copies).

        Raises ``ValueError`` naming the key that is missing, unexpected or of the
        wrong shape, or the type the state dict belongs to; nothing changes then.
        """
        name = type(self).__name__
        who = f"{name}.load_state_dict"
        if not hasattr(state, "keys"):
            raise TypeError(f"{who}: expected a dict from state_dict(), got {type(state).__name__}")
        scalars = ("type", "step", "lr", *self._hyperparameters)
        if "type" in state and str(state["type"]) != name:
            raise ValueError(f"{who}: the state dict is for {str(state['type'])}, not {name}")
        if missing := [key for key in scalars if key not in state]:
            raise ValueError(f"{who}: missing key {missing[0]!r}")
        steps = _plain(state["step"])
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
            raise ValueError(f"{who}: key 'step' must be an integer >= 0, got {steps!r}")
        try:  # the constructor checks the hyperparameters
            checked = type(self)(self.model, _plain(state["lr"]),
                                 **{key: _plain(state[key]) for key in self._hyperparameters})
        except (TypeError, ValueError) as error:
            raise type(error)(f"{who}: {error}") from None
        params = list(self.model.parameters())
        expected = {f"shape/{n}": np.shape(p) for n, p, _ in params}
        if steps:
            expected.update((f"{buffer}/{n}", np.shape(p)) for n, p, _ in params
                            for buffer in checked._buffers_of(n, p))
        check_state_keys(who, state, expected, scalars)
        dtypes = {n: np.asarray(p).dtype for n, p, _ in params}
        self.__dict__.update((k, v) for k, v in vars(checked).items() if k != "state")
        self.steps = steps
        self.state = {}
        for key in expected:
            buffer, _, n = key.partition("/")
            if buffer != "shape":
                self.state.setdefault(n, {})[buffer] = np.array(state[key], dtype=dtypes[n])

    def __repr__(self):
        defaults = {k: p.default for k, p in inspect.signature(type(self)).parameters.items()}
        shown = [f"lr={self.lr}"] + [f"{k}={getattr(self, k)!r}" for k in self._hyperparameters
                                     if getattr(self, k) != defaults[k]]
        return f"{type(self).__name__}({', '.join(shown)})"


def check_state_keys(who, state, expected, scalars):
    """Raise naming the first unexpected, missing or mis-shaped key of an optimiser's state.

    ``expected`` maps each array key to its shape (``shape/<name>`` keys hold the shape
    itself); ``scalars`` are the keys of hyperparameters and counters.
    """
    if unexpected := sorted(set(state) - set(expected) - set(scalars)):
        raise ValueError(f"{who}: unexpected key {unexpected[0]!r} (another optimiser or model?)")
    for key, shape in expected.items():
        if key not in state:
            raise ValueError(f"{who}: missing key {key!r} (another model?)")
        got = (tuple(int(n) for n in np.ravel(state[key])) if key.startswith("shape/")
               else np.shape(state[key]))
        if got != shape:
            raise ValueError(f"{who}: key {key!r} has shape {got}, the model's parameter has "
                             f"shape {shape}")
