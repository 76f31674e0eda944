"""seminal.adam.Adam: every implementation against the float64 oracle, torch parity, paper facts."""

from __future__ import annotations

import math

import pytest
import torch

from seminal.adam import Adam, adam_spike_step_ratio
from seminal.adam.reference import adam_reference_step

from .helpers import SHAPE, adam_oracle_trajectory, averaged_oracle, gradient_sequence, run_optimizer, select_one_pass_kernel

# Option sets covering every variant; each must match the oracle in every implementation.
CASES = {
    "defaults": {},
    "efficient_eps": {"eps_mode": "efficient", "eps": 1e-4},
    "amsgrad": {"amsgrad": True},
    "l2": {"weight_decay": 0.1},
    "adamw": {"weight_decay": 0.1, "decoupled_weight_decay": True},
    "maximize": {"maximize": True},
    "beta1_decay": {"beta1_decay": 0.9},
    "beta1_decay_adamw": {"beta1_decay": 0.9, "weight_decay": 0.1, "decoupled_weight_decay": True},
    "beta1_zero": {"betas": (0.0, 0.99)},
    "mixed": {"eps": 1e-3, "eps_mode": "efficient", "amsgrad": True, "beta1_decay": 0.95, "maximize": True},
    "averaging": {"lr": 0.1, "averaging": 0.9, "amsgrad": True},
}


def _oracle_hyper(options: dict) -> dict:
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    hyper = {"lr": options.get("lr", 1e-3), "beta1": beta1, "beta2": beta2, "eps": options.get("eps", 1e-8)}
    for key in ("weight_decay", "decoupled_weight_decay", "amsgrad", "maximize", "eps_mode", "beta1_decay"):
        if key in options:
            hyper[key] = options[key]
    return hyper


