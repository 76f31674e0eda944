"""seminal.io: writes are atomic -- a failure leaves the previous file intact and no temp files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seminal.io import atomic_path, atomic_write_json, atomic_write_text


def test_atomic_write_replaces_content(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.txt"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_failure_mid_write_keeps_previous_version(tmp_path: Path) -> None:
    target = tmp_path / "ckpt.bin"
    target.write_bytes(b"good")
    with pytest.raises(OSError, match="No space left"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise OSError(28, "No space left on device")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.bin"]


def test_json_handles_paths_and_tensors(tmp_path: Path) -> None:
    import torch

    atomic_write_json(tmp_path / "m.json", {"path": Path("/x"), "loss": torch.tensor(0.5), "v": torch.arange(3)})
    assert json.loads((tmp_path / "m.json").read_text()) == {"path": "/x", "loss": 0.5, "v": [0, 1, 2]}


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    import os

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "report.html", "x")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
