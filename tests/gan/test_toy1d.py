"""§4 on 1-D densities: Proposition 1 (a trained D approaches D*) and Theorem 1 (C(G) = -log 4 + 2 JSD)."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.gan.losses import discriminator_loss
from seminal.gan.toy1d import (
    LOG4,
    ToyDiscriminator,
    ToyGenerator,
    gaussian_pdf,
    jensen_shannon_divergence,
    kde_density,
    optimal_discriminator,
    virtual_training_criterion,
)

X = torch.linspace(-12.0, 12.0, 24_001, dtype=torch.float64)


def test_theorem1_global_minimum_is_minus_log4_at_p_g_equal_p_data() -> None:
    p = gaussian_pdf(X, 0.5, 1.3)
    assert virtual_training_criterion(X, p, p) == pytest.approx(-LOG4, abs=1e-9)
    assert torch.allclose(optimal_discriminator(p, p), torch.full_like(p, 0.5))


@pytest.mark.parametrize("shift", [0.25, 1.0, 3.0])
def test_theorem1_c_of_g_plus_log4_is_twice_the_jsd(shift: float) -> None:
    p_data, p_g = gaussian_pdf(X, 0.0, 1.0), gaussian_pdf(X, shift, 1.5)
    c = virtual_training_criterion(X, p_data, p_g)
    jsd = jensen_shannon_divergence(X, p_data, p_g)
    assert c + LOG4 == pytest.approx(2.0 * jsd, abs=1e-8)
    assert 0 < jsd < math.log(2)  # strictly positive when p_g != p_data, bounded by log 2
    assert c > -LOG4


def test_jsd_of_disjoint_densities_is_log2() -> None:
    p, q = gaussian_pdf(X, -6.0, 0.3), gaussian_pdf(X, 6.0, 0.3)
    assert jensen_shannon_divergence(X, p, q) == pytest.approx(math.log(2), abs=1e-6)


def test_proposition1_optimal_d_is_the_density_ratio() -> None:
    p_data, p_g = torch.tensor([0.2, 0.0, 0.3, 0.0]), torch.tensor([0.2, 0.5, 0.1, 0.0])
    assert torch.allclose(optimal_discriminator(p_data, p_g), torch.tensor([0.5, 0.0, 0.75, 0.5]))


def test_proposition1_a_discriminator_trained_to_convergence_approaches_d_star() -> None:
    """Fix G (p_g = N(1, 1.5²)), train D on samples with D's loss; compare with D* on a grid."""
    torch.manual_seed(0)
    D = ToyDiscriminator(32)
    opt = torch.optim.Adam(D.parameters(), lr=1e-2)
    for _ in range(400):
        x_data = torch.randn(256, 1)
        x_g = 1.0 + 1.5 * torch.randn(256, 1)
        loss = discriminator_loss(D(x_data), D(x_g))
        opt.zero_grad()
        loss.backward()
        opt.step()
    grid = torch.linspace(-3.0, 4.0, 141, dtype=torch.float64)
    p_data, p_g = gaussian_pdf(grid, 0.0, 1.0), gaussian_pdf(grid, 1.0, 1.5)
    d_star = optimal_discriminator(p_data, p_g)
    with torch.no_grad():
        d = torch.sigmoid(D(grid.float().reshape(-1, 1))).double()
    weight = 0.5 * (p_data + p_g)
    mean_error = float(torch.trapezoid((d - d_star).abs() * weight, grid) / torch.trapezoid(weight, grid))
    assert mean_error < 0.03
    # and the untrained network is far from D*: the test can fail
    untrained = torch.sigmoid(ToyDiscriminator(32)(grid.float().reshape(-1, 1))).detach().double()
    assert float(torch.trapezoid((untrained - d_star).abs() * weight, grid)) > 0.05


def test_kde_density_integrates_to_one_and_matches_the_smoothed_gaussian() -> None:
    samples = torch.randn(10_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    grid = torch.linspace(-8.0, 8.0, 801, dtype=torch.float64)
    density = kde_density(samples, grid)
    assert float(torch.trapezoid(density, grid)) == pytest.approx(1.0, abs=1e-6)
    # the estimate is N(0, 1) smoothed by the kernel: N(0, 1 + h²), h = Silverman's bandwidth
    h = 1.06 * float(samples.std()) * 10_000 ** (-0.2)
    # pointwise sampling s.d. of the estimate at the peak is ≈ 0.008: allow about 4 of them
    assert torch.allclose(density, gaussian_pdf(grid, 0.0, math.sqrt(1.0 + h * h)), atol=0.03)
    assert not torch.allclose(density, gaussian_pdf(grid, 0.5, 1.0), atol=0.03)


def test_toy_generator_starts_as_the_uniform_base_map() -> None:
    G = ToyGenerator(8, base_mean=2.0, base_width=0.5)
    z = torch.tensor([[0.0], [0.5], [1.0]])
    assert torch.allclose(G(z).detach().reshape(-1), torch.tensor([1.5, 2.0, 2.5]))


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: optimal_discriminator(torch.ones(3), torch.ones(4)), r"Invalid p_g: shape \(4,\) \(expected p_data's shape \(3,\)\)"),
        (lambda: jensen_shannon_divergence(X[:2], torch.tensor([-0.1, 1.0]), torch.ones(2)), r"Invalid density: negative values"),
        (lambda: gaussian_pdf(X, 0.0, 0.0), r"Invalid std: 0.0 \(expected std > 0\)"),
        (lambda: kde_density(torch.ones(1), X), r"Invalid samples: 1 values \(expected at least 2\)"),
    ],
)
def test_bad_inputs_are_named(call, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        call()
