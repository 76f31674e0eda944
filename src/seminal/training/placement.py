"""Where a trainer runs: its rank, device, mixed precision and DDP-wrapped modules.

Built once per :class:`~seminal.training.trainer.Trainer` from the run context; nothing here
changes while the loop runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from seminal.training import distributed as dist_utils
from seminal.training.devices import autocast, autocast_dtype
from seminal.training.rng import derive_seed, seed_everything

__all__ = ["Placement", "env_flag"]


def env_flag(name: str) -> str | None:
    """The environment variable ``name``, or None when unset or empty."""
    value = os.environ.get(name)
    return value if value not in (None, "") else None


@dataclass
class Placement:
    """Rank, device, AMP and the modules as trained (DDP-wrapped under torchrun) and as saved.

    Attributes:
        raw_modules: the plain modules, on ``device`` (evaluation, figures, checkpoints).
        modules: what the loop calls: a ``MethodDDP`` wrapper for trainable modules when
            ``world_size > 1``, else the plain module.
        amp_dtype: float16/bfloat16 when autocast is on for this device, else None.
        scaler: a GradScaler for float16 AMP (created when none is given), else the given one.
    """

    world_size: int
    rank: int
    device: torch.device
    amp_dtype: torch.dtype | None
    scaler: Any
    raw_modules: dict[str, nn.Module]
    modules: dict[str, nn.Module]

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def create(cls, ctx: Any, modules: Mapping[str, nn.Module], *, amp: bool | str | None, scaler: Any,
               find_unused_parameters: bool) -> "Placement":
        world_size, rank = dist_utils.world_size(), dist_utils.rank()
        device = dist_utils.local_device(torch.device(ctx.device))
        if amp is None:
            amp = getattr(ctx, "amp", None)
        if amp is None:
            amp = env_flag("SEMINAL_AMP")
        amp_dtype = autocast_dtype(amp, device)
        if scaler is None and amp_dtype == torch.float16:
            scaler = torch.amp.GradScaler(device.type)
        raw = {key: module.to(device) for key, module in modules.items()}
        wrapped: dict[str, nn.Module] = {}
        for key, module in raw.items():
            if world_size > 1 and any(p.requires_grad for p in module.parameters()):
                from seminal.training.ddp import MethodDDP

                wrapped[key] = MethodDDP(module, device_ids=[device.index] if device.type == "cuda" else None,
                                         find_unused_parameters=find_unused_parameters)
            else:
                wrapped[key] = module
        if world_size > 1:
            # DDP has broadcast rank 0's initial weights; from here on each rank needs its own
            # random stream (different dropout masks / noise per shard of the batch).
            seed_everything(derive_seed("rank", ctx.seed, rank))
        return cls(world_size, rank, device, amp_dtype, scaler, raw, wrapped)

    def autocast(self) -> AbstractContextManager[None]:
        """``torch.autocast`` when AMP is on for this device, else a no-op context."""
        return autocast(self.device, self.amp_dtype)

    def reduce_mean(self, value: float | torch.Tensor) -> float:
        """The mean of ``value`` over ranks (``value`` itself in a single process)."""
        tensor = torch.as_tensor(value, dtype=torch.float64, device=self.device).detach().clone()
        if self.world_size > 1:
            torch.distributed.all_reduce(tensor)
            tensor /= self.world_size
        return float(tensor.cpu())
