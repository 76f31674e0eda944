"""The noise prior p_z: the authors' uniform ±sqrt(3) (unit variance) and a Gaussian."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.gan.noise import sample_noise


def test_uniform_prior_has_the_authors_range_and_unit_variance() -> None:
    z = sample_noise(20_000, 100, "uniform", generator=torch.Generator().manual_seed(0))
    assert z.shape == (20_000, 100) and z.dtype == torch.float32
    assert float(z.min()) >= -math.sqrt(3) and float(z.max()) <= math.sqrt(3)
    assert float(z.max()) > 1.7  # the range is actually used, not a narrower one
    assert abs(float(z.var()) - 1.0) < 0.01
    assert abs(float(z.mean())) < 0.01


def test_gaussian_prior_is_standard_normal() -> None:
    z = sample_noise(20_000, 50, "gaussian", generator=torch.Generator().manual_seed(0))
    assert abs(float(z.var()) - 1.0) < 0.02
    assert float(z.abs().max()) > math.sqrt(3)  # unbounded, unlike the uniform prior


def test_global_rng_is_used_when_no_generator_is_given() -> None:
    torch.manual_seed(3)
    a = sample_noise(4, 3)
    torch.manual_seed(3)
    assert torch.equal(a, sample_noise(4, 3))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"num_samples": 0}, r"Invalid num_samples: 0 \(expected an int >= 1\)"),
        ({"num_samples": 2, "noise_dim": 0}, r"Invalid noise_dim: 0"),
        ({"num_samples": 2, "prior": "laplace"}, r"Invalid prior: 'laplace' \(expected one of \('uniform', 'gaussian'\)\)"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, pattern: str) -> None:
    with pytest.raises(ValueError, match=pattern):
        sample_noise(**kwargs)
