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

__all__ = ["ConvGenerator", "ConvDiscriminator", "UPSAMPLING_MODES", "D_ARCHS"]

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


#: Discriminator architectures: the paper's maxout MLP, or the named convolutional variant below.
D_ARCHS: tuple[str, ...] = ("mlp", "conv")


class ConvDiscriminator(nn.Module):
    """D(x): images ``(B, 784)`` (or ``(B, 1, 28, 28)``) -> logit of P(x is data), shape ``(B,)``.

    A named variant beside the paper's maxout MLP (:class:`seminal.gan.models.Discriminator`),
    NOT the paper's D. Used by the quick preset (``d_arch="conv"``) because a pixel-wise MLP D
    gave no pressure against faint grey blobs beside G's strokes in two CPU minutes; a
    convolutional D sees each pixel with its neighbours.

    Architecture (``channels`` = c)::

        x (1, 28, 28) -> dropout (keep input_keep = 0.8, the paper's, on the pixels)
          -> conv 4x4 stride 2 pad 1 (1 -> c) -> leaky ReLU 0.2             (c, 14, 14)
          -> dropout (keep hidden_keep = 0.5, the paper's, on the hidden units)
          -> conv 4x4 stride 2 pad 1 (c -> 2c) -> leaky ReLU 0.2            (2c, 7, 7)
          -> dropout (keep hidden_keep) -> linear 2c·7·7 -> 1 (logit)

    Kept from the paper: dropout where the paper has it (keep 0.8 on the input pixels, keep 0.5
    on the inputs of every later layer, unit by unit, inverted as pylearn2's), a single logit out.
    Deviations from the paper's D, all of them: convolutions (4x4, stride 2) instead of dense
    maxout layers; leaky-ReLU (slope 0.2) units instead of maxout units; the sizes (c and 2c maps
    instead of 240 units x 5 pieces); torch's default weight initialisation instead of U(±0.005).
    No batch norm (the dropout is the paper's only regulariser of D).
    """

    data_dim = 784

    def __init__(self, channels: int = 32, input_keep: float = 0.8, hidden_keep: float = 0.5) -> None:
        super().__init__()
        self.channels = _check_positive_int("channels", channels)
        for name, keep in (("input_keep", input_keep), ("hidden_keep", hidden_keep)):
            if isinstance(keep, bool) or not isinstance(keep, (int, float)) or not 0.0 < keep <= 1.0:
                raise ValueError(f"Invalid {name}: {keep!r} (expected 0 < keep <= 1)")
        c = self.channels
        self.input_dropout = nn.Dropout(1.0 - input_keep)
        self.conv1 = nn.Conv2d(1, c, 4, stride=2, padding=1)
        self.hidden_dropout1 = nn.Dropout(1.0 - hidden_keep)
        self.conv2 = nn.Conv2d(c, 2 * c, 4, stride=2, padding=1)
        self.hidden_dropout2 = nn.Dropout(1.0 - hidden_keep)
        self.output = nn.Linear(2 * c * 7 * 7, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() != x.shape[0] * self.data_dim:
            raise ValueError(f"Invalid x: shape {tuple(x.shape)} (expected (B, {self.data_dim}) or (B, 1, 28, 28))")
        h = self.input_dropout(x.reshape(x.shape[0], 1, 28, 28))
        h = F.leaky_relu(self.conv1(h), 0.2)  # (B, c, 14, 14)
        h = F.leaky_relu(self.conv2(self.hidden_dropout1(h)), 0.2)  # (B, 2c, 7, 7)
        return self.output(self.hidden_dropout2(h).flatten(1)).squeeze(-1)  # (B,) logits
