"""Why ``torch.load(weights_only=True)`` refused a file: the globals its pickle imports.

A file refused for containing code is told apart from a damaged one by what its pickle names (the
globals it imports), never by the wording of torch's error, which changes between versions.
"""

from __future__ import annotations

import os
import pickletools
import re
import zipfile
from pathlib import Path

__all__ = ["foreign_globals", "unpickler_reason", "first_line"]

# Globals a torch.save of tensors and plain containers imports; anything else in a file that
# torch.load(weights_only=True) refused is what it refused it for.
_TENSOR_GLOBALS_MODULES = {"torch._utils", "collections", "torch.serialization"}
_TORCH_NAMES = re.compile(r"^(\w*Storage|Size|device|dtype|Tensor|float\w*|bfloat16|int\w*|uint\w*|bool|complex\w*|half|double|long|short)$")


def foreign_globals(path: str | os.PathLike[str]) -> list[str]:
    """``module.name`` of every global in a torch.save file's pickle that tensors do not need.

    Non-empty for a file that ``torch.load(weights_only=True)`` refuses because unpickling it would
    import (and could run) code; empty for plain tensors and containers, or an unreadable file.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
            data = archive.read(pickles[0]) if pickles else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, RuntimeError):
        return []
    foreign: list[str] = []
    strings: list[str] = []
    try:
        for opcode, arg, _ in pickletools.genops(data):
            if opcode.name in {"SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8", "SHORT_BINSTRING", "BINSTRING", "STRING"}:
                strings.append(str(arg))
                continue
            if opcode.name == "GLOBAL":
                module, _, name = str(arg).partition(" ")
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                module, name = strings[-2], strings[-1]
            else:
                continue
            if not _tensor_global(module, name):
                foreign.append(f"{module}.{name}")
    except Exception:  # noqa: BLE001 - a damaged pickle stream: whatever was read before counts
        pass
    return foreign


def _tensor_global(module: str, name: str) -> bool:
    if module in _TENSOR_GLOBALS_MODULES:
        return module != "torch._utils" or name.startswith("_rebuild")
    return module == "torch" and bool(_TORCH_NAMES.match(name))


def unpickler_reason(exc: BaseException) -> str:
    # torch's message is a long how-to; the text after "WeightsUnpickler error:" says what failed.
    text = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in text:
        rest = text.split(marker, 1)[1].strip()
        line = rest.splitlines()[0].strip() if rest else ""
        return line or "unreadable pickle"
    return first_line(exc)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
