"""Which tensors the memory-walking kernels may take, so that every path is exact for any layout.

torch's fused Adam kernel (and seminal's compiled kernel, which works on flat views) walk the raw
memory of θ, g, m, v, ... element by element from their data pointers. That is the right update
only when every tensor is dense (no gaps, no overlaps) and all share one element order. A
transposed gradient, a channels_last parameter with a contiguous gradient, a parameter that is a
strided view, or an expanded (stride-0) gradient break that assumption: the kernel then pairs the
wrong elements (or reads past an expanded gradient's storage). torch's own ``fused=True`` has this
bug; the per-tensor ops of the ``loop`` path are stride-aware and always exact.

The rule here: a kernel takes a parameter when the parameter is dense and its state tensors have
its exact layout. A gradient in another layout is first copied into the parameter's layout (one
extra pass over g, instead of the slower loop path). Everything else goes to the loop path.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["is_dense", "same_layout", "kernel_takes", "grad_in_layout_of"]


def is_dense(t: Tensor) -> bool:
    """Whether ``t`` covers a gap-free, non-overlapping block of memory (in some dimension order)."""
    if t.is_contiguous():
        return True
    expected = 1
    for stride, size in sorted((s, n) for s, n in zip(t.stride(), t.shape) if n != 1):
        if stride != expected:
            return False
        expected *= size
    return True


def same_layout(a: Tensor, b: Tensor) -> bool:
    """Whether two tensors of one shape store their elements in the same memory order."""
    if a.stride() == b.stride():
        return True
    return all(sa == sb for sa, sb, n in zip(a.stride(), b.stride(), a.shape) if n != 1)


def kernel_takes(param: Tensor, state_tensors: list[Tensor]) -> bool:
    """Whether a raw-memory kernel may update ``param`` with these state tensors (see module doc)."""
    if param.is_contiguous():
        return all(t.is_contiguous() for t in state_tensors)
    return is_dense(param) and all(same_layout(param, t) for t in state_tensors)


def grad_in_layout_of(grad: Tensor, param: Tensor) -> Tensor:
    """``grad`` itself when it shares the (dense) parameter's layout, else a copy in that layout."""
    if grad.is_contiguous() and param.is_contiguous():
        return grad
    if is_dense(grad) and same_layout(grad, param):
        return grad
    return torch.empty_strided(param.shape, param.stride(), dtype=grad.dtype, device=grad.device).copy_(grad)
