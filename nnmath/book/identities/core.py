r"""The identity registry: one entry, and one source of truth, per identity the book states.

Every identity is a *vector-Jacobian product*: a forward map ``out = f(inputs)``
and a compact formula for ``∂L/∂inputs[wrt]`` given the upstream gradient
``δ = ∂L/∂out``. One entry holds

* ``name``, ``title``, ``chapter`` (the docname of the chapter deriving it),
  ``latex`` and ``shapes`` for the book and its cheat sheet;
* ``forward`` and ``compact``: the very functions ``nnmath``'s layers run;
* ``sample``: random inputs for the numeric check;
* ``symbolic_sizes`` (and, when ``forward`` uses NumPy functions SymPy cannot
  enter, ``symbolic_forward``) for the SymPy check at those sizes, or a custom
  ``proof(compact)``;
* ``tensor_forward`` (optional): the forward written with
  :class:`nnmath.autodiff.Tensor` operations for the third route, built from
  operations *other* than the rule under test (a matrix product from a
  broadcast multiply and a sum, ``tanh`` from ``exp``, ...), so that the engine
  never restates the formula it checks;
* ``convention``: ``"row"`` (the book's row-major convention) or ``"column"``
  (vectors as columns, ``y = W x``); the cheat sheet tags the latter.

Three routes check an entry: :meth:`IdentityEntry.prove` (exact, SymPy, at the
sizes listed; ``extra["all_sizes_proof"]`` where a proof for every size
exists), :meth:`IdentityEntry.check_numeric` (central finite differences) and
:meth:`IdentityEntry.check_autodiff` (the reverse-mode engine). Each takes an
optional ``compact`` that replaces the entry's formula, so a test can hand
every route a wrong formula and watch it fail.
"""

from dataclasses import dataclass, field
from typing import Callable, Mapping, Optional

import numpy as np

from ...gradcheck import norm_relative_error, numeric_gradient
from ..symbolic import ProofResult, prove_vjp, symbol_array

__all__ = ["IdentityEntry", "NumericCheck", "REGISTRY", "register", "get", "for_chapter",
           "ROUTES"]

ROUTES = ("sympy", "finite differences", "autodiff")


@dataclass
class NumericCheck:
    """Outcome of a numeric check: :func:`nnmath.gradcheck.norm_relative_error` against the reference."""

    name: str
    route: str
    rel_error: float
    rtol: float

    @property
    def passed(self):
        return bool(self.rel_error <= self.rtol)

    def __bool__(self):
        return self.passed


