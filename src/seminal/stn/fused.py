"""Fused projective warp: the §3.2 projective grid and the §3.3 bilinear sampler in one pass.

``projective_warp(U, θ, size)`` equals ``sample_grid(U, projective_grid(θ, size))`` -- the same
function, same convention (:mod:`seminal.stn.convention`) -- but on CPU it runs as one native
loop per output pixel (``projective_warp.cpp``): the source point is computed from ``H`` where
it is sampled, so no ``(N, H', W', 2)`` grid is written, read back, or differentiated through
a chain of element-wise ops. The backward pass is analytic: eq. 6 for ``∂L/∂U`` and eq. 7 chained
through the perspective divide for ``∂L/∂H`` (``x_s = u/w``: ``∂x_s/∂u = 1/w``,
``∂x_s/∂w = −x_s/w``).

When the fused path is not taken -- no C++ compiler (see :mod:`seminal.native`), a CUDA tensor,
``mode="nearest"``, a dtype other than float32/float64, or while torch.compile traces -- the
function falls back to the grid + ``grid_sample`` path, so results never depend on the machine
beyond rounding.

Deviations (none from the paper): a non-finite source point (``w = 0`` on some pixel) gives NaN
in that pixel's channels rather than whatever ``grid_sample`` makes of it, so a finiteness check
sees it; the fused path is once differentiable (a double backward raises).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.autograd.function import once_differentiable

from seminal import native
from seminal.stn.grids import check_size, check_theta, projective_grid, projective_matrix
from seminal.stn.sampling import check_sampler_inputs, sample_grid

__all__ = ["projective_warp", "fused_projective_available", "takes_fused_path"]

_SOURCE = Path(__file__).with_name("projective_warp.cpp")
#: Smallest share of the batch worth a thread of its own.
_MIN_IMAGES_PER_THREAD = 4
_SUFFIX, _I64, _PTR = native.DTYPE_SUFFIX, native.C_INT64, native.C_POINTER
#: The kernels' C signatures (see projective_warp.cpp), for each element type.
_SIGNATURES = {
    name: argtypes
    for suffix in _SUFFIX.values()
    for name, argtypes in (
        (f"projective_warp_forward_{suffix}", [_PTR, _PTR, _PTR] + [_I64] * 7),
        (f"projective_warp_backward_{suffix}", [_PTR, ctypes.POINTER(_I64)] + [_PTR] * 4 + [_I64] * 7),
    )
}


def _library_functions() -> dict[str, Any] | None:
    """The kernels by their C names (``"projective_warp_forward_f32"``, ...), or ``None`` without a build."""
    return native.bind(_SOURCE, _SIGNATURES)


def fused_projective_available() -> bool:
    """Whether the native fused warp is built and loaded on this machine (CPU tensors only)."""
    return _library_functions() is not None


def _pointer(tensor: torch.Tensor | None, start: int) -> ctypes.c_void_p | None:
    """Address of image ``start`` of a batch-first tensor (``None`` passes as NULL)."""
    if tensor is None:
        return None
    return ctypes.c_void_p(tensor.data_ptr() + start * tensor.stride(0) * tensor.element_size())


def _over_images(n: int, call: Callable[[int, int, int], None]) -> None:
    """``call(start, count, threads)`` over the batch, split across torch's thread count (:func:`native.split_work`)."""
    threads = min(torch.get_num_threads(), n // _MIN_IMAGES_PER_THREAD)
    native.split_work(_SOURCE, n, threads, lambda lo, hi, threads: call(lo, hi - lo, threads))


class _FusedProjectiveWarp(torch.autograd.Function):
    """Forward: eq. 3 with the eq. 5 kernel at ``H (x_t, y_t, 1)ᵀ``; backward: eq. 6 and eq. 7."""

    @staticmethod
    def forward(ctx: Any, image: torch.Tensor, hom: torch.Tensor, out_h: int, out_w: int) -> torch.Tensor:
        functions = _library_functions()
        assert functions is not None  # checked by the caller
        image, hom = image.contiguous(), hom.contiguous()
        n, c, height, width = image.shape
        out = torch.empty(n, c, out_h, out_w, dtype=image.dtype)
        kernel = functions[f"projective_warp_forward_{_SUFFIX[image.dtype]}"]
        _over_images(
            n,
            lambda i, k, threads: kernel(
                _pointer(image, i), _pointer(hom, i), _pointer(out, i), k, c, height, width, out_h, out_w, threads
            ),
        )
        ctx.save_for_backward(image, hom)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        functions = _library_functions()
        assert functions is not None
        image, hom = ctx.saved_tensors
        if grad_out.dtype != image.dtype or grad_out.device != image.device:
            grad_out = grad_out.to(image)
        strides = (ctypes.c_int64 * 4)(*grad_out.stride())  # any layout; the kernel reads by strides
        n, c, height, width = image.shape
        out_h, out_w = grad_out.shape[-2:]
        grad_image = torch.empty_like(image) if ctx.needs_input_grad[0] else None  # the kernel zeroes it
        grad_hom = torch.empty_like(hom) if ctx.needs_input_grad[1] else None
        if grad_image is not None or grad_hom is not None:
            kernel = functions[f"projective_warp_backward_{_SUFFIX[image.dtype]}"]
            _over_images(
                n,
                lambda i, k, threads: kernel(
                    _pointer(grad_out, i), strides, _pointer(image, i), _pointer(hom, i), _pointer(grad_image, i),
                    _pointer(grad_hom, i), k, c, height, width, out_h, out_w, threads,
                ),
            )  # fmt: skip
        return grad_image, grad_hom, None, None


def takes_fused_path(input: torch.Tensor, theta: torch.Tensor, mode: str = "bilinear") -> bool:
    """Whether :func:`projective_warp` runs the native kernel for these arguments (else the grid path)."""
    return (
        mode == "bilinear"
        and input.device.type == "cpu"
        and theta.device.type == "cpu"
        and input.dtype in _SUFFIX
        and theta.dtype == input.dtype
        and not torch.compiler.is_compiling()
        and input.numel() > 0
        # Corner indices are int32, formed in floating point (exact below 2^24 in float32).
        and int(input.shape[-2]) * int(input.shape[-1]) < 2**24
        and fused_projective_available()
    )


def projective_warp(input: torch.Tensor, theta: torch.Tensor, size: Sequence[int] | None = None, mode: str = "bilinear") -> torch.Tensor:
    """Warp ``input`` by the plane projective map θ: ``sample_grid(input, projective_grid(θ, size), mode)``.

    Args:
        input: ``U``, ``(N, C, H, W)``.
        theta: ``(N, 8)`` (the paper's 8 parameters, row-major ``H`` with ``H[2, 2] = 1``) or a
            full ``(N, 3, 3)`` homography, mapping output to input (normalised coordinates); same
            dtype and device as ``input``.
        size: output size ``(H', W')``; default the input's.
        mode: ``"bilinear"`` (eq. 5; fused on CPU) or ``"nearest"`` (eq. 4; grid path).

    Returns:
        ``V``, ``(N, C, H', W')``. Differentiable in ``input`` and ``theta``.
    """
    check_theta(theta, "projective", [(8,), (3, 3)])
    if not isinstance(input, torch.Tensor) or input.dim() != 4:
        shape = tuple(input.shape) if isinstance(input, torch.Tensor) else type(input).__name__
        raise ValueError(f"Invalid input shape: {shape} (expected (N, C, H, W))")
    out_h, out_w = check_size(size if size is not None else tuple(input.shape[-2:]))
    if theta.shape[0] != input.shape[0]:
        raise ValueError(f"Invalid theta batch size: {theta.shape[0]} (expected {input.shape[0]}, the input's N)")
    if takes_fused_path(input, theta, mode):
        return _FusedProjectiveWarp.apply(input, projective_matrix(theta), out_h, out_w)
    grid = projective_grid(theta, (out_h, out_w))
    check_sampler_inputs(input, grid, mode)
    return sample_grid(input, grid, mode)
