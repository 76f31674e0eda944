"""The isolated-pixel rate counts lit pixels with no lit 8-neighbour, per image."""

from __future__ import annotations

import pytest
import torch

from seminal.gan.pixels import isolated_pixel_rate


def test_counts_isolated_pixels_and_not_strokes() -> None:
    images = torch.zeros(2, 28, 28)
    images[0, 5, 5] = 1.0  # isolated
    images[0, 0, 27] = 0.9  # isolated, in a corner (outside counts as unlit)
    images[0, 10, 10:15] = 1.0  # a stroke: none isolated
    images[1, 20, 20] = 1.0
    images[1, 21, 21] = 1.0  # diagonal neighbours: not isolated
    images[1, 3, 3] = 0.5  # not lit (threshold is strict)
    assert isolated_pixel_rate(images) == 1.0  # 2 isolated pixels over 2 images
    assert isolated_pixel_rate(images.reshape(2, 784)) == 1.0


def test_random_noise_is_speckled_and_blank_is_not() -> None:
    noise = (torch.rand(10, 784, generator=torch.Generator().manual_seed(0)) < 0.05).float()
    assert isolated_pixel_rate(noise) > 10
    assert isolated_pixel_rate(torch.zeros(3, 784)) == 0.0


@pytest.mark.parametrize("bad", [torch.zeros(0, 784), torch.zeros(3, 100), torch.zeros(784)])
def test_bad_shapes_are_refused(bad: torch.Tensor) -> None:
    with pytest.raises(ValueError, match="Invalid images"):
        isolated_pixel_rate(bad)


def test_gaussian_blur_keeps_mass_and_flat_regions_and_spreads_a_point() -> None:
    from seminal.gan.pixels import gaussian_blur

    point = torch.zeros(1, 28, 28)
    point[0, 14, 14] = 1.0
    blurred = gaussian_blur(point.reshape(1, 784), 0.5).reshape(28, 28)
    assert abs(float(blurred.sum()) - 1.0) < 1e-6  # far from the border nothing leaks out
    assert blurred[14, 14] < 1.0 and blurred[14, 15] > 0 and torch.allclose(blurred, blurred.T)
    assert float(blurred[14, 14]) > float(blurred[14, 15]) > float(blurred[14, 16]) > 0
    flat = torch.full((2, 784), 0.3)
    assert torch.allclose(gaussian_blur(flat, 1.0).reshape(2, 28, 28)[:, 2:-2, 2:-2], torch.full((2, 24, 24), 0.3))
    with pytest.raises(ValueError, match="Invalid sigma_px"):
        gaussian_blur(flat, 0.0)
    with pytest.raises(ValueError, match="Invalid images"):
        gaussian_blur(torch.zeros(2, 28, 28), 0.5)