@dataclass
class IdentityEntry:
    """One identity of the book; see the module docstring for the fields."""

    name: str
    title: str
    chapter: str
    latex: str
    shapes: Mapping[str, str]
    forward: Callable
    wrt: str
    compact: Callable  # compact(delta, out, **inputs)
    sample: Callable[[np.random.Generator], dict]
    symbolic_sizes: tuple = ()
    symbolic_forward: Optional[Callable] = None
    proof: Optional[Callable[..., ProofResult]] = None
    tensor_forward: Optional[Callable] = None
    fd_rtol: float = 1e-7
    notes: str = ""
    convention: str = "row"
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.convention not in ("row", "column"):
            raise ValueError(f"IdentityEntry {self.name!r}: convention must be 'row' or "
                             f"'column', got {self.convention!r}")

    # -- route 1: exact -----------------------------------------------------
    def prove(self, compact=None):
        """Run the SymPy check at every listed size; return a list of :class:`ProofResult`.

        Parameters
        ----------
        compact : callable, optional
            A formula to check instead of the entry's own (a test hands a wrong
            one to see the route fail). A custom ``proof`` receives it as its
            one argument.
        """
        compact = self.compact if compact is None else compact
        if self.proof is not None:
            result = self.proof(compact)
            return list(result) if isinstance(result, (list, tuple)) else [result]
        forward = self.symbolic_forward or self.forward
        results = []
        for sizes in self.symbolic_sizes:
            inputs = {k: symbol_array(k, shape, real=True) for k, shape in sizes.items()}
            results.append(prove_vjp(forward, inputs, self.wrt, compact,
                                     statement=f"{self.name} at {sizes}"))
        return results

    def prove_all_sizes(self, compact=None):
        """The proof for every size (``extra["all_sizes_proof"]``), or None if there is none.

        Without ``compact`` it proves the entry's own formula: ``compact``, or
        its twin ``extra["all_sizes_twin"]`` where the NumPy function cannot
        run on symbolic sizes (:mod:`nnmath.book.identities.all_sizes`).
        """
        proof = self.extra.get("all_sizes_proof")
        if proof is None:
            return None
        if compact is None:
            compact = self.extra.get("all_sizes_twin", self.compact)
        return proof(compact)

    @property
    def all_sizes_method(self):
        """``"index notation"`` or ``"matrix calculus"``: how the proof for every size works."""
        return self.extra.get("all_sizes_method")

    @property
    def proof_status(self):
        """``"proof for every size"`` or ``"checked at sizes ..."``, as the book shows it."""
        if "all_sizes_proof" in self.extra:
            return f"proof for every size ({self.all_sizes_method})"
        sizes = "; ".join(", ".join(f"{k} {v}" for k, v in s.items() if v)
                          for s in self.symbolic_sizes)
        return f"checked at sizes {sizes}" if sizes else "checked at fixed sizes"

    # -- route 2: numeric ----------------------------------------------------
    def check_numeric(self, rng, *, inputs=None, compact=None):
        """Compare ``compact`` with central differences of ``<δ, forward(inputs)>``."""
        compact = self.compact if compact is None else compact
        inputs = dict(self.sample(rng) if inputs is None else inputs)
        out = self.forward(**inputs)
        delta = rng.standard_normal(np.shape(out))

        def scalar(v):
            return float(np.sum(delta * self.forward(**{**inputs, self.wrt: v})))

        expected = numeric_gradient(scalar, inputs[self.wrt])
        actual = compact(delta, out, **inputs)
        return NumericCheck(self.name, "finite differences",
                            norm_relative_error(actual, expected), self.fd_rtol)

    # -- route 3: reverse-mode engine ----------------------------------------
    def check_autodiff(self, rng, *, rtol=1e-10, compact=None):
        """Compare ``compact`` with the autodiff engine's gradient of ``<δ, forward>``.

        Returns None when the entry has no ``tensor_forward`` yet.
        """
        if self.tensor_forward is None:
            return None
        from ...autodiff import Tensor  # late import: the engine is optional here

        compact = self.compact if compact is None else compact
        inputs = dict(self.sample(rng))
        out = self.forward(**inputs)
        delta = rng.standard_normal(np.shape(out))
        tensors = {k: Tensor(v) for k, v in inputs.items()}
        (self.tensor_forward(**tensors) * delta).sum().backward()
        actual = compact(delta, out, **inputs)
        return NumericCheck(self.name, "autodiff",
                            norm_relative_error(actual, tensors[self.wrt].grad), rtol)

    @property
    def routes(self):
        """The verification routes this entry supports, in the order of :data:`ROUTES`."""
        have = {"sympy": bool(self.symbolic_sizes or self.proof),
                "finite differences": True,
                "autodiff": self.tensor_forward is not None}
        return tuple(r for r in ROUTES if have[r])


REGISTRY: dict = {}


def register(identity):
    """Add an identity to the registry; names are unique."""
    if identity.name in REGISTRY:
        raise ValueError(f"register: identity {identity.name!r} is already registered")
    REGISTRY[identity.name] = identity
    return identity


def get(name):
    """Return the identity called ``name``."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no identity named {name!r}; known: {', '.join(REGISTRY)}") from None


def for_chapter(chapter):
    """Identities derived in ``chapter`` (a docname such as ``derivations/05_matrix_by_matrix``)."""
    return [i for i in REGISTRY.values() if i.chapter == chapter]
