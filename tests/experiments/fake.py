"""A tiny experiment used to test the registry, runner, report and CLI without training."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from seminal.experiments.registry import ComparisonRow, Experiment, PaperTarget, RunContext, RunResult  # noqa: E402


@dataclass(frozen=True)
class FakeConfig:
    steps: int = 100
    lr: float = 0.1
    fail: bool = False
    tag: str = "x"
    sizes: tuple[int, ...] = (1, 2)


def run_fake(config: FakeConfig, ctx: RunContext) -> RunResult:
    if config.fail:
        raise RuntimeError("fake failure on purpose")
    value = float(torch.rand(()))  # seeded by the runner
    fig, ax = plt.subplots()
    ax.plot([0, 1], [value, value])
    figure = ctx.save_figure(fig, "line")
    ctx.note("fake data note")
    return RunResult(
        metrics={"value": value, "steps": config.steps},
        comparison=[ComparisonRow("value", 0.5, value, value < 1.0, "Fake Table 1", "always below one")],
        figures=[figure],
    )


def make_fake(exp_id: str = "adam-fake", available=lambda config, data_dir: None) -> Experiment:
    return Experiment(
        id=exp_id, paper="adam", title="a fake experiment", config_cls=FakeConfig,
        quick=lambda: FakeConfig(steps=10), smoke=lambda: FakeConfig(steps=1),
        targets=(PaperTarget("value", 0.5, "Fake Table 1"),), run=run_fake, available=available,
    )
