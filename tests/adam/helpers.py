"""Shared helpers for tests/optim: gradient sequences and float64 oracle trajectories."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

from seminal.adam.reference import (
    adam_reference_step,
    adamax_reference_step,
    averaging_reference_step,
)

# 64 x 80 = 5120 elements: above seminal.adam.compiled.COMPILED_MIN_NUMEL, so the compiled path runs.
SHAPE = (64, 80)


def gradient_sequence(steps: int, shape: tuple[int, ...] = SHAPE, seed: int = 0, dtype: torch.dtype = torch.float32) -> list[Tensor]:
    """Random gradients whose per-coordinate scale spans 1e-10 .. 10, with some exact zeros.

    Tiny scales make ε's placement visible (sqrt(v̂) ~ ε); zeros exercise the 0/0 guards.
    """
    gen = torch.Generator().manual_seed(seed)
    scale = 10.0 ** (torch.rand(shape, generator=gen, dtype=torch.float64) * 11.0 - 10.0)
    grads = []
    for _ in range(steps):
        g = torch.randn(shape, generator=gen, dtype=torch.float64) * scale
        g[torch.rand(shape, generator=gen) < 0.05] = 0.0
        grads.append(g.to(dtype))
    return grads


def adam_oracle_trajectory(theta0: Tensor, grads: list[Tensor], hyper: dict[str, Any]) -> list[Tensor]:
    """θ_1..θ_T of Algorithm 1 (float64 oracle) for a fixed gradient sequence."""
    theta = theta0.to(torch.float64)
    m = torch.zeros_like(theta)
    v = torch.zeros_like(theta)
    v_max = torch.zeros_like(theta) if hyper.get("amsgrad", False) else None
    out = []
    for t, g in enumerate(grads, start=1):
        theta, m, v, v_max = adam_reference_step(theta, g, m, v, v_max, t, **hyper)
        out.append(theta)
    return out


def adamax_oracle_trajectory(theta0: Tensor, grads: list[Tensor], hyper: dict[str, Any]) -> list[Tensor]:
    """θ_1..θ_T of Algorithm 2 (float64 oracle) for a fixed gradient sequence."""
    theta = theta0.to(torch.float64)
    m = torch.zeros_like(theta)
    u = torch.zeros_like(theta)
    out = []
    for t, g in enumerate(grads, start=1):
        theta, m, u = adamax_reference_step(theta, g, m, u, t, **hyper)
        out.append(theta)
    return out


def averaged_oracle(trajectory: list[Tensor], beta: float) -> Tensor:
    """Bias-corrected temporal average θ̂_T of a trajectory (§7.2)."""
    avg = torch.zeros_like(trajectory[0])
    for theta in trajectory:
        avg = averaging_reference_step(avg, theta, beta)
    return avg / (1.0 - beta ** len(trajectory))


def run_optimizer(opt: torch.optim.Optimizer, param: torch.nn.Parameter, grads: list[Tensor]) -> list[Tensor]:
    """Step ``opt`` through ``grads`` and return copies of the parameter after each step."""
    out = []
    for g in grads:
        param.grad = g.to(param.dtype).clone()
        opt.step()
        out.append(param.detach().clone())
    return out


def select_one_pass_kernel(impl: str, monkeypatch: pytest.MonkeyPatch, module: object, loop_name: str) -> str:
    """Test label -> the ``impl`` to construct, pinning which one-pass kernel runs.

    ``"compiled"``: the torch.compile kernel (the native one switched off); ``"native"``: the
    native multi-tensor kernel (skipped without a C++ compiler), with torch.compile forbidden.
    Both forbid the fall back to the loop kernel ``module.kernels.<loop_name>``.
    """
    from seminal.adam import compiled, native

    if impl not in ("compiled", "native"):
        return impl

    def no_fallback(*args, **kwargs):
        raise AssertionError(f"{impl} path fell back to another kernel")

    monkeypatch.setattr(module.kernels, loop_name, no_fallback)  # type: ignore[attr-defined]
    if impl == "compiled":
        monkeypatch.setattr(native, "available", lambda: False)
    else:
        if not native.available():
            pytest.skip("native one-pass kernel not built (no C++ compiler, or SEMINAL_NO_NATIVE=1)")
        monkeypatch.setattr(compiled, "_run", no_fallback)
    return "compiled"
