"""The spatial transformer module (paper §3, Fig. 2) and its series/parallel compositions (§3.4).

``SpatialTransformer`` = localisation network ``f_loc`` (any module, §3.1) + a regression layer
initialised to the identity transform (zero weights, identity bias) + a grid generator chosen by
name (§3.2, :mod:`seminal.stn.grids`) + a sampler (§3.3, :mod:`seminal.stn.sampling`).
It returns the warped image **and** θ, so θ can be inspected or regularised.

Transform names and their parameter counts (θ as the regression layer emits it):

=============  ========  ===========================================  ==================================
name           #params   θ layout                                     identity
=============  ========  ===========================================  ==================================
``affine``     6         ``A_θ`` row-major, viewed ``(N, 2, 3)``       ``[1, 0, 0, 0, 1, 0]``
``attention``  3         ``(s, t_x, t_y)``                             ``[1, 0, 0]``
``projective`` 8         ``H`` row-major without ``H[2, 2] = 1``       ``[1, 0, 0, 0, 1, 0, 0, 0]``
``tps``        2K        source control points ``(x_1, y_1, ..., )``   the control points themselves
=============  ========  ===========================================  ==================================

A diverging localisation network (θ or the grid containing NaN/Inf) raises
:class:`NonFiniteTransformError` instead of silently sampling a blank or NaN image (on CPU a NaN
grid gives NaN output with bilinear sampling and zero padding).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from seminal.stn.grids import (
    TPSGridGenerator,
    affine_grid,
    attention_grid,
    check_size,
    check_theta,
    projective_grid,
    tps_control_points,
)
from seminal.stn.sampling import MODES, sample_grid

__all__ = [
    "TRANSFORMS",
    "NonFiniteTransformError",
    "TransformSpec",
    "transform_spec",
    "SpatialTransformer",
    "SeriesSpatialTransformers",
    "ParallelSpatialTransformers",
]

TRANSFORMS: tuple[str, ...] = ("affine", "attention", "projective", "tps")


class NonFiniteTransformError(FloatingPointError):
    """θ (or the grid it generates) contains NaN or Inf: the localisation network has diverged."""


@dataclass(frozen=True)
class TransformSpec:
    """A transform by name: how many parameters, the identity θ, and θ -> grid."""

    name: str
    num_params: int
    identity: torch.Tensor  # (num_params,)
    grid: Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]  # (N, num_params) -> (N, H, W, 2)


def _affine_from_flat(theta: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The regression layer's flat ``(N, 6)`` θ as ``A_θ`` ``(N, 2, 3)`` -> grid (a named function: picklable)."""
    return affine_grid(theta.view(-1, 2, 3), size)


def transform_spec(name: str, *, tps_grid_size: int | tuple[int, int] = 4) -> TransformSpec:
    """The :class:`TransformSpec` for ``name`` (one of :data:`TRANSFORMS`)."""
    if name == "affine":
        return TransformSpec(name, 6, torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0]), _affine_from_flat)
    if name == "attention":
        return TransformSpec(name, 3, torch.tensor([1.0, 0.0, 0.0]), attention_grid)
    if name == "projective":
        return TransformSpec(name, 8, torch.tensor([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]), projective_grid)
    if name == "tps":
        points = tps_control_points(tps_grid_size, dtype=torch.float64)
        generator = TPSGridGenerator(points)
        return TransformSpec(name, 2 * generator.num_points, points.reshape(-1).float(), generator)
    raise ValueError(f"Invalid transform: {name!r} (expected one of {TRANSFORMS})")


