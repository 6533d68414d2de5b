"""Save a model's parameters to ``.npz`` and load them back, exactly.

The file holds one array per parameter, keyed by the names that
``model.parameters()`` gives (``"0.W"``, ``"0.b"``, ...). No pickles: the file
is read with ``allow_pickle=False``, so loading cannot run code. Loading
writes into an existing model of the same architecture, in place.
"""

from pathlib import Path

import numpy as np

__all__ = ["save", "load"]


def _named_parameters(model, who):
    if not hasattr(model, "parameters"):
        raise TypeError(f"{who}: expected a model with parameters(), got {type(model).__name__}")
    return {name: param for name, param, _ in model.parameters()}


def save(model, path):
    """Write every parameter of ``model`` to an ``.npz`` file.

    Parameters
    ----------
    model : Module
        Anything whose ``parameters()`` yields ``(name, array, grad)``.
    path : str or Path
        Destination; NumPy appends ``.npz`` if missing.

    Returns
    -------
    Path
        The file written.
    """
    params = _named_parameters(model, "save")
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    np.savez(path, **params)
    return path


def load(model, path):
    """Load parameters saved by :func:`save` into ``model``, in place.

    Parameters
    ----------
    model : Module
        A model with the same architecture as the one saved.
    path : str or Path

    Returns
    -------
    model
        The same object, for chaining.

    Raises
    ------
    ValueError
        When the file's parameter names, shapes or dtypes do not match the
        model's; the model is left unchanged in that case.
    """
    params = _named_parameters(model, "load")
    with np.load(path, allow_pickle=False) as stored:
        missing = sorted(set(params) - set(stored.files))
        extra = sorted(set(stored.files) - set(params))
        if missing or extra:
            raise ValueError(
                f"load: {path} does not match the model's architecture: "
                f"missing parameters {missing}, unexpected parameters {extra}")
        arrays = {name: stored[name] for name in params}
    for name, param in params.items():  # check everything before changing anything
        if arrays[name].shape != param.shape or arrays[name].dtype != param.dtype:
            raise ValueError(
                f"load: parameter {name!r} in {path} has shape {arrays[name].shape} and dtype "
                f"{arrays[name].dtype}; the model expects {param.shape} and {param.dtype}")
    for name, param in params.items():
        param[...] = arrays[name]
    return model
