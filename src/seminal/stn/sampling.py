"""Differentiable image sampling (paper §3.3, eq. 3–7): input ``U`` + grid -> output ``V``.

``V_i^c = Σ_n Σ_m U^c_nm k(x_i^s − m; Φ_x) k(y_i^s − n; Φ_y)`` (eq. 3), the same warp for every
channel ``c``, with the integer kernel of eq. 4 (``mode="nearest"``) or the bilinear kernel
``k(d) = max(0, 1 − |d|)`` of eq. 5 (``mode="bilinear"``). ``(x_s, y_s)`` are in pixel units here
and in normalised coordinates in the grid (see :mod:`seminal.stn.convention`); outside the
image ``U = 0``.

Two implementations:
* :func:`sample_grid` -- the fast path: ``torch.nn.functional.grid_sample`` with
  ``align_corners=False`` and zero padding. Gradients to both the image and the grid.
* :func:`reference_sample` -- the oracle, written from the equations: eq. 3 as two separable
  kernel matrices, eq. 6 (``∂V/∂U``) and eq. 7 (``∂V/∂x_s``) as an explicit backward. Slow,
  for tests only.

Deviation (documented, not tested literally): at an integer ``x_s`` eq. 7 takes the
sub-gradient ``+1`` for ``m = x_s`` while torch differentiates to the right; an identity grid
lands exactly there, so tests compare gradients at non-integer points only. For ``nearest``,
eq. 4 rounds halves up (``⌊x + 0.5⌋``) and torch rounds halves to even; ``∂V/∂x_s = 0``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from seminal.stn.convention import ALIGN_CORNERS, normalized_to_pixel

__all__ = ["sample_grid", "reference_sample", "check_sampler_inputs", "MODES"]

MODES: tuple[str, ...] = ("bilinear", "nearest")


def check_sampler_inputs(input: torch.Tensor, grid: torch.Tensor, mode: str) -> None:
    """Raise a precise TypeError/ValueError for an input/grid pair the samplers cannot take."""
    if not isinstance(input, torch.Tensor) or not isinstance(grid, torch.Tensor):
        raise TypeError(
            f"Invalid sampler arguments: expected tensors, got input={type(input).__name__}, grid={type(grid).__name__}"
        )
    if mode not in MODES:
        raise ValueError(f"Invalid mode: {mode!r} (expected one of {MODES})")
    if input.dim() != 4:
        raise ValueError(f"Invalid input shape: {tuple(input.shape)} (expected (N, C, H, W))")
    if grid.dim() != 4 or grid.shape[-1] != 2:
        raise ValueError(f"Invalid grid shape: {tuple(grid.shape)} (expected (N, H', W', 2))")
    if grid.shape[0] != input.shape[0]:
        raise ValueError(f"Invalid grid batch size: {grid.shape[0]} (expected {input.shape[0]}, the input's N)")
    if not input.dtype.is_floating_point or grid.dtype != input.dtype:
        raise TypeError(
            f"Invalid dtypes: input {input.dtype}, grid {grid.dtype} (expected the same floating point dtype)"
        )
    if grid.device != input.device:
        raise ValueError(f"Invalid grid device: {grid.device} (expected {input.device}, the input's device)")


def sample_grid(input: torch.Tensor, grid: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Fast sampler: eq. 3 with the eq. 5 (bilinear) or eq. 4 (nearest) kernel, zero outside.

    Args:
        input: ``U``, ``(N, C, H, W)``.
        grid: source points, ``(N, H', W', 2)``, normalised ``(x, y)`` (our convention).
        mode: ``"bilinear"`` or ``"nearest"``.

    Returns:
        ``V``, ``(N, C, H', W')``.
    """
    check_sampler_inputs(input, grid, mode)
    return F.grid_sample(input, grid, mode=mode, padding_mode="zeros", align_corners=ALIGN_CORNERS)


