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

The run fingerprint (:mod:`seminal.training.run_fingerprint`) is stamped on every save inside
:func:`run_fingerprint_scope` and checked on every load; what a checkpoint may hold and its
checksum are in :mod:`seminal.training.checkpoint_contents`, and the reading of a refused
file's pickle in :mod:`seminal.training.pickle_globals`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from seminal.io import atomic_path
from seminal.training.checkpoint_contents import check_loadable, content_checksum
from seminal.training.errors import CheckpointError
from seminal.training.pickle_globals import first_line, foreign_globals, unpickler_reason
from seminal.training.run_fingerprint import (
    active_run_fingerprint,
    check_fingerprint,
    fingerprint_differences,
    fingerprint_hash,
    plain_value,
    run_fingerprint_scope,
)

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

_ZIP_MAGIC = b"PK\x03\x04"


def checkpoint_path(out_dir: str | os.PathLike[str], name: str) -> Path:
    """``<out_dir>/checkpoints/<name>.pt``."""
    return Path(out_dir) / "checkpoints" / f"{name}.pt"


def previous_checkpoint_path(path: str | os.PathLike[str]) -> Path:
    """``<name>.prev.pt`` beside ``<name>.pt``."""
    path = Path(path)
    return path.with_name(path.stem + ".prev" + path.suffix)


def save_checkpoint(path: str | os.PathLike[str], checkpoint: dict[str, Any], keep_previous: bool = True) -> Path:
    """Write ``checkpoint`` to ``path`` atomically, keeping the old file as ``<name>.prev.pt``.

    If the write fails (full disk, killed process) the file at ``path`` -- and the previous one --
    are untouched and the temporary file is removed. Inside :func:`run_fingerprint_scope` the
    checkpoint also carries ``run_fingerprint``.
    """
    path = Path(path)
    if active_run_fingerprint() is not None and "run_fingerprint" not in checkpoint:
        checkpoint = {**checkpoint, "run_fingerprint": plain_value(active_run_fingerprint())}
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
        reason = unpickler_reason(exc)
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
            path, f"corrupt or truncated ({size} bytes), cannot be read: {type(exc).__name__}: {first_line(exc)}"
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
    check_fingerprint(path, obj)
    return obj
