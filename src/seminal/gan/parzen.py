"""Parzen-window log-likelihood: the evaluation protocol of Table 1 (§5).

A Gaussian kernel density is fitted to n generated samples μ_1..μ_n and evaluated on held-out
images x (nats, d = number of pixels):

    log p̂(x) = logsumexp_j( -‖x - μ_j‖² / (2σ²) ) - log n - d · log(σ √(2π))

Protocol (authors' code): n = 10,000 samples; σ from ``SIGMA_GRID`` = logspace(-1, 0, 10) chosen
by the best mean log-likelihood on 1,000 validation images (training images 50,000-50,999); the
chosen σ is reported as mean ± standard error (std / sqrt(N)) over the 10,000 test images.

Implementation: ``‖x - μ‖² = ‖x‖² - 2 x·μ + ‖μ‖²`` computed in float64 for a chunk of rows of x at
a time (memory: ``chunk_size × n × 8`` bytes), and each chunk's distances are reused for every σ.
:func:`parzen_log_density_reference` is the paper-literal loop (one image, one σ at a time,
explicit differences) that the fast path is tested against.

Caveat (Theis, van den Oord & Bethge, ICLR 2016): in 784 dimensions this estimate is dominated
by nearest-neighbour distances and can rank models wrongly (k-means centroids beat real data);
report it only beside a better metric (:mod:`seminal.gan.frechet`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

__all__ = [
    "SIGMA_GRID",
    "ParzenResult",
    "parzen_log_density",
    "parzen_log_density_grid",
    "parzen_log_density_reference",
    "select_sigma",
    "parzen_evaluate",
    "squared_distances",
]

#: The authors' σ grid: logspace(-1, 0, 10) = 0.1, 0.129, ..., 0.774, 1.0.
SIGMA_GRID: tuple[float, ...] = tuple(float(s) for s in torch.logspace(-1, 0, 10, dtype=torch.float64))


def _check_points(name: str, points: torch.Tensor) -> torch.Tensor:
    if not isinstance(points, torch.Tensor):
        raise TypeError(f"Invalid {name}: expected a torch.Tensor, got {type(points).__name__}")
    if points.ndim < 2:
        raise ValueError(f"Invalid {name}: shape {tuple(points.shape)} (expected (N, D) or (N, ...) images)")
    if points.shape[0] == 0:
        raise ValueError(f"Invalid {name}: empty set (expected at least one point)")
    points = points.reshape(points.shape[0], -1)
    if points.dtype == torch.uint8:
        raise TypeError(f"Invalid {name}: dtype uint8 (expected floats; divide pixels by 255 first)")
    return points.to(torch.float64)


def _check_sigmas(sigmas: Sequence[float] | torch.Tensor | float) -> torch.Tensor:
    s = torch.as_tensor(sigmas, dtype=torch.float64).reshape(-1)
    if s.numel() == 0:
        raise ValueError("Invalid sigma: empty grid (expected at least one sigma > 0)")
    bad = s[~(torch.isfinite(s) & (s > 0))]
    if bad.numel():
        raise ValueError(f"Invalid sigma: {float(bad[0])} (expected a finite sigma > 0)")
    return s


def _check_pair(x: torch.Tensor, samples: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = _check_points("x", x)
    samples = _check_points("samples", samples)
    if x.shape[1] != samples.shape[1]:
        raise ValueError(
            f"Invalid x: {x.shape[1]} features per point but samples have {samples.shape[1]} (expected equal)"
        )
    return x, samples


def squared_distances(x: torch.Tensor, samples: torch.Tensor, samples_sq: torch.Tensor | None = None) -> torch.Tensor:
    """‖x_i - μ_j‖² for all pairs, ``(len(x), len(samples))``, float64, clamped at 0.

    The matmul identity loses absolute precision ~1e-16 · ‖x‖², harmless at MNIST scale.
    """
    if samples_sq is None:
        samples_sq = (samples * samples).sum(dim=1)
    d2 = (x * x).sum(dim=1, keepdim=True) - 2.0 * (x @ samples.T) + samples_sq.unsqueeze(0)
    return d2.clamp_min_(0.0)


def parzen_log_density_grid(
    x: torch.Tensor,
    samples: torch.Tensor,
    sigmas: Sequence[float] | torch.Tensor,
    *,
    chunk_size: int = 250,
) -> torch.Tensor:
    """log p̂(x) for every point and every σ: ``(len(x), len(sigmas))`` float64, nats.

    Distances are computed once per chunk of ``chunk_size`` rows and reused for all σ.
    """
    x, samples = _check_pair(x, samples)
    s = _check_sigmas(sigmas)
    if chunk_size < 1:
        raise ValueError(f"Invalid chunk_size: {chunk_size} (expected >= 1)")
    n, d = samples.shape
    samples_sq = (samples * samples).sum(dim=1)
    # log n + d log(σ √(2π)) for each σ: the kernel's normalisation and the 1/n of the mean
    log_norm = math.log(n) + d * (torch.log(s) + 0.5 * math.log(2.0 * math.pi))  # (S,)
    out = torch.empty(x.shape[0], s.numel(), dtype=torch.float64)
    for start in range(0, x.shape[0], chunk_size):
        d2 = squared_distances(x[start : start + chunk_size], samples, samples_sq)  # (c, n)
        for i, sigma in enumerate(s.tolist()):
            out[start : start + chunk_size, i] = torch.logsumexp(d2 * (-0.5 / sigma**2), dim=1) - log_norm[i]
    return out


def parzen_log_density(
    x: torch.Tensor, samples: torch.Tensor, sigma: float, *, chunk_size: int = 250
) -> torch.Tensor:
    """log p̂(x) for one σ: ``(len(x),)`` float64, nats."""
    return parzen_log_density_grid(x, samples, [sigma], chunk_size=chunk_size)[:, 0]


def parzen_log_density_reference(x: torch.Tensor, samples: torch.Tensor, sigma: float) -> torch.Tensor:
    """The paper-literal oracle: one image at a time, explicit differences, one σ.

    Slow on purpose (it is what the benchmark's baseline and the tests compare against).
    """
    x, samples = _check_pair(x, samples)
    sig = float(_check_sigmas(sigma)[0])
    n, d = samples.shape
    out = torch.empty(x.shape[0], dtype=torch.float64)
    for i in range(x.shape[0]):
        diff = x[i] - samples  # (n, d)
        exponent = -(diff * diff).sum(dim=1) / (2.0 * sig**2)
        out[i] = torch.logsumexp(exponent, dim=0) - math.log(n) - d * math.log(sig * math.sqrt(2.0 * math.pi))
    return out


@dataclass(frozen=True)
class ParzenResult:
    """Outcome of the Table-1 protocol.

    Attributes:
        sigma: the σ chosen on the validation set.
        mean: mean test log-likelihood (nats).
        stderr: std / sqrt(N) over the test images (the "± 2" of Table 1).
        sigmas: the grid searched.
        validation_means: mean validation log-likelihood for each σ of the grid.
        n_samples, n_validation, n_test: the set sizes actually used.
    """

    sigma: float
    mean: float
    stderr: float
    sigmas: tuple[float, ...]
    validation_means: tuple[float, ...]
    n_samples: int
    n_validation: int
    n_test: int


def select_sigma(
    validation: torch.Tensor,
    samples: torch.Tensor,
    sigmas: Sequence[float] | torch.Tensor = SIGMA_GRID,
    *,
    chunk_size: int = 250,
) -> tuple[float, torch.Tensor]:
    """Pick the σ of ``sigmas`` with the best mean log-likelihood on ``validation``.

    Returns ``(best_sigma, mean_log_likelihood_per_sigma)``.
    """
    s = _check_sigmas(sigmas)
    means = parzen_log_density_grid(validation, samples, s, chunk_size=chunk_size).mean(dim=0)
    return float(s[int(torch.argmax(means))]), means


def parzen_evaluate(
    samples: torch.Tensor,
    validation: torch.Tensor,
    test: torch.Tensor,
    sigmas: Sequence[float] | torch.Tensor = SIGMA_GRID,
    *,
    chunk_size: int = 250,
) -> ParzenResult:
    """The whole Table-1 protocol: choose σ on ``validation``, report mean ± s.e. on ``test``."""
    s = _check_sigmas(sigmas)
    sigma, means = select_sigma(validation, samples, s, chunk_size=chunk_size)
    ll = parzen_log_density(test, samples, sigma, chunk_size=chunk_size)
    n_test = ll.numel()
    stderr = float(ll.std(unbiased=True) / math.sqrt(n_test)) if n_test > 1 else float("nan")
    return ParzenResult(
        sigma=sigma,
        mean=float(ll.mean()),
        stderr=stderr,
        sigmas=tuple(float(v) for v in s),
        validation_means=tuple(float(v) for v in means),
        n_samples=int(samples.shape[0]),
        n_validation=int(validation.shape[0]),
        n_test=n_test,
    )
