"""The layout battery: every impl of Adam and AdaMax, every option, every memory layout.

torch's fused kernel (and seminal's compiled kernel) walk raw memory. A gradient whose strides
differ from its parameter's, a parameter that is a strided view, an expanded (stride-0)
gradient... must still get the exact update. Each case runs three steps and compares with
torch.optim (for-loop, stride-aware) where the options have a torch equivalent, else with the
float64 oracle. The layout bug this guards against is off by ~lr per element, far above the
float32 tolerance used here.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import Tensor

from seminal.adam import AdaMax, Adam

from .helpers import adam_oracle_trajectory, adamax_oracle_trajectory, averaged_oracle

STEPS = 3
ROWS, COLS = 64, 80  # 5120 elements: above the compiled kernel's minimum size


def _values(seed: int, shape: tuple[int, ...] = (ROWS, COLS)) -> Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _nchw(t: Tensor) -> Tensor:
    return t.reshape(8, 8, 8, 10)


# Each layout: (parameter from contiguous values, gradient from contiguous values). The
# parameter keeps the values, only the memory layout changes.
LAYOUTS: dict[str, tuple[Callable[[Tensor], Tensor], Callable[[Tensor], Tensor]]] = {
    "contiguous": (lambda v: v.clone(), lambda g: g.clone()),
    "transposed_grad": (lambda v: v.clone(), lambda g: g.t().contiguous().t()),
    "transposed_param": (lambda v: v.t().contiguous().t(), lambda g: g.clone()),
    "transposed_both": (lambda v: v.t().contiguous().t(), lambda g: g.t().contiguous().t()),
    "channels_last_param": (
        lambda v: _nchw(v).contiguous(memory_format=torch.channels_last),
        lambda g: _nchw(g).contiguous(),
    ),
    "channels_last_both": (
        lambda v: _nchw(v).contiguous(memory_format=torch.channels_last),
        lambda g: _nchw(g).contiguous(memory_format=torch.channels_last),
    ),
    "param_is_strided_view": (
        lambda v: torch.cat([v, torch.zeros(ROWS, 7)], dim=1)[:, :COLS],
        lambda g: g.clone(),
    ),
    "param_every_other_column": (
        lambda v: torch.stack([v, torch.full_like(v, 99.0)], dim=2)[:, :, 0],
        lambda g: g.clone(),
    ),
    "expanded_grad": (lambda v: v.clone(), lambda g: g[:1].expand(ROWS, COLS)),
    "grad_is_strided_view": (lambda v: v.clone(), lambda g: torch.cat([g, g], dim=1)[:, ::2]),
}

ADAM_OPTIONS = {
    "defaults": {},
    "amsgrad": {"amsgrad": True},
    "l2": {"weight_decay": 0.1},
    "adamw": {"weight_decay": 0.1, "decoupled_weight_decay": True},
    "maximize": {"maximize": True},
    "efficient_eps": {"eps_mode": "efficient", "eps": 1e-3},
    "beta1_decay": {"beta1_decay": 0.9},
    "no_bias_correction": {"bias_correction": False},
    "averaging": {"averaging": 0.9, "amsgrad": True},
    "mixed": {"eps_mode": "efficient", "beta1_decay": 0.95, "maximize": True, "weight_decay": 0.05, "averaging": 0.5},
}
ADAMAX_OPTIONS = {
    "paper": {},
    "inside_max": {"eps": 1e-6, "eps_mode": "inside_max"},
    "l2_maximize": {"weight_decay": 0.1, "maximize": True},
    "beta1_decay": {"beta1_decay": 0.9},
    "no_bias_correction": {"bias_correction": False},
    "averaging": {"averaging": 0.9, "eps": 1e-7},
}
TORCH_ADAM_KEYS = {"amsgrad", "weight_decay", "decoupled_weight_decay", "maximize"}


def _torch_equivalent(cls: type, options: dict) -> Callable[[list[Tensor]], torch.optim.Optimizer] | None:
    lr = options.get("lr", 0.01)
    if cls is Adam and set(options) <= TORCH_ADAM_KEYS:
        return lambda p: torch.optim.Adam(p, lr=lr, foreach=False, **options)
    if cls is AdaMax and options.get("eps_mode") == "inside_max" and set(options) <= {"eps", "eps_mode", "weight_decay", "maximize"}:
        kwargs = {k: v for k, v in options.items() if k != "eps_mode"}
        return lambda p: torch.optim.Adamax(p, lr=lr, foreach=False, **kwargs)
    return None


def _oracle_hyper(cls: type, options: dict) -> dict:
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    hyper = {"lr": 0.01, "beta1": beta1, "beta2": beta2, "eps": options.get("eps", 1e-8 if cls is Adam else 0.0)}
    keys = ["weight_decay", "maximize", "eps_mode", "beta1_decay", "bias_correction"]
    if cls is Adam:
        keys += ["decoupled_weight_decay", "amsgrad"]
    return hyper | {k: options[k] for k in keys if k in options}


def _check(cls: type, impl: str, options: dict, layout: str) -> None:
    make_param, make_grad = LAYOUTS[layout]
    theta0 = _values(1)
    grads = [_values(10 + t) for t in range(STEPS)]
    param = torch.nn.Parameter(make_param(theta0))
    assert torch.equal(param.detach(), theta0.reshape(param.shape))
    opt = cls([param], lr=0.01, impl=impl, **options)
    got = []
    for g in grads:
        param.grad = make_grad(g.reshape(param.shape))
        opt.step()
        got.append(param.detach().reshape(ROWS, COLS).clone())

    # What the update must be, computed on contiguous copies of the same values.
    seen = [make_grad(g.reshape(param.shape)).contiguous().reshape(ROWS, COLS) for g in grads]
    torch_equivalent = _torch_equivalent(cls, options)
    if torch_equivalent is not None and "averaging" not in options:
        twin = torch.nn.Parameter(theta0.clone())
        twin_opt = torch_equivalent([twin])
        want = []
        for g in seen:
            twin.grad = g.clone()
            twin_opt.step()
            want.append(twin.detach().clone().double())
    else:
        trajectory = adam_oracle_trajectory if cls is Adam else adamax_oracle_trajectory
        want = trajectory(theta0, [g.double() for g in seen], _oracle_hyper(cls, options))
    for step, (g, w) in enumerate(zip(got, want), start=1):
        torch.testing.assert_close(g.double(), w, rtol=1e-5, atol=1e-6, msg=lambda m: f"{layout}, step {step}: {m}")
    if "averaging" in options:
        oracle = (adam_oracle_trajectory if cls is Adam else adamax_oracle_trajectory)(
            theta0, [g.double() for g in seen], _oracle_hyper(cls, options)
        )
        average = opt.averaged_value(param).reshape(ROWS, COLS).double()
        torch.testing.assert_close(average, averaged_oracle(oracle, options["averaging"]), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("impl", ["auto", "fused", "loop", "reference"])
@pytest.mark.parametrize("case", sorted(ADAM_OPTIONS))
def test_adam_is_exact_for_every_layout(case: str, impl: str, layout: str) -> None:
    _check(Adam, impl, ADAM_OPTIONS[case], layout)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("impl", ["auto", "loop", "reference"])
@pytest.mark.parametrize("case", sorted(ADAMAX_OPTIONS))
def test_adamax_is_exact_for_every_layout(case: str, impl: str, layout: str) -> None:
    _check(AdaMax, impl, ADAMAX_OPTIONS[case], layout)


# The compiled kernels compile once per kernel shape (AMSGrad / averaging on or off); the options
# here cover every shape, and each runs through every layout.
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize(
    ("cls", "case"),
    [(Adam, "defaults"), (Adam, "amsgrad"), (Adam, "averaging"), (Adam, "mixed"), (Adam, "no_bias_correction"),
     (AdaMax, "paper"), (AdaMax, "averaging"), (AdaMax, "inside_max")],
)
def test_compiled_is_exact_for_every_layout(cls: type, case: str, layout: str) -> None:
    options = (ADAM_OPTIONS if cls is Adam else ADAMAX_OPTIONS)[case]
    _check(cls, "compiled", options, layout)


def test_the_battery_catches_the_raw_memory_bug() -> None:
    # torch's own fused kernel, given a transposed gradient, pairs the wrong elements: the check
    # used above must fail on it (so the battery can fail at all).
    theta0 = _values(1)
    param = torch.nn.Parameter(theta0.clone())
    opt = torch.optim.Adam([param], lr=0.01, fused=True)
    twin = torch.nn.Parameter(theta0.clone())
    twin_opt = torch.optim.Adam([twin], lr=0.01, foreach=False)
    for t in range(STEPS):
        g = _values(10 + t)
        param.grad = g.t().contiguous().t()
        twin.grad = g.clone()
        opt.step()
        twin_opt.step()
    assert (param.detach() - twin.detach()).abs().max() > 0.01
