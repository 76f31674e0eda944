"""Multi-tensor one-pass Adam/AdaMax on CPU: one native call per parameter group (``onepass.cpp``).

The ``"compiled"`` path's one-pass update (:mod:`seminal.adam.compiled`) costs one torch.compile
dispatch per tensor (about 0.25 ms measured, whatever the tensor's size), which kept AdaMax and
Adam with averaging well below their memory-bandwidth bound on models of a few dozen tensors. Here
the same formula, with the same per-step scalar vectors (:func:`compiled.adam_scalar_vector`,
:func:`compiled.adamax_scalar_vector`), runs over every tensor of a group in one C++ loop, the
group's elements split evenly over torch's thread count.

The kernel is built on first use by :mod:`seminal.native` (a C++ compiler is needed once; the
build is cached). Without one, :func:`available` is False and the optimizers use torch.compile's
kernel, then the multi-op loop path, exactly as before -- same formula, slower.

Taken: float32/float64 CPU tensors whose state is dense, in the parameter's layout and dtype
(:func:`takes`); the rest goes on to the other paths.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from seminal import native
from seminal.adam.layout import kernel_takes

__all__ = ["available", "takes", "adam_onepass_", "adamax_onepass_"]

_SOURCE = Path(__file__).with_name("onepass.cpp")
#: Smallest share of a group's elements worth a thread of its own.
_MIN_ELEMENTS_PER_THREAD = 1 << 16
_SUFFIX, _I64, _PTR = native.DTYPE_SUFFIX, native.C_INT64, native.C_POINTER
#: The kernels' C signatures (see onepass.cpp), for each element type.
_SIGNATURES = {
    name: argtypes
    for suffix in _SUFFIX.values()
    for name, argtypes in (
        (f"adam_onepass_{suffix}", [_I64] + [_PTR] * 9 + [_I64] * 3),
        (f"adamax_onepass_{suffix}", [_I64] + [_PTR] * 8 + [_I64] * 3),
    )
}


def _library_functions() -> dict[str, Any] | None:
    """The kernels by their C names (``"adam_onepass_f32"``, ...), or ``None`` without a build."""
    return native.bind(_SOURCE, _SIGNATURES)


def available() -> bool:
    """Whether the native one-pass kernels are built and loaded on this machine."""
    return _library_functions() is not None


def takes(param: Tensor, grad: Tensor, state_tensors: Sequence[Tensor]) -> bool:
    """Whether the native kernel can update this parameter in place, exactly."""
    return (
        param.device.type == "cpu"
        and param.dtype in _SUFFIX
        and grad.dtype == param.dtype
        and all(t.dtype == param.dtype for t in state_tensors)
        and kernel_takes(param, [grad, *state_tensors])
    )


def _pointers(tensors: Sequence[Tensor | None]) -> array | None:
    """The tensors' data pointers as a C array (pass ``_address(...)``), or None when they are absent.

    An ``array.array`` built from a list is several times cheaper than a ctypes array built from
    Python ints, which matters at hundreds of tensors per step.
    """
    if not tensors or tensors[0] is None:
        return None
    return array("Q", [t.data_ptr() for t in tensors])  # type: ignore[union-attr]


def _address(values: array | None) -> int | None:
    """The address of an ``array.array``'s buffer (None: NULL); the caller keeps the array alive."""
    return None if values is None else values.buffer_info()[0]


def _split(total: int, call: Callable[[int, int, int], None]) -> None:
    """``call(begin, end, threads)`` over ``[0, total)`` in equal parts, one per thread (:func:`native.split_work`)."""
    native.split_work(_SOURCE, total, min(torch.get_num_threads(), total // _MIN_ELEMENTS_PER_THREAD), call)


def _common(params: Sequence[Tensor], scalar_vectors: Sequence[Tensor], vector_index: Sequence[int]) -> tuple[Any, int, list[Any]]:
    """The kernel table, the total element count, and the shared ctypes arguments (sizes, scalars)."""
    functions = _library_functions()
    if functions is None:
        raise RuntimeError("the native one-pass kernels are not available (check seminal.adam.native.available())")
    dtypes = {p.dtype for p in params}
    if len(dtypes) != 1:
        raise ValueError(f"Invalid params: dtypes {sorted(map(str, dtypes))} (expected one dtype per call)")
    if len(vector_index) != len(params) or not all(0 <= i < len(scalar_vectors) for i in vector_index):
        raise ValueError(f"Invalid vector_index: expected {len(params)} indices into {len(scalar_vectors)} scalar vectors")
    numels = array("q", [p.numel() for p in params])
    scalars = torch.cat([v.to(torch.float64).reshape(-1) for v in scalar_vectors]).contiguous()
    shared = [
        numels,
        scalars,  # kept alive by this list while the kernel runs
        array("q", vector_index),
    ]
    return functions, sum(numels), shared


def adam_onepass_(
    params: Sequence[Tensor],
    grads: Sequence[Tensor],
    exp_avgs: Sequence[Tensor],
    exp_avg_sqs: Sequence[Tensor],
    max_exp_avg_sqs: Sequence[Tensor] | None,
    param_avgs: Sequence[Tensor] | None,
    scalar_vectors: Sequence[Tensor],
    vector_index: Sequence[int],
) -> None:
    """One Adam step (+ AMSGrad, + averaging) on every tensor, in place. Tensor k uses
    ``scalar_vectors[vector_index[k]]``, :func:`seminal.adam.compiled.adam_scalar_vector` for its
    step t (one vector per distinct t). All tensors :func:`takes`."""
    if not params:
        return
    functions, total, (numel, scalars, index) = _common(params, scalar_vectors, vector_index)
    kernel = functions[f"adam_onepass_{_SUFFIX[params[0].dtype]}"]
    arrays = [_pointers(t) for t in (params, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs or [None], param_avgs or [None])]  # kept alive here while the kernel runs
    addresses = [_address(a) for a in arrays]
    sizes, indices, pointer = _address(numel), _address(index), scalars.data_ptr()
    _split(total, lambda lo, hi, threads: kernel(len(params), *addresses, sizes, pointer, indices, lo, hi, threads))


def adamax_onepass_(
    params: Sequence[Tensor],
    grads: Sequence[Tensor],
    exp_avgs: Sequence[Tensor],
    exp_infs: Sequence[Tensor],
    param_avgs: Sequence[Tensor] | None,
    scalar_vectors: Sequence[Tensor],
    vector_index: Sequence[int],
) -> None:
    """One AdaMax step (+ averaging) on every tensor, in place. Tensor k uses
    ``scalar_vectors[vector_index[k]]``, :func:`seminal.adam.compiled.adamax_scalar_vector` for
    its step t. All tensors :func:`takes`."""
    if not params:
        return
    functions, total, (numel, scalars, index) = _common(params, scalar_vectors, vector_index)
    kernel = functions[f"adamax_onepass_{_SUFFIX[params[0].dtype]}"]
    arrays = [_pointers(t) for t in (params, grads, exp_avgs, exp_infs, param_avgs or [None])]  # kept alive here while the kernel runs
    addresses = [_address(a) for a in arrays]
    sizes, indices, pointer = _address(numel), _address(index), scalars.data_ptr()
    _split(total, lambda lo, hi, threads: kernel(len(params), *addresses, sizes, pointer, indices, lo, hi, threads))
