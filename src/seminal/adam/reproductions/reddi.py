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

No data and no network: this runs in seconds, so it does not go through the Trainer. The game
has no randomness; what a seed changes is the starting point: with ``random_start`` each seed
draws x_1 uniformly from [−1, 1] (the papers do not state x_1), and the verdicts hold only when
both end points are reached from every start. All starts are played by one optimizer (one
parameter group per start and variant), so extra seeds cost little.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from seminal.adam.reproductions.plots import COLORS, new_figure
from seminal.adam.reproductions.seeds import informational
from seminal.experiments.registry import (
    Experiment,
    PaperTarget,
    RunContext,
    RunResult,
    seed_verdict_row,
)

__all__ = ["EXPERIMENT", "ReddiConfig", "gradient_at", "run", "run_online", "run_online_from", "start_point"]

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
    x0: float = 0.0  # (ours) the papers do not state x_1; 0 is the middle of F
    random_start: bool = False  # (ours) draw x_1 ~ U[−1, 1] from each seed instead of x0
    num_seeds: int = 1  # seeds --seed, --seed+1, ...
    smoke: bool = False  # the smoke preset: rows informational (it checks the code, not the claim)


def quick() -> ReddiConfig:
    # Per-step optimizer overhead (~60 µs a step on a free CPU core, several times that on a busy
    # one), not arithmetic, is the cost here; 20,000 steps already show both end points. Three
    # seeds = three random starting points.
    return ReddiConfig(steps=20_000, random_start=True, num_seeds=3)


def smoke() -> ReddiConfig:
    # Still long enough for both end points (x_T > 0.9 and x_T < −0.9 at every phase of the
    # 101-step cycle from T = 15,000 on): the tests check them on it.
    return ReddiConfig(steps=15_000, smoke=True)


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
    if isinstance(cfg.num_seeds, bool) or not isinstance(cfg.num_seeds, int) or cfg.num_seeds <= 0:
        raise ValueError(f"Invalid num_seeds: {cfg.num_seeds!r} (expected a positive int)")


def start_point(cfg: ReddiConfig, seed: int) -> float:
    """x_1 for ``seed``: ``cfg.x0``, or with ``random_start`` a draw from U[−1, 1] seeded by ``seed``."""
    if not cfg.random_start:
        return cfg.x0
    return float(torch.rand((), generator=torch.Generator().manual_seed(seed), dtype=torch.float64)) * 2.0 - 1.0


def run_online(cfg: ReddiConfig) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Play the game from x_1 = ``cfg.x0`` with Adam and AMSGrad; see :func:`run_online_from`."""
    return run_online_from(cfg, [cfg.x0])[0]


def run_online_from(cfg: ReddiConfig, starts: list[float]) -> list[dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Per start x_1, per variant: (x_t before each update, R_t/t), t = 1..T.

    Each variant is one parameter group of one :class:`seminal.adam.Adam` (``amsgrad``
    False/True) holding one vector with an element per start: Adam's update is element-wise, so
    element i plays the game from start i exactly as a scalar would, and one ``step()`` advances
    every game (the gradients do not depend on x; per-step Python overhead, not arithmetic, is
    the cost of this experiment).
    """
    from seminal.adam import Adam

    _validate(cfg)
    if not starts:
        raise ValueError("Invalid starts: [] (expected at least one start point)")
    for x1 in starts:
        if not -1.0 <= x1 <= 1.0:
            raise ValueError(f"Invalid start point: {x1} (expected -1 <= x_1 <= 1)")
    names = ("adam", "amsgrad")
    xs = {name: torch.tensor(starts, dtype=torch.float64, requires_grad=True) for name in names}
    optimizer = Adam([{"params": [xs[name]], "amsgrad": name == "amsgrad"} for name in names],
                     lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=cfg.eps)
    for x in xs.values():
        x.grad = torch.zeros_like(x)
    iterates = {name: np.empty((cfg.steps, len(starts))) for name in names}
    with torch.no_grad():
        for t in range(1, cfg.steps + 1):
            g = gradient_at(t, cfg)
            for name, x in xs.items():
                iterates[name][t - 1] = x.numpy()  # a copy: x_t before the update
                x.grad.fill_(g)
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr / math.sqrt(t)  # α_t = α/sqrt(t)
            optimizer.step()
            for x in xs.values():
                x.clamp_(-1.0, 1.0)  # projection onto F = [−1, 1]
    gradients = np.array([gradient_at(t, cfg) for t in range(1, cfg.steps + 1)])
    steps = np.arange(1, cfg.steps + 1)
    out: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
    for index in range(len(starts)):
        traces = {}
        for name in names:
            x = iterates[name][:, index].copy()
            regret = gradients * (x + 1.0)  # f_t(x_t) − f_t(x*), x* = −1 (f_t is linear)
            traces[name] = (x, np.cumsum(regret) / steps)
        out.append(traces)
    return out


