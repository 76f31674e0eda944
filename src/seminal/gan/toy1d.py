"""One-dimensional densities for §4's theory and Figure 1.

Everything here is numerical integration on a grid, so §4's claims can be checked to high accuracy:

* Proposition 1: for fixed G the optimal discriminator is D*_G(x) = p_data(x) / (p_data(x) + p_g(x))
  (:func:`optimal_discriminator`);
* Theorem 1: C(G) = max_D V(G, D) = -log 4 + 2 · JSD(p_data ‖ p_g)
  (:func:`virtual_training_criterion`, :func:`jensen_shannon_divergence`).

The small networks (:class:`ToyGenerator`, :class:`ToyDiscriminator`) are Figure 1's G and D:
z ~ U(0, 1) is mapped to x = G(z), D is a logistic MLP on x.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "gaussian_pdf",
    "optimal_discriminator",
    "virtual_training_criterion",
    "jensen_shannon_divergence",
    "kde_density",
    "ToyGenerator",
    "ToyDiscriminator",
    "TOY_BASES",
    "LOG4",
]

#: log 4: -C(G) at the global optimum p_g = p_data (Theorem 1).
LOG4: float = math.log(4.0)


def gaussian_pdf(x: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """N(x; mean, std²)."""
    if std <= 0:
        raise ValueError(f"Invalid std: {std} (expected std > 0)")
    return torch.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def _check_densities(p_data: torch.Tensor, p_g: torch.Tensor) -> None:
    if p_data.shape != p_g.shape:
        raise ValueError(f"Invalid p_g: shape {tuple(p_g.shape)} (expected p_data's shape {tuple(p_data.shape)})")
    if (p_data < 0).any() or (p_g < 0).any():
        raise ValueError("Invalid density: negative values (expected p_data >= 0 and p_g >= 0)")


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """Proposition 1: D*(x) = p_data / (p_data + p_g); 1/2 where both densities are 0."""
    _check_densities(p_data, p_g)
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), torch.full_like(total, 0.5))


def _xlogy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    # 0 · log 0 = 0, the convention of the integrals in §4
    return torch.where(x > 0, x * torch.log(y.clamp_min(torch.finfo(y.dtype).tiny)), torch.zeros_like(x))


def virtual_training_criterion(x: torch.Tensor, p_data: torch.Tensor, p_g: torch.Tensor) -> float:
    """C(G) = ∫ p_data log D* + p_g log(1 - D*) dx (eq. 4), by the trapezoid rule on grid ``x``."""
    _check_densities(p_data, p_g)
    d_star = optimal_discriminator(p_data, p_g)
    integrand = _xlogy(p_data, d_star) + _xlogy(p_g, 1.0 - d_star)
    return float(torch.trapezoid(integrand, x))


def jensen_shannon_divergence(x: torch.Tensor, p: torch.Tensor, q: torch.Tensor) -> float:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, in nats, trapezoid rule on ``x``."""
    _check_densities(p, q)
    m = 0.5 * (p + q)
    kl_pm = _xlogy(p, p) - _xlogy(p, m)
    kl_qm = _xlogy(q, q) - _xlogy(q, m)
    return float(0.5 * torch.trapezoid(kl_pm, x) + 0.5 * torch.trapezoid(kl_qm, x))


def kde_density(samples: torch.Tensor, x: torch.Tensor, bandwidth: float | None = None) -> torch.Tensor:
    """Gaussian kernel density of 1-D ``samples`` evaluated on ``x`` (Silverman's bandwidth by default)."""
    samples = samples.reshape(-1).double()
    if samples.numel() < 2:
        raise ValueError(f"Invalid samples: {samples.numel()} values (expected at least 2)")
    if bandwidth is None:
        bandwidth = 1.06 * float(samples.std()) * samples.numel() ** (-0.2)
    if bandwidth <= 0:
        raise ValueError(f"Invalid bandwidth: {bandwidth} (expected bandwidth > 0)")
    points = x.reshape(-1).double()
    out = torch.empty_like(points)
    for start in range(0, points.numel(), 256):  # bounded memory: 256 × len(samples) at a time
        diff = (points[start : start + 256, None] - samples[None, :]) / bandwidth
        out[start : start + 256] = torch.exp(-0.5 * diff**2).mean(dim=1)
    return out / (bandwidth * math.sqrt(2.0 * math.pi))


#: Starting maps of :class:`ToyGenerator`.
TOY_BASES: tuple[str, ...] = ("uniform", "gaussian")


class ToyGenerator(nn.Module):
    """x = G(z) for scalar z ~ U(0, 1), ``(B, 1) -> (B, 1)``.

    G(z) = base_mean + base_width · b(z) + MLP(z), the MLP's last layer starting at zero, so p_g
    starts as a broad density beside p_data, as in Figure 1, rather than the near point mass a
    randomly initialised MLP produces. ``base="uniform"``: b(z) = 2z - 1, p_g starts as
    U(base_mean ± base_width), whose sharp edges make D* a step function; ``base="gaussian"``:
    b(z) = Φ⁻¹(z) (z clipped to [1e-4, 1 - 1e-4]), p_g starts as N(base_mean, base_width²), a
    smooth bump like the paper's sketch, and G can reach p_data = N(μ, s²) exactly.
    """

    def __init__(self, hidden: int = 32, base_mean: float = 0.0, base_width: float = 1.0, base: str = "uniform") -> None:
        super().__init__()
        if base not in TOY_BASES:
            raise ValueError(f"Invalid base: {base!r} (expected one of {TOY_BASES})")
        if not base_width > 0:
            raise ValueError(f"Invalid base_width: {base_width} (expected > 0)")
        self.base = base
        self.base_mean = float(base_mean)
        self.base_width = float(base_width)
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.net[-1].weight)
        nn.init.zeros_(self.net[-1].bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.base == "gaussian":
            shape = math.sqrt(2.0) * torch.special.erfinv(2.0 * z.clamp(1e-4, 1.0 - 1e-4) - 1.0)  # Φ⁻¹(z)
        else:
            shape = 2.0 * z - 1.0
        return self.base_mean + self.base_width * shape + self.net(z)


class ToyDiscriminator(nn.Module):
    """logit D(x) for scalar x: a small tanh MLP, ``(B, 1) -> (B,)``."""

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, 1)).squeeze(-1)