@pytest.mark.parametrize("impl", ["fused", "loop", "reference", "native"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_float64_trajectory_matches_oracle(case, impl, monkeypatch):
    # In float64 every path must reproduce Algorithm 1 to ~1e-12: a formula error (ε placement,
    # bias correction, β1 schedule, decay order) would show at 1e-3 or worse with these gradients.
    from seminal.adam import adam as adam_module

    impl = select_one_pass_kernel(impl, monkeypatch, adam_module, "adam_loop_")
    options = CASES[case]
    theta0 = torch.randn(16, 20, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    grads = gradient_sequence(25, shape=(16, 20), dtype=torch.float64)
    param = torch.nn.Parameter(theta0.clone())
    got = run_optimizer(Adam([param], impl=impl, **options), param, grads)
    want = adam_oracle_trajectory(theta0, grads, _oracle_hyper(options))
    for step, (g, w) in enumerate(zip(got, want), start=1):
        torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-14, msg=lambda m: f"step {step}: {m}")
    if "averaging" in options:
        opt = Adam([param], impl=impl, **options)
        param.data.copy_(theta0)
        run_optimizer(opt, param, grads)
        torch.testing.assert_close(opt.averaged_value(param), averaged_oracle(want, options["averaging"]), rtol=1e-12, atol=1e-14)


def _one_step_oracle(param, grad, state, options):
    """The oracle's θ_t from the optimizer's own float32 state before the step."""
    hyper = _oracle_hyper(options)
    t = float(state["step"]) + 1 if state else 1.0
    zeros = torch.zeros_like(param, dtype=torch.float64)
    return adam_reference_step(
        param,
        grad,
        state.get("exp_avg", zeros),
        state.get("exp_avg_sq", zeros),
        state.get("max_exp_avg_sq", zeros) if options.get("amsgrad") else None,
        t,
        **hyper,
    ).param


@pytest.mark.parametrize(
    ("case", "impl"),
    [(case, impl) for impl in ("fused", "loop") for case in ("defaults", "efficient_eps", "adamw", "mixed", "averaging")]
    # One compiled variant by default (each new variant costs a torch.compile); the rest are slow.
    + [("averaging", "compiled")]
    + [pytest.param(case, "compiled", marks=pytest.mark.slow) for case in ("defaults", "efficient_eps", "adamw", "mixed")]
    # The native multi-tensor kernel compiles nothing per variant: every case by default.
    + [(case, "native") for case in sorted(CASES)],
)
def test_float32_step_matches_oracle_within_rounding(case, impl, monkeypatch):
    # Each fp32 step equals the float64 oracle applied to the same fp32 state, to within a few
    # roundings of θ and of the step (the paths differ from each other only in op order).
    from seminal.adam import adam as adam_module

    impl = select_one_pass_kernel(impl, monkeypatch, adam_module, "adam_loop_")
    options = CASES[case]
    lr = options.get("lr", 1e-3)
    param = torch.nn.Parameter(torch.randn(SHAPE, generator=torch.Generator().manual_seed(8)))
    opt = Adam([param], impl=impl, **options)
    unit = torch.finfo(torch.float32).eps
    for grad in gradient_sequence(15):
        state = {k: v.clone() for k, v in opt.state[param].items()}
        before = param.detach().double()
        want = _one_step_oracle(param.detach(), grad, state, options)
        # m = β1,t·m + (1-β1,t)·g can cancel; fp32 then knows m only to ~eps·(|β1,t·m| + |(1-β1,t)·g|),
        # so allow eps times the step that absolute values of m and g would give.
        g_abs = grad.double().abs() + (0.0 if options.get("decoupled_weight_decay") else options.get("weight_decay", 0.0)) * before.abs()
        abs_state = dict(state) | ({"exp_avg": state["exp_avg"].abs()} if state else {})
        abs_options = {k: v for k, v in options.items() if k not in ("maximize", "weight_decay")}
        conditioning = _one_step_oracle(torch.zeros_like(before), g_abs, abs_state, abs_options).abs()
        param.grad = grad
        opt.step()
        error = (param.detach().double() - want).abs()
        # A few roundings of θ and of the step Δ (measured worst: 2.4 for loop/fused, 3.8 compiled).
        tolerance = 6 * unit * (want.abs() + (want - before).abs() + conditioning) + 1e-12 * lr
        assert torch.all(error <= tolerance), f"max error {error.max().item():.3g}"


@pytest.mark.parametrize("options", [{}, {"amsgrad": True}, {"weight_decay": 0.1}, {"weight_decay": 0.1, "decoupled_weight_decay": True}, {"maximize": True}])
def test_loop_is_bit_identical_to_torch_adam_and_fused_is_close(options):
    # Where the formulas agree, the loop path copies torch.optim.Adam's op order bit for bit.
    theta0 = torch.randn(SHAPE, generator=torch.Generator().manual_seed(9))
    grads = gradient_sequence(30)
    ref = torch.nn.Parameter(theta0.clone())
    want = run_optimizer(torch.optim.Adam([ref], foreach=False, **options), ref, grads)
    for impl in ("loop", "fused"):
        param = torch.nn.Parameter(theta0.clone())
        got = run_optimizer(Adam([param], impl=impl, **options), param, grads)
        if impl == "loop":
            assert all(torch.equal(g, w) for g, w in zip(got, want))
        else:
            torch.testing.assert_close(got[-1], want[-1], rtol=1e-6, atol=1e-7)


def test_first_step_is_minus_lr_sign_grad():
    param = torch.nn.Parameter(torch.zeros(6))
    param.grad = torch.tensor([1.0, -2.0, 1e-5, -1e4, 0.5, -0.25])
    Adam([param], lr=0.01, eps=0.0).step()
    torch.testing.assert_close(param.detach(), -0.01 * torch.sign(param.grad), rtol=1e-6, atol=0)


@pytest.mark.parametrize("t", [1, 10, 100, 1000])
def test_actual_spike_step_equals_section_2_1_bound(t):
    # t-1 zero gradients then a spike: the optimizer's step is α·(1-β1)/(1-β1^t)·sqrt((1-β2^t)/(1-β2)).
    param = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))
    opt = Adam([param], lr=1e-3, eps=1e-300)
    param.grad = torch.zeros(2, dtype=torch.float64)
    for _ in range(t - 1):
        opt.step()
    before = param.detach().clone()
    param.grad = torch.tensor([3.0, -0.01], dtype=torch.float64)
    opt.step()
    ratio = (param.detach() - before).abs() / 1e-3
    torch.testing.assert_close(ratio, torch.full((2,), adam_spike_step_ratio(t), dtype=torch.float64), rtol=1e-10, atol=0)


@pytest.mark.parametrize("impl", ["fused", "loop"])
def test_steps_invariant_to_gradient_scale(impl):
    theta0 = torch.randn(200, generator=torch.Generator().manual_seed(10))
    grads = [torch.randn(200, generator=torch.Generator().manual_seed(100 + i)) for i in range(20)]
    finals = []
    for scale in (1.0, 1000.0):
        param = torch.nn.Parameter(theta0.clone())
        finals.append(run_optimizer(Adam([param], eps=0.0, impl=impl), param, [scale * g for g in grads])[-1])
    torch.testing.assert_close(finals[1], finals[0], rtol=1e-6, atol=1e-6)


def test_efficient_mode_equals_paper_mode_with_rescaled_eps_on_first_step():
    # ε̂ = ε·sqrt(1-β2^t): at t = 1 that is ε·sqrt(0.001).
    grad = torch.tensor([1e-7, -3e-8, 2e-6], dtype=torch.float64)
    results = []
    for options in ({"eps": 1e-7}, {"eps": 1e-7 * math.sqrt(1 - 0.999), "eps_mode": "efficient"}):
        param = torch.nn.Parameter(torch.zeros(3, dtype=torch.float64))
        param.grad = grad
        Adam([param], **options).step()
        results.append(param.detach().clone())
    torch.testing.assert_close(results[1], results[0], rtol=1e-12, atol=0)


