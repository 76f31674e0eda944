"""What a :class:`~seminal.training.trainer.Trainer` hands the loop body: its modules (DDP-wrapped
or plain), optimizers, data loaders, mixed precision and the mean over ranks.

A base of :class:`~seminal.training.trainer.Trainer`: it reads the trainer's ``ctx``,
``placement`` (:class:`~seminal.training.placement.Placement`) and ``optimizers``, and holds
nothing that a checkpoint saves.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import Dataset

from seminal.training.loader import EpochLoader
from seminal.training.placement import Placement

__all__ = ["TrainerComponents"]


class TrainerComponents:
    """The networks, optimizers, loaders and mixed precision of one training loop."""

    ctx: Any
    placement: Placement
    optimizers: dict[str, Any]
    _loader_count: int

    # ------------------------------------------------------------------ where it runs
    world_size = property(lambda self: self.placement.world_size)
    rank = property(lambda self: self.placement.rank)
    is_main = property(lambda self: self.placement.is_main)
    device = property(lambda self: self.placement.device)
    amp_dtype = property(lambda self: self.placement.amp_dtype)
    scaler = property(lambda self: self.placement.scaler)

    # ------------------------------------------------------------------ modules and data
    def module(self, name: str) -> nn.Module:
        """The module to train and call (DDP-wrapped under torchrun), already on the device."""
        try:
            return self.placement.modules[name]
        except KeyError:
            raise KeyError(f"Unknown module {name!r}; expected one of {sorted(self.placement.modules)}") from None

    def unwrap(self, name: str) -> nn.Module:
        """The plain module (never DDP-wrapped): use for evaluation, figures and saving."""
        self.module(name)
        return self.placement.raw_modules[name]

    def optimizer(self, name: str) -> Any:
        try:
            return self.optimizers[name]
        except KeyError:
            raise KeyError(f"Unknown optimizer {name!r}; expected one of {sorted(self.optimizers)}") from None

    def loader(
        self,
        dataset: Dataset,
        batch_size: int = 128,
        shuffle: bool = True,
        drop_last: bool = False,
        *,
        shard: bool = True,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> EpochLoader:
        """Batches of ``dataset`` in a deterministic order per ``(ctx.seed, epoch)``.

        ``batch_size`` is the global batch (the paper's); under torchrun each rank gets
        ``batch_size / world_size`` of every batch. ``shard=False`` gives every rank all batches
        (e.g. evaluation computed identically on every rank).
        """
        stream = self._loader_count
        self._loader_count += 1
        return EpochLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            seed=int(self.ctx.seed),
            stream=stream,
            device=self.device,
            rank=self.rank if shard else 0,
            world_size=self.world_size if shard else 1,
            num_workers=num_workers,
            collate_fn=collate_fn,
        )

    # ------------------------------------------------------------------ mixed precision
    def autocast(self) -> AbstractContextManager[None]:
        """``torch.autocast`` when AMP is on for this device, else a no-op context."""
        return self.placement.autocast()

    def backward_step(self, loss: torch.Tensor, optimizers: str | list[str] = "opt", zero_grad: bool = True) -> None:
        """``loss.backward()`` and ``step()`` of the named optimizer(s), through the scaler if any."""
        names = [optimizers] if isinstance(optimizers, str) else list(optimizers)
        opts = [self.optimizer(n) for n in names]
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            for opt in opts:
                self.scaler.step(opt)
            self.scaler.update()
        else:
            loss.backward()
            for opt in opts:
                opt.step()
        if zero_grad:
            for opt in opts:
                opt.zero_grad(set_to_none=True)

    def reduce_mean(self, value: float | torch.Tensor) -> float:
        """The mean of ``value`` over ranks (``value`` itself in a single process)."""
        return self.placement.reduce_mean(value)
