"""Device selection (``--device auto|cpu|cuda|cuda:N|mps``) and mixed precision."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import torch

from seminal.training.distributed import launched_by_torchrun, local_rank

__all__ = ["resolve_device", "autocast_dtype"]

_CUDA_RE = re.compile(r"^cuda(?::(\d+))?$")


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """Turn a ``--device`` string into a :class:`torch.device`, checking it exists here.

    ``auto`` picks CUDA when present, else the CPU. Under torchrun, ``auto``/``cuda`` select
    ``cuda:LOCAL_RANK`` (one GPU per process).

    Raises:
        ValueError: an unknown device string.
        RuntimeError: CUDA (or MPS) requested but not available, or ``cuda:N`` out of range.
    """
    if isinstance(spec, torch.device):
        spec = str(spec)
    if not isinstance(spec, str):
        raise TypeError(f"Invalid device: expected a str or torch.device, got {type(spec).__name__}")
    text = spec.strip().lower()
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    if text == "cpu":
        return torch.device("cpu")
    if text == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise RuntimeError("Invalid device 'mps': MPS (Apple GPU) is not available on this machine")
        return torch.device("mps")
    match = _CUDA_RE.match(text)
    if match is None:
        raise ValueError(f"Invalid device {spec!r} (expected 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps')")
    if not torch.cuda.is_available():
        raise RuntimeError(
            f"Invalid device {spec!r}: CUDA was requested but is not available "
            "(no GPU, or torch was built without CUDA); use --device cpu or --device auto"
        )
    count = torch.cuda.device_count()
    if match.group(1) is not None:
        index = int(match.group(1))
    else:
        index = local_rank() if launched_by_torchrun() else 0
    if index >= count:
        raise RuntimeError(f"Invalid device {spec!r}: index {index} but only {count} CUDA device(s) are visible")
    return torch.device("cuda", index)


def autocast_dtype(amp: bool | str | None, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for an ``amp`` request on ``device``, or None for full precision.

    ``amp``: False/None/"" = off; True/"fp16" = float16 on CUDA (off on CPU, where float16 autocast
    is slow and rarely supported); "bf16" = bfloat16 on CUDA or CPU.
    """
    if amp in (None, False, "", "0", "off", "false", "no"):
        return None
    if amp in (True, "1", "on", "true", "yes", "fp16", "float16"):
        return torch.float16 if device.type == "cuda" else None
    if amp in ("bf16", "bfloat16"):
        return torch.bfloat16 if device.type in ("cuda", "cpu") else None
    raise ValueError(f"Invalid amp setting {amp!r} (expected False, True, 'fp16' or 'bf16')")


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """``torch.autocast`` for ``device``/``dtype``, or nothing when ``dtype`` is None."""
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield
