"""``is_zero`` leaves an expression that SymPy cannot turn into a number at the random point
(a step or delta function of an argument that is zero there) to ``simplify``.

Independent route: the identity ``sin²x + cos²x − 1 = 0``, SymPy's ``Heaviside(0) = 1/2``, and
``DiracDelta(a) − DiracDelta(a) = 0``, written out by hand.
"""

import numpy as np
import pytest
import sympy as sp

from nnmath.book.symbolic import is_zero

x = sp.Symbol("x")
ZERO_ARG = sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1        # identically zero, not syntactically


@pytest.mark.parametrize("expr, zero", [
    (sp.Heaviside(ZERO_ARG) - sp.Rational(1, 2), True),
    (sp.DiracDelta(ZERO_ARG) - sp.DiracDelta(0), True),
    (sp.Heaviside(ZERO_ARG) - 1, False),
])
def test_a_step_of_an_identically_zero_argument(expr, zero):
    value = expr.xreplace({x: sp.Rational(37, 100)}).evalf(50)
    with pytest.raises(TypeError):                        # no number: the numeric probe is mute
        complex(value)
    assert is_zero(np.array([expr, sp.Integer(0)], dtype=object)) is zero
