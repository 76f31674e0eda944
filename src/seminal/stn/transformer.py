"""The spatial transformer module (paper §3, Fig. 2) and its series/parallel compositions (§3.4).

``SpatialTransformer`` = localisation network ``f_loc`` (any module, §3.1) + a regression layer
initialised to the identity transform (zero weights, identity bias) + a grid generator chosen by
name (§3.2, :mod:`seminal.stn.grids`) + a sampler (§3.3, :mod:`seminal.stn.sampling`).
``forward`` returns the warped image only, so a transformer fits in ``nn.Sequential``; θ is
returned too with ``return_theta=True`` (constructor flag), or at any time by
:meth:`SpatialTransformer.forward_with_theta`, which always returns ``(V, θ)``.

Transform names and their parameter counts (θ as the regression layer emits it):

=============  ========  ===========================================  ==================================
name           #params   θ layout                                     identity
=============  ========  ===========================================  ==================================
``affine``     6         ``A_θ`` row-major, viewed ``(N, 2, 3)``       ``[1, 0, 0, 0, 1, 0]``
``attention``  3         ``(s, t_x, t_y)``                             ``[1, 0, 0]``
``similarity`` 4         ``(α, ln s, t_x, t_y)`` (ours, not the paper) ``[0, 0, 0, 0]``
``projective`` 8         ``H`` row-major without ``H[2, 2] = 1``       ``[1, 0, 0, 0, 1, 0, 0, 0]``
``tps``        2K        source control points ``(x_1, y_1, ..., )``   the control points themselves
=============  ========  ===========================================  ==================================

Finiteness guard (``check_finite=True``): a non-finite input image, a diverging localisation
network (θ or the grid containing NaN/Inf) and a sampler that produced NaN/Inf from finite values
each raise :class:`NonFiniteTransformError` with a message naming which of the three it was, instead
of silently sampling a blank or NaN image (on CPU a NaN grid gives NaN output with bilinear
sampling and zero padding). In eager mode on the CPU the guard is an exact check (a host sync is
free there). On CUDA and inside ``torch.compile`` it is ``torch._assert_async``: no host sync and no
graph break (``torch.compile(fullgraph=True)`` works with the guard on); a failure there is a
device-side assertion (CUDA) or a ``RuntimeError`` carrying the same message.

Precision: the grid is built and sampled in float32 whatever the input's dtype and any active
autocast (as kornia does): torch's CPU ``grid_sample`` in bfloat16/float16 returns NaN or 3e38 at
192–256 px. The output is cast back to the input's dtype.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

from seminal.stn.fused import projective_warp, takes_fused_path
from seminal.stn.grids import (
    TPSGridGenerator,
    affine_grid,
    attention_grid,
    attention_to_affine,
    check_size,
    check_theta,
    projective_grid,
    similarity_grid,
    similarity_to_affine,
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

TRANSFORMS: tuple[str, ...] = ("affine", "attention", "similarity", "projective", "tps")


class NonFiniteTransformError(FloatingPointError):
    """NaN or Inf in the input image, in θ / the grid (a diverged localisation network), or in the
    sampler's output; the message says which."""


