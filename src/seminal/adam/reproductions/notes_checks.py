"""The computations behind the ``notes-adam`` claims, one function per claim; each is seeded and
returns plain numbers (Kingma & Ba 2015, arXiv:1412.6980).

Symbols: α = step size, β1/β2 = decay rates, g_t = gradient at step t, m_t/v_t = raw moment
estimates (m_0 = v_0 = 0), m̂_t/v̂_t = bias-corrected ones, Δ_t = θ_t − θ_{t−1}. ε = 0 wherever a
bound or an identity is checked (the paper's bounds are for ε = 0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from seminal.adam.reference import adam_reference_step, adam_spike_step_ratio
from seminal.adam.reproductions.notes_config import NotesAdamConfig

__all__ = [
    "moment_sums",
    "drift_bias",
    "training_step_ratios",
    "spike_ratios",
    "noise_sweep",
    "rmsprop_equivalence",
    "adagrad_limit",
]


# ---------------------------------------------------------------------------------------------
# 1. the unrolled sums and their expectation (§3)
# ---------------------------------------------------------------------------------------------
def moment_sums(cfg: NotesAdamConfig, seed: int) -> dict[str, Any]:
    """Run the m and v recursions on ``streams`` stationary streams g ~ N(μ, σ²).

    Returns the Monte-Carlo means of m_t, m̂_t, v_t, v̂_t (t = 1..steps), their standard errors,
    the expectations E[g](1 − β^t) (sum over i = 1..t) and E[g](1 − β^(t+1)) (sum over i = 0..t),
    and the exactness check of the unrolled form: the largest difference between the recursion
    and (1 − β1) Σ_{i=1}^{t} β1^(t−i) g_i, and between the recursion and the notes' i = 0..t sum
    when a g_0 drawn from the same distribution is included.
    """
    rng = np.random.default_rng(seed)
    b1, b2, mu, sd = cfg.beta1, cfg.beta2, cfg.grad_mean, cfg.grad_std
    m = np.zeros(cfg.streams)
    v = np.zeros(cfg.streams)
    mean_m, mean_v, se_m, se_v, mean_mhat, mean_vhat = (np.empty(cfg.steps) for _ in range(6))
    g0 = rng.normal(mu, sd, cfg.streams)  # the notes' i = 0 term (the algorithm has no g_0)
    sum_from_1 = np.zeros(cfg.streams)  # Σ_{i=1}^{t} β1^(t−i) g_i, updated as s <- β1·s + g_t
    sum_from_0 = g0.copy()
    exact_gap, notes_gap = 0.0, 0.0
    check_until = min(cfg.steps, 50)  # the i = 0 term's weight β1^t has vanished after ~50 steps
    for t in range(1, cfg.steps + 1):
        g = rng.normal(mu, sd, cfg.streams)
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g * g
        mean_m[t - 1], se_m[t - 1] = m.mean(), m.std(ddof=1) / math.sqrt(cfg.streams)
        mean_v[t - 1], se_v[t - 1] = v.mean(), v.std(ddof=1) / math.sqrt(cfg.streams)
        mean_mhat[t - 1] = mean_m[t - 1] / (1.0 - b1**t)
        mean_vhat[t - 1] = mean_v[t - 1] / (1.0 - b2**t)
        if t <= check_until:
            sum_from_1 = b1 * sum_from_1 + g
            sum_from_0 = b1 * sum_from_0 + g
            exact_gap = max(exact_gap, float(np.abs(m - (1.0 - b1) * sum_from_1).max()))
            notes_gap = max(notes_gap, float(np.abs(m - (1.0 - b1) * sum_from_0).max()))
    t = np.arange(1, cfg.steps + 1, dtype=np.float64)
    second = mu * mu + sd * sd
    # z-scores of the bias-corrected means against E[g] and E[g²] (Monte-Carlo error only if exact)
    z_m = np.abs(mean_m - mu * (1.0 - b1**t)) / se_m
    z_m_notes = np.abs(mean_m - mu * (1.0 - b1 ** (t + 1))) / se_m
    z_v = np.abs(mean_v - second * (1.0 - b2**t)) / se_v
    return {
        "t": t, "mean_m": mean_m, "mean_v": mean_v, "mean_mhat": mean_mhat, "mean_vhat": mean_vhat,
        "expect_m_paper": mu * (1.0 - b1**t), "expect_m_notes": mu * (1.0 - b1 ** (t + 1)),
        "expect_v_paper": second * (1.0 - b2**t),
        "max_z_m_paper": float(z_m.max()), "max_z_m_notes_first10": float(z_m_notes[:10].max()),
        "max_z_v_paper": float(z_v.max()),
        "unrolled_from_1_max_gap": exact_gap, "unrolled_from_0_max_gap": notes_gap,
        "factor_gap_t1": mu * ((1.0 - b1**2) - (1.0 - b1)),  # E[m_1] under the i = 0..t sum minus the truth
        "raw_v_fraction_at_100": float(1.0 - b2**100),
        "steps_until_v_bias_below_1pct": math.ceil(math.log(0.01) / math.log(b2)),
        "vhat_relative_error_max_after_10": float(np.abs(mean_vhat[9:] / second - 1.0).max()),
    }


def drift_bias(cfg: NotesAdamConfig) -> dict[str, Any]:
    """The ζ term of §3 when the gradient scale drifts: E[g_t] = c·exp(−t/τ), E[g_t²] = exp(−2t/τ).

    Expectations are linear, so E[m̂_t] and E[v̂_t] follow from the recursions applied to the
    expected gradients (no sampling). Returns, per τ, the ratios E[m̂_t]/E[g_t] and E[v̂_t]/E[g_t²]
    for t = 1..steps and their values at the last step (1 = no bias).
    """
    b1, b2 = cfg.beta1, cfg.beta2
    t = np.arange(1, cfg.steps + 1, dtype=np.float64)
    out: dict[str, Any] = {"t": t, "taus": list(cfg.drift_taus), "m_ratio": {}, "v_ratio": {}}
    for tau in cfg.drift_taus:
        mean_g = np.exp(-t / tau)
        mean_g2 = np.exp(-2.0 * t / tau)
        m = np.empty_like(t)
        v = np.empty_like(t)
        m_prev = v_prev = 0.0
        for k in range(len(t)):
            m_prev = b1 * m_prev + (1.0 - b1) * mean_g[k]
            v_prev = b2 * v_prev + (1.0 - b2) * mean_g2[k]
            m[k], v[k] = m_prev, v_prev
        out["m_ratio"][tau] = m / (1.0 - b1**t) / mean_g
        out["v_ratio"][tau] = v / (1.0 - b2**t) / mean_g2
    return out


# ---------------------------------------------------------------------------------------------
# 3. |Δ_t|/α in training and in the sparse worst case (§2.1)
# ---------------------------------------------------------------------------------------------
def training_step_ratios(cfg: NotesAdamConfig, seed: int) -> np.ndarray:
    """|Δ_t|/α of every coordinate at every step of a small training run with :class:`seminal.adam.Adam`.

    The run: a 20-32-3 tanh MLP trained with cross-entropy on minibatches of a fixed synthetic
    classification task (inputs N(0, I_20), labels from a random teacher MLP), ε = 0 (the §2.1
    bounds are for ε = 0; with a zero gradient coordinate the step is then 0/0, which this model
    never produces). Returns a flat float64 array of length steps × parameters.
    """
    from seminal.adam import Adam

    gen = torch.Generator().manual_seed(seed)
    teacher_w1 = torch.randn(20, 16, generator=gen, dtype=torch.float64)
    teacher_w2 = torch.randn(16, 3, generator=gen, dtype=torch.float64)
    inputs = torch.randn(4096, 20, generator=gen, dtype=torch.float64)
    labels = (torch.tanh(inputs @ teacher_w1) @ teacher_w2).argmax(dim=1)
    model = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.Tanh(), torch.nn.Linear(32, 3)).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=gen, dtype=torch.float64))
    params = list(model.parameters())
    optimizer = Adam(params, lr=cfg.train_lr, betas=(cfg.beta1, cfg.beta2), eps=0.0)
    ratios = []
    for _ in range(cfg.train_steps):
        idx = torch.randint(0, len(inputs), (cfg.train_batch,), generator=gen)
        loss = torch.nn.functional.cross_entropy(model(inputs[idx]), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        before = torch.cat([p.detach().flatten() for p in params])
        optimizer.step()
        after = torch.cat([p.detach().flatten() for p in params])
        ratios.append(((after - before).abs() / cfg.train_lr).numpy())
    return np.concatenate(ratios)


def spike_ratios(cfg: NotesAdamConfig) -> dict[str, Any]:
    """The sparse-gradient case of §2.1: t − 1 zero gradients, then g = 1 at step t.

    Computed with the float64 oracle (ε = 0) and with the closed form
    :func:`seminal.adam.reference.adam_spike_step_ratio`; returns both per t and the bound
    α(1 − β1)/sqrt(1 − β2) (in units of α).
    """
    oracle = []
    for steps in cfg.spike_steps:
        param = torch.zeros(1, dtype=torch.float64)
        m = torch.zeros(1, dtype=torch.float64)
        v = torch.zeros(1, dtype=torch.float64)
        # t − 1 zero gradients leave m = v = 0 (the update is 0·/0 only at ε = 0; we skip them:
        # they change nothing but the step counter).
        result = adam_reference_step(param, torch.ones(1, dtype=torch.float64), m, v, None, steps,
                                     lr=1.0, beta1=cfg.beta1, beta2=cfg.beta2, eps=0.0)
        oracle.append(float((result.param - param).abs()))
    closed = [adam_spike_step_ratio(s, cfg.beta1, cfg.beta2) for s in cfg.spike_steps]
    bound = (1.0 - cfg.beta1) / math.sqrt(1.0 - cfg.beta2) if (1.0 - cfg.beta1) > math.sqrt(1.0 - cfg.beta2) else 1.0
    return {"steps": list(cfg.spike_steps), "oracle": oracle, "closed_form": closed, "bound": bound}


# ---------------------------------------------------------------------------------------------
# 4. v̂ is the uncentred second moment; the step shrinks with noise (§2.1)
# ---------------------------------------------------------------------------------------------
def noise_sweep(cfg: NotesAdamConfig, seed: int) -> dict[str, Any]:
    """Adam's moments on stationary g ~ N(μ, σ²) for each σ in ``noise_stds`` (μ = ``grad_mean``).

    Returns, per σ, v̂ and the step m̂/sqrt(v̂) (in units of α, ε = 0) averaged over the streams
    and over the steps after 4/(1 − β2) (when the initial bias is gone), beside σ², μ² + σ² and
    the signal-to-noise reading |μ|/sqrt(μ² + σ²).
    """
    rng = np.random.default_rng(seed + 1)
    b1, b2, mu = cfg.beta1, cfg.beta2, cfg.grad_mean
    stds = np.asarray(cfg.noise_stds, dtype=np.float64)[:, None]  # (S, 1)
    shape = (len(cfg.noise_stds), max(1, cfg.streams // 4))
    m = np.zeros(shape)
    v = np.zeros(shape)
    burn = int(4.0 / (1.0 - b2))
    sum_vhat = np.zeros(shape[0])
    sum_step = np.zeros(shape[0])
    count = 0
    for t in range(1, cfg.noise_steps + 1):
        g = mu + stds * rng.standard_normal(shape)
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g * g
        if t > burn:
            v_hat = v / (1.0 - b2**t)
            sum_vhat += v_hat.mean(axis=1)
            sum_step += (m / (1.0 - b1**t) / np.sqrt(v_hat)).mean(axis=1)
            count += 1
    sigma = np.asarray(cfg.noise_stds, dtype=np.float64)
    return {
        "sigma": sigma, "vhat": sum_vhat / count, "variance": sigma**2, "uncentred": mu * mu + sigma**2,
        "step": sum_step / count, "snr_step": np.abs(mu) / np.sqrt(mu * mu + sigma**2),
    }


# ---------------------------------------------------------------------------------------------
# 5. RMSProp and AdaGrad as special cases (§5), with the float64 oracle
# ---------------------------------------------------------------------------------------------
def _quadratic_problem(seed: int, dim: int = 8) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """f(θ) = ½ (θ − c)ᵀ diag(h) (θ − c) with a fixed start; float64."""
    gen = torch.Generator().manual_seed(seed + 2)
    curvature = torch.logspace(-1, 1, dim, dtype=torch.float64)
    centre = torch.randn(dim, generator=gen, dtype=torch.float64)
    start = torch.randn(dim, generator=gen, dtype=torch.float64) * 3.0
    return curvature, centre, start


def _noisy_grad(theta: torch.Tensor, curvature: torch.Tensor, centre: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    return curvature * (theta - centre) + 0.1 * torch.randn(theta.shape, generator=gen, dtype=torch.float64)


def rmsprop_equivalence(cfg: NotesAdamConfig, seed: int, lr: float = 1e-2, eps: float = 1e-8) -> dict[str, float]:
    """Adam with β1 = 0 is RMSProp plus bias correction; RMSProp's first step is α/sqrt(1 − β2).

    Runs ``torch.optim.RMSprop`` (α = lr, ρ = β2, ε) and the Adam oracle with β1 = 0 and the bias
    correction undone (lr_t = α/sqrt(1 − β2^t), ε_t = ε/sqrt(1 − β2^t), the algebraic inverse of
    v̂ = v/(1 − β2^t)) on the same noisy quadratic; returns the largest parameter difference, and
    the first step |Δ_1|/α of RMSProp and of Adam (β1 = 0.9) for the same gradient.
    """
    curvature, centre, start = _quadratic_problem(seed)
    b2 = cfg.beta2
    theta_rms = start.clone().requires_grad_(True)
    rmsprop = torch.optim.RMSprop([theta_rms], lr=lr, alpha=b2, eps=eps)
    theta, m, v = start.clone(), torch.zeros_like(start), torch.zeros_like(start)
    gen_a = torch.Generator().manual_seed(seed + 3)
    gen_b = torch.Generator().manual_seed(seed + 3)
    gap = 0.0
    first_rms = first_adam = float("nan")
    for t in range(1, cfg.limit_steps + 1):
        g_rms = _noisy_grad(theta_rms.detach(), curvature, centre, gen_a)
        before = theta_rms.detach().clone()
        theta_rms.grad = g_rms
        rmsprop.step()
        correction = math.sqrt(1.0 - b2**t)
        g = _noisy_grad(theta, curvature, centre, gen_b)
        result = adam_reference_step(theta, g, m, v, None, t, lr=lr / correction, beta1=0.0, beta2=b2, eps=eps / correction)
        if t == 1:
            first_rms = float(((theta_rms.detach() - before).abs() / lr).max())
            adam_first = adam_reference_step(start, g, torch.zeros_like(start), torch.zeros_like(start), None, 1,
                                             lr=lr, beta1=cfg.beta1, beta2=b2, eps=0.0)
            first_adam = float(((adam_first.param - start).abs() / lr).max())
        theta, m, v = result.param, result.exp_avg, result.exp_avg_sq
        gap = max(gap, float((theta - theta_rms.detach()).abs().max()))
    return {"max_param_gap": gap, "rmsprop_first_step_over_alpha": first_rms, "adam_first_step_over_alpha": first_adam,
            "predicted_rmsprop_first_step": 1.0 / math.sqrt(1.0 - b2)}


def adagrad_limit(cfg: NotesAdamConfig, seed: int, lr: float = 0.5) -> dict[str, Any]:
    """§5: Adam with β1 = 0, β2 = 1 − δ and α_t = α/sqrt(t) approaches AdaGrad as δ -> 0.

    AdaGrad is ``torch.optim.Adagrad`` (θ <- θ − α·g/(sqrt(Σ g²) + ε), ε = 1e-10 is torch's; the
    oracle uses ε_t = ε/sqrt(t) so the ε terms coincide too). Both run on the same noisy quadratic
    with the same gradient noise; returns the largest parameter difference over the trajectory
    for every δ.
    """
    curvature, centre, start = _quadratic_problem(seed)
    eps = 1e-10
    theta_ada = start.clone().requires_grad_(True)
    adagrad = torch.optim.Adagrad([theta_ada], lr=lr, eps=eps)
    gen = torch.Generator().manual_seed(seed + 4)
    noise = [0.1 * torch.randn(start.shape, generator=gen, dtype=torch.float64) for _ in range(cfg.limit_steps)]
    reference = []
    for t in range(cfg.limit_steps):
        theta_ada.grad = curvature * (theta_ada.detach() - centre) + noise[t]
        adagrad.step()
        reference.append(theta_ada.detach().clone())
    gaps = []
    for delta in cfg.limit_deltas:
        theta, m, v = start.clone(), torch.zeros_like(start), torch.zeros_like(start)
        gap = 0.0
        for t in range(1, cfg.limit_steps + 1):
            g = curvature * (theta - centre) + noise[t - 1]
            result = adam_reference_step(theta, g, m, v, None, t, lr=lr / math.sqrt(t), beta1=0.0, beta2=1.0 - delta,
                                         eps=eps / math.sqrt(t))
            theta, m, v = result.param, result.exp_avg, result.exp_avg_sq
            gap = max(gap, float((theta - reference[t - 1]).abs().max()))
        gaps.append(gap)
    deltas = np.asarray(cfg.limit_deltas)
    # log-log slope of the gap against δ over the δs where the gap is above float64 rounding
    usable = np.asarray(gaps) > 1e-12
    slope = float(np.polyfit(np.log(deltas[usable]), np.log(np.asarray(gaps)[usable]), 1)[0]) if usable.sum() >= 2 else float("nan")
    return {"deltas": list(cfg.limit_deltas), "max_param_gap": gaps, "slope": slope,
            "distance_travelled": float((reference[-1] - start).abs().max())}
