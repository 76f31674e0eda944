"""Signal handling outside the loop, handler restoration, and quiet progress bars."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch.utils.data import TensorDataset

from seminal.experiments.registry import RunContext
from seminal.training import Trainer
from seminal.training.progress import progress_enabled
from tests.training.helpers import require_main_thread


def _trainer(tmp_path: Path, progress: bool = False) -> Trainer:
    model = torch.nn.Linear(2, 1)
    ctx = RunContext(out_dir=tmp_path, progress=progress)
    return Trainer(ctx, {"model": model}, {"opt": torch.optim.SGD(model.parameters(), lr=0.1)}, name="sig")


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """Python's own Ctrl-C handler for the test: a shell starts background jobs (``cmd &``) with
    SIGINT ignored, and Python then never installs it."""
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, inherited)


def test_sigint_outside_the_loop_is_a_keyboard_interrupt(tmp_path: Path, default_sigint: None) -> None:
    require_main_thread()
    previous = signal.getsignal(signal.SIGINT)
    trainer = _trainer(tmp_path)
    with pytest.raises(KeyboardInterrupt):  # before epochs(): nobody would act on a flag
        os.kill(os.getpid(), signal.SIGINT)
    loader = trainer.loader(TensorDataset(torch.zeros(4, 2)), batch_size=2)
    with pytest.raises(ZeroDivisionError):
        for epoch in trainer.epochs(2):
            for _ in trainer.batches(loader, epoch):
                if trainer.step == 1:
                    raise ZeroDivisionError  # an experiment bug leaves the loop mid-batch
                trainer.log_step(loss=1.0)
    with pytest.raises(KeyboardInterrupt):  # after the loop died: Ctrl-C must still work
        os.kill(os.getpid(), signal.SIGINT)
    trainer.close()
    assert signal.getsignal(signal.SIGINT) is previous
    # The exception came mid-batch (weights possibly half-updated): close() saved nothing.
    assert not (tmp_path / "checkpoints" / "sig.pt").exists()


def test_second_sigint_in_the_loop_interrupts_at_once(tmp_path: Path) -> None:
    require_main_thread()
    trainer = _trainer(tmp_path)
    loader = trainer.loader(TensorDataset(torch.zeros(4, 2)), batch_size=2)
    with pytest.raises(KeyboardInterrupt):
        for epoch in trainer.epochs(1):
            for _ in trainer.batches(loader, epoch):
                os.kill(os.getpid(), signal.SIGINT)  # first: sets the flag
                os.kill(os.getpid(), signal.SIGINT)  # second: the user insists
    trainer.close()


def test_progress_bar_is_quiet_when_it_should_be(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEMINAL_PROGRESS", raising=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress_enabled(True, is_main=True)
    assert not progress_enabled(False, is_main=True)  # ctx.progress False (--no-progress)
    assert not progress_enabled(True, is_main=False)  # not rank 0
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert not progress_enabled(True, is_main=True)  # not a terminal (CI, log files)
    monkeypatch.setenv("SEMINAL_PROGRESS", "1")
    assert progress_enabled(True, is_main=True)


def test_progress_bar_shows_loss_and_throughput(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMINAL_PROGRESS", "1")
    trainer = _trainer(tmp_path, progress=True)
    trainer.flush_every = 1
    loader = trainer.loader(TensorDataset(torch.zeros(6, 2)), batch_size=2)
    for epoch in trainer.epochs(1):
        for _ in trainer.batches(loader, epoch):
            trainer._bar._bar.mininterval = 0  # type: ignore[union-attr]  # draw every update
            trainer.log_step(loss=0.25)
            trainer._bar._bar.refresh()  # type: ignore[union-attr]
    trainer.close()
    err = capsys.readouterr().err
    assert "sig epoch 0" in err and "loss=0.25" in err and "samples/s=" in err


def test_tensorboard_needs_its_package(tmp_path: Path) -> None:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        model = torch.nn.Linear(2, 1)
        with pytest.raises(ImportError, match=r"tensorboard package is missing: pip install 'seminal\[tensorboard\]'"):
            Trainer(RunContext(out_dir=tmp_path, progress=False), {"m": model},
                    {"o": torch.optim.SGD(model.parameters(), lr=0.1)}, tensorboard=True)
        return
    trainer = _trainer(tmp_path)
    trainer.close()
    pytest.skip("tensorboard is installed; the event files are TensorBoard's business")
