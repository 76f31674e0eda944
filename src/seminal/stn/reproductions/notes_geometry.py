"""notes-stn, claims 2 and 3: the transforms beyond affine (§3.2) and the smaller statements
(identity start, the bilinear sampler of eq. 3 and 5, an ST on feature maps, §3.3–3.4).
Pure checks on seeded example parameters: nothing here trains.
"""

from __future__ import annotations


import torch

from seminal.stn.distortions import DIGIT, rotation_scale_theta
from seminal.stn.grids import (
    affine_grid,
    projective_grid,
    solve_homography,
    tps_control_points,
    tps_grid,
)
from seminal.stn.models import TutorialNet
from seminal.stn.sampling import reference_sample, sample_grid

__all__ = ["transform_panel", "affine_special_cases", "identity_start", "sampler_checks"]


def _example_thetas(n: int, seed: int) -> dict[str, torch.Tensor]:
    """Seeded example parameters of each transform (output -> input maps, float64).

    affine: rotation U[−40°, 40°] and scale U[0.8, 1.1]; projective: the 4 corners moved by
    N(0, 3 px); TPS: the 16 control points moved by N(0, 2.5 px) (stronger than the P and E sets so
    that the difference from an affine warp is visible).
    """
    gen = torch.Generator().manual_seed(seed)
    angle = -40.0 + 80.0 * torch.rand(n, generator=gen, dtype=torch.float64)
    scale = 0.8 + 0.3 * torch.rand(n, generator=gen, dtype=torch.float64)
    affine = rotation_scale_theta(angle, scale, torch.zeros(n, 2, dtype=torch.float64), DIGIT)
    corners = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]], dtype=torch.float64)
    moved = corners + torch.randn(n, 4, 2, generator=gen, dtype=torch.float64) * (3.0 / (DIGIT / 2.0))
    homography = solve_homography(corners.expand(n, -1, -1), moved)  # output corners -> moved source corners
    points = tps_control_points(4, dtype=torch.float64)
    tps = points + torch.randn(n, points.shape[0], 2, generator=gen, dtype=torch.float64) * (2.5 / (DIGIT / 2.0))
    return {"affine": affine, "projective": homography, "tps": tps}


def transform_panel(images: torch.Tensor, seed: int) -> dict[str, torch.Tensor]:
    """The same digits (uint8 ``(N, 28, 28)``) warped by an affine, a projective and a TPS grid."""
    x = images.float().div(255.0).unsqueeze(1)
    thetas = _example_thetas(images.shape[0], seed)
    size = (DIGIT, DIGIT)
    return {
        "input": x,
        "affine": sample_grid(x, affine_grid(thetas["affine"].float(), size)),
        "projective": sample_grid(x, projective_grid(thetas["projective"].float(), size)),
        "tps": sample_grid(x, tps_grid(thetas["tps"].float(), size)),
    }


def affine_special_cases(seed: int, n: int = 16) -> dict[str, float]:
    """Affine is a special case of both other grids: largest coordinate gaps (float64).

    * projective with H = [[A_θ], [0, 0, 1]] against the affine grid of A_θ;
    * TPS whose source control points are A_θ applied to the regular 4×4 grid against the affine
      grid (a TPS reproduces an affine map exactly: its bending part is then zero).
    """
    affine = _example_thetas(n, seed)["affine"]  # (n, 2, 3)
    size = (DIGIT, DIGIT)
    reference = affine_grid(affine, size)
    last_row = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64).expand(n, 1, 3)
    projective = projective_grid(torch.cat((affine, last_row), dim=1), size)
    points = tps_control_points(4, dtype=torch.float64)  # (16, 2)
    homogeneous = torch.cat((points, torch.ones(points.shape[0], 1, dtype=torch.float64)), dim=1)  # (16, 3)
    moved = homogeneous @ affine.transpose(1, 2)  # (n, 16, 2)
    tps = tps_grid(moved, size, points)
    return {"projective_vs_affine": float((projective - reference).abs().max()),
            "tps_vs_affine": float((tps - reference).abs().max())}


# ---------------------------------------------------------------------------------------------
# 3. smaller statements
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def identity_start(images: torch.Tensor) -> float:
    """Largest |V − U| of an untrained tutorial ST (zero regression weights, identity bias)."""
    torch.manual_seed(0)
    model = TutorialNet()
    x = images.float().div(255.0).unsqueeze(1)
    warped = model.stn(x)
    return float((warped - x).abs().max())


def sampler_checks(images: torch.Tensor, seed: int) -> dict[str, float]:
    """Bilinear fast path against the eq. 3/eq. 5 reference, and one warp for every channel.

    Returns the largest difference between :func:`sample_grid` and :func:`reference_sample` on
    rotated digits, and between warping a 10-channel feature map at once and channel by channel.
    """
    x = images.float().div(255.0).unsqueeze(1).double()
    grid = affine_grid(_example_thetas(images.shape[0], seed)["affine"], (DIGIT, DIGIT))
    fast = sample_grid(x, grid)
    ref = reference_sample(x, grid)
    gen = torch.Generator().manual_seed(seed)
    features = torch.randn(images.shape[0], 10, DIGIT, DIGIT, generator=gen, dtype=torch.float64)
    together = sample_grid(features, grid)
    apart = torch.cat([sample_grid(features[:, c : c + 1], grid) for c in range(features.shape[1])], dim=1)
    return {"bilinear_vs_reference": float((fast - ref).abs().max()),
            "multichannel_vs_per_channel": float((together - apart).abs().max())}
