"""Isolated lit pixels: a direct count of the "speckle" that a short GAN run leaves in its samples.

A pixel is *lit* when its value exceeds ``threshold`` (0.5); it is *isolated* when none of its 8
neighbours is lit. Real MNIST digits are drawn with connected strokes, so they have almost none
(about 0.01 per image); a generator whose pixels are independent noise has many. The rate is the
mean number of isolated lit pixels per image. Not a measure from the paper: it is here because the
Parzen window and classifier features barely see salt noise.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["isolated_pixel_rate"]


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
