"""The fingerprint of a run: what must not change between a run and its ``--resume``.

It holds the experiment id, preset, seed, dataset, mixed-precision setting, every config field and
the code version (seminal's version and, in a git checkout, the commit). The device and the data
folder are left out: a run may continue on another machine. The runner writes it into
``config.json`` and the training checkpoints carry it (:mod:`seminal.training.checkpoint`).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import seminal

__all__ = ["run_fingerprint", "code_version", "fingerprint_of_record"]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``<seminal version>`` or ``<version>+g<commit>`` when seminal runs from a git checkout."""
    package = Path(seminal.__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel", "--short", "HEAD"], cwd=package,
            capture_output=True, text=True, timeout=5, check=False,
        )
        lines = out.stdout.split() if out.returncode == 0 else []
        # Only seminal's own checkout counts, not some repository a venv happens to sit in.
        commit = lines[1] if len(lines) == 2 and Path(lines[0]).resolve() / "src" / "seminal" == package else ""
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return f"{seminal.__version__}+g{commit}" if commit else seminal.__version__


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def run_fingerprint(experiment_id: str, preset: str, seed: int, dataset: str, amp: Any, config: Any) -> dict[str, Any]:
    """The fingerprint dict (JSON-plain) of a run, with its ``hash``."""
    from seminal.training.checkpoint import fingerprint_hash

    body = {
        "experiment": experiment_id,
        "preset": preset,
        "seed": seed,
        "dataset": dataset,
        "amp": amp if amp else None,
        "config": _plain(dataclasses.asdict(config)),
        "code": code_version(),
    }
    return {**body, "hash": fingerprint_hash(body)}


def fingerprint_of_record(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fingerprint stored in a ``config.json`` (rebuilt from its fields for older files)."""
    stored = record.get("fingerprint")
    if isinstance(stored, Mapping):
        return dict(stored)
    if "config" not in record:
        return None
    # config.json files written before fingerprints: compare what they recorded.
    return {key: _plain(record.get(key)) for key in ("experiment", "preset", "seed", "dataset", "config")}
