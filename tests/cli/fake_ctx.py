"""A fake experiment that reports what the runner gave it, and can leave a checkpoint behind."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from seminal.experiments.registry import Experiment, PaperTarget, RunContext, RunResult


@dataclass(frozen=True)
class CtxConfig:
    """Attributes:
        steps: how many steps the fake takes.
        lr: a learning rate.
        methods: optimizers to compare.
        lrs: step size per method.
        checkpoint: write checkpoints/fake.pt, as a training run would.
    """

    steps: int = 100
    lr: float = 0.1
    methods: tuple[str, ...] = ("adam", "sgd")
    lrs: dict[str, float] = field(default_factory=lambda: {"adam": 0.1, "sgd": 1.0})
    checkpoint: bool = True


def run_ctx(config: CtxConfig, ctx: RunContext) -> RunResult:
    if config.checkpoint:
        (ctx.out_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        (ctx.out_dir / "checkpoints" / "fake.pt").write_bytes(b"stand-in")
    return RunResult(metrics={"amp": ctx.amp, "tensorboard": ctx.tensorboard, "resume": ctx.resume,
                              "methods": list(config.methods), "lrs": config.lrs, "steps": config.steps})


def make_ctx_fake(exp_id: str = "adam-ctx") -> Experiment:
    return Experiment(
        id=exp_id, paper="adam", title="reports its context", config_cls=CtxConfig,
        quick=lambda: CtxConfig(steps=10), smoke=lambda: CtxConfig(steps=1),
        targets=(PaperTarget("value", 0.5, "nowhere"),), run=run_ctx,
        presets={"laptop": lambda: dataclasses.replace(CtxConfig(), steps=5)},
    )
