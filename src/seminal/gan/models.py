"""The paper's MNIST networks (§5 and the authors' released configuration).

Generator G(z; θ_g): z (100) -> ReLU 1200 -> ReLU 1200 -> sigmoid 784. Weights ~ U(±0.05),
hidden biases 0, output bias = logit of each pixel's mean over the training set (the authors'
"marginal" initialisation, so G starts out producing the average digit).

Discriminator D(x; θ_d): x (784) -> maxout 240 units x 5 pieces -> maxout 240 x 5 -> sigmoid 1.
Weights ~ U(±0.005), biases 0. Dropout (inverted, as pylearn2's): keep 0.8 on the input pixels,
keep 0.5 on the inputs of the second maxout layer and of the output layer.

``Discriminator.forward`` returns the *logit* of D(x); probabilities are ``torch.sigmoid`` of it.
All losses in :mod:`seminal.gan.losses` take logits, which keeps log D and log(1 - D) finite.

Deviations: none in the architecture. Sizes are arguments so tests and quick presets can shrink them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["Maxout", "Generator", "Discriminator", "marginal_logit"]


def marginal_logit(images: torch.Tensor, clip: float = 1e-7) -> torch.Tensor:
    """Per-pixel logit of the mean training pixel: the generator's initial output bias.

    Args:
        images: training images in [0, 1], shape ``(N, ...)``; flattened to ``(N, D)``.
        clip: the mean is clipped to ``[clip, 1 - clip]`` before the logit (authors: 1e-7).
    Returns:
        float32 ``(D,)``.
    """
    if images.ndim < 2 or images.shape[0] == 0:
        raise ValueError(f"Invalid images: shape {tuple(images.shape)} (expected (N, ...) with N >= 1)")
    if not 0.0 < clip < 0.5:
        raise ValueError(f"Invalid clip: {clip} (expected 0 < clip < 0.5)")
    mean = images.reshape(images.shape[0], -1).double().mean(dim=0).clamp(clip, 1.0 - clip)
    return torch.logit(mean).float()



def check_output_bias(bias: torch.Tensor, data_dim: int) -> None:
    """Refuse an ``output_bias`` that is not ``data_dim`` finite floats (pre-sigmoid logits)."""
    if not isinstance(bias, torch.Tensor) or not bias.is_floating_point() or bias.shape != (data_dim,):
        found = f"shape {tuple(bias.shape)}, {bias.dtype}" if isinstance(bias, torch.Tensor) else type(bias).__name__
        raise ValueError(f"Invalid output_bias: {found} (expected ({data_dim},) floats)")
    if not torch.isfinite(bias).all():
        raise ValueError("Invalid output_bias: non-finite values (expected finite logits)")

class Maxout(nn.Module):
    """Maxout layer (Goodfellow et al., 2013): h_i = max_j (x W_{·ij} + b_ij), j over ``pieces``."""

    def __init__(self, in_features: int, units: int, pieces: int) -> None:
        super().__init__()
        _check_positive_int("in_features", in_features)
        if not _is_int(units) or not _is_int(pieces) or units < 1 or pieces < 1:
            raise ValueError(f"Invalid maxout size: units={units}, pieces={pieces} (expected both >= 1)")
        self.units = units
        self.pieces = pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (B, units * pieces) -> (B, units, pieces) -> max over pieces -> (B, units)
        return self.linear(x).view(x.shape[0], self.units, self.pieces).amax(dim=-1)


def _check_sizes(name: str, sizes: Sequence[int]) -> tuple[int, ...]:
    if isinstance(sizes, (int, str, bytes)) or not all(_is_int(s) for s in sizes):
        raise ValueError(f"Invalid {name}: {sizes!r} (expected a non-empty sequence of positive ints)")
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) == 0 or any(s < 1 for s in sizes):
        raise ValueError(f"Invalid {name}: {sizes} (expected a non-empty sequence of positive ints)")
    return sizes


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_positive_int(name: str, value: object) -> int:
    if not _is_int(value) or value < 1:  # type: ignore[operator]
        raise ValueError(f"Invalid {name}: {value!r} (expected an int >= 1)")
    return int(value)  # type: ignore[arg-type]


def _check_init_range(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0.0 <= float(value) < float("inf")):
        raise ValueError(f"Invalid init_range: {value!r} (expected a finite float >= 0)")
    return float(value)


class Generator(nn.Module):
    """G(z): noise ``(B, noise_dim)`` -> images in (0, 1), shape ``(B, data_dim)``.

    Args:
        noise_dim: dimension of z (paper's configuration: 100).
        hidden: ReLU layer widths (paper: (1200, 1200)).
        data_dim: output pixels (MNIST: 784).
        init_range: weights ~ U(-init_range, init_range) (paper: 0.05).
        output_bias: initial output bias, e.g. :func:`marginal_logit` of the training images;
            None leaves it at 0 (mean image 0.5).
    """

    def __init__(
        self,
        noise_dim: int = 100,
        hidden: Sequence[int] = (1200, 1200),
        data_dim: int = 784,
        init_range: float = 0.05,
        output_bias: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        hidden = _check_sizes("hidden", hidden)
        self.noise_dim = _check_positive_int("noise_dim", noise_dim)
        self.hidden = hidden
        self.data_dim = _check_positive_int("data_dim", data_dim)
        init_range = _check_init_range(init_range)
        widths = (self.noise_dim, *hidden)
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Linear(fan_in, fan_out), nn.ReLU()]
        self.hidden_layers = nn.Sequential(*layers)
        self.output = nn.Linear(widths[-1], self.data_dim)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.uniform_(module.weight, -init_range, init_range)
                nn.init.zeros_(module.bias)
        if output_bias is not None:
            self.set_output_bias(output_bias)

    def set_output_bias(self, bias: torch.Tensor) -> None:
        """Set the sigmoid layer's bias (e.g. to :func:`marginal_logit` of the training set)."""
        check_output_bias(bias, self.data_dim)
        with torch.no_grad():
            self.output.bias.copy_(bias)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.ndim != 2 or z.shape[1] != self.noise_dim:
            raise ValueError(f"Invalid z: shape {tuple(z.shape)} (expected (B, {self.noise_dim}))")
        return torch.sigmoid(self.output(self.hidden_layers(z)))  # (B, data_dim)


class Discriminator(nn.Module):
    """D(x): images ``(B, data_dim)`` (or ``(B, 1, 28, 28)``) -> logit of P(x is data), shape ``(B,)``.

    Args:
        data_dim: input pixels (784).
        units: maxout units per layer (paper: (240, 240)).
        pieces: linear pieces per maxout unit (paper: 5).
        input_keep: dropout keep probability on the input pixels (paper: 0.8).
        hidden_keep: keep probability on the inputs of every later layer (paper: 0.5).
        init_range: weights ~ U(±init_range) (paper: 0.005); biases 0.
    """

    def __init__(
        self,
        data_dim: int = 784,
        units: Sequence[int] = (240, 240),
        pieces: int = 5,
        input_keep: float = 0.8,
        hidden_keep: float = 0.5,
        init_range: float = 0.005,
    ) -> None:
        super().__init__()
        units = _check_sizes("units", units)
        pieces = _check_positive_int("pieces", pieces)
        for name, keep in (("input_keep", input_keep), ("hidden_keep", hidden_keep)):
            if isinstance(keep, bool) or not isinstance(keep, (int, float)) or not 0.0 < keep <= 1.0:
                raise ValueError(f"Invalid {name}: {keep!r} (expected 0 < keep <= 1)")
        self.data_dim = _check_positive_int("data_dim", data_dim)
        init_range = _check_init_range(init_range)
        layers: list[nn.Module] = [nn.Dropout(1.0 - input_keep)]
        fan_in = self.data_dim
        for i, width in enumerate(units):
            if i > 0:
                layers.append(nn.Dropout(1.0 - hidden_keep))
            layers.append(Maxout(fan_in, width, pieces))
            fan_in = width
        layers.append(nn.Dropout(1.0 - hidden_keep))
        self.features = nn.Sequential(*layers)
        self.output = nn.Linear(fan_in, 1)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.uniform_(module.weight, -init_range, init_range)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(x.shape[0], -1)
        if x.shape[1] != self.data_dim:
            raise ValueError(f"Invalid x: {x.shape[1]} features per example (expected {self.data_dim})")
        return self.output(self.features(x)).squeeze(-1)  # (B,) logits
