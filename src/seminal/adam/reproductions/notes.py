"""``notes-adam``: every claim the study notes make about Adam, checked by a small computation.

Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980 (v9).
Symbols: α = step size, β1/β2 = decay rates, g_t = gradient at step t (t = 1, 2, ...),
m_t/v_t = raw first/second moment estimates (m_0 = v_0 = 0), m̂_t/v̂_t = bias-corrected ones,
Δ_t = θ_t − θ_{t−1}.

Claims (one function each; every function is seeded and returns plain numbers):

1. :func:`moment_sums` -- the unrolled EMA and its expectation (§3, eq. 1-4): which index range
   (i = 1..t, the paper; i = 0..t, the notes) and which factor (1 − β^t or 1 − β^(t+1)) are exact,
   with Monte-Carlo means of m_t, m̂_t, v_t, v̂_t against E[g](1 − β1^t) and E[g²](1 − β2^t).
2. :func:`drift_bias` -- the ζ term of §3 for a gradient whose scale drifts (not stationary).
3. :func:`training_step_ratios` and :func:`spike_ratios` -- |Δ_t|/α on a real small training
   run, and the sparse-gradient case that reaches §2.1's bound α(1 − β1)/sqrt(1 − β2).
4. :func:`noise_sweep` -- v̂ estimates the uncentred E[g²], not the variance; the step shrinks
   as gradient noise grows at a fixed mean (§2.1, "signal-to-noise ratio").
5. :func:`rmsprop_equivalence` and :func:`adagrad_limit` -- what Adam adds to RMSProp (§5:
   momentum on m, bias correction) and AdaGrad as the limit β1 = 0, β2 -> 1, α_t = α/sqrt(t),
   both computed with the float64 oracle :func:`seminal.adam.reference.adam_reference_step`.

ε = 0 wherever a bound or an identity is checked (the paper's bounds are for ε = 0).

This module defines the experiment (presets, validation, run, targets); the sizes of the checks
are :mod:`~seminal.adam.reproductions.notes_config`, the computations
:mod:`~seminal.adam.reproductions.notes_checks`, the verdicts
:mod:`~seminal.adam.reproductions.notes_claims` and the figures
:mod:`~seminal.adam.reproductions.notes_figures`.
"""

from __future__ import annotations

import numpy as np
import torch

from seminal.adam.reproductions.notes_checks import (
    adagrad_limit,
    drift_bias,
    moment_sums,
    noise_sweep,
    rmsprop_equivalence,
    spike_ratios,
    training_step_ratios,
)
from seminal.adam.reproductions.notes_claims import claims_from_checks
from seminal.adam.reproductions.notes_config import NotesAdamConfig
from seminal.adam.reproductions.notes_figures import drift_figure, lineage_figure, moments_figure, noise_figure, step_figure
from seminal.experiments.claims import claims_metrics
from seminal.experiments.registry import Experiment, PaperTarget, RunContext, RunResult

__all__ = [
    "EXPERIMENT",
    "NotesAdamConfig",
    "adagrad_limit",
    "drift_bias",
    "moment_sums",
    "noise_sweep",
    "quick",
    "rmsprop_equivalence",
    "run",
    "smoke",
    "spike_ratios",
    "training_step_ratios",
]

PAPER = "Kingma & Ba 2015"


def quick() -> NotesAdamConfig:
    return NotesAdamConfig(streams=2000, steps=8000, train_steps=1000, noise_steps=5000)


def smoke() -> NotesAdamConfig:
    return NotesAdamConfig(streams=400, steps=5000, train_steps=200, noise_steps=5000, limit_steps=60,
                           spike_steps=[1, 10, 100, 1000, 5000], limit_deltas=[1e-1, 1e-3, 1e-5])


def _validate(cfg: NotesAdamConfig) -> None:
    for name in ("beta1", "beta2"):
        value = getattr(cfg, name)
        if not 0.0 <= value < 1.0:
            raise ValueError(f"Invalid {name}: {value} (expected 0 <= {name} < 1)")
    for name in ("streams", "steps", "train_steps", "train_batch", "noise_steps", "limit_steps"):
        if getattr(cfg, name) < 1:
            raise ValueError(f"Invalid {name}: {getattr(cfg, name)} (expected a positive int)")
    if cfg.noise_steps < 4.0 / (1.0 - cfg.beta2) + 10:
        raise ValueError(f"Invalid noise_steps: {cfg.noise_steps} (expected >= 4/(1 − beta2) + 10 so v̂ has settled)")
    if cfg.grad_mean == 0.0 or cfg.grad_std <= 0.0:
        raise ValueError(f"Invalid grad_mean/grad_std: {cfg.grad_mean}, {cfg.grad_std} (expected mean != 0, std > 0)")


def run(cfg: NotesAdamConfig, ctx: RunContext) -> RunResult:
    _validate(cfg)
    torch.manual_seed(ctx.seed)
    sums = moment_sums(cfg, ctx.seed)
    drift = drift_bias(cfg)
    ratios = training_step_ratios(cfg, ctx.seed)
    spikes = spike_ratios(cfg)
    sweep = noise_sweep(cfg, ctx.seed)
    rms = rmsprop_equivalence(cfg, ctx.seed)
    limit = adagrad_limit(cfg, ctx.seed)
    claims = claims_from_checks(cfg, sums, drift, ratios, spikes, sweep, rms, limit)
    figures = [
        ctx.save_figure(moments_figure(sums, cfg), "adam_moments"),
        ctx.save_figure(drift_figure(drift, cfg), "adam_drift"),
        ctx.save_figure(step_figure(ratios, spikes, cfg), "adam_step_size"),
        ctx.save_figure(noise_figure(sweep, cfg), "adam_noise"),
        ctx.save_figure(lineage_figure(limit, rms), "adam_lineage"),
    ]
    metrics = {
        "notes_claims": claims_metrics(claims),
        "moments": {k: v for k, v in sums.items() if not isinstance(v, np.ndarray)},
        "drift_ratio_at_2tau": {"m": {str(k): float(v[min(cfg.steps, int(2 * k)) - 1]) for k, v in drift["m_ratio"].items()},
                                "v": {str(k): float(v[min(cfg.steps, int(2 * k)) - 1]) for k, v in drift["v_ratio"].items()}},
        "training_step_ratio": {"fraction_within_alpha": float((ratios <= 1.0 + 1e-9).mean()),
                                "quantile_0.999": float(np.quantile(ratios, 0.999)), "max": float(ratios.max()),
                                "count": int(ratios.size)},
        "spike": spikes,
        "noise_sweep": {k: [float(x) for x in v] for k, v in sweep.items()},
        "rmsprop": rms,
        "adagrad_limit": limit,
    }
    return RunResult(metrics=metrics, comparison=[c.row() for c in claims], figures=figures)


TARGETS = (
    PaperTarget("E[m̂_t] for stationary g", "E[g] (sum from i = 1, factor 1 − β1^t)", "§3 eq. 1–4"),
    PaperTarget("step bound", "α(1 − β1)/√(1 − β2) = 3.162α at the defaults", "§2.1"),
    PaperTarget("AdaGrad limit", "β1 = 0, β2 -> 1, α_t = α/√t", "§5"),
)

EXPERIMENT = Experiment(
    id="notes-adam", paper="adam",
    title="The study notes' claims about Adam, checked: moment sums, step bound, 'variance', novelty vs RMSProp/AdaGrad",
    config_cls=NotesAdamConfig, quick=quick, smoke=smoke, targets=TARGETS, run=run,
)
