"""Parzen windows: the analytic density on Gaussian data, the fast path against the literal loop,
the σ grid and protocol of Table 1, and precise errors."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.gan.parzen import (
    SIGMA_GRID,
    parzen_evaluate,
    parzen_log_density,
    parzen_log_density_grid,
    parzen_log_density_reference,
    select_sigma,
)


def test_sigma_grid_is_logspace_minus1_0_10() -> None:
    assert len(SIGMA_GRID) == 10
    assert SIGMA_GRID[0] == pytest.approx(0.1) and SIGMA_GRID[-1] == pytest.approx(1.0)
    assert [round(s, 3) for s in SIGMA_GRID] == [0.1, 0.129, 0.167, 0.215, 0.278, 0.359, 0.464, 0.599, 0.774, 1.0]


def test_parzen_on_gaussian_samples_converges_to_the_smoothed_gaussian() -> None:
    # Samples μ_j ~ N(0, s² I) in d = 2; the kernel estimate's expectation is N(0, (s² + σ²) I).
    gen = torch.Generator().manual_seed(0)
    s, sigma, d = 1.0, 0.5, 2
    samples = s * torch.randn(200_000, d, generator=gen, dtype=torch.float64)
    x = torch.tensor([[0.0, 0.0], [1.0, -0.5], [2.0, 1.0]], dtype=torch.float64)
    var = s**2 + sigma**2
    analytic = -0.5 * (x * x).sum(1) / var - 0.5 * d * math.log(2 * math.pi * var)
    estimate = parzen_log_density(x, samples, sigma, chunk_size=2)
    assert torch.allclose(estimate, analytic, atol=0.02)


def test_single_sample_gives_the_gaussian_kernel_exactly() -> None:
    mu = torch.tensor([[0.3, -0.2, 0.9]], dtype=torch.float64)
    x = torch.tensor([[0.0, 0.0, 0.0]], dtype=torch.float64)
    sigma = 0.7
    expected = -float(((x - mu) ** 2).sum()) / (2 * sigma**2) - 3 * math.log(sigma * math.sqrt(2 * math.pi))
    assert float(parzen_log_density(x, mu, sigma)) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 4, 1000])
def test_fast_path_matches_the_literal_loop_for_every_sigma(chunk_size: int) -> None:
    gen = torch.Generator().manual_seed(1)
    samples = torch.rand(120, 784, generator=gen)
    x = torch.rand(9, 784, generator=gen)
    grid = parzen_log_density_grid(x, samples, SIGMA_GRID, chunk_size=chunk_size)
    assert grid.shape == (9, 10)
    for i, sigma in enumerate(SIGMA_GRID):
        reference = parzen_log_density_reference(x, samples, sigma)
        assert torch.allclose(grid[:, i], reference, rtol=0, atol=1e-8)


def test_select_sigma_picks_the_best_validation_mean() -> None:
    gen = torch.Generator().manual_seed(2)
    samples = 0.3 * torch.randn(2000, 5, generator=gen)
    valid = 0.3 * torch.randn(200, 5, generator=gen)
    best, means = select_sigma(valid, samples)
    assert means.shape == (10,)
    assert best == pytest.approx(SIGMA_GRID[int(torch.argmax(means))])
    assert 0.1 < best < 0.3  # for data of scale 0.3 the window is a fraction of it, not an extreme


def test_protocol_reports_mean_and_standard_error_on_the_test_set() -> None:
    gen = torch.Generator().manual_seed(3)
    samples, valid, test = (torch.rand(n, 16, generator=gen) for n in (500, 50, 80))
    result = parzen_evaluate(samples, valid, test)
    ll = parzen_log_density(test, samples, result.sigma)
    assert result.mean == pytest.approx(float(ll.mean()))
    assert result.stderr == pytest.approx(float(ll.std() / math.sqrt(80)))
    assert (result.n_samples, result.n_validation, result.n_test) == (500, 50, 80)
    assert result.validation_means[result.sigmas.index(result.sigma)] == max(result.validation_means)


def test_images_are_flattened() -> None:
    samples, x = torch.rand(10, 28, 28), torch.rand(3, 28, 28)
    assert torch.allclose(parzen_log_density(x, samples, 0.2), parzen_log_density(x.reshape(3, -1), samples.reshape(10, -1), 0.2))


@pytest.mark.parametrize(
    ("call", "error", "pattern"),
    [
        (lambda: parzen_log_density(torch.rand(3, 4), torch.rand(0, 4), 0.2), ValueError, r"Invalid samples: empty set"),
        (lambda: parzen_log_density(torch.rand(0, 4), torch.rand(3, 4), 0.2), ValueError, r"Invalid x: empty set"),
        (lambda: parzen_log_density(torch.rand(3, 4), torch.rand(5, 6), 0.2), ValueError,
         r"Invalid x: 4 features per point but samples have 6 \(expected equal\)"),
        (lambda: parzen_log_density(torch.rand(4), torch.rand(5, 4), 0.2), ValueError, r"Invalid x: shape \(4,\)"),
        (lambda: parzen_log_density(torch.rand(3, 4), torch.rand(5, 4), 0.0), ValueError, r"Invalid sigma: 0.0 \(expected a finite sigma > 0\)"),
        (lambda: parzen_log_density(torch.rand(3, 4), torch.rand(5, 4), -1.0), ValueError, r"Invalid sigma: -1.0"),
        (lambda: parzen_log_density_grid(torch.rand(3, 4), torch.rand(5, 4), [0.1, float("nan")]), ValueError, r"Invalid sigma: nan"),
        (lambda: parzen_log_density_grid(torch.rand(3, 4), torch.rand(5, 4), []), ValueError, r"Invalid sigma: empty grid"),
        (lambda: parzen_log_density(torch.zeros(3, 4, dtype=torch.uint8), torch.rand(5, 4), 0.2), TypeError, r"Invalid x: dtype uint8"),
        (lambda: parzen_log_density_reference(torch.rand(3, 4), torch.rand(5, 4), 0.0), ValueError, r"Invalid sigma: 0.0"),
    ],
)
def test_bad_inputs_are_named(call, error: type, pattern: str) -> None:
    with pytest.raises(error, match=pattern):
        call()
