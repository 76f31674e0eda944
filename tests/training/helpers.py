"""Comparisons shared by the training-layer tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import threading

import pytest
import torch

from seminal.training import load_checkpoint


def require_main_thread() -> None:
    """Skip a test that signals its own process unless the trainer can install handlers here."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers can only be installed in the main thread")


def assert_same_value(a: Any, b: Any, where: str = "checkpoint") -> None:
    """Recursive bit-for-bit equality (tensors with torch.equal, same dtype)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and sorted(a, key=str) == sorted(b, key=str), f"{where}: keys differ"
        for key in a:
            assert_same_value(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: lengths differ"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_value(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


# Checkpoint entries that must match between an interrupted+resumed run and an uninterrupted one.
COMPARED_KEYS = ("modules", "optimizers", "schedulers", "scaler", "progress", "rng", "history", "state", "metrics_log")


def assert_same_run(expected: Path, actual: Path, name: str = "tiny") -> None:
    """Same metric files byte for byte and the same final checkpoint (weights, optimizer, RNG...)."""
    for suffix in (".metrics.jsonl", ".metrics.csv"):
        want = (expected / f"{name}{suffix}").read_bytes()
        got = (actual / f"{name}{suffix}").read_bytes()
        assert got == want, f"{name}{suffix} differs from the uninterrupted run"
    want_ckpt = load_checkpoint(expected / "checkpoints" / f"{name}.pt")
    got_ckpt = load_checkpoint(actual / "checkpoints" / f"{name}.pt")
    for key in COMPARED_KEYS:
        assert_same_value(want_ckpt[key], got_ckpt[key], f"checkpoint[{key!r}]")
