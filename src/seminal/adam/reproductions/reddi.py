"""``adam-reddi``: the counterexample to Adam's convergence proof (Reddi, Kale & Kumar, ICLR 2018).

The Adam paper's Theorem 4.1 claims O(sqrt(T)) regret in the online convex setting. Reddi et al.
(§3 and their synthetic experiment in §5) give a one-dimensional online problem on which Adam
converges to the *worst* point. Feasible set F = [−1, 1]; at step t = 1, 2, ...::

    f_t(x) = 1010·x   if t mod 101 == 1
    f_t(x) = −10·x    otherwise

Over a period of 101 steps the sum of gradients is 1010 − 100·10 = +10 > 0, so the optimum is
x* = −1. With β1 = 0.9, β2 = 0.99 the rare large gradient is forgotten by v within a few dozen
steps, so Adam's steps on the frequent −10 gradients are large and its steps on the rare +1010
gradient are damped: x drifts to +1. AMSGrad keeps v̂_t = max(v̂_{t−1}, v_t), never forgets the
large gradient, and reaches −1. The step size is α_t = α/sqrt(t) as in both papers' theory; every
iterate is projected onto [−1, 1] (clipping, which is the Π_F of Reddi et al. in one dimension).

The optimizers are :class:`seminal.adam.Adam` with ``amsgrad`` False/True (the library's own
components; Reddi et al.'s Adam has no bias correction, ours has it: the outcome is the same).
Regret R_T = Σ_t f_t(x_t) − f_t(−1); the plot shows R_T/T, which must go to 0 for convergence.

No data and no network: this runs in seconds, so it does not go through the Trainer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from seminal.adam.reproductions.plots import COLORS, new_figure
from seminal.experiments.registry import ComparisonRow, Experiment, PaperTarget, RunContext, RunResult

__all__ = ["ReddiConfig", "gradient_at", "run_online", "EXPERIMENT", "run"]

SOURCE = "Reddi, Kale & Kumar (ICLR 2018), §3 and the synthetic experiment of §5 (Fig. 1)"


@dataclass
class ReddiConfig:
    """Attributes:
        beta1: Adam's and AMSGrad's β1.
        beta2: Adam's and AMSGrad's β2.
        eps: ε added to the denominator.
        period: the large gradient comes once every ``period`` steps.
    """

    steps: int = 50_000  # (ours) Reddi et al. plot millions of steps; the end points are clear by 5e4
    lr: float = 0.5  # (ours) α in α_t = α/sqrt(t); neither paper gives it for this experiment
    beta1: float = 0.9
    beta2: float = 0.99
    eps: float = 1e-8
    large_gradient: float = 1010.0  # C: gradient at t mod period == 1
    small_gradient: float = -10.0  # gradient at every other step
    period: int = 101
    x0: float = 0.0  # the papers do not state x_1; 0 is the middle of F


def quick() -> ReddiConfig:
    # Per-step optimizer overhead (~60 µs a step on a free CPU core, several times that on a busy
    # one), not arithmetic, is the cost here; 20,000 steps already show both end points.
    return ReddiConfig(steps=20_000)


def smoke() -> ReddiConfig:
    # Still long enough for both end points (x_T > 0.9 and x_T < −0.9 at every phase of the
    # 101-step cycle from T = 15,000 on): the tests check them on it.
    return ReddiConfig(steps=15_000)


def gradient_at(t: int, cfg: ReddiConfig) -> float:
    """∇f_t (constant in x): C at t mod period == 1, else the small gradient. t starts at 1."""
    return cfg.large_gradient if t % cfg.period == 1 else cfg.small_gradient


def _validate(cfg: ReddiConfig) -> None:
    if cfg.steps <= 0:
        raise ValueError(f"Invalid steps: {cfg.steps} (expected a positive int)")
    if cfg.period < 2:
        raise ValueError(f"Invalid period: {cfg.period} (expected period >= 2)")
    if not cfg.lr > 0:
        raise ValueError(f"Invalid lr: {cfg.lr} (expected lr > 0)")
    if not -1.0 <= cfg.x0 <= 1.0:
        raise ValueError(f"Invalid x0: {cfg.x0} (expected -1 <= x0 <= 1)")


def run_online(cfg: ReddiConfig) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Play the game with Adam and AMSGrad; per variant, (x_t before each update, R_t/t), t = 1..T.

    Both variants are two parameter groups of one :class:`seminal.adam.Adam` (``amsgrad``
    False/True), so one ``step()`` advances both games: the gradients do not depend on x, and the
    per-step Python overhead, not arithmetic, is the cost of this experiment.
    """
    from seminal.adam import Adam

    _validate(cfg)
    names = ("adam", "amsgrad")
    xs = {name: torch.tensor([cfg.x0], dtype=torch.float64, requires_grad=True) for name in names}
    optimizer = Adam([{"params": [xs["adam"]], "amsgrad": False}, {"params": [xs["amsgrad"]], "amsgrad": True}],
                     lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps)
    for x in xs.values():
        x.grad = torch.zeros_like(x)
    iterates = {name: np.empty(cfg.steps) for name in names}
    regrets = {name: np.empty(cfg.steps) for name in names}
    with torch.no_grad():
        for t in range(1, cfg.steps + 1):
            g = gradient_at(t, cfg)
            for name, x in xs.items():
                iterates[name][t - 1] = x_t = float(x)
                regrets[name][t - 1] = g * (x_t - (-1.0))  # f_t(x_t) − f_t(x*), x* = −1 (f_t is linear)
                x.grad.fill_(g)
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr / math.sqrt(t)  # α_t = α/sqrt(t)
            optimizer.step()
            for x in xs.values():
                x.clamp_(-1.0, 1.0)  # projection onto F = [−1, 1]
    steps = np.arange(1, cfg.steps + 1)
    return {name: (iterates[name], np.cumsum(regrets[name]) / steps) for name in names}


