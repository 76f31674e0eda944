"""The authors' optimisation schedule for MNIST (released pylearn2 configuration).

* learning rate: 0.1, divided by 1.000004 after every update, never below 1e-6
  (pylearn2 ``ExponentialDecay``: lr_t = max(min_lr, lr_0 / decay^t));
* momentum: 0.5 at epoch 1 rising linearly to 0.7 at epoch 250, then constant
  (pylearn2 ``MomentumAdjustor(start=1, saturate=250)``).

One "update" here is one Algorithm-1 iteration (one minibatch), as in the authors' code where D
and G were updated together from one minibatch. The schedule is applied to every optimizer given.

Deviation: torch's SGD applies momentum as ``buf = μ buf + g; θ -= lr buf`` while pylearn2 used
``v = μ v - lr g; θ += v``; they coincide for a constant learning rate and differ by the tiny
per-step change of lr (a factor 1.000004) otherwise.
"""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["AuthorsSchedule"]


class AuthorsSchedule:
    """Exponential learning-rate decay per update plus a linear momentum ramp per epoch.

    Call :meth:`step` after every update and :meth:`set_epoch` at the start of every epoch
    (epochs counted from 0 here; the authors' epoch 1 is our epoch 0).
    """

    def __init__(
        self,
        optimizers: list[torch.optim.Optimizer],
        lr: float = 0.1,
        decay: float = 1.000004,
        min_lr: float = 1e-6,
        momentum_start: float = 0.5,
        momentum_final: float = 0.7,
        saturate_epoch: int = 250,
    ) -> None:
        if lr <= 0:
            raise ValueError(f"Invalid lr: {lr} (expected lr > 0)")
        if decay < 1.0:
            raise ValueError(f"Invalid decay: {decay} (expected decay >= 1)")
        if saturate_epoch < 1:
            raise ValueError(f"Invalid saturate_epoch: {saturate_epoch} (expected >= 1)")
        self.optimizers = list(optimizers)
        self.lr0 = float(lr)
        self.decay = float(decay)
        self.min_lr = float(min_lr)
        self.momentum_start = float(momentum_start)
        self.momentum_final = float(momentum_final)
        self.saturate_epoch = int(saturate_epoch)
        self.updates = 0
        self.epoch = 0
        self._apply()

    @property
    def lr(self) -> float:
        return max(self.min_lr, self.lr0 / self.decay**self.updates)

    @property
    def momentum(self) -> float:
        # authors' epochs are 1-based: epoch e (ours) = e + 1 (theirs); ramp from 1 to saturate
        progress = min(1.0, max(0.0, self.epoch / (self.saturate_epoch - 1))) if self.saturate_epoch > 1 else 1.0
        return self.momentum_start + (self.momentum_final - self.momentum_start) * progress

    def _apply(self) -> None:
        for opt in self.optimizers:
            for group in opt.param_groups:
                group["lr"] = self.lr
                if "momentum" in group:
                    group["momentum"] = self.momentum

    def step(self) -> None:
        """One update happened: decay the learning rate."""
        self.updates += 1
        self._apply()

    def set_epoch(self, epoch: int) -> None:
        """Set the momentum for ``epoch`` (0-based)."""
        self.epoch = int(epoch)
        self._apply()

    def state_dict(self) -> dict[str, Any]:
        return {"updates": self.updates, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.updates = int(state["updates"])
        self.epoch = int(state["epoch"])
        self._apply()
