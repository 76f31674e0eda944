"""Hypothesis fuzz of the optimizers' constructors: every value is accepted only when it means
something (finite, in its range), and anything else is a clear error naming the argument."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seminal.adam import AdaMax, Adam

NUMBERS = st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-3, max_value=3) | st.sampled_from([0.0, 0.5, 0.999, 1.0, 1e-8])
NAMES = ("learning rate", "beta parameter", "epsilon value", "weight_decay value", "beta1_decay", "averaging beta")


@pytest.mark.parametrize("cls", [Adam, AdaMax])
@settings(max_examples=150, deadline=None)
@given(lr=NUMBERS, beta1=NUMBERS, beta2=NUMBERS, eps=NUMBERS, weight_decay=NUMBERS, beta1_decay=NUMBERS,
       averaging=st.none() | NUMBERS)
def test_constructor_accepts_only_meaningful_numbers(cls, lr, beta1, beta2, eps, weight_decay, beta1_decay, averaging):
    param = torch.nn.Parameter(torch.ones(4))
    try:
        opt = cls([param], lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
                  beta1_decay=beta1_decay, averaging=averaging)
    except (ValueError, TypeError) as error:
        assert str(error).startswith("Invalid ") and any(name in str(error) for name in NAMES), str(error)
        return
    values = [lr, beta1, beta2, eps, weight_decay, beta1_decay] + ([] if averaging is None else [averaging])
    assert all(math.isfinite(v) for v in values)
    assert lr >= 0 and 0 <= beta1 < 1 and 0 <= beta2 < 1 and eps >= 0 and weight_decay >= 0 and 0 < beta1_decay <= 1
    assert averaging is None or 0 <= averaging < 1
    param.grad = torch.tensor([1.0, -2.0, 0.5, 3.0])
    opt.step()  # an accepted configuration steps without error
    if lr <= 1.0 and weight_decay <= 1e3:
        assert torch.isfinite(param).all()
