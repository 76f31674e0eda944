"""Fixtures for the command-line tests: scratch files and generator files to point the CLI at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch


class CodeRunningPayload:
    """Stands for an object whose unpickling would run code (weights_only must refuse it)."""

    def __reduce__(self):  # noqa: ANN204 - pickle protocol
        return (os.getcwd, ())


def write_generator(path: Path) -> Path:
    from seminal.gan.checkpoint import save_generator
    from seminal.gan.models import Generator

    torch.manual_seed(0)
    save_generator(path, Generator(noise_dim=8, hidden=(16,)), prior="gaussian")
    return path


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``{tmp}``, ``{file}``, ``{gen}`` and ``{evil}`` for the bad-input table; cwd is ``tmp``."""
    monkeypatch.chdir(tmp_path)
    plain = tmp_path / "notes.txt"
    plain.write_text("not a folder")
    gen = write_generator(tmp_path / "gan" / "generator.pt")
    evil = tmp_path / "evil.pt"
    torch.save({"format": "seminal.gan.generator", "payload": CodeRunningPayload()}, evil)
    return {"tmp": str(tmp_path), "file": str(plain), "gen": str(gen), "evil": str(evil)}