def _figure(runs: list[dict[str, tuple[np.ndarray, np.ndarray]]]) -> Any:
    """x_t and R_t/t of the first start in full colour, the other starts faint behind them."""
    fig = new_figure(10.0, 3.8)
    ax_x, ax_regret = fig.subplots(1, 2)
    for index, traces in reversed(list(enumerate(runs))):
        for name, (iterates, regret) in traces.items():
            t = np.arange(1, len(iterates) + 1)
            stride = max(1, len(t) // 5000)  # plot at most ~5,000 points per line
            style = {"color": COLORS[name], "label": ("Adam" if name == "adam" else "AMSGrad") if index == 0 else None,
                     "alpha": 1.0 if index == 0 else 0.35, "linewidth": 1.5 if index == 0 else 0.8}
            ax_x.plot(t[::stride], iterates[::stride], **style)
            ax_regret.plot(t[::stride], regret[::stride], **style)
    more = f" (faint: {len(runs) - 1} more start(s))" if len(runs) > 1 else ""
    ax_x.set(xlabel="iteration t", ylabel="x_t", title="iterate (optimum x* = −1)" + more, xscale="log", ylim=(-1.1, 1.1))
    ax_regret.set(xlabel="iteration t", ylabel="R_t / t", title="average regret", xscale="log", yscale="log")
    for ax in (ax_x, ax_regret):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    return fig


def _summary(cfg: ReddiConfig, traces: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    tail = min(cfg.period, cfg.steps)  # average over the last period: x_t oscillates within it
    checkpoints = sorted({min(cfg.steps, 10**k) for k in range(1, 8)})
    return {name: {"final_x": float(x[-1]), "mean_x_last_period": float(x[-tail:].mean()),
                   "final_average_regret": float(r[-1]),
                   "x_at": {str(t): float(x[t - 1]) for t in checkpoints},
                   "average_regret_at": {str(t): float(r[t - 1]) for t in checkpoints}}
            for name, (x, r) in traces.items()}


def run(cfg: ReddiConfig, ctx: RunContext) -> RunResult:
    _validate(cfg)
    seeds = list(range(ctx.seed, ctx.seed + cfg.num_seeds))
    starts = {seed: start_point(cfg, seed) for seed in seeds}
    runs = run_online_from(cfg, [starts[seed] for seed in seeds])
    per_seed = {seed: {"x_1": starts[seed], **_summary(cfg, traces)} for seed, traces in zip(seeds, runs)}
    first = per_seed[seeds[0]]
    metrics = {  # the first seed's numbers at the top level, every seed's under "per_seed"
        "adam": {k: v for k, v in first["adam"].items() if k not in ("x_at", "average_regret_at")},
        "amsgrad": {k: v for k, v in first["amsgrad"].items() if k not in ("x_at", "average_regret_at")},
        "x_at": {name: first[name]["x_at"] for name in ("adam", "amsgrad")},
        "average_regret_at": {name: first[name]["average_regret_at"] for name in ("adam", "amsgrad")},
        "seeds": seeds,
        "per_seed": {str(seed): value for seed, value in per_seed.items()},
    }
    figures = [ctx.save_figure(_figure(runs), "reddi_counterexample")]
    start_text = ("x_1 ~ U[−1, 1] per seed: " + ", ".join(f"{starts[s]:.3f}" for s in seeds)
                  if cfg.random_start else f"x_1 = {cfg.x0}")
    setting = f"T = {cfg.steps:,} steps, α_t = {cfg.lr:g}/sqrt(t), β1 = {cfg.beta1}, β2 = {cfg.beta2}, {start_text}"
    adam_x = {s: v["adam"]["final_x"] for s, v in per_seed.items()}
    ams_x = {s: v["amsgrad"]["final_x"] for s, v in per_seed.items()}
    regret_ratio = {s: v["amsgrad"]["final_average_regret"] / v["adam"]["final_average_regret"]
                    for s, v in per_seed.items()}
    comparison = [
        seed_verdict_row("Adam final x_T", "+1 (the worst point)", adam_x, {s: v > 0.9 for s, v in adam_x.items()},
                         source=SOURCE, criterion=f"criterion: x_T > 0.9. {setting}"),
        seed_verdict_row("AMSGrad final x_T", "−1 (the optimum)", ams_x, {s: v < -0.9 for s, v in ams_x.items()},
                         source=SOURCE, criterion=f"criterion: x_T < −0.9. {setting}"),
        seed_verdict_row("average regret R_T/T, AMSGrad's / Adam's", "Adam's stays away from 0; AMSGrad's goes to 0",
                         regret_ratio, {s: v < 1.0 for s, v in regret_ratio.items()}, source=SOURCE,
                         criterion="criterion: ratio < 1 (AMSGrad's R_T/T below Adam's). Adam pinned at +1 has "
                                   "R_T/T -> 20/101 ≈ 0.198 (it never vanishes); AMSGrad's falls like 1/T once x_t "
                                   f"stays at −1. {setting}"),
    ]
    if cfg.smoke:
        comparison = informational(comparison, "informational only: smoke preset (checks the code, not the claim)")
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
