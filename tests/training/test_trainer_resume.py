"""Exact resume: SIGKILL at several points (and inside a checkpoint write), SIGTERM/SIGINT, reruns."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.training import tiny_train
from tests.training.helpers import assert_same_run, require_main_thread

from seminal.training import TrainingInterrupted, load_checkpoint
from seminal.training.checkpoint import checkpoint_path

HERE = Path(__file__).resolve().parent

# tiny_train: 7 batches per epoch, 3 epochs (21 steps), a checkpoint every 3 steps and at epoch ends.
# 4: mid-epoch, one step after a checkpoint; 6: right after a step checkpoint; 7: last batch of an
# epoch (before log_epoch); 16: mid-epoch in epoch 2; -9: SIGKILL half-way through writing the
# checkpoint of step 9.
KILL_POINTS = (4, 6, 7, 16, -9)
SIGTERM_POINT = "term2"  # SIGTERM after step 2: saves at step 3, exits with 143


@pytest.fixture(scope="module")
def killed_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("killed")
    # One fresh interpreter forks one child per kill point (imports torch once, not five times).
    result = subprocess.run(
        [sys.executable, str(HERE / "tiny_train.py"), str(root), "--fork-kills",
         ",".join([*map(str, KILL_POINTS), SIGTERM_POINT])],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    return root


@pytest.mark.parametrize("kill_point", KILL_POINTS)
def test_sigkill_then_resume_is_bit_identical(killed_runs: Path, reference_run: Path, kill_point: int) -> None:
    out = killed_runs / f"kill{kill_point}"
    ckpt = load_checkpoint(checkpoint_path(out, "tiny"))  # the last good checkpoint survived the kill
    assert ckpt["progress"]["step"] <= abs(kill_point)
    if kill_point < 0:
        # Killed while writing step 9's checkpoint: the one before (end of epoch 0, step 7) is intact.
        assert ckpt["progress"]["step"] == 7
    tiny_train.train(out, tiny_train.TinyConfig(), resume=True)
    assert_same_run(reference_run, out)
    assert not list((out / "checkpoints").glob(".*.tmp")), "stale temporary checkpoint left behind"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_saves_checkpoint_and_resume_matches(tmp_path: Path, reference_run: Path, signum: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    require_main_thread()
    out = tmp_path / "run"
    previous = signal.getsignal(signum)
    config = tiny_train.TinyConfig()
    original_kill = os.kill

    # tiny_train sends SIGTERM at signal_at_step; send the parametrised signal instead.
    def kill(pid: int, sig: int) -> None:
        original_kill(pid, signum if sig == signal.SIGTERM else sig)

    monkeypatch.setattr(os, "kill", kill)
    with pytest.raises(TrainingInterrupted, match=r"received at step 11: checkpoint saved to .*tiny\.pt; interrupted, resume with --resume") as info:
        tiny_train.train(out, config, signal_at_step=10)
    monkeypatch.undo()
    assert info.value.exit_code == 128 + signum
    assert signal.getsignal(signum) is previous, "the trainer must restore the previous handler"
    # Saved after the batch in flight (step 11), although 11 is not a checkpoint_every multiple.
    assert load_checkpoint(checkpoint_path(out, "tiny"))["progress"]["step"] == 11
    tiny_train.train(out, config, resume=True)
    assert_same_run(reference_run, out)


def test_sigterm_in_a_process_exits_143_after_saving(killed_runs: Path, reference_run: Path) -> None:
    # The fork runner already checked the exit status (143); the checkpoint is the batch in flight's.
    out = killed_runs / f"kill{SIGTERM_POINT}"
    assert load_checkpoint(checkpoint_path(out, "tiny"))["progress"]["step"] == 3
    tiny_train.train(out, tiny_train.TinyConfig(), resume=True)
    assert_same_run(reference_run, out)


def test_resume_of_a_finished_run_changes_nothing(tmp_path: Path, reference_run: Path) -> None:
    out = tmp_path / "run"
    tiny_train.train(out, tiny_train.TinyConfig())
    before = checkpoint_path(out, "tiny").read_bytes()
    trainer = tiny_train.train(out, tiny_train.TinyConfig(), resume=True)
    assert trainer.step == 21 and len(trainer.history) == 3
    assert checkpoint_path(out, "tiny").read_bytes() == before  # nothing new to save
    assert_same_run(reference_run, out)


def test_resume_without_checkpoint_starts_fresh(tmp_path: Path, reference_run: Path) -> None:
    out = tmp_path / "run"
    tiny_train.train(out, tiny_train.TinyConfig(), resume=True)
    assert_same_run(reference_run, out)


def test_resume_with_another_seed_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "run"
    tiny_train.train(out, tiny_train.TinyConfig(epochs=1))
    from seminal.training import CheckpointError

    with pytest.raises(CheckpointError, match=r"tiny\.pt: was written with seed 0 but this run has seed 5"):
        tiny_train.train(out, tiny_train.TinyConfig(epochs=1, seed=5), resume=True)


def test_training_continues_with_more_epochs(tmp_path: Path, reference_run: Path) -> None:
    # Extending a finished 2-epoch run to 3 epochs equals a 3-epoch run.
    out = tmp_path / "run"
    tiny_train.train(out, tiny_train.TinyConfig(epochs=2))
    tiny_train.train(out, tiny_train.TinyConfig(epochs=3), resume=True)
    assert_same_run(reference_run, out)
    assert torch.isfinite(load_checkpoint(checkpoint_path(out, "tiny"))["modules"]["model"]["hidden.weight"]).all()
