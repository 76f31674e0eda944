"""The one coordinate convention (seminal.stn.convention): pixel-centre aligned, output -> input."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seminal.stn.convention import ALIGN_CORNERS, base_grid, normalized_to_pixel, pixel_centers, pixel_to_normalized
from seminal.stn.grids import affine_grid
from seminal.stn.sampling import sample_grid

IDENTITY = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], dtype=torch.float64)


def test_pixel_centres_are_pixel_centre_aligned() -> None:
    # Hand-computed for W = 4: edges at ±1, centres at ±0.25 and ±0.75.
    assert torch.allclose(pixel_centers(4, dtype=torch.float64), torch.tensor([-0.75, -0.25, 0.25, 0.75], dtype=torch.float64))
    assert ALIGN_CORNERS is False


def test_pixel_round_trip_and_centres_map_to_integers() -> None:
    coords = pixel_centers(7, dtype=torch.float64)
    assert torch.allclose(normalized_to_pixel(coords, 7), torch.arange(7, dtype=torch.float64))
    x = torch.linspace(-1.3, 1.3, 11, dtype=torch.float64)
    assert torch.allclose(pixel_to_normalized(normalized_to_pixel(x, 9), 9), x)


def test_base_grid_is_x_then_y_homogeneous() -> None:
    grid = base_grid(2, 3, dtype=torch.float64)
    assert grid.shape == (2, 3, 3)
    assert torch.allclose(grid[0, :, 0], pixel_centers(3, dtype=torch.float64))  # x varies along a row
    assert torch.allclose(grid[:, 0, 1], pixel_centers(2, dtype=torch.float64))  # y varies down a column
    assert torch.all(grid[..., 2] == 1)


def test_identity_grid_matches_torch_with_the_same_align_corners() -> None:
    ours = affine_grid(IDENTITY, (5, 6))
    torch_grid = F.affine_grid(IDENTITY, [1, 1, 5, 6], align_corners=ALIGN_CORNERS)
    assert torch.allclose(ours, torch_grid, atol=1e-12)


def test_identity_resampling_at_another_resolution_keeps_the_same_place() -> None:
    # Pixel-centre alignment: output column j of a 2× upsampling samples input pixel j/2 − 1/4.
    # Input row [0, 0, 1, 1] -> hand-computed bilinear values (zero beyond the last pixel).
    image = torch.zeros(1, 1, 4, 4, dtype=torch.float64)
    image[..., :, 2:] = 1.0
    up = sample_grid(image, affine_grid(IDENTITY, (8, 8)))
    expected = torch.tensor([0.0, 0.0, 0.0, 0.25, 0.75, 1.0, 1.0, 0.75], dtype=torch.float64)
    assert torch.allclose(up[0, 0, 3], expected, atol=1e-12)


def test_mixing_conventions_would_shift_the_image() -> None:
    # Why the convention is pinned: align_corners=True grids sampled as False move the image.
    image = torch.rand(1, 1, 8, 8, dtype=torch.float64)
    wrong = F.affine_grid(IDENTITY, [1, 1, 8, 8], align_corners=True)
    assert (sample_grid(image, wrong) - image).abs().max() > 0.05
    assert torch.allclose(sample_grid(image, affine_grid(IDENTITY, (8, 8))), image, atol=1e-12)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_output_to_input_direction(mode: str) -> None:
    # θ translates the *sampling window* by +2 px to the right (t_x = 2 px · 2/W), so the output
    # shows input column j + 2 at column j: content moves left.
    w = 8
    image = torch.arange(w, dtype=torch.float64).view(1, 1, 1, w).expand(1, 1, 3, w).contiguous()
    theta = IDENTITY.clone()
    theta[0, 0, 2] = 2 * 2.0 / w
    out = sample_grid(image, affine_grid(theta, (3, w)), mode)
    assert torch.allclose(out[0, 0, 1, : w - 2], image[0, 0, 1, 2:])
    assert torch.all(out[0, 0, 1, w - 2 :] == 0)  # zero outside the input