def _reddi_cycle_means(cycles: int) -> tuple[list[float], list[float]]:
    """Reddi et al. (2018), §5: f_t(x) = 1010x if t mod 101 == 1 else -10x on [-1, 1], β1=0.9, β2=0.99.

    Adam and AMSGrad (two param groups of one optimizer) from x0 = 0 with constant α = 0.05, x
    projected onto [-1, 1] after every step. Both oscillate within each 101-step cycle, so we
    return the mean of x over every cycle. The optimum is x = -1.
    """
    xs = {False: torch.nn.Parameter(torch.zeros(1, dtype=torch.float64)), True: torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))}
    opt = Adam([{"params": [xs[False]], "amsgrad": False}, {"params": [xs[True]], "amsgrad": True}], lr=0.05, betas=(0.9, 0.99), impl="loop")
    sums = {False: [0.0] * cycles, True: [0.0] * cycles}
    for t in range(1, 101 * cycles + 1):
        slope = 1010.0 if t % 101 == 1 else -10.0
        for x in xs.values():
            x.grad = torch.full_like(x, slope)
        opt.step()
        with torch.no_grad():
            for amsgrad, x in xs.items():
                x.clamp_(-1.0, 1.0)  # projection onto the feasible set
                sums[amsgrad][(t - 1) // 101] += x.item() / 101
    return sums[False], sums[True]


def test_reddi_counterexample_adam_drifts_to_worst_point_amsgrad_to_optimum():
    adam, amsgrad = _reddi_cycle_means(60)
    assert adam[-1] > 0.8  # Adam: near +1, the worst point (Reddi et al.'s Theorem 1 setting)
    assert amsgrad[-1] < -0.3  # AMSGrad: heading for the optimum -1 ...
    assert amsgrad[-1] < amsgrad[-11] - 0.03  # ... and still descending


@pytest.mark.slow
def test_reddi_counterexample_amsgrad_reaches_optimum():
    adam, amsgrad = _reddi_cycle_means(200)
    assert adam[-1] > 0.8
    assert amsgrad[-1] < -0.85


def test_zero_gradients_leave_parameters_unchanged_and_absent_gradients_skip_state():
    a = torch.nn.Parameter(torch.randn(10))
    b = torch.nn.Parameter(torch.randn(10))
    a0, b0 = a.detach().clone(), b.detach().clone()
    opt = Adam([a, b], impl="fused")
    a.grad = torch.zeros(10)
    for _ in range(3):
        opt.step()
    assert torch.equal(a.detach(), a0)  # m = v = 0, so the step is 0/(0+ε) = 0
    assert torch.equal(b.detach(), b0) and b not in opt.state  # no grad: untouched, no state
    assert float(opt.state[a]["step"]) == 3.0


def test_averaged_parameters_swaps_in_bias_corrected_average_and_restores():
    param = torch.nn.Parameter(torch.zeros(4))
    opt = Adam([param], lr=0.1, averaging=0.5)
    thetas = []
    for i in range(3):
        param.grad = torch.tensor([1.0, -1.0, 2.0, 0.5]) * (i + 1)
        opt.step()
        thetas.append(param.detach().clone())
    # θ̄3 = 0.5·(0.5·(0.5·θ1) + 0.5·θ2) + 0.5·θ3 ... = Σ (1-β)β^(3-i) θ_i; θ̂ = θ̄/(1-β^3).
    expected = (0.125 * thetas[0] + 0.25 * thetas[1] + 0.5 * thetas[2]) / (1 - 0.5**3)
    with opt.averaged_parameters():
        torch.testing.assert_close(param.detach(), expected)
    assert torch.equal(param.detach(), thetas[-1])
    with pytest.raises(RuntimeError, match="boom"):
        with opt.averaged_parameters():
            raise RuntimeError("boom")
    assert torch.equal(param.detach(), thetas[-1])
    with pytest.raises(ValueError, match="averaged_parameters.. needs temporal averaging"):
        with Adam([param]).averaged_parameters():
            pass


def test_beta1_decay_follows_theorem_4_1_schedule():
    # β1,t = β1·λ^(t-1): with λ = 0.5, step 3 uses β1,3 = 0.9·0.25 in the m update.
    param = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = Adam([param], beta1_decay=0.5, impl="loop")
    m = 0.0
    for t, g in enumerate([1.0, -2.0, 4.0], start=1):
        param.grad = torch.tensor([g], dtype=torch.float64)
        opt.step()
        beta1_t = 0.9 * 0.5 ** (t - 1)
        m = beta1_t * m + (1 - beta1_t) * g
        assert opt.state[param]["exp_avg"].item() == pytest.approx(m, rel=1e-14)
