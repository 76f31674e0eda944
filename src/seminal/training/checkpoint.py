"""Checkpoint files: atomic writes, a kept previous version, safe and explained loading.

Layout: ``<out_dir>/checkpoints/<name>.pt`` is the latest checkpoint and ``<name>.prev.pt`` the
one before it. A save writes a temporary file next to the destination, fsyncs it and renames it
over ``<name>.pt`` (:mod:`seminal.io`); the previous file is hard-linked to ``<name>.prev.pt``
first, so at every instant at least one complete checkpoint exists, whether the process is
killed or the disk fills up during the write.

Loading always uses ``torch.load(weights_only=True)``: a checkpoint downloaded from elsewhere can
only contain tensors and plain containers, never code. Every failure is a
:class:`~seminal.training.errors.CheckpointError` naming the file and the problem. A file refused
for containing code is told apart from a damaged one by what its pickle names (the globals it
imports), never by the wording of torch's error, which changes between versions.

**Run fingerprint.** Inside :func:`run_fingerprint_scope` (the experiment runner opens one per
run) every saved checkpoint carries ``run_fingerprint`` -- the run's experiment, preset, seed,
config and code version -- and loading a checkpoint whose fingerprint differs from the active one
is refused with the list of differences, unless the scope allows it (``--resume-anyway``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import pickletools
import re
import zipfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

from seminal.io import atomic_path
from seminal.training.errors import CheckpointError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "save_checkpoint",
    "load_checkpoint",
    "checkpoint_path",
    "previous_checkpoint_path",
    "find_checkpoint",
    "check_loadable",
    "remove_stale_temporaries",
    "run_fingerprint_scope",
    "active_run_fingerprint",
    "fingerprint_hash",
    "fingerprint_differences",
    "foreign_globals",
]

#: Identifies a seminal training checkpoint (``checkpoint["format"]``).
FORMAT = "seminal.training.checkpoint"
#: Bumped whenever the layout changes incompatibly; :func:`load_checkpoint` refuses newer files.
FORMAT_VERSION = 1

#: Keys every version-1 checkpoint has.
REQUIRED_KEYS = ("format", "format_version", "name", "modules", "optimizers", "schedulers",
                 "scaler", "progress", "rng", "history", "state", "metrics_log")

# Exact types for scalars: a str/int subclass (e.g. torch.__version__, an IntEnum) is pickled as its
# class, which weights_only refuses.
_ZIP_MAGIC = b"PK\x03\x04"

_PLAIN_SCALARS = (str, int, float, bool, type(None), torch.dtype, torch.device, torch.Size)


def checkpoint_path(out_dir: str | os.PathLike[str], name: str) -> Path:
    """``<out_dir>/checkpoints/<name>.pt``."""
    return Path(out_dir) / "checkpoints" / f"{name}.pt"


def previous_checkpoint_path(path: str | os.PathLike[str]) -> Path:
    """``<name>.prev.pt`` beside ``<name>.pt``."""
    path = Path(path)
    return path.with_name(path.stem + ".prev" + path.suffix)


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


# -- run fingerprint ---------------------------------------------------------------------------------

_ACTIVE: dict[str, Any] = {"fingerprint": None, "allow_mismatch": False}


@contextlib.contextmanager
def run_fingerprint_scope(fingerprint: dict[str, Any] | None, *, allow_mismatch: bool = False) -> Iterator[None]:
    """Stamp checkpoints saved in this block with ``fingerprint`` and check loaded ones against it.

    ``fingerprint`` is a JSON-like dict (plain values only). Process-wide, not per thread: one
    run at a time per process, as the runner does.
    """
    previous = dict(_ACTIVE)
    _ACTIVE.update(fingerprint=fingerprint, allow_mismatch=allow_mismatch)
    try:
        yield
    finally:
        _ACTIVE.update(previous)


def active_run_fingerprint() -> dict[str, Any] | None:
    """The fingerprint of the run in progress (None outside :func:`run_fingerprint_scope`)."""
    return _ACTIVE["fingerprint"]


def fingerprint_hash(fingerprint: Mapping[str, Any]) -> str:
    """sha256 (16 hex digits) of ``fingerprint``'s canonical JSON, without its own ``hash`` key."""
    body = {k: v for k, v in fingerprint.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint_differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    """What differs between two fingerprints, e.g. ``["seed: 0 -> 1", "config.lr: 0.1 -> 0.2"]``."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            if key == "hash":
                continue
            label = f"{prefix}{key}"
            if key not in old:
                found.append(f"{label}: (absent) -> {new[key]!r}")
            elif key not in new:
                found.append(f"{label}: {old[key]!r} -> (absent)")
            else:
                found.extend(fingerprint_differences(old[key], new[key], label + "."))
        return found
    if _plain(old) != _plain(new):
        return [f"{prefix.rstrip('.')}: {_plain(old)!r} -> {_plain(new)!r}"]
    return []


def _plain(value: Any) -> Any:
    # JSON round trip: tuples and lists compare equal, as they do once written to config.json.
    return json.loads(json.dumps(value, default=str))


def _check_fingerprint(path: Path, obj: Mapping[str, Any]) -> None:
    active = _ACTIVE["fingerprint"]
    saved = obj.get("run_fingerprint")
    if active is None or not isinstance(saved, Mapping) or _ACTIVE["allow_mismatch"]:
        return
    if fingerprint_hash(saved) == fingerprint_hash(active):
        return
    differences = fingerprint_differences(saved, active) or ["(fingerprint hash)"]
    raise CheckpointError(
        path,
        "was written by a run with different settings: " + "; ".join(differences)
        + ". Resume with the original settings, or pass --resume-anyway to continue with the new ones",
    )


def save_checkpoint(path: str | os.PathLike[str], checkpoint: dict[str, Any], keep_previous: bool = True) -> Path:
    """Write ``checkpoint`` to ``path`` atomically, keeping the old file as ``<name>.prev.pt``.

    If the write fails (full disk, killed process) the file at ``path`` -- and the previous one --
    are untouched and the temporary file is removed. Inside :func:`run_fingerprint_scope` the
    checkpoint also carries ``run_fingerprint``.
    """
    path = Path(path)
    if _ACTIVE["fingerprint"] is not None and "run_fingerprint" not in checkpoint:
        checkpoint = {**checkpoint, "run_fingerprint": _plain(_ACTIVE["fingerprint"])}
    check_loadable(checkpoint)
    checkpoint = {**checkpoint, "content_crc32": content_checksum(checkpoint)}
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)
        if keep_previous and path.exists():
            _keep_previous(path)
    return path


def _keep_previous(path: Path) -> None:
    # Hard-link the current file to <name>.prev.pt so that <name>.pt never disappears; fall back to a
    # rename (a brief window with only .prev.pt, which find_checkpoint handles) where links fail.
    prev = previous_checkpoint_path(path)
    staging = prev.with_name("." + prev.name + ".link")
    with contextlib.suppress(FileNotFoundError):
        staging.unlink()
    try:
        os.link(path, staging)
        os.replace(staging, prev)
    except OSError:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
        os.replace(path, prev)


def remove_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files a killed save of ``path`` left behind; returns what was removed."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    prev = previous_checkpoint_path(path)
    patterns = [f".{path.name}.*.tmp", f".{prev.name}.*.tmp", f".{prev.name}.link"]
    removed = []
    for pattern in patterns:
        for stale in path.parent.glob(pattern):
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
                removed.append(stale)
    return removed


def find_checkpoint(out_dir: str | os.PathLike[str], name: str) -> Path | None:
    """The checkpoint ``--resume`` should use: ``<name>.pt``, else ``<name>.prev.pt``, else None.

    ``<name>.prev.pt`` alone means a save was interrupted between keeping the old file and
    renaming the new one (only on filesystems without hard links).
    """
    path = checkpoint_path(out_dir, name)
    if path.exists():
        return path
    prev = previous_checkpoint_path(path)
    if prev.exists():
        return prev
    return None


def load_checkpoint(path: str | os.PathLike[str], map_location: str | torch.device | None = "cpu") -> dict[str, Any]:
    """Load and validate a checkpoint written by :func:`save_checkpoint`.

    Uses ``torch.load(weights_only=True)``. Raises :class:`CheckpointError` naming the file when it
    is missing, empty, truncated, not a torch file, contains code/objects, is not a seminal
    checkpoint, or has a newer format version than this code understands.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(path, "file not found")
    if path.is_dir():
        raise CheckpointError(path, "is a directory, expected a checkpoint file")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(path, "file is empty (0 bytes); it was probably truncated by a crash or a full disk")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != _ZIP_MAGIC:
        raise CheckpointError(
            path, f"corrupt or not a torch checkpoint ({size} bytes): it does not start with the zip header "
            "torch.save writes"
        )
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        reason = _unpickler_reason(exc)
        foreign = foreign_globals(path)
        if foreign:
            reason = "it imports " + ", ".join(foreign[:3])
            raise CheckpointError(
                path,
                "refused by torch.load(weights_only=True): it contains objects other than tensors and "
                f"plain containers, which could run code when loaded ({reason})",
            ) from exc
        raise CheckpointError(path, f"corrupt or truncated ({size} bytes): its pickle data is damaged ({reason})") from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, ValueError, OSError, KeyError, IndexError,
            AttributeError, TypeError, UnicodeDecodeError) as exc:
        raise CheckpointError(
            path, f"corrupt or truncated ({size} bytes), cannot be read: {type(exc).__name__}: {_first_line(exc)}"
        ) from exc
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        found = obj.get("format") if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(path, f"not a seminal training checkpoint (format {found!r}, expected {FORMAT!r})")
    version = obj.get("format_version")
    if not isinstance(version, int):
        raise CheckpointError(path, f"missing or invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(
            path,
            f"format version {version} is newer than this seminal understands ({FORMAT_VERSION}); "
            "upgrade seminal to resume it",
        )
    if version < 1:
        raise CheckpointError(path, f"unsupported format version {version} (expected 1..{FORMAT_VERSION})")
    missing = [key for key in REQUIRED_KEYS if key not in obj]
    if missing:
        raise CheckpointError(path, f"incomplete checkpoint, missing key(s) {missing}")
    if "content_crc32" not in obj:
        raise CheckpointError(path, "incomplete checkpoint, missing key(s) ['content_crc32']")
    stored = obj.pop("content_crc32")
    actual = content_checksum(obj)
    if stored != actual:
        raise CheckpointError(
            path, f"corrupt: its contents do not match their checksum (crc32 {actual:#010x}, saved {stored:#010x})"
        )
    _check_fingerprint(path, obj)
    return obj


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


def _unpickler_reason(exc: BaseException) -> str:
    # torch's message is a long how-to; the text after "WeightsUnpickler error:" says what failed.
    text = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in text:
        rest = text.split(marker, 1)[1].strip()
        line = rest.splitlines()[0].strip() if rest else ""
        return line or "unreadable pickle"
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
