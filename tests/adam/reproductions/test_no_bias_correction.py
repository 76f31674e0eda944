"""AdamWithoutBiasCorrection is Algorithm 1 with m̂ = m and v̂ = v (§6.4's "RMSProp with momentum")."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.adam import Adam
from seminal.adam.reproductions.no_bias_correction import AdamWithoutBiasCorrection


def _literal(grads: list[float], lr: float, beta1: float, beta2: float, eps: float, theta: float) -> float:
    # Hand-written float64 recurrence of the module docstring, the oracle.
    m = v = 0.0
    for g in grads:
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        theta -= lr * m / (math.sqrt(v) + eps)
    return theta


def _run(optimizer_cls, grads: list[float], **kwargs) -> float:
    theta = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
    optimizer = optimizer_cls([theta], **kwargs)
    for g in grads:
        theta.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
    return float(theta.detach())


def test_first_step_is_scaled_by_one_minus_beta1_over_sqrt_one_minus_beta2() -> None:
    # m1 = (1-β1) g, v1 = (1-β2) g²  ->  Δ1 = −α (1-β1)/sqrt(1-β2) sign(g) with ε = 0: 10α here.
    theta = _run(AdamWithoutBiasCorrection, [3.0], lr=0.01, betas=(0.9, 0.9999), eps=0.0)
    assert theta == pytest.approx(0.5 - 0.01 * 0.1 / 0.01, rel=1e-12)


def test_matches_the_float64_recurrence_over_many_steps() -> None:
    grads = [math.sin(1.7 * t) * (1 + t % 5) for t in range(1, 60)]
    ours = _run(AdamWithoutBiasCorrection, grads, lr=3e-3, betas=(0.9, 0.99), eps=1e-8)
    assert ours == pytest.approx(_literal(grads, 3e-3, 0.9, 0.99, 1e-8, 0.5), rel=1e-12, abs=1e-14)


def test_equals_adam_when_both_betas_are_zero() -> None:
    # 1 − 0^t = 1: with β1 = β2 = 0 bias correction is the identity, so the two updates coincide.
    grads = [0.3, -1.2, 2.5, -0.1]
    ours = _run(AdamWithoutBiasCorrection, grads, lr=0.05, betas=(0.0, 0.0), eps=1e-8)
    assert ours == pytest.approx(_run(Adam, grads, lr=0.05, betas=(0.0, 0.0), eps=1e-8), rel=1e-12)


def test_differs_from_adam_early_when_beta2_is_near_one() -> None:
    grads = [1.0] * 5
    no_correction = _run(AdamWithoutBiasCorrection, grads, lr=1e-3, betas=(0.9, 0.9999), eps=1e-8)
    adam = _run(Adam, grads, lr=1e-3, betas=(0.9, 0.9999), eps=1e-8)
    assert 0.5 - no_correction > 2 * (0.5 - adam)  # larger early steps: the instability of Fig. 4


def test_skips_parameters_without_gradient() -> None:
    theta = torch.tensor([1.0], requires_grad=True)
    AdamWithoutBiasCorrection([theta]).step()
    assert float(theta.detach()) == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, r"Invalid learning rate: -1.0"),
        ({"eps": -1e-8}, r"Invalid epsilon value: -1e-08"),
        ({"betas": (1.0, 0.999)}, r"Invalid beta parameter at index 0: 1.0 \(expected 0 <= beta < 1\)"),
        ({"betas": (0.9, -0.1)}, r"Invalid beta parameter at index 1: -0.1"),
    ],
)
def test_rejects_invalid_hyperparameters(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AdamWithoutBiasCorrection([torch.zeros(1, requires_grad=True)], **kwargs)
