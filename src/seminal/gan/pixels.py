"""Isolated lit pixels: a direct count of the "speckle" that a short GAN run leaves in its samples.
Also :func:`gaussian_blur`, for the diagnostic that shows how much Parzen windows reward blur.

A pixel is *lit* when its value exceeds ``threshold`` (0.5); it is *isolated* when none of its 8
neighbours is lit. Real MNIST digits are drawn with connected strokes, so they have almost none
(about 0.01 per image); a generator whose pixels are independent noise has many. The rate is the
mean number of isolated lit pixels per image. Not a measure from the paper: it is here because the
Parzen window and classifier features barely see salt noise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["isolated_pixel_rate", "gaussian_blur"]


def isolated_pixel_rate(images: torch.Tensor, threshold: float = 0.5, image_shape: tuple[int, int] = (28, 28)) -> float:
    """Mean count of isolated lit pixels per image.

    Args:
        images: ``(N, H*W)`` or ``(N, H, W)`` values in [0, 1].
        threshold: a pixel is lit when its value is > threshold.
        image_shape: (H, W) of flattened images.
    """
    if not isinstance(images, torch.Tensor) or images.ndim not in (2, 3) or images.shape[0] == 0:
        found = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"Invalid images: {found} (expected a non-empty (N, H*W) or (N, H, W) tensor)")
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"Invalid threshold: {threshold} (expected 0 <= threshold < 1)")
    h, w = image_shape
    if images[0].numel() != h * w:
        raise ValueError(f"Invalid images: {images[0].numel()} pixels per image (expected {h}x{w} = {h * w})")
    lit = (images.reshape(-1, 1, h, w).float() > threshold).float()
    lit_neighbours = F.conv2d(lit, torch.ones(1, 1, 3, 3), padding=1) - lit  # zero padding: outside is unlit
    isolated = (lit > 0) & (lit_neighbours == 0)
    return float(isolated.sum()) / images.shape[0]


def gaussian_blur(images: torch.Tensor, sigma_px: float, image_shape: tuple[int, int] = (28, 28)) -> torch.Tensor:
    """``images`` (``(N, H*W)``) blurred by a Gaussian of ``sigma_px`` pixels (a 5×5 kernel, zero
    padding), same shape. For gan-table1's diagnostic row: the Parzen score of the *same* samples
    blurred says how much of a Parzen gap is sharpness rather than what the samples depict.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 2:
        found = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"Invalid images: {found} (expected an (N, H*W) tensor)")
    if not sigma_px > 0:
        raise ValueError(f"Invalid sigma_px: {sigma_px!r} (expected > 0)")
    h, w = image_shape
    offsets = torch.arange(-2, 3, dtype=images.dtype)
    weights = torch.exp(-(offsets**2) / (2.0 * sigma_px**2))
    weights = weights / weights.sum()
    kernel = (weights[:, None] * weights[None, :])[None, None]
    return F.conv2d(images.reshape(-1, 1, h, w), kernel, padding=2).reshape(images.shape[0], h * w)
