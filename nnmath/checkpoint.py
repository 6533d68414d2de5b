"""Save a model's parameters to ``.npz`` and load them back, exactly.

The file holds one array per parameter, keyed by the names that
``model.parameters()`` gives (``"0.W"``, ``"0.b"``, ...). No pickles: the file
is read with ``allow_pickle=False``, so loading cannot run code. Loading
writes into an existing model of the same architecture, in place.
"""

import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["save", "load"]


def _named_parameters(model, who):
    if not hasattr(model, "parameters"):
        raise TypeError(f"{who}: expected a model with parameters(), got {type(model).__name__}")
    return {name: param for name, param, _ in model.parameters()}


def _npz_path(path):
    """``path`` with ``.npz`` appended unless it already ends so (what NumPy writes)."""
    path = Path(path)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def save(model, path):
    """Write every parameter of ``model`` to an ``.npz`` file, atomically.

    Parameters
    ----------
    model : Module
        Anything whose ``parameters()`` yields ``(name, array, grad)``.
    path : str or Path
        Destination; ``.npz`` is appended if missing.

    Returns
    -------
    Path
        The file written.

    Notes
    -----
    The arrays go to a temporary file in the same folder, which then replaces
    ``path`` in one step (:func:`os.replace`): a crash mid-write leaves the
    previous file intact, never half of a new one.
    """
    params = _named_parameters(model, "save")
    path = _npz_path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **params)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _read(path):
    """Every array of the ``.npz`` at ``path``, or a ValueError saying the file is unreadable."""
    try:
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"load: no checkpoint at {path}") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"load: {path} is not a readable checkpoint (corrupt or truncated "
                         f"file: {exc}); the model was left unchanged") from None


def load(model, path):
    """Load parameters saved by :func:`save` into ``model``, in place.

    Parameters
    ----------
    model : Module
        A model with the same architecture as the one saved.
    path : str or Path
        As given to :func:`save`: ``"xor"`` finds the ``xor.npz`` that
        ``save(model, "xor")`` wrote.

    Returns
    -------
    model
        The same object, for chaining.

    Raises
    ------
    ValueError
        When the file is corrupt or truncated, or its parameter names, shapes
        or dtypes do not match the model's; the model is left unchanged.
    """
    params = _named_parameters(model, "load")
    path = Path(path)
    if not path.exists() and _npz_path(path).exists():
        path = _npz_path(path)
    arrays = _read(path)
    missing = sorted(set(params) - set(arrays))
    extra = sorted(set(arrays) - set(params))
    if missing or extra:
        raise ValueError(
            f"load: {path} does not match the model's architecture: "
            f"missing parameters {missing}, unexpected parameters {extra}")
    for name, param in params.items():  # check everything before changing anything
        if arrays[name].shape != param.shape or arrays[name].dtype != param.dtype:
            raise ValueError(
                f"load: parameter {name!r} in {path} has shape {arrays[name].shape} and dtype "
                f"{arrays[name].dtype}; the model expects {param.shape} and {param.dtype}")
    for name, param in params.items():
        param[...] = arrays[name]
    return model
