"""Metric logs: live JSON lines, cut back on resume, CSV view with the union of columns."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from seminal.experiments.registry import RunContext
from seminal.training import Trainer, read_metrics
from seminal.training.metrics import MetricsLog


def test_log_is_cut_back_to_the_checkpointed_length(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path, "m")
    log.open(None)
    log.write({"kind": "step", "step": 1, "loss": 1.0})
    kept = log.sync()
    log.write({"kind": "step", "step": 2, "loss": 0.5})
    log.close()
    with open(log.jsonl_path, "ab") as fh:
        fh.write(b'{"kind": "step", "ste')  # a line half-written when the process died
    assert [r["step"] for r in read_metrics(log.jsonl_path)] == [1, 2]  # the partial line is ignored

    resumed = MetricsLog(tmp_path, "m")
    resumed.open(kept)
    resumed.write({"kind": "step", "step": 2, "loss": 0.25, "acc": 0.9})
    resumed.close()
    records = read_metrics(tmp_path / "m.metrics.jsonl")
    assert records == [{"kind": "step", "step": 1, "loss": 1.0}, {"kind": "step", "step": 2, "loss": 0.25, "acc": 0.9}]
    assert (tmp_path / "m.metrics.csv").read_text().splitlines() == [
        "kind,epoch,step,batch,loss,acc",
        "step,,1,,1.0,",
        "step,,2,,0.25,0.9",
    ]


def test_missing_log_bytes_warn(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path, "m")
    with pytest.warns(RuntimeWarning, match=r"has 0 bytes but the checkpoint recorded 100"):
        log.open(100)
    log.close()


def _trainer(tmp_path: Path, **kwargs: object) -> Trainer:
    ctx = RunContext(out_dir=tmp_path, progress=False)
    model = torch.nn.Linear(2, 1)
    return Trainer(ctx, {"model": model}, {"opt": torch.optim.SGD(model.parameters(), lr=0.1)}, **kwargs)  # type: ignore[arg-type]


def test_log_step_contract(tmp_path: Path) -> None:
    trainer = _trainer(tmp_path, name="contract")
    loader = trainer.loader(torch.utils.data.TensorDataset(torch.zeros(4, 2)), batch_size=2)
    with pytest.raises(RuntimeError, match=r"log_step\(\) must be called exactly once per batch"):
        trainer.log_step(loss=1.0)
    for epoch in trainer.epochs(1):
        for (x,) in trainer.batches(loader, epoch):
            trainer.log_step(loss=torch.tensor(0.5), extra=3)
            with pytest.raises(RuntimeError, match=r"exactly once per batch"):
                trainer.log_step(loss=1.0)
        with pytest.raises(TypeError, match=r"Invalid metric 'loss': expected a float or 0-d tensor, got str"):
            trainer._in_flight = 0
            trainer.log_step(loss="high")
        trainer._in_flight = None
        trainer.log_epoch(acc=torch.tensor(0.75))
        with pytest.raises(RuntimeError, match=r"log_epoch\(\) was already called for epoch 0"):
            trainer.log_epoch(acc=1.0)
    trainer.close()
    assert trainer.history == [{"epoch": 0, "step": 2, "acc": 0.75}]
    records = read_metrics(tmp_path / "contract.metrics.jsonl")
    assert [r["kind"] for r in records] == ["step", "step", "epoch"]
    assert records[0] == {"kind": "step", "epoch": 0, "step": 1, "batch": 0, "loss": 0.5, "extra": 3.0}


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "a/b"}, r"Invalid name: 'a/b'"),
    ({"checkpoint_every": -1}, r"Invalid checkpoint_every: -1 \(expected an int >= 0\)"),
    ({"flush_every": 0}, r"Invalid flush_every: 0 \(expected an int >= 1\)"),
])
def test_invalid_trainer_arguments(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _trainer(tmp_path, **kwargs)


def test_invalid_modules(tmp_path: Path) -> None:
    ctx = RunContext(out_dir=tmp_path, progress=False)
    with pytest.raises(TypeError, match=r"Invalid modules\['model'\]: expected an nn.Module, got str"):
        Trainer(ctx, {"model": "net"}, {})  # type: ignore[dict-item]