def _bilinear_kernel(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Eq. 5: ``k(x_s − m) = max(0, 1 − |x_s − m|)`` for ``m = 0..size-1``; ``(N, P)`` -> ``(N, P, size)``."""
    m = torch.arange(size, dtype=coord.dtype, device=coord.device)
    return torch.clamp(1.0 - (coord.unsqueeze(-1) - m).abs(), min=0.0)


def _bilinear_kernel_derivative(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Eq. 7's bracket: ``0`` if ``|m − x_s| ≥ 1``, ``1`` if ``m ≥ x_s``, ``−1`` if ``m < x_s``."""
    m = torch.arange(size, dtype=coord.dtype, device=coord.device)
    diff = m - coord.unsqueeze(-1)  # (N, P, size)
    sign = torch.where(diff >= 0, torch.ones_like(diff), -torch.ones_like(diff))
    return torch.where(diff.abs() >= 1.0, torch.zeros_like(diff), sign)


def _nearest_kernel(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Eq. 4: ``δ(⌊x_s + 0.5⌋ − m)``; ``(N, P)`` -> ``(N, P, size)``."""
    m = torch.arange(size, dtype=coord.dtype, device=coord.device)
    return (torch.floor(coord + 0.5).unsqueeze(-1) == m).to(coord.dtype)


class _BilinearSample(torch.autograd.Function):
    """Eq. 3 + 5 forward, eq. 6–7 backward, in pixel units.

    Once differentiable: the backward uses kernels saved from the forward, so differentiating it
    again would silently miss their dependence on ``(x_s, y_s)``; torch raises instead.
    """

    @staticmethod
    def forward(ctx: Any, image: torch.Tensor, x_pix: torch.Tensor, y_pix: torch.Tensor) -> torch.Tensor:
        # image (N, C, H, W); x_pix, y_pix (N, P)
        height, width = image.shape[-2:]
        kx = _bilinear_kernel(x_pix, width)  # (N, P, W)
        ky = _bilinear_kernel(y_pix, height)  # (N, P, H)
        ctx.save_for_backward(image, x_pix, y_pix, kx, ky)
        return torch.einsum("nchw,nph,npw->ncp", image, ky, kx)

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        image, x_pix, y_pix, kx, ky = ctx.saved_tensors
        height, width = image.shape[-2:]
        grad_image = grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            # Eq. 6: ∂V_i/∂U_nm = max(0, 1 − |x_i − m|) max(0, 1 − |y_i − n|).
            grad_image = torch.einsum("ncp,nph,npw->nchw", grad_out, ky, kx)
        if ctx.needs_input_grad[1]:
            # Eq. 7: ∂V_i/∂x_i = Σ_n Σ_m U_nm max(0, 1 − |y_i − n|) · {0, +1, −1}.
            dkx = _bilinear_kernel_derivative(x_pix, width)
            grad_x = torch.einsum("ncp,nchw,nph,npw->np", grad_out, image, ky, dkx)
        if ctx.needs_input_grad[2]:
            dky = _bilinear_kernel_derivative(y_pix, height)
            grad_y = torch.einsum("ncp,nchw,nph,npw->np", grad_out, image, dky, kx)
        return grad_image, grad_x, grad_y


def reference_sample(input: torch.Tensor, grid: torch.Tensor, mode: str = "bilinear") -> torch.Tensor:
    """Paper-literal sampler (eq. 3–7), the oracle for :func:`sample_grid`. Same arguments.

    Memory is ``O(N · H'W' · (H + W))``: for tests and small images only. The bilinear path is
    once differentiable (eq. 6–7): a double backward through it raises a ``RuntimeError``
    (use :func:`sample_grid` for higher derivatives).
    """
    check_sampler_inputs(input, grid, mode)
    n, c, height, width = input.shape
    out_h, out_w = grid.shape[1:3]
    x_pix = normalized_to_pixel(grid[..., 0], width).reshape(n, -1)  # (N, P), pixel units
    y_pix = normalized_to_pixel(grid[..., 1], height).reshape(n, -1)
    if mode == "bilinear":
        out = _BilinearSample.apply(input, x_pix, y_pix)
    else:
        # Eq. 4 is piecewise constant in (x_s, y_s): no gradient flows to the grid.
        kx = _nearest_kernel(x_pix.detach(), width)
        ky = _nearest_kernel(y_pix.detach(), height)
        out = torch.einsum("nchw,nph,npw->ncp", input, ky, kx)
    return out.reshape(n, c, out_h, out_w)