class SpatialTransformer(nn.Module):
    """A spatial transformer (§3): ``V = sample(U, grid(θ))`` with ``θ = regression(f_loc(U))``.

    Args:
        localization: ``f_loc``, any module mapping the input ``U`` ``(N, C, H, W)`` to features
            ``(N, loc_features)`` (or any shape that flattens to that).
        loc_features: width of the localisation network's output.
        transform: ``"affine"`` (default), ``"attention"``, ``"projective"`` or ``"tps"``.
        output_size: ``(H', W')`` of ``V``; default the input's size. May differ from the input.
        mode: sampling kernel, ``"bilinear"`` (eq. 5) or ``"nearest"`` (eq. 4).
        tps_grid_size: control grid of the TPS transform (paper: 4 -> 16 points; any ≥ 2).
        check_finite: raise :class:`NonFiniteTransformError` on a NaN/Inf θ or grid.

    ``forward(U)`` returns ``(V, θ)`` with θ ``(N, num_params)``.

    The regression layer (``self.regression``, an ``nn.Linear``) starts with zero weights and the
    identity transform as its bias (§4.1), so an untrained transformer is the identity.
    """

    def __init__(
        self,
        localization: nn.Module,
        loc_features: int,
        transform: str = "affine",
        output_size: Sequence[int] | None = None,
        mode: str = "bilinear",
        tps_grid_size: int | tuple[int, int] = 4,
        check_finite: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(localization, nn.Module):
            raise TypeError(f"Invalid localization: expected an nn.Module, got {type(localization).__name__}")
        if not isinstance(loc_features, int) or isinstance(loc_features, bool) or loc_features < 1:
            raise ValueError(f"Invalid loc_features: {loc_features!r} (expected a positive int)")
        if mode not in MODES:
            raise ValueError(f"Invalid mode: {mode!r} (expected one of {MODES})")
        self.spec = transform_spec(transform, tps_grid_size=tps_grid_size)
        self.transform = transform
        self.output_size = None if output_size is None else check_size(output_size)
        self.mode = mode
        self.check_finite = check_finite
        self.localization = localization
        self.regression = nn.Linear(loc_features, self.spec.num_params)
        self.reset_regression()

    @property
    def num_params(self) -> int:
        return self.spec.num_params

    def reset_regression(self) -> None:
        """Zero weights and identity bias: the transformer starts as the identity map."""
        with torch.no_grad():
            self.regression.weight.zero_()
            self.regression.bias.copy_(self.spec.identity)

    def theta(self, input: torch.Tensor) -> torch.Tensor:
        """θ = regression(f_loc(U)), ``(N, num_params)``."""
        features = self.localization(input).flatten(1)
        return self.regression(features)

    def grid(self, theta: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        """The sampling grid for θ ``(N, num_params)`` at output ``size``, ``(N, H', W', 2)``."""
        check_theta(theta, self.transform, [(self.num_params,)])
        return self.spec.grid(theta, check_size(size))

    def warp(self, input: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
        """Sample ``input`` with a given θ (bypasses the localisation network)."""
        if not isinstance(input, torch.Tensor) or input.dim() != 4:
            shape = tuple(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
            raise ValueError(f"Invalid input shape: {shape} (expected (N, C, H, W))")
        check_theta(theta, self.transform, [(self.num_params,)])
        if theta.device != input.device:
            raise ValueError(f"Invalid theta device: {theta.device} (expected {input.device}, the input's device)")
        if theta.shape[0] != input.shape[0]:
            raise ValueError(f"Invalid theta batch size: {theta.shape[0]} (expected {input.shape[0]}, the input's N)")
        size = self.output_size or (int(input.shape[-2]), int(input.shape[-1]))
        grid = self.grid(theta, size)
        if self.check_finite and not bool(torch.isfinite(grid).all()):
            bad = "theta" if not bool(torch.isfinite(theta).all()) else "the grid (projective divide by 0?)"
            raise NonFiniteTransformError(
                f"Non-finite values in {bad} of the {self.transform!r} spatial transformer: the localisation "
                f"network has diverged (try a lower learning rate for it); refusing to sample a NaN/blank image"
            )
        return sample_grid(input, grid.to(input.dtype), self.mode)

    def forward(self, input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        theta = self.theta(input)
        return self.warp(input, theta), theta


class SeriesSpatialTransformers(nn.Module):
    """Transformers in series (§3.4): each warps the previous one's output.

    ``forward(U)`` returns ``(V, [θ_1, ..., θ_k])``.
    """

    def __init__(self, *transformers: SpatialTransformer) -> None:
        super().__init__()
        if not transformers or not all(isinstance(t, SpatialTransformer) for t in transformers):
            raise TypeError("Invalid transformers: expected one or more SpatialTransformer modules")
        self.transformers = nn.ModuleList(transformers)

    def forward(self, input: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        thetas = []
        out = input
        for transformer in self.transformers:
            out, theta = transformer(out)
            thetas.append(theta)
        return out, thetas


class ParallelSpatialTransformers(nn.Module):
    """Transformers in parallel (§3.4): each looks at the same input; outputs are concatenated
    along the channel axis (all transformers must share the output size).

    ``forward(U)`` returns ``(cat([V_1, ..., V_k], dim=1), [θ_1, ..., θ_k])``.
    """

    def __init__(self, *transformers: SpatialTransformer) -> None:
        super().__init__()
        if not transformers or not all(isinstance(t, SpatialTransformer) for t in transformers):
            raise TypeError("Invalid transformers: expected one or more SpatialTransformer modules")
        sizes = {t.output_size for t in transformers}
        if len(sizes) != 1:
            raise ValueError(f"Invalid transformers: output sizes differ {sorted(map(str, sizes))} (expected one size)")
        self.transformers = nn.ModuleList(transformers)

    def forward(self, input: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        outputs, thetas = zip(*(t(input) for t in self.transformers))
        return torch.cat(outputs, dim=1), list(thetas)
