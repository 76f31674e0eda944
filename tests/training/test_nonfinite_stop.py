"""A NaN/Inf loss stops training with a clear message and keeps the last good checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tests.training import tiny_train

from seminal.training import NonFiniteLossError, load_checkpoint, read_metrics
from seminal.training.checkpoint import checkpoint_path


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError, match=r"Non-finite loss=nan at step 8 \(epoch 1\); training stopped: the last good checkpoint .*tiny\.pt was kept") as info:
        tiny_train.train(out, tiny_train.TinyConfig(), nan_at_step=8)
    assert info.value.step == 8 and info.value.metric == "loss"
    ckpt = load_checkpoint(checkpoint_path(out, "tiny"))
    assert ckpt["progress"]["step"] == 7  # epoch 0's end; step 8 was never saved
    for name, tensor in ckpt["modules"]["model"].items():
        assert torch.isfinite(tensor).all(), name
    records = read_metrics(out / "tiny.metrics.jsonl")
    assert records[-1]["step"] == 8  # the offending record is logged for diagnosis


def test_nonfinite_error_before_any_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(NonFiniteLossError, match=r"at step 1 \(epoch 0\); training stopped: no checkpoint had been written yet"):
        tiny_train.train(tmp_path / "run", tiny_train.TinyConfig(), nan_at_step=1)
    assert not checkpoint_path(tmp_path / "run", "tiny").exists()
