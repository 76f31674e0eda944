"""The classification training loop shared by the STN experiments (through seminal.training).

Paper schedule (Appendix A.4, read from secondary sources): SGD, batch 256, learning rate 0.01 divided by 10 every
50k iterations, 150k iterations, no weight decay or dropout. The loop counts *iterations* like
the paper and runs whole epochs of a fixed, seeded order until the count is reached (the last
epoch stops early). Test error is measured after every epoch (reported: the last one; nothing
is selected on the test split).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from seminal.experiments.registry import RunContext

__all__ = ["TrainSettings", "make_optimizer", "parameter_groups", "evaluate_error", "train_classifier"]


@dataclass(frozen=True)
class TrainSettings:
    """How to train one classifier. Defaults: the paper's schedule."""

    iterations: int = 150_000
    batch_size: int = 256
    lr: float = 0.01
    lr_step: int = 50_000
    optimizer: str = "sgd"  # "sgd" (paper) or "adam" (seminal.adam.Adam; quick presets)
    momentum: float = 0.0
    loc_lr_scale: float = 1.0  # learning rate of the localisation net (and regression layer) ÷ lr
    # From this iteration on, the classifier's (non-ST) learning rate is multiplied by
    # ``classifier_lr_factor`` (None: never). Ours, for stn-compare's recipe; the paper has one rate.
    classifier_slow_from: int | None = None
    classifier_lr_factor: float = 1.0
    # Mixed precision of the forward pass (training and test): None = the run's ``--amp``;
    # "bf16" also on the CPU (the laptop preset: ≈1.8× faster convolutions where the CPU has
    # bf16 instructions; weights, optimizer state and the ST's grid and sampler stay float32).
    amp: str | None = None
    # Adam only: β of the Adam paper's temporal averaging of the parameters (Kingma & Ba §7.2).
    # The model returned, saved and tested is the bias-corrected average θ̂ = θ̄/(1-β^t); None = off.
    averaging: float | None = None


def parameter_groups(model: nn.Module, loc_lr_scale: float, lr: float) -> list[dict[str, Any]]:
    """One group for the spatial transformers' localisation nets (lr × ``loc_lr_scale``), one for the rest."""
    from seminal.stn.transformer import SpatialTransformer

    loc_ids: set[int] = set()
    for module in model.modules():
        if isinstance(module, SpatialTransformer):
            loc_ids.update(id(p) for p in module.parameters())
    loc = [p for p in model.parameters() if id(p) in loc_ids]
    rest = [p for p in model.parameters() if id(p) not in loc_ids]
    groups = [{"params": rest, "lr": lr}]
    if loc:
        groups.append({"params": loc, "lr": lr * loc_lr_scale})
    return groups