def _guard(finite: torch.Tensor, message: str, eager_check: bool) -> None:
    """Raise :class:`NonFiniteTransformError` (eager CPU) or assert asynchronously (CUDA, compile)."""
    if eager_check:
        if not bool(finite):
            raise NonFiniteTransformError(message)
    else:
        torch._assert_async(finite, message)


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
    if name == "similarity":
        return TransformSpec(name, 4, torch.zeros(4), similarity_grid)
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
        transform: ``"affine"`` (default), ``"attention"``, ``"similarity"`` (rotation + scale +
            translation, a constrained affine map; ours), ``"projective"`` or ``"tps"``.
        output_size: ``(H', W')`` of ``V``; default the input's size. May differ from the input.
        mode: sampling kernel, ``"bilinear"`` (eq. 5) or ``"nearest"`` (eq. 4).
        tps_grid_size: control grid of the TPS transform (paper: 4 -> 16 points; any ≥ 2).
        check_finite: guard against NaN/Inf in the input, θ, the grid and the output (see the
            module docstring for how it works on CPU, CUDA and under ``torch.compile``).
        return_theta: ``forward(U)`` returns ``(V, θ)`` instead of ``V``.

    ``forward(U)`` returns ``V`` ``(N, C, H', W')`` (default; fits ``nn.Sequential``) or
    ``(V, θ)`` with θ ``(N, num_params)`` when ``return_theta=True``. :meth:`transform` always
    returns ``(V, θ)``.

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
        return_theta: bool = False,
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
        self.return_theta = return_theta
        self.loc_features = loc_features
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
        if features.shape[1] != self.loc_features:
            raise ValueError(
                f"Invalid loc_features: {self.loc_features} (the localization network outputs "
                f"{features.shape[1]} features per image for this input; pass loc_features={features.shape[1]})"
            )
        return self.regression(features)

    def affine_matrix(self, theta: torch.Tensor) -> torch.Tensor:
        """θ as the 2×3 map ``A_θ`` ``(N, 2, 3)`` (affine-family transforms only)."""
        check_theta(theta, self.transform, [(self.num_params,)])
        if self.transform == "affine":
            return theta.view(-1, 2, 3)
        if self.transform == "attention":
            return attention_to_affine(theta)
        if self.transform == "similarity":
            return similarity_to_affine(theta)
        raise ValueError(f"Invalid transform for affine_matrix: {self.transform!r} (expected affine, attention or similarity)")

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
        if self.check_finite:
            self._check_input(input)
        size = self.output_size or (int(input.shape[-2]), int(input.shape[-1]))
        # Grid and sampling in float32 outside autocast: CPU grid_sample in bf16/fp16 gives NaN/3e38.
        compute_dtype = torch.float64 if input.dtype == torch.float64 else torch.float32
        with torch.autocast(device_type=input.device.type, enabled=False):
            theta32 = theta.to(compute_dtype)
            input32 = input.to(compute_dtype)
            if self.transform == "projective" and takes_fused_path(input32, theta32, self.mode):
                # Grid and sampler in one native pass (seminal.stn.fused); no grid to check up
                # front, so a non-finite output is traced back to the grid only when it happens.
                out = projective_warp(input32, theta32, size, self.mode)
                if self.check_finite and not bool(torch.isfinite(out).all()):
                    self._check_grid(theta32, self.grid(theta32, size))
                    self._check_output(out)
                return out.to(input.dtype)
            grid = self.grid(theta32, size)
            if self.check_finite:
                self._check_grid(theta32, grid)
            out = sample_grid(input32, grid, self.mode)
            if self.check_finite:
                self._check_output(out)
        return out.to(input.dtype)

    def _eager_check(self, tensor: torch.Tensor) -> bool:
        return tensor.device.type == "cpu" and not torch.compiler.is_compiling()

    def _check_input(self, input: torch.Tensor) -> None:
        _guard(
            torch.isfinite(input).all(),
            f"Non-finite values (NaN/Inf) in the input image given to the {self.transform!r} spatial transformer: "
            "refusing to transform it (the input is non-finite; check the data or the layer before)",
            self._eager_check(input),
        )

    def _check_grid(self, theta: torch.Tensor, grid: torch.Tensor) -> None:
        eager = self._eager_check(grid)
        if eager and not bool(torch.isfinite(grid).all()):
            bad = "theta" if not bool(torch.isfinite(theta).all()) else "the grid (projective divide by 0?)"
            raise NonFiniteTransformError(
                f"Non-finite values in {bad} of the {self.transform!r} spatial transformer from a finite input: the "
                f"localisation network has diverged (try a lower learning rate for it); refusing to sample a NaN/blank image"
            )
        if not eager:
            _guard(
                torch.isfinite(grid).all(),
                f"Non-finite values in theta or the grid of the {self.transform!r} spatial transformer: the "
                "localisation network has diverged (try a lower learning rate for it)",
                False,
            )

    def _check_output(self, out: torch.Tensor) -> None:
        _guard(
            torch.isfinite(out).all(),
            f"The sampler of the {self.transform!r} spatial transformer produced NaN/Inf from a finite input and grid "
            f"(dtype {out.dtype}); refusing to return it",
            self._eager_check(out),
        )

    def forward_with_theta(self, input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(V, θ)``: the warped image and θ ``(N, num_params)``, whatever ``return_theta`` says."""
        theta = self.theta(input)
        return self.warp(input, theta), theta

    def forward(self, input: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        warped, theta = self.forward_with_theta(input)
        return (warped, theta) if self.return_theta else warped


class SeriesSpatialTransformers(nn.Module):
    """Transformers in series (§3.4): each warps the previous one's output.

    ``forward(U)`` returns ``V`` (default) or ``(V, [θ_1, ..., θ_k])`` with ``return_theta=True``;
    :meth:`forward_with_theta` always returns the pair.
    """

    def __init__(self, *transformers: SpatialTransformer, return_theta: bool = False) -> None:
        super().__init__()
        if not transformers or not all(isinstance(t, SpatialTransformer) for t in transformers):
            raise TypeError("Invalid transformers: expected one or more SpatialTransformer modules")
        self.transformers = nn.ModuleList(transformers)
        self.return_theta = return_theta

    def forward_with_theta(self, input: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        thetas = []
        out = input
        for transformer in self.transformers:
            out, theta = transformer.forward_with_theta(out)
            thetas.append(theta)
        return out, thetas

    def forward(self, input: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        out, thetas = self.forward_with_theta(input)
        return (out, thetas) if self.return_theta else out


class ParallelSpatialTransformers(nn.Module):
    """Transformers in parallel (§3.4): each looks at the same input; outputs are concatenated
    along the channel axis (all transformers must share the output size).

    ``forward(U)`` returns ``cat([V_1, ..., V_k], dim=1)`` (default) or that and
    ``[θ_1, ..., θ_k]`` with ``return_theta=True``; :meth:`forward_with_theta` always returns the pair.
    """

    def __init__(self, *transformers: SpatialTransformer, return_theta: bool = False) -> None:
        super().__init__()
        if not transformers or not all(isinstance(t, SpatialTransformer) for t in transformers):
            raise TypeError("Invalid transformers: expected one or more SpatialTransformer modules")
        sizes = {t.output_size for t in transformers}
        if len(sizes) != 1:
            raise ValueError(f"Invalid transformers: output sizes differ {sorted(map(str, sizes))} (expected one size)")
        self.transformers = nn.ModuleList(transformers)
        self.return_theta = return_theta

    def forward_with_theta(self, input: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        outputs, thetas = zip(*(t.forward_with_theta(input) for t in self.transformers))
        return torch.cat(outputs, dim=1), list(thetas)

    def forward(self, input: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, list[torch.Tensor]]:
        out, thetas = self.forward_with_theta(input)
        return (out, thetas) if self.return_theta else out
