"""Checkpoints carry the run's fingerprint; a malicious file is told apart by its pickle, not torch's words."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from seminal.training import CheckpointError
from seminal.training.checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    REQUIRED_KEYS,
    load_checkpoint,
    run_fingerprint_scope,
    save_checkpoint,
)
from tests.cli.conftest import CodeRunningPayload


def _checkpoint() -> dict:
    ckpt = {key: {} for key in REQUIRED_KEYS}
    ckpt.update(format=FORMAT, format_version=FORMAT_VERSION, name="model", metrics_log=[], history=[])
    return ckpt


def test_checkpoint_from_other_settings_is_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    with run_fingerprint_scope({"seed": 1, "config": {"lr": 0.1}}):
        save_checkpoint(path, _checkpoint())
        assert load_checkpoint(path)["run_fingerprint"] == {"seed": 1, "config": {"lr": 0.1}}
    with run_fingerprint_scope({"seed": 1, "config": {"lr": 0.2}}):
        with pytest.raises(CheckpointError, match=r"different settings: config.lr: 0.1 -> 0.2.*--resume-anyway"):
            load_checkpoint(path)
    with run_fingerprint_scope({"seed": 1, "config": {"lr": 0.2}}, allow_mismatch=True):
        assert load_checkpoint(path)["name"] == "model"
    assert load_checkpoint(path)["name"] == "model"  # outside a run: no check


def test_malicious_checkpoint_is_refused_whatever_torch_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": FORMAT, "payload": CodeRunningPayload()}, path)
    with pytest.raises(CheckpointError, match=r"refused by torch\.load\(weights_only=True\).*posix\.getcwd"):
        load_checkpoint(path)

    def reworded(*args: object, **kwargs: object) -> None:
        raise pickle.UnpicklingError("a message in some future wording")

    monkeypatch.setattr(torch, "load", reworded)
    with pytest.raises(CheckpointError, match=r"refused by torch\.load\(weights_only=True\)"):
        load_checkpoint(path)
    good = tmp_path / "good.pt"
    monkeypatch.undo()
    save_checkpoint(good, _checkpoint())
    monkeypatch.setattr(torch, "load", reworded)
    with pytest.raises(CheckpointError, match=r"corrupt or truncated"):
        load_checkpoint(good)  # the same error on a file with only tensors is damage, not code