def _figure(traces: dict[str, tuple[np.ndarray, np.ndarray]]) -> Any:
    fig = new_figure(10.0, 3.8)
    ax_x, ax_regret = fig.subplots(1, 2)
    for name, (iterates, regret) in traces.items():
        t = np.arange(1, len(iterates) + 1)
        stride = max(1, len(t) // 5000)  # plot at most ~5,000 points per line
        label = "Adam" if name == "adam" else "AMSGrad"
        ax_x.plot(t[::stride], iterates[::stride], label=label, color=COLORS[name])
        ax_regret.plot(t[::stride], regret[::stride], label=label, color=COLORS[name])
    ax_x.set(xlabel="iteration t", ylabel="x_t", title="iterate (optimum x* = −1)", xscale="log", ylim=(-1.1, 1.1))
    ax_regret.set(xlabel="iteration t", ylabel="R_t / t", title="average regret", xscale="log", yscale="log")
    for ax in (ax_x, ax_regret):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    return fig


def run(cfg: ReddiConfig, ctx: RunContext) -> RunResult:
    _validate(cfg)
    traces = run_online(cfg)
    tail = min(cfg.period, cfg.steps)  # average over the last period: x_t oscillates within it
    summary = {name: {"final_x": float(x[-1]), "mean_x_last_period": float(x[-tail:].mean()),
                      "final_average_regret": float(r[-1])} for name, (x, r) in traces.items()}
    checkpoints = sorted({min(cfg.steps, 10**k) for k in range(1, 8)})
    metrics = {
        **summary,
        "x_at": {name: {str(t): float(x[t - 1]) for t in checkpoints} for name, (x, _) in traces.items()},
        "average_regret_at": {name: {str(t): float(r[t - 1]) for t in checkpoints} for name, (_, r) in traces.items()},
    }
    figures = [ctx.save_figure(_figure(traces), "reddi_counterexample")]
    adam, ams = summary["adam"], summary["amsgrad"]
    setting = f"T = {cfg.steps:,} steps, α_t = {cfg.lr:g}/sqrt(t), β1 = {cfg.beta1}, β2 = {cfg.beta2}, x_1 = {cfg.x0}"
    comparison = [
        ComparisonRow("Adam final x_T", "+1 (the worst point)", round(adam["final_x"], 4),
                      agrees=adam["final_x"] > 0.9, source=SOURCE, comment=f"criterion: x_T > 0.9. {setting}"),
        ComparisonRow("AMSGrad final x_T", "−1 (the optimum)", round(ams["final_x"], 4),
                      agrees=ams["final_x"] < -0.9, source=SOURCE, comment=f"criterion: x_T < −0.9. {setting}"),
        ComparisonRow("average regret R_T/T", "Adam's stays away from 0; AMSGrad's goes to 0",
                      f"Adam {adam['final_average_regret']:.4f}, AMSGrad {ams['final_average_regret']:.4f}",
                      agrees=ams["final_average_regret"] < adam["final_average_regret"], source=SOURCE,
                      comment="criterion: AMSGrad's R_T/T below Adam's. Adam pinned at +1 has R_T/T -> 20/101 ≈ 0.198 "
                              "(it never vanishes); AMSGrad's falls like 1/T once x_t stays at −1"),
    ]
    return RunResult(metrics=metrics, comparison=comparison, figures=figures)


TARGETS = (
    PaperTarget("Adam x_T", 1.0, SOURCE),
    PaperTarget("AMSGrad x_T", -1.0, SOURCE),
    PaperTarget("average regret", "Adam's does not vanish; AMSGrad's -> 0", SOURCE),
)

EXPERIMENT = Experiment(
    id="adam-reddi", paper="adam",
    title="Reddi et al. counterexample: f_t = 1010x every 101st step else −10x on [−1, 1]; Adam -> +1, AMSGrad -> −1",
    config_cls=ReddiConfig, quick=quick, smoke=smoke, targets=TARGETS, run=run,
)
