"""A small convolutional generator: a named variant beside the paper's MLP, NOT the paper's G.

Why it exists: the quick preset must give samples a person reads as digits in about two minutes
of one CPU core. The paper's MLP generator (and narrower MLPs) either collapse to a few digit
classes or draw speckled strokes in that budget (docs/papers/gan.md, "The quick recipe"). A
convolutional G shares weights across positions, so neighbouring pixels are correlated from the
first step (fewer isolated lit pixels than the MLP draws in the same budget, though still more
than real digits have); the discriminator stays the paper's maxout MLP with its dropout.

What is the paper's: nothing of the architecture (the paper's MNIST G is a 1200-1200 ReLU MLP);
the uniform noise, the sigmoid output and the "marginal" initialisation of the output bias are
kept. What deviates: convolutions, upsampling, batch norm, and the sizes. The quick preset uses
c = 16, bilinear upsampling and f = 8 (:func:`seminal.gan.reproductions.table1.quick`).

Architecture (``channels`` = c)::

    z (noise_dim) -> linear 2c·7·7 -> batch norm -> ReLU -> reshape (2c, 7, 7)
      -> upsampling x2 -> conv 3x3 (2c -> c) -> batch norm -> ReLU      (c, 14, 14)
      -> upsampling x2 [-> conv 3x3 (c -> f) -> batch norm -> ReLU]      (f, 28, 28)
      -> conv 3x3 (f -> 1) + per-pixel bias -> sigmoid                   (1, 28, 28)

The bracketed layer at full resolution is there when ``fine_channels`` = f > 0 (with f = 0 the
output convolution reads the c upsampled maps directly).

Upsampling then convolving (rather than transposed convolutions) avoids checkerboard artefacts.
``upsampling`` is "bilinear" (default) or "nearest". With nearest-neighbour upsampling each output
pixel's 3x3 window sees the 14x14 features with one of four different effective kernels (by the
pixel's parity), and short runs drew grainy strokes with many isolated lit pixels; bilinear
upsampling makes the last layer's input smooth at the scale of one pixel, as pen strokes are
(measured in docs/papers/gan.md, "The quick recipe").
The per-pixel output bias starts at the paper's "marginal" initialisation
(:func:`seminal.gan.models.marginal_logit`), as the MLP's output bias does. Weights use torch's
default initialisation. Batch norm in G is a deviation from the paper (its G had none); in
``eval()`` mode it uses running statistics.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from seminal.gan.models import _check_positive_int, check_output_bias

__all__ = ["ConvGenerator", "UPSAMPLING_MODES"]

#: How :class:`ConvGenerator` doubles its feature maps' resolution.
UPSAMPLING_MODES: tuple[str, ...] = ("bilinear", "nearest")


class ConvGenerator(nn.Module):
    """G(z): noise ``(B, noise_dim)`` -> images in (0, 1), shape ``(B, 784)`` (28x28 only).

    Args:
        noise_dim: dimension of z (100 as the paper).
        channels: c, the width of the 14x14 layer (the 7x7 layer has 2c).
        output_bias: initial per-pixel output bias ``(784,)`` (e.g. :func:`marginal_logit`); None = 0.
        upsampling: "bilinear" or "nearest" (see the module docstring).
        fine_channels: f, the width of the extra 3x3 convolution at 28x28 (0 = none).
    """

    data_dim = 784

    def __init__(self, noise_dim: int = 100, channels: int = 32, output_bias: torch.Tensor | None = None,
                 upsampling: str = "bilinear", fine_channels: int = 0) -> None:
        super().__init__()
        self.noise_dim = _check_positive_int("noise_dim", noise_dim)
        self.channels = _check_positive_int("channels", channels)
        if upsampling not in UPSAMPLING_MODES:
            raise ValueError(f"Invalid upsampling: {upsampling!r} (expected one of {UPSAMPLING_MODES})")
        self.upsampling = upsampling
        if not isinstance(fine_channels, int) or isinstance(fine_channels, bool) or fine_channels < 0:
            raise ValueError(f"Invalid fine_channels: {fine_channels!r} (expected an int >= 0)")
        self.fine_channels = fine_channels
        c = self.channels
        self.project = nn.Linear(self.noise_dim, 2 * c * 7 * 7)
        self.project_norm = nn.BatchNorm1d(2 * c * 7 * 7)
        self.conv1 = nn.Conv2d(2 * c, c, 3, padding=1)
        self.norm1 = nn.BatchNorm2d(c)
        if fine_channels > 0:
            self.conv_fine = nn.Conv2d(c, fine_channels, 3, padding=1)
            self.norm_fine = nn.BatchNorm2d(fine_channels)
        self.conv2 = nn.Conv2d(fine_channels or c, 1, 3, padding=1, bias=False)
        self.pixel_bias = nn.Parameter(torch.zeros(self.data_dim))
        if output_bias is not None:
            self.set_output_bias(output_bias)

    def set_output_bias(self, bias: torch.Tensor) -> None:
        """Set the per-pixel bias before the sigmoid (e.g. to :func:`marginal_logit`)."""
        check_output_bias(bias, self.data_dim)
        with torch.no_grad():
            self.pixel_bias.copy_(bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"Invalid z: shape {tuple(z.shape)} (expected (B, {self.noise_dim}))")
        h = F.relu(self.project_norm(self.project(z))).view(-1, 2 * self.channels, 7, 7)
        h = F.relu(self.norm1(self.conv1(self._upsample(h))))  # (B, c, 14, 14)
        h = self._upsample(h)  # (B, c, 28, 28)
        if self.fine_channels > 0:
            h = F.relu(self.norm_fine(self.conv_fine(h)))  # (B, f, 28, 28)
        logits = self.conv2(h).flatten(1)  # (B, 784)
        return torch.sigmoid(logits + self.pixel_bias)

    def _upsample(self, h: torch.Tensor) -> torch.Tensor:
        if self.upsampling == "nearest":
            return F.interpolate(h, scale_factor=2.0, mode="nearest")
        return F.interpolate(h, scale_factor=2.0, mode="bilinear", align_corners=False)
