"""BatchNorm's construction: each refusal word for word, the edges of its ranges, no gradient before backward.

Independent route: the documented contract written out (name the layer, the
setting and the problem); momentum 0 (statistics frozen) and 1 are accepted.
"""

import numpy as np
import pytest

import nnmath as nm


@pytest.mark.parametrize("kwargs, error, message", [
    ({"features": 0}, ValueError, "BatchNorm: features must be positive, got 0"),
    ({"features": "2"}, TypeError, "BatchNorm: features must be an integer, got '2'"),
    ({"eps": 0.0}, ValueError, "BatchNorm: eps must be finite and > 0, got 0.0"),
    ({"momentum": 1.5}, ValueError, "BatchNorm: momentum must be finite and in [0, 1], got 1.5"),
    ({"dtype": int}, TypeError, "BatchNorm: dtype must be a floating dtype, got int64"),
])
def test_refusals_are_exact(kwargs, error, message):
    with pytest.raises(error) as info:
        nm.BatchNorm(**({"features": 2} | kwargs))
    assert str(info.value) == message


def test_momentum_zero_and_one_are_accepted_and_no_gradient_before_backward():
    assert nm.BatchNorm(2, momentum=0.0).momentum == 0.0
    assert nm.BatchNorm(2, momentum=1.0).momentum == 1.0
    for name in ("gamma", "beta"):
        norm = nm.BatchNorm(2)
        if name == "beta":
            norm.dgamma = np.zeros(2)
        with pytest.raises(RuntimeError) as info:
            nm.SGD(norm, lr=0.1).step()
        assert str(info.value) == f"SGD.step: parameter '{name}' has no gradient; call backward first"
