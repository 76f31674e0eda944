"""``bias_correction=False``: Algorithm 1 with m̂ = m and v̂ = v (§6.4's "RMSProp with momentum",
the comparison of Fig. 4), in every impl of Adam and AdaMax, held to the float64 oracle."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.adam import AdaMax, Adam

from .helpers import adam_oracle_trajectory, adamax_oracle_trajectory, gradient_sequence, run_optimizer


def _literal(grads: list[float], lr: float, beta1: float, beta2: float, eps: float, theta: float) -> float:
    # Hand-written float64 recurrence of §6.4's update, independent of seminal.adam.reference.
    m = v = 0.0
    for g in grads:
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        theta -= lr * m / (math.sqrt(v) + eps)
    return theta


def _run(grads: list[float], **kwargs) -> float:
    theta = torch.nn.Parameter(torch.tensor([0.5], dtype=torch.float64))
    optimizer = Adam([theta], **kwargs)
    for g in grads:
        theta.grad = torch.tensor([g], dtype=torch.float64)
        optimizer.step()
    return float(theta.detach())


@pytest.mark.parametrize("impl", ["fused", "loop", "reference"])
def test_first_step_is_scaled_by_one_minus_beta1_over_sqrt_one_minus_beta2(impl):
    # m1 = (1-β1) g, v1 = (1-β2) g²  ->  Δ1 = −α (1-β1)/sqrt(1-β2) sign(g) with ε = 0: 10α here.
    theta = _run([3.0], lr=0.01, betas=(0.9, 0.9999), eps=0.0, bias_correction=False, impl=impl)
    assert theta == pytest.approx(0.5 - 0.01 * 0.1 / 0.01, rel=1e-12)


@pytest.mark.parametrize("impl", ["fused", "loop", "reference"])
def test_matches_the_hand_written_recurrence_over_many_steps(impl):
    grads = [math.sin(1.7 * t) * (1 + t % 5) for t in range(1, 60)]
    ours = _run(grads, lr=3e-3, betas=(0.9, 0.99), eps=1e-8, bias_correction=False, impl=impl)
    assert ours == pytest.approx(_literal(grads, 3e-3, 0.9, 0.99, 1e-8, 0.5), rel=1e-12, abs=1e-14)


def test_equals_adam_when_both_betas_are_zero():
    # 1 − 0^t = 1: with β1 = β2 = 0 bias correction is the identity, so the two updates coincide.
    grads = [0.3, -1.2, 2.5, -0.1]
    without = _run(grads, lr=0.05, betas=(0.0, 0.0), eps=1e-8, bias_correction=False)
    assert without == pytest.approx(_run(grads, lr=0.05, betas=(0.0, 0.0), eps=1e-8), rel=1e-12)


def test_differs_from_adam_early_when_beta2_is_near_one():
    grads = [1.0] * 5
    without = _run(grads, lr=1e-3, betas=(0.9, 0.9999), eps=1e-8, bias_correction=False)
    adam = _run(grads, lr=1e-3, betas=(0.9, 0.9999), eps=1e-8)
    assert 0.5 - without > 2 * (0.5 - adam)  # larger early steps: the instability of Fig. 4


CASES = {
    "plain": {},
    "efficient": {"eps_mode": "efficient", "eps": 1e-4},
    "amsgrad_adamw": {"amsgrad": True, "weight_decay": 0.1, "decoupled_weight_decay": True},
    "beta1_decay": {"beta1_decay": 0.9, "maximize": True},
}


@pytest.mark.parametrize("impl", ["fused", "compiled", "loop", "reference"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_adam_without_bias_correction_matches_the_oracle(case, impl):
    options = CASES[case]
    theta0 = torch.randn(64, 80, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    grads = gradient_sequence(12, shape=(64, 80), dtype=torch.float64)
    param = torch.nn.Parameter(theta0.clone())
    got = run_optimizer(Adam([param], impl=impl, bias_correction=False, **options), param, grads)
    hyper = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": options.get("eps", 1e-8), "bias_correction": False}
    hyper |= {k: v for k, v in options.items() if k != "eps"}
    want = adam_oracle_trajectory(theta0, grads, hyper)
    # compiled runs its float64 kernel; every path is exact to ~1e-12 in float64
    for step, (g, w) in enumerate(zip(got, want), start=1):
        torch.testing.assert_close(g, w, rtol=1e-11, atol=1e-14, msg=lambda m: f"step {step}: {m}")


@pytest.mark.parametrize("impl", ["compiled", "loop", "reference"])
def test_adamax_without_bias_correction_matches_the_oracle(impl):
    theta0 = torch.randn(64, 80, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    grads = gradient_sequence(12, shape=(64, 80), dtype=torch.float64)
    param = torch.nn.Parameter(theta0.clone())
    got = run_optimizer(AdaMax([param], impl=impl, bias_correction=False), param, grads)
    want = adamax_oracle_trajectory(theta0, grads, {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "bias_correction": False})
    torch.testing.assert_close(got[-1], want[-1], rtol=1e-11, atol=1e-14)
    # Without the correction the first step is (1-β1)·α·sign(g), not α·sign(g).
    first = adamax_oracle_trajectory(theta0, grads[:1], {"lr": 2e-3, "beta1": 0.9, "beta2": 0.999, "bias_correction": False})[0]
    nonzero = grads[0] != 0
    torch.testing.assert_close((first - theta0)[nonzero], -0.1 * 2e-3 * grads[0].sign()[nonzero], rtol=1e-12, atol=0)


def test_bias_correction_must_be_a_bool():
    with pytest.raises(TypeError, match=r"Invalid bias_correction: 0 \(expected True or False\)"):
        Adam([torch.nn.Parameter(torch.zeros(2))], bias_correction=0)
