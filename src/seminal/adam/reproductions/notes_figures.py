"""The ``notes-adam`` figures: one per group of claims (moments, drift, step size, noise, lineage),
drawn from what :mod:`seminal.adam.reproductions.notes_checks` computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from seminal.adam.reproductions.notes_config import NotesAdamConfig
from seminal.adam.reproductions.plots import new_figure

__all__ = ["moments_figure", "drift_figure", "step_figure", "noise_figure", "lineage_figure"]


def moments_figure(sums: dict[str, Any], cfg: NotesAdamConfig) -> Any:
    fig = new_figure(11.0, 4.0)
    ax_m, ax_v = fig.subplots(1, 2)
    t = sums["t"]
    n = min(60, len(t))
    ax_m.plot(t[:n], sums["mean_m"][:n], "o", ms=3, color="tab:blue", label="mean raw m_t (Monte Carlo)")
    ax_m.plot(t[:n], sums["mean_mhat"][:n], "o", ms=3, color="tab:red", label="mean bias-corrected m̂_t")
    ax_m.plot(t[:n], sums["expect_m_paper"][:n], "-", color="black", label="E[g](1 − β1^t)  (sum i = 1..t)")
    ax_m.plot(t[:n], sums["expect_m_notes"][:n], "--", color="tab:orange", label="E[g](1 − β1^(t+1))  (sum i = 0..t)")
    ax_m.axhline(cfg.grad_mean, color="gray", lw=0.8, ls=":", label="E[g]")
    ax_m.set(xlabel="step t", ylabel="first moment", title=f"first moment, β1 = {cfg.beta1}", xscale="log")
    ax_v.plot(t, sums["mean_v"], color="tab:blue", label="mean raw v_t (Monte Carlo)")
    ax_v.plot(t, sums["mean_vhat"], color="tab:red", label="mean bias-corrected v̂_t")
    ax_v.plot(t, sums["expect_v_paper"], "--", color="black", label="E[g²](1 − β2^t)")
    ax_v.axhline(cfg.grad_mean**2 + cfg.grad_std**2, color="gray", lw=0.8, ls=":", label="E[g²]")
    ax_v.set(xlabel="step t", ylabel="second raw moment", title=f"second moment, β2 = {cfg.beta2}", xscale="log")
    for ax in (ax_m, ax_v):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"Adam's moment estimates for stationary g ~ N({cfg.grad_mean:g}, {cfg.grad_std:g}²), {cfg.streams} streams")
    return fig


def drift_figure(drift: dict[str, Any], cfg: NotesAdamConfig) -> Any:
    fig = new_figure(11.0, 3.8)
    ax_m, ax_v = fig.subplots(1, 2)
    for tau in drift["taus"]:
        ax_m.plot(drift["t"], drift["m_ratio"][tau], label=f"τ = {tau:g} steps")
        ax_v.plot(drift["t"], drift["v_ratio"][tau], label=f"τ = {tau:g} steps")
    ax_m.set(xlabel="step t", ylabel="E[m̂_t] / E[g_t]", title=f"first moment, β1 = {cfg.beta1}", xscale="log")
    ax_v.set(xlabel="step t", ylabel="E[v̂_t] / E[g_t²]", title=f"second moment, β2 = {cfg.beta2}", xscale="log", yscale="log",
             ylim=(0.5, 1e4))
    for ax in (ax_m, ax_v):
        ax.axhline(1.0, color="gray", lw=0.8, ls=":")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("bias of the corrected moments when the gradient scale decays as exp(−t/τ) (1 = unbiased)")
    return fig


def step_figure(ratios: np.ndarray, spikes: dict[str, Any], cfg: NotesAdamConfig) -> Any:
    fig = new_figure(11.0, 3.8)
    ax_h, ax_s = fig.subplots(1, 2)
    top = max(float(ratios.max()), spikes["bound"]) * 1.05
    ax_h.hist(ratios, bins=np.linspace(0.0, top, 80), color="tab:blue", log=True)
    ax_h.axvline(1.0, color="black", ls="--", label="|Δ|/α = 1 (the notes' [−1, 1])")
    ax_h.axvline(spikes["bound"], color="tab:red", ls="--", label=f"§2.1 bound (1−β1)/√(1−β2) = {spikes['bound']:.3f}")
    ax_h.set(xlabel="|Δ_t| / α per coordinate and step", ylabel="count",
             title=f"small MLP, {cfg.train_steps} Adam steps (ε = 0)")
    ax_h.legend(fontsize=7)
    ax_s.plot(spikes["steps"], spikes["closed_form"], "-", color="black", label="closed form")
    ax_s.plot(spikes["steps"], spikes["oracle"], "o", color="tab:red", label="float64 oracle")
    ax_s.axhline(1.0, color="gray", ls=":", label="α")
    ax_s.axhline(spikes["bound"], color="tab:red", ls="--", lw=0.8, label="§2.1 bound")
    ax_s.set(xlabel="step t of the single non-zero gradient", ylabel="|Δ_t| / α", xscale="log",
             title="sparse gradient: t − 1 zeros, then one spike")
    ax_s.legend(fontsize=7)
    for ax in (ax_h, ax_s):
        ax.grid(True, which="both", alpha=0.3)
    return fig


def noise_figure(sweep: dict[str, Any], cfg: NotesAdamConfig) -> Any:
    fig = new_figure(11.0, 3.8)
    ax_v, ax_s = fig.subplots(1, 2)
    ax_v.plot(sweep["sigma"], sweep["vhat"], "o", color="tab:red", label="v̂ (Adam, averaged)")
    ax_v.plot(sweep["sigma"], sweep["uncentred"], "-", color="black", label="E[g²] = μ² + σ²")
    ax_v.plot(sweep["sigma"], sweep["variance"], "--", color="tab:orange", label="Var[g] = σ²")
    ax_v.set(xlabel="gradient noise σ", ylabel="value", xscale="log", yscale="log",
             title=f"what v̂ estimates (μ = {cfg.grad_mean:g})")
    ax_s.plot(sweep["sigma"], sweep["step"], "o", color="tab:red", label="mean m̂/√v̂ (step / α)")
    ax_s.plot(sweep["sigma"], sweep["snr_step"], "-", color="black", label="|μ| / √(μ² + σ²)")
    ax_s.set(xlabel="gradient noise σ", ylabel="mean step / α", xscale="log", ylim=(0, 1.1),
             title="the step shrinks as noise grows at fixed mean")
    for ax in (ax_v, ax_s):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    return fig


def lineage_figure(limit: dict[str, Any], rms: dict[str, float]) -> Any:
    fig = new_figure(11.0, 3.8)
    ax_l, ax_b = fig.subplots(1, 2)
    ax_l.plot(limit["deltas"], limit["max_param_gap"], "o-", color="tab:green")
    ax_l.set(xlabel="1 − β2 (δ)", ylabel="max |θ_Adam − θ_AdaGrad| over the run", xscale="log", yscale="log",
             title="AdaGrad as the limit β1 = 0, β2 -> 1, α_t = α/√t")
    ax_l.grid(True, which="both", alpha=0.3)
    names = ["RMSProp\n(ρ = 0.999)", "Adam\n(β1 = 0.9, β2 = 0.999)"]
    values = [rms["rmsprop_first_step_over_alpha"], rms["adam_first_step_over_alpha"]]
    bars = ax_b.bar(names, values, color=["tab:purple", "tab:red"])
    ax_b.bar_label(bars, fmt="%.2f")
    ax_b.set(ylabel="|Δ_1| / α", yscale="log", title="first step: bias correction is what Adam adds")
    ax_b.grid(True, axis="y", which="both", alpha=0.3)
    return fig
