"""One optimizer, one model, one Trainer: the training loop every Adam figure shares.

Each (method, learning rate) run is its own :class:`seminal.training.Trainer` with its own
``name``, so it has its own checkpoint and ``--resume`` continues exactly where it stopped.

The curve recorded per epoch is the mean over that epoch's minibatches of the *reported* loss
(e.g. the NLL without the L2 term), the usual "training cost" of the paper's plots. The running
sums live in ``trainer.state`` so a run resumed mid-epoch still averages over the whole epoch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils.data import Dataset

from seminal.experiments.registry import RunContext

__all__ = ["Curve", "LossFn", "train_curve"]

#: ``loss_fn(model, batch) -> (objective, reported)``: the objective is minimised, the reported
#: loss (a detached scalar tensor) is averaged into the curve.
LossFn = Callable[[nn.Module, Any], tuple[torch.Tensor, torch.Tensor]]


@dataclass
class Curve:
    """The result of training one model with one optimizer."""

    method: str
    lr: float
    losses: list[float] = field(default_factory=list)  # one per epoch; NaN after a divergence
    diverged: bool = False
    seconds: float = 0.0

    @property
    def final(self) -> float:
        return self.losses[-1] if self.losses else math.nan

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "lr": self.lr, "losses": self.losses,
                "diverged": self.diverged, "seconds": round(self.seconds, 3)}


def train_curve(ctx: RunContext, *, name: str, method: str, lr: float, model: nn.Module,
                optimizer: torch.optim.Optimizer, dataset: Dataset, epochs: int, batch_size: int,
                loss_fn: LossFn, per_step_schedule: Any | None = None) -> Curve:
    """Train ``model`` for ``epochs`` epochs and return its per-epoch training-loss curve.

    ``per_step_schedule`` (e.g. α_t = α/sqrt(t)) is stepped after every update and checkpointed
    with the run. A non-finite loss ends the run as *diverged* (the remaining epochs are NaN);
    that is a result (Fig. 4 counts divergences), not an error.
    """
    from seminal.training import NonFiniteLossError, Trainer

    start = time.perf_counter()
    schedulers = {"schedule": per_step_schedule} if per_step_schedule is not None else None
    trainer = Trainer(ctx, modules={"model": model}, optimizers={"opt": optimizer},
                      schedulers=schedulers, name=name)
    net = trainer.module("model")
    loader = trainer.loader(dataset, batch_size=batch_size, shuffle=True, drop_last=False)
    diverged = bool(trainer.state.get("diverged", False))
    try:
        if not diverged:
            for epoch in trainer.epochs(epochs):
                net.train()
                sums = trainer.state.get("epoch_sums")
                if sums is None or sums["epoch"] != epoch:
                    sums = {"epoch": epoch, "total": 0.0, "count": 0}
                for batch in trainer.batches(loader, epoch):
                    with trainer.autocast():  # mixed precision with --amp on CUDA; no-op otherwise
                        objective, reported = loss_fn(net, batch)
                    trainer.backward_step(objective, "opt")
                    if per_step_schedule is not None:
                        per_step_schedule.step()
                    size = len(batch[0])
                    sums["total"] += float(reported) * size
                    sums["count"] += size
                    trainer.state["epoch_sums"] = sums
                    trainer.log_step(loss=objective.detach())
                trainer.log_epoch(train_loss=sums["total"] / max(sums["count"], 1))
    except NonFiniteLossError:
        diverged = True
        trainer.state["diverged"] = True
    losses = [float(entry["train_loss"]) for entry in trainer.history if "train_loss" in entry]
    losses += [math.nan] * (epochs - len(losses))
    trainer.close()
    return Curve(method=method, lr=lr, losses=losses, diverged=diverged, seconds=time.perf_counter() - start)
