"""The noise prior p_z(z) of eq. 1.

The paper only says "a prior on input noise variables p_z(z)". The authors' released MNIST
configuration draws 100-d noise uniformly from [-sqrt(3), sqrt(3)] (zero mean, unit variance per
coordinate), which is the default here; a standard Gaussian is available for comparison.
"""

from __future__ import annotations

import math

import torch

__all__ = ["PRIORS", "sample_noise", "UNIFORM_HALF_WIDTH"]

#: The priors :func:`sample_noise` knows.
PRIORS: tuple[str, ...] = ("uniform", "gaussian")

#: Half-width of the authors' uniform prior: U(-sqrt(3), sqrt(3)) has unit variance.
UNIFORM_HALF_WIDTH: float = math.sqrt(3.0)


def sample_noise(
    num_samples: int,
    noise_dim: int = 100,
    prior: str = "uniform",
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Draw ``z ~ p_z``, shape ``(num_samples, noise_dim)``, float32.

    Args:
        num_samples: m, the minibatch size of Algorithm 1 (>= 1).
        noise_dim: dimension of z (the authors used 100).
        prior: "uniform" = U(-sqrt(3), sqrt(3)) per coordinate (authors' configuration) or
            "gaussian" = N(0, 1).
        generator: torch RNG to draw from; None = torch's global RNG (checkpointed by
            :class:`seminal.training.Trainer`, so resumed runs draw the same noise).
        device: where the noise is created. Drawing on the CPU and moving keeps CPU and GPU runs
            on the same noise stream, so z is always drawn on the CPU first.
    """
    if not isinstance(num_samples, int) or isinstance(num_samples, bool) or num_samples < 1:
        raise ValueError(f"Invalid num_samples: {num_samples!r} (expected an int >= 1)")
    if not isinstance(noise_dim, int) or isinstance(noise_dim, bool) or noise_dim < 1:
        raise ValueError(f"Invalid noise_dim: {noise_dim!r} (expected an int >= 1)")
    if prior == "uniform":
        z = torch.rand(num_samples, noise_dim, generator=generator)
        z = (2.0 * z - 1.0) * UNIFORM_HALF_WIDTH
    elif prior == "gaussian":
        z = torch.randn(num_samples, noise_dim, generator=generator)
    else:
        raise ValueError(f"Invalid prior: {prior!r} (expected one of {PRIORS})")
    return z if device is None else z.to(device)