def _lr_factors(settings: TrainSettings, groups: int) -> list[Callable[[int], float]]:
    """Per parameter group (classifier first, see :func:`parameter_groups`): the step decay
    ``0.1^⌊t / lr_step⌋``, and for the classifier the factor from ``classifier_slow_from`` on."""
    if settings.classifier_lr_factor <= 0:
        raise ValueError(f"Invalid classifier_lr_factor: {settings.classifier_lr_factor!r} (expected > 0)")
    step = max(1, settings.lr_step)

    def decay(t: int) -> float:
        return 0.1 ** (t // step)

    def classifier(t: int) -> float:
        slow = settings.classifier_slow_from is not None and t >= settings.classifier_slow_from
        return decay(t) * (settings.classifier_lr_factor if slow else 1.0)

    return [classifier] + [decay] * (groups - 1)


def make_optimizer(settings: TrainSettings, params: Any) -> torch.optim.Optimizer:
    if settings.lr <= 0 or settings.loc_lr_scale <= 0:
        raise ValueError(f"Invalid learning rate: lr={settings.lr!r}, loc_lr_scale={settings.loc_lr_scale!r} (expected > 0)")
    if settings.averaging is not None and not 0.0 < settings.averaging < 1.0:
        raise ValueError(f"Invalid averaging: {settings.averaging!r} (expected None or 0 < β < 1, e.g. 0.999)")
    if settings.optimizer == "sgd" and settings.averaging is None:
        return torch.optim.SGD(params, lr=settings.lr, momentum=settings.momentum)
    if settings.optimizer == "adam":
        from seminal.adam import Adam

        return Adam(params, lr=settings.lr, averaging=settings.averaging)
    if settings.averaging is not None:
        raise ValueError(f"Invalid averaging: {settings.averaging!r} with optimizer={settings.optimizer!r} "
                         "(temporal averaging is kept by seminal's Adam: expected optimizer='adam' or averaging=None)")
    raise ValueError(f"Invalid optimizer: {settings.optimizer!r} (expected 'sgd' or 'adam')")


@torch.no_grad()
def evaluate_error(
    model: nn.Module,
    dataset: TensorDataset,
    device: torch.device,
    batch_size: int = 1000,
    autocast: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
) -> float:
    """Test error in percent (argmax of the logits vs the labels); the forward runs in ``autocast()``."""
    was_training = model.training
    model.eval()
    images, labels = dataset.tensors
    wrong = torch.zeros((), dtype=torch.int64, device=device)  # summed on the device: one sync at the end
    for start in range(0, len(labels), batch_size):
        x = images[start : start + batch_size].to(device, non_blocking=True)
        y = labels[start : start + batch_size].to(device, non_blocking=True)
        with autocast():
            wrong += (model(x).argmax(dim=1) != y).sum()
    model.train(was_training)
    return 100.0 * int(wrong) / max(1, len(labels))


def train_classifier(
    ctx: RunContext,
    model: nn.Module,
    train_set: TensorDataset,
    test_set: TensorDataset,
    settings: TrainSettings,
    name: str,
    checkpoint_every: int = 500,
    batch_transform: Callable[[torch.Tensor, int], torch.Tensor] | None = None,
) -> dict[str, Any]:
    """Train ``model`` with cross-entropy for ``settings.iterations`` steps; returns
    ``{"test_error": %, "history": [...], "iterations": n}``. Resumes from ``checkpoints/<name>.pt``
    when ``ctx.resume`` is set.

    ``batch_transform(images, step)`` (optional) turns each training batch into what the model
    sees, e.g. fresh random distortions of clean digits (its randomness must come from its own
    seeded generator).
    """
    from seminal.training import Trainer

    optimizer = make_optimizer(settings, parameter_groups(model, settings.loc_lr_scale, settings.lr))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_factors(settings, len(optimizer.param_groups)))
    trainer = Trainer(
        ctx,
        modules={"model": model},
        optimizers={"opt": optimizer},
        schedulers={"sched": scheduler},
        name=name,
        checkpoint_every=checkpoint_every,
        amp=settings.amp,
    )
    net = trainer.module("model")
    loader = trainer.loader(train_set, batch_size=settings.batch_size, shuffle=True, drop_last=False)
    batches_per_epoch = max(1, len(loader))
    num_epochs = max(1, math.ceil(settings.iterations / batches_per_epoch))
    try:
        for epoch in trainer.epochs(num_epochs):
            net.train()
            for images, labels in trainer.batches(loader, epoch):
                if trainer.step >= settings.iterations:
                    break
                if batch_transform is not None:
                    images = batch_transform(images, trainer.step)
                with trainer.autocast():  # settings.amp, else --amp on CUDA; no-op otherwise
                    loss = F.cross_entropy(net(images), labels)
                trainer.backward_step(loss, "opt")
                scheduler.step()
                trainer.log_step(loss=loss)
            trainer.log_epoch(test_error=evaluate_error(trainer.unwrap("model"), test_set, trainer.device, autocast=trainer.autocast))
        test_error = trainer.history[-1]["test_error"]
        if settings.averaging is not None:  # from here on the model is θ̂ (§7.2): what is tested, measured and saved
            trained = trainer.unwrap("model")
            with optimizer.averaged_parameters():  # type: ignore[attr-defined]
                averaged = {k: v.detach().clone() for k, v in trained.state_dict().items()}
            trained.load_state_dict(averaged)
            test_error = evaluate_error(trained, test_set, trainer.device, autocast=trainer.autocast)
    finally:
        trainer.close()
    return {"test_error": test_error, "history": list(trainer.history), "iterations": trainer.step}
