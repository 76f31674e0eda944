"""The loops decide when to checkpoint: where a body calls log_step/log_epoch does not matter."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from seminal.experiments.registry import RunContext
from seminal.training import Trainer, load_checkpoint
from seminal.training.checkpoint import checkpoint_path
from tests.training.helpers import assert_same_value


def _train(out: Path, log_first: bool) -> dict:
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(RunContext(out_dir=out, progress=False), modules={"m": model}, optimizers={"opt": opt},
                      name="order", checkpoint_every=1)
    data = torch.utils.data.TensorDataset(torch.randn(8, 3), torch.randn(8, 1))
    loader = trainer.loader(data, batch_size=2, shuffle=True)
    for epoch in trainer.epochs(2):
        for x, y in trainer.batches(loader, epoch):
            loss = ((model(x) - y) ** 2).mean()
            if log_first:
                trainer.log_step(loss=loss)  # logged before the update it belongs to
            opt.zero_grad()
            loss.backward()
            opt.step()
            if not log_first:
                trainer.log_step(loss=loss)
        if log_first:
            trainer.log_epoch(w=float(model.weight.detach().sum()))
            trainer.state["after_log_epoch"] = epoch  # still part of this epoch's checkpoint
        else:
            trainer.state["after_log_epoch"] = epoch
            trainer.log_epoch(w=float(model.weight.detach().sum()))
        if epoch == 0:
            # Every step checkpoint so far already holds the update made after log_step.
            saved = load_checkpoint(checkpoint_path(out, "order"))
            assert saved["progress"] == {"epoch": 0, "batch": 4, "step": 4}
            assert torch.equal(saved["modules"]["m"]["weight"], model.weight.detach())
    trainer.close()
    return load_checkpoint(checkpoint_path(out, "order"))


def test_log_step_first_or_last_gives_the_same_checkpoints(tmp_path: Path) -> None:
    last = _train(tmp_path / "last", log_first=False)
    first = _train(tmp_path / "first", log_first=True)
    for key in ("modules", "optimizers", "progress", "history", "state"):
        assert_same_value(last[key], first[key], key)
    assert first["state"]["after_log_epoch"] == 1
    assert (tmp_path / "last" / "order.metrics.jsonl").read_bytes() == (tmp_path / "first" / "order.metrics.jsonl").read_bytes()
