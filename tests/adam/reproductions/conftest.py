"""Shared fixtures for the Adam reproduction tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seminal.experiments.registry import RunContext


@pytest.fixture
def make_ctx(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A RunContext factory writing under tmp_path, seeded like the runner, never downloading."""
    monkeypatch.setenv("SEMINAL_NO_DOWNLOAD", "1")

    def make(name: str = "run", seed: int = 0, resume: bool = False) -> RunContext:
        torch.manual_seed(seed)
        return RunContext(out_dir=tmp_path / name, seed=seed, resume=resume, progress=False)

    return make
