"""What a checkpoint may hold, and its content checksum.

:func:`check_loadable` refuses, at save time, anything ``torch.load(weights_only=True)`` could not
read back, naming the offending entry; :func:`content_checksum` is the CRC32 over every tensor byte
and plain value that a checkpoint stores under ``content_crc32`` and that loading verifies.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any

import torch

__all__ = ["check_loadable", "content_checksum"]

# Exact types for scalars: a str/int subclass (e.g. torch.__version__, an IntEnum) is pickled as its
# class, which weights_only refuses.
_PLAIN_SCALARS = (str, int, float, bool, type(None), torch.dtype, torch.device, torch.Size)


def check_loadable(obj: Any, where: str = "checkpoint") -> None:
    """Raise TypeError if ``obj`` holds anything ``torch.load(weights_only=True)`` would refuse.

    Checked at save time so that the error names the offending entry (e.g.
    ``checkpoint['state']['noise']``) instead of surfacing later as an unreadable file.
    """
    if type(obj) in _PLAIN_SCALARS or isinstance(obj, torch.Tensor):
        return
    if isinstance(obj, Mapping):
        if type(obj) not in (dict,) and not isinstance(obj, dict):
            raise TypeError(f"{where}: {type(obj).__name__} is not a plain dict")
        for key, value in obj.items():
            if not isinstance(key, (str, int, float, bool, type(None))):
                raise TypeError(f"{where}: key {key!r} of type {type(key).__name__} is not a str/int")
            check_loadable(value, f"{where}[{key!r}]")
        return
    if isinstance(obj, (list, tuple)):
        for index, value in enumerate(obj):
            check_loadable(value, f"{where}[{index}]")
        return
    raise TypeError(
        f"{where} is a {type(obj).__name__}, which torch.load(weights_only=True) cannot read back; "
        "store tensors, numbers, strings, lists or dicts"
    )


def content_checksum(obj: Any, crc: int = 0) -> int:
    """CRC32 of everything in ``obj``: tensor bytes (with dtype and shape) and every plain value.

    torch's zip reader does not verify what it reads, so a flipped bit inside a weight -- or inside
    a pickled integer such as Python's RNG state -- would load silently; this checksum, stored in
    the file under ``content_crc32`` (skipped when computing it), catches it.
    """
    if isinstance(obj, torch.Tensor):
        data = obj.detach().cpu().contiguous().reshape(-1)
        crc = zlib.crc32(f"T{data.dtype}{tuple(obj.shape)}".encode(), crc)
        if data.numel():
            crc = zlib.crc32(data.view(torch.uint8).numpy(), crc)
        return crc
    if isinstance(obj, Mapping):
        crc = zlib.crc32(f"D{len(obj)}".encode(), crc)
        for key, value in obj.items():
            if key != "content_crc32":
                crc = zlib.crc32(f"K{type(key).__name__}:{key!r}".encode(), crc)
                crc = content_checksum(value, crc)
        return crc
    if isinstance(obj, (list, tuple)):
        crc = zlib.crc32(f"L{len(obj)}".encode(), crc)
        for value in obj:
            crc = content_checksum(value, crc)
        return crc
    return zlib.crc32(f"V{type(obj).__name__}:{obj!r}".encode(), crc)
