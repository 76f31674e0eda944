"""The float64 oracle against facts computed by hand from the paper (spec sheet: papers/adam.md)."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.adam.reference import (
    adam_reference_step,
    adam_spike_step_ratio,
    adamax_reference_step,
    adamax_worst_step_ratio,
)

ALPHA = 1e-3


def _adam(theta, g, m, v, t, **kw):
    hyper = {"lr": ALPHA, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8} | kw
    return adam_reference_step(theta, g, m, v, None, t, **hyper)


def test_first_step_is_minus_alpha_sign_g():
    # m̂1 = g and v̂1 = g², so with ε = 0 the first step is exactly -α·sign(g) (§2.1).
    g = torch.tensor([3.0, -1e-6, 250.0, -7.5], dtype=torch.float64)
    theta = torch.zeros(4, dtype=torch.float64)
    out = _adam(theta, g, torch.zeros(4), torch.zeros(4), 1, eps=0.0)
    torch.testing.assert_close(out.param, -ALPHA * torch.sign(g), rtol=1e-15, atol=0)


@pytest.mark.parametrize(("t", "expected"), [(1, 1.0), (10, 0.48), (100, 0.98), (1000, 2.51)])
def test_spike_bound_formula_matches_spec_values(t, expected):
    # §2.1 worst case: t-1 zero gradients then one spike; values from the spec sheet (2 decimals).
    assert adam_spike_step_ratio(t) == pytest.approx(expected, abs=0.006)


def test_spike_bound_limit_and_case_split():
    # t -> ∞: (1-β1)/sqrt(1-β2) = 3.162 > 1 because (1-β1) > sqrt(1-β2) with the defaults.
    assert adam_spike_step_ratio(100_000) == pytest.approx(0.1 / math.sqrt(0.001), rel=1e-9)
    assert 0.1 / math.sqrt(0.001) == pytest.approx(3.162, abs=5e-4)
    # With (1-β1) <= sqrt(1-β2) the paper's bound is |Δ| <= α: the ratio never exceeds 1.
    assert max(adam_spike_step_ratio(t, 0.9, 0.9) for t in range(1, 2000)) <= 1.0 + 1e-12


@pytest.mark.parametrize("t", [1, 10, 100, 1000])
def test_oracle_spike_step_equals_formula(t):
    g_spike = torch.tensor([2.5, -0.3], dtype=torch.float64)
    theta = torch.zeros(2, dtype=torch.float64)
    m = torch.zeros(2, dtype=torch.float64)
    v = torch.zeros(2, dtype=torch.float64)
    for step in range(1, t):
        theta, m, v, _ = _adam(theta, torch.zeros(2), m, v, step, eps=1e-300)
    new = _adam(theta, g_spike, m, v, t, eps=0.0).param
    ratio = (new - theta).abs() / ALPHA
    torch.testing.assert_close(ratio, torch.full((2,), adam_spike_step_ratio(t), dtype=torch.float64), rtol=1e-12, atol=0)


def test_efficient_form_equals_algorithm_1_when_eps_hat_is_rescaled():
    # End of §2: the efficient form equals Algorithm 1 iff ε̂ = ε·sqrt(1-β2^t).
    gen = torch.Generator().manual_seed(1)
    theta = torch.randn(100, generator=gen, dtype=torch.float64)
    m = torch.zeros(100, dtype=torch.float64)
    v = torch.zeros(100, dtype=torch.float64)
    eps = 1e-3
    for t in range(1, 30):
        g = torch.randn(100, generator=gen, dtype=torch.float64) * 1e-3
        paper = _adam(theta, g, m, v, t, eps=eps)
        efficient = _adam(theta, g, m, v, t, eps=eps * math.sqrt(1 - 0.999**t), eps_mode="efficient")
        constant = _adam(theta, g, m, v, t, eps=eps, eps_mode="efficient")
        torch.testing.assert_close(efficient.param, paper.param, rtol=1e-13, atol=1e-15)
        assert not torch.allclose(constant.param, paper.param, rtol=1e-6, atol=0)  # constant ε̂ differs
        theta, m, v = paper.param, paper.exp_avg, paper.exp_avg_sq


@pytest.mark.parametrize("c", [1e-4, 3.0, 1e5])
def test_step_is_invariant_to_gradient_scale(c):
    # §2.1: with ε = 0, scaling every gradient by c > 0 leaves every step unchanged.
    gen = torch.Generator().manual_seed(2)
    grads = [torch.randn(50, generator=gen, dtype=torch.float64) for _ in range(20)]
    states = {}
    for scale in (1.0, c):
        theta = torch.zeros(50, dtype=torch.float64)
        m = torch.zeros(50, dtype=torch.float64)
        v = torch.zeros(50, dtype=torch.float64)
        for t, g in enumerate(grads, start=1):
            theta, m, v, _ = _adam(theta, scale * g, m, v, t, eps=0.0)
        states[scale] = theta
    torch.testing.assert_close(states[c], states[1.0], rtol=1e-12, atol=1e-15)


def test_bias_corrected_moments_are_unbiased_for_stationary_gradients():
    # §3: for i.i.d. g, E[m̂_t] = E[g] and E[v̂_t] = E[g²]; without the correction m_t is (1-β1^t)·E[g].
    gen = torch.Generator().manual_seed(3)
    n, mu, sigma = 400_000, 0.5, 2.0
    m = torch.zeros(n, dtype=torch.float64)
    v = torch.zeros(n, dtype=torch.float64)
    theta = torch.zeros(n, dtype=torch.float64)
    for t in range(1, 6):
        g = mu + sigma * torch.randn(n, generator=gen, dtype=torch.float64)
        theta, m, v, _ = _adam(theta, g, m, v, t, lr=0.0)
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        # Tolerances: 5 standard errors of the mean over n coordinates.
        assert m_hat.mean().item() == pytest.approx(mu, abs=5 * m_hat.std().item() / math.sqrt(n))
        assert v_hat.mean().item() == pytest.approx(mu**2 + sigma**2, abs=5 * v_hat.std().item() / math.sqrt(n))
        assert m.mean().item() == pytest.approx((1 - 0.9**t) * mu, abs=5 * m.std().item() / math.sqrt(n))


def test_reduces_to_adagrad_with_beta1_zero_beta2_to_one_and_inverse_sqrt_lr():
    # §5: β1 = 0, β2 -> 1, α_t = α/sqrt(t) gives θ <- θ - α·g_t/sqrt(Σ_i g_i²) (AdaGrad).
    gen = torch.Generator().manual_seed(4)
    theta = torch.randn(30, generator=gen, dtype=torch.float64)
    adagrad = theta.clone()
    m = torch.zeros(30, dtype=torch.float64)
    v = torch.zeros(30, dtype=torch.float64)
    sum_sq = torch.zeros(30, dtype=torch.float64)
    for t in range(1, 41):
        g = torch.randn(30, generator=gen, dtype=torch.float64)
        theta, m, v, _ = _adam(theta, g, m, v, t, lr=0.1 / math.sqrt(t), beta1=0.0, beta2=1 - 1e-9, eps=0.0)
        sum_sq += g * g
        adagrad = adagrad - 0.1 * g / sum_sq.sqrt()
    torch.testing.assert_close(theta, adagrad, rtol=1e-6, atol=1e-7)


def test_adamax_first_step_and_tight_bound_on_random_gradients():
    # §7.1 claims |Δ_t| <= α. What holds exactly is |Δ_t| <= α·adamax_worst_step_ratio(t) <= 1.009·α;
    # heavy-tailed (Cauchy) gradients already exceed α slightly, Δ_1 = -α·sign(g) exactly.
    gen = torch.Generator().manual_seed(5)
    alpha = 2e-3
    theta = torch.zeros(2000, dtype=torch.float64)
    m = torch.zeros_like(theta)
    u = torch.zeros_like(theta)
    largest = 0.0
    for t in range(1, 200):
        cauchy = torch.randn(2000, generator=gen, dtype=torch.float64) / torch.randn(2000, generator=gen, dtype=torch.float64)
        new, m, u = adamax_reference_step(theta, cauchy, m, u, t, lr=alpha, beta1=0.9, beta2=0.999)
        step = (new - theta).abs().max().item()
        if t == 1:
            torch.testing.assert_close(new - theta, -alpha * torch.sign(cauchy), rtol=1e-15, atol=0)
        assert step <= alpha * adamax_worst_step_ratio(t) * (1 + 1e-12)
        largest = max(largest, step)
        theta = new
    assert alpha * 0.99 < largest <= alpha * 1.009


def test_adamax_worst_case_slightly_exceeds_alpha():
    # g_i = β2^i (shrinking at exactly u's decay rate) attains the tight bound, which tends to
    # (1-β1)/(1-β1/β2) = 1.009: the paper's |Δ| <= α holds only up to 0.9% (reported deviation).
    alpha, beta1, beta2 = 2e-3, 0.9, 0.999
    theta = torch.zeros(1, dtype=torch.float64)
    m = torch.zeros(1, dtype=torch.float64)
    u = torch.zeros(1, dtype=torch.float64)
    for t in range(1, 401):
        g = torch.full((1,), beta2**t, dtype=torch.float64)
        new, m, u = adamax_reference_step(theta, g, m, u, t, lr=alpha, beta1=beta1, beta2=beta2)
        ratio = ((theta - new).abs() / alpha).item()
        assert ratio == pytest.approx(adamax_worst_step_ratio(t, beta1, beta2), rel=1e-10)
        theta = new
    assert ratio > 1.008
    assert adamax_worst_step_ratio(10_000) == pytest.approx((1 - beta1) / (1 - beta1 / beta2), rel=1e-9)


def test_adamax_zero_gradients_give_zero_step_not_nan():
    theta = torch.ones(3, dtype=torch.float64)
    out = adamax_reference_step(theta, torch.zeros(3), torch.zeros(3), torch.zeros(3), 1, lr=2e-3, beta1=0.9, beta2=0.999)
    torch.testing.assert_close(out.param, theta, rtol=0, atol=0)
