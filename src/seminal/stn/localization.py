"""Localisation networks ``f_loc`` (paper §3.1, Appendix A.4, read from secondary sources).

Each builder returns ``(module, loc_features)``: the module maps ``U`` to a feature vector and a
:class:`~seminal.stn.transformer.SpatialTransformer` adds the identity-initialised regression
layer on top. Appendix A.4 is read from secondary sources (the spec sheet).
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["fcn_localization", "cnn_localization", "tutorial_localization", "wide_localization", "conv_output_size"]


def conv_output_size(module: nn.Module, in_channels: int, size: tuple[int, int]) -> int:
    """Flattened feature count of ``module`` on a ``(1, in_channels, *size)`` input (shape probe)."""
    with torch.no_grad():
        return int(module(torch.zeros(1, in_channels, *size)).flatten(1).shape[1])


def fcn_localization(in_channels: int, size: tuple[int, int], hidden: int = 32, layers: int = 3) -> tuple[nn.Module, int]:
    """ST-FCN localisation: ``layers`` fully connected ReLU layers of ``hidden`` units (paper: 3 × 32)."""
    modules: list[nn.Module] = [nn.Flatten()]
    width = in_channels * size[0] * size[1]
    for _ in range(layers):
        modules += [nn.Linear(width, hidden), nn.ReLU(inplace=True)]
        width = hidden
    return nn.Sequential(*modules), hidden


def cnn_localization(in_channels: int, size: tuple[int, int], channels: int = 20, hidden: int = 20) -> tuple[nn.Module, int]:
    """ST-CNN localisation: 2× downsample -> conv 20@5×5 -> max-pool 2 -> conv 20@5×5 -> FC 20.

    The 2× downsampling is an average pool; convolutions are unpadded; ReLU after each layer.
    """
    features = nn.Sequential(
        nn.AvgPool2d(2),
        nn.Conv2d(in_channels, channels, kernel_size=5),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(channels, channels, kernel_size=5),
        nn.ReLU(inplace=True),
        nn.Flatten(),
    )
    flat = conv_output_size(features, in_channels, size)
    return nn.Sequential(features, nn.Linear(flat, hidden), nn.ReLU(inplace=True)), hidden


def tutorial_localization(in_channels: int = 1, size: tuple[int, int] = (28, 28)) -> tuple[nn.Module, int]:
    """The seed notes' (PyTorch tutorial) localisation net: conv8@7 -> pool -> ReLU -> conv10@5 ->
    pool -> ReLU -> FC(90 -> 32) -> ReLU (90 = 10·3·3 at 28×28; other sizes are probed)."""
    features = nn.Sequential(
        nn.Conv2d(in_channels, 8, kernel_size=7),
        nn.MaxPool2d(2, stride=2),
        nn.ReLU(inplace=True),
        nn.Conv2d(8, 10, kernel_size=5),
        nn.MaxPool2d(2, stride=2),
        nn.ReLU(inplace=True),
        nn.Flatten(),
    )
    flat = conv_output_size(features, in_channels, size)
    return nn.Sequential(features, nn.Linear(flat, 32), nn.ReLU(inplace=True)), 32


def wide_localization(in_channels: int = 1, size: tuple[int, int] = (28, 28), downsample: bool = True) -> tuple[nn.Module, int]:
    """A wider localisation net than the tutorial's (ours, for stn-compare's recipe):
    [2× average pool ->] conv16@5 (pad 2) -> ReLU -> max-pool 2 -> conv32@5 (pad 2) -> ReLU ->
    max-pool 2 -> FC 64 -> ReLU. ``downsample`` halves the input first, as the paper's ST-CNN
    localisation does, which keeps it cheap."""
    features = nn.Sequential(
        nn.AvgPool2d(2) if downsample else nn.Identity(),
        nn.Conv2d(in_channels, 16, kernel_size=5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Flatten(),
    )
    flat = conv_output_size(features, in_channels, size)
    return nn.Sequential(features, nn.Linear(flat, 64), nn.ReLU(inplace=True)), 64
