"""The run fingerprint that checkpoints carry: which run wrote them, and is it this run?

Inside :func:`run_fingerprint_scope` (the experiment runner opens one per run) every checkpoint
:func:`~seminal.training.checkpoint.save_checkpoint` writes carries ``run_fingerprint`` -- the
run's experiment, preset, seed, config and code version -- and
:func:`~seminal.training.checkpoint.load_checkpoint` refuses one whose fingerprint differs from the
active one, listing the differences, unless the scope allows it (``--resume-anyway``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from seminal.training.errors import CheckpointError

__all__ = [
    "run_fingerprint_scope",
    "active_run_fingerprint",
    "fingerprint_hash",
    "fingerprint_differences",
    "plain_value",
    "check_fingerprint",
]

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
    if plain_value(old) != plain_value(new):
        return [f"{prefix.rstrip('.')}: {plain_value(old)!r} -> {plain_value(new)!r}"]
    return []


def plain_value(value: Any) -> Any:
    """``value`` after a JSON round trip: tuples and lists compare equal, as they do once written
    to config.json."""
    return json.loads(json.dumps(value, default=str))


def check_fingerprint(path: Path, obj: Mapping[str, Any]) -> None:
    """Refuse checkpoint ``obj`` (loaded from ``path``) if it was written by a run with other settings."""
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
