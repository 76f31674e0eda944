"""A tiny training run through :class:`seminal.training.Trainer`, for fault-injection tests.

It exercises everything exact resume depends on: dropout (global torch RNG), input noise from a
``torch.Generator`` kept in ``trainer.state``, NumPy and Python RNG draws, Adam state, an LR
scheduler, mid-epoch and epoch-end checkpoints, a shuffled loader with a partial last batch.

Run as a script (tests launch it in a subprocess, also under torchrun)::

    python tests/training/tiny_train.py OUT [--resume] [--kill-at-step N] [--signal-at-step N]

``--kill-at-step N`` SIGKILLs the process right after step N has been logged (and possibly
checkpointed); ``--kill-during-save N`` SIGKILLs it in the middle of writing the checkpoint at
step N; ``--signal-at-step N`` sends SIGTERM instead (the trainer saves at the next step and exits
with 143); ``--nan-at-step N`` makes the loss NaN at step N.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.utils.data import TensorDataset

from seminal.experiments.registry import RunContext
from seminal.training import NonFiniteLossError, Trainer, TrainingInterrupted, seed_everything
from seminal.training.distributed import init_distributed, shutdown_distributed


@dataclass
class TinyConfig:
    epochs: int = 3
    samples: int = 100  # 100 / 16 -> 7 batches per epoch, the last one partial
    batch_size: int = 16
    checkpoint_every: int = 3
    dropout: float = 0.3
    input_noise: float = 0.05
    random_scale: bool = True  # draw from NumPy's and Python's RNGs each batch
    lr: float = 0.01
    seed: int = 0


def make_data(samples: int) -> TensorDataset:
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(samples, 8, generator=gen)
    w = torch.randn(8, 3, generator=gen)
    y = (x @ w + 0.1 * torch.randn(samples, 3, generator=gen)).argmax(dim=1)
    return TensorDataset(x, y)


class TinyNet(nn.Module):
    """8 -> 32 -> 3 with dropout; the loss is a method, as in several seminal models."""

    def __init__(self, dropout: float) -> None:
        super().__init__()
        self.hidden = nn.Linear(8, 32)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(32, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(torch.relu(self.hidden(x))))

    def loss_and_logits(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Under torchrun this is called on the DDP wrapper, which must still all-reduce its gradients
        # (the DDP test would see unsynchronised ranks drift apart from single-process training).
        logits = self(x)
        return nn.functional.cross_entropy(logits, y), logits


def make_model(dropout: float) -> nn.Module:
    return TinyNet(dropout)


def train(
    out: Path,
    config: TinyConfig,
    resume: bool = False,
    kill_at_step: int | None = None,
    signal_at_step: int | None = None,
    nan_at_step: int | None = None,
    device: str = "cpu",
) -> Trainer:
    """Train the tiny model in ``out``; returns the closed trainer."""
    seed_everything(config.seed)  # what the runner does before run()
    ctx = RunContext(out_dir=out, device=torch.device(device), seed=config.seed, resume=resume, progress=False)
    model = make_model(config.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.7)
    trainer = Trainer(ctx, modules={"model": model}, optimizers={"opt": opt}, schedulers={"sched": sched},
                      name="tiny", checkpoint_every=config.checkpoint_every)
    net = trainer.module("model")
    noise = trainer.state.setdefault("noise", torch.Generator().manual_seed(99))
    loader = trainer.loader(make_data(config.samples), batch_size=config.batch_size, shuffle=True)
    for epoch in trainer.epochs(config.epochs):
        net.train()
        # An epoch accumulator lives in trainer.state: a local variable would restart from zero
        # after a mid-epoch resume.
        trainer.state.setdefault("correct", 0.0)
        for x, y in trainer.batches(loader, epoch):
            x = x + config.input_noise * torch.randn(x.shape, generator=noise)
            if config.random_scale:
                x = x * (1.0 + 0.01 * float(np.random.rand()) + 0.01 * random.random())
            opt.zero_grad()
            loss, logits = net.loss_and_logits(x, y)
            if nan_at_step is not None and trainer.step + 1 == nan_at_step:
                loss = loss * float("nan")
            loss.backward()
            opt.step()
            sched.step()
            trainer.state["correct"] += float((logits.argmax(1) == y).float().sum())
            trainer.log_step(loss=loss, lr=sched.get_last_lr()[0])
            if kill_at_step is not None and trainer.step == kill_at_step:
                os.kill(os.getpid(), signal.SIGKILL)
            if signal_at_step is not None and trainer.step == signal_at_step and trainer.is_main:
                # Only rank 0 is signalled: the ranks must agree to stop at the same step.
                os.kill(os.getpid(), signal.SIGTERM)
        correct = trainer.reduce_mean(trainer.state.pop("correct")) * trainer.world_size  # sum over ranks
        trainer.log_epoch(train_correct=correct, weight_norm=float(trainer.unwrap("model").hidden.weight.detach().norm()))
    trainer.close()
    return trainer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--kill-at-step", type=int)
    parser.add_argument("--kill-during-save", type=int)
    parser.add_argument("--signal-at-step", type=int)
    parser.add_argument("--nan-at-step", type=int)
    parser.add_argument("--epochs", type=int, default=TinyConfig.epochs)
    parser.add_argument("--samples", type=int, default=TinyConfig.samples)
    parser.add_argument("--batch-size", type=int, default=TinyConfig.batch_size)
    parser.add_argument("--checkpoint-every", type=int, default=TinyConfig.checkpoint_every)
    parser.add_argument("--dropout", type=float, default=TinyConfig.dropout)
    parser.add_argument("--input-noise", type=float, default=TinyConfig.input_noise)
    parser.add_argument("--no-random-scale", action="store_true")
    parser.add_argument("--fork-kills", type=str, default="",
                        help="comma-separated fault points (N, -N, termN): one forked child per point in "
                             "OUT/kill<point> (imports torch once for all of them)")
    args = parser.parse_args(argv)
    config = TinyConfig(epochs=args.epochs, samples=args.samples, batch_size=args.batch_size,
                        checkpoint_every=args.checkpoint_every, dropout=args.dropout, input_noise=args.input_noise,
                        random_scale=not args.no_random_scale)
    if args.fork_kills:
        return _fork_kills(args.out, config, args.fork_kills.split(","))
    if args.kill_during_save is not None:
        _kill_inside_save(args.kill_during_save)
    init_distributed(torch.device("cpu"))
    completed = False
    try:
        train(args.out, config, resume=args.resume, kill_at_step=args.kill_at_step,
              signal_at_step=args.signal_at_step, nan_at_step=args.nan_at_step)
        completed = True
    except TrainingInterrupted as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    except NonFiniteLossError as exc:
        print(exc, file=sys.stderr)
        return 3
    finally:
        shutdown_distributed(synchronize=completed)
    return 0


def _fork_kills(root: Path, config: TinyConfig, points: list[str]) -> int:
    """One forked child per point, in ``root/kill<point>``; checks each ended as intended.

    ``N``: SIGKILL right after step N. ``-N``: SIGKILL half-way through writing step N's checkpoint.
    ``termN``: SIGTERM after step N; the child must save and exit with 143 (through ``main``).
    """
    # torch has only been imported here (no ops run, no thread pools yet), so forking is safe.
    import torch._dynamo  # noqa: F401  (optimizers import it lazily; pay for it once, not per child)

    for point in points:
        pid = os.fork()
        if pid == 0:  # child
            code = 1
            try:
                out = root / f"kill{point}"
                if point.startswith("term"):
                    code = main([str(out), "--signal-at-step", point[4:]])
                elif int(point) < 0:
                    _kill_inside_save(-int(point))
                    train(out, config)
                else:
                    train(out, config, kill_at_step=int(point))
            finally:
                os._exit(code)  # without a kill, the exit code main() returned (or 1)
        _, status = os.waitpid(pid, 0)
        if point.startswith("term"):
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 128 + signal.SIGTERM:
                print(f"child {point} did not exit with 143 (status {status})", file=sys.stderr)
                return 1
        elif not os.WIFSIGNALED(status) or os.WTERMSIG(status) != signal.SIGKILL:
            print(f"child {point} was not SIGKILLed (status {status})", file=sys.stderr)
            return 1
    return 0


def _kill_inside_save(step: int) -> None:
    # SIGKILL after torch.save has written part of the temporary checkpoint file at `step`.
    import seminal.training.checkpoint as checkpoint_module

    real_save = torch.save

    def save_then_die(obj: object, f: object, *args: object, **kwargs: object) -> None:
        if isinstance(obj, dict) and obj.get("progress", {}).get("step") == step:
            real_save(obj, f, *args, **kwargs)
            with open(f, "r+b") as fh:  # type: ignore[arg-type]
                fh.truncate(max(1, os.path.getsize(f) // 2))  # type: ignore[arg-type]
            os.kill(os.getpid(), signal.SIGKILL)
        real_save(obj, f, *args, **kwargs)

    checkpoint_module.torch.save = save_then_die  # type: ignore[attr-defined]


if __name__ == "__main__":
    sys.exit(main())
