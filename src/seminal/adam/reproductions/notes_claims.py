"""The ``notes-adam`` verdicts: each statement of the study notes about Adam, the paper's statement
(section and equation), our measurement and whether the statement holds.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from seminal.adam.reproductions.notes_config import NotesAdamConfig
from seminal.experiments.claims import Claim

__all__ = ["claims_from_checks"]


def claims_from_checks(cfg: NotesAdamConfig, sums: dict[str, Any], drift: dict[str, Any], ratios: np.ndarray,
                       spikes: dict[str, Any], sweep: dict[str, Any], rms: dict[str, float], limit: dict[str, Any]) -> list[Claim]:
    """The claims, in the order of the notes, from the results of :mod:`~seminal.adam.reproductions.notes_checks`."""
    b1, b2 = cfg.beta1, cfg.beta2
    claims: list[Claim] = []
    # 1a. the index range of the unrolled sum
    if not sums["unrolled_from_1_max_gap"] < 1e-12:
        raise RuntimeError(f"the recursion and its unrolled sum from i = 1 differ by {sums['unrolled_from_1_max_gap']:.3g}")
    claims.append(Claim(
        "Unrolling the first-moment EMA gives a weighted sum of gradients starting at index 0",
        "§3 eq. 1: v_t = (1 − β2) Σ_{i=1}^{t} β2^(t−i) g_i² with v_0 = 0 (same form for m_t with β1)",
        f"recursion vs sum from i = 1: max gap {sums['unrolled_from_1_max_gap']:.1e}; "
        f"vs sum from i = 0 (with a g_0): {sums['unrolled_from_0_max_gap']:.2f}",
        "does not hold" if sums["unrolled_from_0_max_gap"] > 1e-6 else "holds",
        "the sum starts at i = 1 (m_0 = 0 adds nothing). With i = 0 the geometric series would give "
        f"1 − β1^(t+1), not the notes' 1 − β1^t: E[m_1] would be {1 - b1**2:.2f}·E[g] "
        f"instead of {1 - b1:.2f}·E[g]. The notes' two lines contradict each other; the second (the factor) is the right one",
        "§3 eq. 1", "adam_moments"))
    # 1b. the factor and unbiasedness (first moment)
    z_ok = sums["max_z_m_paper"] < 5.0 and sums["max_z_v_paper"] < 5.0
    claims.append(Claim(
        "For stationary gradients E[m_t] = E[g](1 − β1^t), so m̂_t = m_t/(1 − β1^t) is unbiased",
        "§3 eq. 2–4: E[v_t] = E[g_t²](1 − β2^t) + ζ, ζ = 0 for a stationary second moment; Algorithm 1 divides by 1 − β^t",
        f"{cfg.streams} streams × {cfg.steps} steps: max |mean m_t − E[g](1 − β1^t)| = {sums['max_z_m_paper']:.1f} standard errors "
        f"(the i = 0..t factor is off by up to {sums['max_z_m_notes_first10']:.0f} SE in the first 10 steps)",
        "holds" if z_ok else "does not hold",
        "criterion: every step within 5 Monte-Carlo standard errors of E[g](1 − β1^t)"
        if z_ok else "the Monte-Carlo means depart from E[g](1 − β^t) by more than 5 standard errors",
        "§3 eq. 4", "adam_moments"))
    # 1c. the second moment, whose bias lasts thousands of steps
    claims.append(Claim(
        "Likewise E[v_t] = E[g²](1 − β2^t) and v̂_t is unbiased; with β2 = 0.999 the raw v_t is biased for thousands of steps",
        "§3 eq. 4 (β2 = 0.999 default, Algorithm 1); §3: the correction matters most for β2 close to 1",
        f"max |mean v_t − E[g²](1 − β2^t)| = {sums['max_z_v_paper']:.1f} SE; raw v_100 = {sums['raw_v_fraction_at_100']:.3f}·E[g²]; "
        f"bias < 1 % only after t = {sums['steps_until_v_bias_below_1pct']}",
        "holds" if sums["max_z_v_paper"] < 5.0 else "does not hold",
        "criterion: within 5 Monte-Carlo standard errors at every step" if sums["max_z_v_paper"] < 5.0
        else "the Monte-Carlo means depart from E[g²](1 − β2^t)",
        "§3 eq. 4", "adam_moments"))
    # 2. the ζ term for drifting gradients
    tau = sorted(drift["taus"])[len(drift["taus"]) // 2]
    at = min(cfg.steps, int(2 * tau))  # read both ratios at t = 2τ
    m_ratio = float(drift["m_ratio"][tau][at - 1])
    v_ratio = float(drift["v_ratio"][tau][at - 1])
    claims.append(Claim(
        "For non-stationary gradients the leftover term ζ stays small because old gradients are decayed away",
        "§3 after eq. 4: ζ can be kept small since the decay rate can be chosen so that the average gives small weight to "
        "gradients too far in the past",
        f"gradient scale ∝ exp(−t/τ), τ = {tau:g} steps, read at t = {at}: E[m̂_t]/E[g_t] = {m_ratio:.3f} (β1 = {b1}); "
        f"E[v̂_t]/E[g_t²] = {v_ratio:.3g} (β2 = {b2})",
        "holds approximately",
        f"gap: small for β1 (memory ~{1 / (1 - b1):.0f} steps), large for β2 = {b2} (memory ~{1 / (1 - b2):.0f} steps): "
        "when E[g²] changes within ~1/(1 − β2) steps, v̂ lags it and the step is too small or too large",
        "§3", "adam_drift"))
    # 3a. typical steps stay within α
    inside = float((ratios <= 1.0 + 1e-9).mean())
    q999 = float(np.quantile(ratios, 0.999))
    top = float(ratios.max())
    claims.append(Claim(
        "Each step α·m̂/√v̂ stays inside [−α, α] because m̂/√v̂ ≈ E[g]/√E[g²] ≤ 1",
        "§2.1: |Δ_t| ≲ α in common scenarios, since |E[g]/√E[g²]| ≤ 1; a trust region, not a hard bound",
        f"small MLP, {cfg.train_steps} steps: {100 * inside:.2f} % of coordinate-steps have |Δ|/α ≤ 1; "
        f"99.9th percentile {q999:.3f}, max {top:.3f}",
        "holds approximately",
        f"gap: typical steps are below α ({100 * (1 - inside):.2f} % exceed it, up to {top:.2f}α here); "
        "|E[g]|/√E[g²] ≤ 1 is exact (Cauchy–Schwarz), but m̂_t/√v̂_t is a ratio of noisy estimates and can exceed it",
        "§2.1", "adam_step_size"))
    # 3b. the worst case
    worst = max(spikes["oracle"])
    oracle_ok = max(abs(a - b) for a, b in zip(spikes["oracle"], spikes["closed_form"])) < 1e-12
    claims.append(Claim(
        "Read as a bound: no step is ever larger than α in magnitude",
        "§2.1: |Δ_t| ≤ α(1 − β1)/√(1 − β2) when (1 − β1) > √(1 − β2), else |Δ_t| ≤ α",
        f"sparse gradient (zeros, then one spike at t = {spikes['steps'][spikes['oracle'].index(worst)]}): "
        f"|Δ_t|/α = {worst:.4f} (oracle{' = closed form' if oracle_ok else ', closed form differs'}); "
        f"bound {spikes['bound']:.4f}",
        "does not hold",
        f"at the defaults (1 − β1) = {1 - b1:.3g} > √(1 − β2) = {math.sqrt(1 - b2):.3g}, so the bound is "
        f"{spikes['bound']:.3f}α, reached by a gradient that is zero for a long time and then spikes",
        "§2.1", "adam_step_size"))
    # 4a. v̂ is not the variance
    idx_small = int(np.argmin(sweep["sigma"]))
    rel_uncentred = float(np.abs(sweep["vhat"] / sweep["uncentred"] - 1.0).max())
    claims.append(Claim(
        "Adam's v_t is an estimate of the gradient's variance",
        "Algorithm 1: v_t is the 'biased second raw moment estimate'; §3: E[v̂_t] = E[g_t²] (uncentred)",
        f"g ~ N({cfg.grad_mean:g}, σ²): v̂ within {100 * rel_uncentred:.1f} % of μ² + σ² for every σ; "
        f"at σ = {sweep['sigma'][idx_small]:g}: v̂ = {sweep['vhat'][idx_small]:.3f}, Var = {sweep['variance'][idx_small]:.3f}",
        "does not hold",
        "v̂ estimates the uncentred second moment E[g²] = E[g]² + Var[g]; it equals the variance only for zero-mean gradients",
        "Algorithm 1; §3", "adam_noise"))
    # 4b. the step shrinks with noise
    step_gap = float(np.abs(sweep["step"] - sweep["snr_step"]).max())
    decreasing = bool(np.all(np.diff(sweep["step"]) < 0))
    claims.append(Claim(
        "When the gradient is noisy (uncertain direction) Adam takes a smaller step",
        "§2.1: the effective step α·m̂/√v̂ is a signal-to-noise ratio; it goes to 0 as the SNR falls (annealing near an optimum)",
        f"mean step/α falls from {sweep['step'][0]:.3f} to {sweep['step'][-1]:.3f} as σ goes {sweep['sigma'][0]:g} -> "
        f"{sweep['sigma'][-1]:g}; max gap to |μ|/√(μ² + σ²) = {step_gap:.3f}",
        "holds" if decreasing else "does not hold",
        "the step follows |E[g]|/√E[g²] = 1/√(1 + Var/E[g]²): it depends on the noise relative to the mean, "
        "through the uncentred moment" if decreasing else "the mean step did not decrease with σ",
        "§2.1", "adam_noise"))
    # 5a. novelty vs RMSProp
    claims.append(Claim(
        "What is new in Adam, compared with AdaGrad and RMSProp, is dividing by a second-moment estimate",
        "§5 (related work): RMSProp already scales by a running average of g²; Adam adds a running average of g (momentum "
        "on the first moment) and bias correction, without which large β2 is unstable (§6.4)",
        f"Adam (β1 = 0) with the bias correction undone = torch RMSprop to {rms['max_param_gap']:.1e} over {cfg.limit_steps} steps; "
        f"first step at β2 = {b2}: RMSProp {rms['rmsprop_first_step_over_alpha']:.2f}α, Adam {rms['adam_first_step_over_alpha']:.2f}α",
        "does not hold",
        "RMSProp and AdaGrad already divide by a (running / summed) second moment; Adam's additions are the EMA of the "
        "gradient (m) and the bias correction of both moments",
        "§5; §6.4", "adam_lineage"))
    # 5b. AdaGrad as a limit
    gaps = limit["max_param_gap"]
    shrinking = all(b < a for a, b in itertools.pairwise(gaps) if a > 1e-12)
    claims.append(Claim(
        "AdaGrad is the special case β1 = 0, β2 -> 1 with a step size annealed as α/√t",
        "§5: AdaGrad corresponds to Adam with β1 = 0, infinitesimal (1 − β2) and α_t = α·t^(−1/2): θ_{t+1} = θ_t − α g_t/√(Σ_i g_i²)",
        f"float64 oracle vs torch Adagrad, {cfg.limit_steps} steps: max |Δθ| = {gaps[0]:.2e} at 1 − β2 = {limit['deltas'][0]:g}, "
        f"{gaps[-1]:.2e} at {limit['deltas'][-1]:g} (slope {limit['slope']:.2f} in log-log)",
        "holds" if shrinking else "does not hold",
        "criterion: the gap shrinks with every smaller 1 − β2 (proportionally, slope ≈ 1)" if shrinking
        else "the gap did not shrink as 1 − β2 -> 0",
        "§5", "adam_lineage"))
    return claims
