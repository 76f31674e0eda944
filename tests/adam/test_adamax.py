"""seminal.adam.AdaMax: every implementation against the float64 oracle, torch parity, paper facts."""

from __future__ import annotations

import pytest
import torch

from seminal.adam import AdaMax, adamax_worst_step_ratio
from seminal.adam.reference import adamax_reference_step

from .helpers import SHAPE, adamax_oracle_trajectory, averaged_oracle, gradient_sequence, run_optimizer, select_one_pass_kernel

CASES = {
    "paper": {},
    "paper_eps": {"eps": 1e-6},
    "inside_max": {"eps": 1e-6, "eps_mode": "inside_max"},
    "l2_maximize": {"weight_decay": 0.1, "maximize": True},
    "beta1_decay": {"beta1_decay": 0.9},
    "averaging": {"lr": 0.05, "averaging": 0.9, "eps": 1e-7, "eps_mode": "inside_max"},
}


def _oracle_hyper(options: dict) -> dict:
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    hyper = {"lr": options.get("lr", 2e-3), "beta1": beta1, "beta2": beta2, "eps": options.get("eps", 0.0)}
    for key in ("eps_mode", "weight_decay", "maximize", "beta1_decay"):
        if key in options:
            hyper[key] = options[key]
    return hyper


@pytest.mark.parametrize("impl", ["loop", "reference", "native"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_float64_trajectory_matches_oracle(case, impl, monkeypatch):
    from seminal.adam import adamax as adamax_module

    impl = select_one_pass_kernel(impl, monkeypatch, adamax_module, "adamax_loop_")
    options = CASES[case]
    theta0 = torch.randn(16, 20, generator=torch.Generator().manual_seed(11), dtype=torch.float64)
    grads = gradient_sequence(25, shape=(16, 20), dtype=torch.float64)
    param = torch.nn.Parameter(theta0.clone())
    opt = AdaMax([param], impl=impl, **options)
    got = run_optimizer(opt, param, grads)
    want = adamax_oracle_trajectory(theta0, grads, _oracle_hyper(options))
    for step, (g, w) in enumerate(zip(got, want), start=1):
        torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-14, msg=lambda m: f"step {step}: {m}")
    assert not torch.isnan(got[-1]).any()
    if "averaging" in options:
        torch.testing.assert_close(opt.averaged_value(param), averaged_oracle(want, options["averaging"]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    ("case", "impl"),
    [(case, "loop") for case in sorted(CASES)]
    + [("paper", "compiled"), ("averaging", "compiled")]
    + [pytest.param(case, "compiled", marks=pytest.mark.slow) for case in ("paper_eps", "inside_max", "l2_maximize", "beta1_decay")]
    + [(case, "native") for case in sorted(CASES)],
)
def test_float32_step_matches_oracle_within_rounding(case, impl, monkeypatch):
    from seminal.adam import adamax as adamax_module

    impl = select_one_pass_kernel(impl, monkeypatch, adamax_module, "adamax_loop_")
    options = CASES[case]
    param = torch.nn.Parameter(torch.randn(SHAPE, generator=torch.Generator().manual_seed(12)))
    opt = AdaMax([param], impl=impl, **options)
    unit = torch.finfo(torch.float32).eps
    hyper = _oracle_hyper(options)
    for t, grad in enumerate(gradient_sequence(15), start=1):
        state = {k: v.clone() for k, v in opt.state[param].items()}
        zeros = torch.zeros(SHAPE, dtype=torch.float64)
        before = param.detach().double()
        m_prev, u_prev = state.get("exp_avg", zeros), state.get("exp_inf", zeros)
        want = adamax_reference_step(param.detach(), grad, m_prev, u_prev, t, **hyper).param
        # m = β1,t·m + (1-β1,t)·g can cancel; fp32 then gets m only to ~eps·(|β1,t·m| + |(1-β1,t)·g|),
        # so the step is known to eps times the step the absolute values would give.
        g_abs = grad.double().abs() + hyper.get("weight_decay", 0.0) * before.abs()
        abs_hyper = hyper | {"maximize": False, "weight_decay": 0.0}
        conditioning = adamax_reference_step(torch.zeros_like(before), g_abs, m_prev.abs(), u_prev, t, **abs_hyper).param.abs()
        param.grad = grad
        opt.step()
        error = (param.detach().double() - want).abs()
        tolerance = 6 * unit * (want.abs() + (want - before).abs() + conditioning)
        assert torch.all(error <= tolerance), f"max error {error.max().item():.3g}"
        assert not torch.isnan(param).any()


def test_inside_max_mode_is_bit_identical_to_torch_adamax():
    theta0 = torch.randn(SHAPE, generator=torch.Generator().manual_seed(13))
    grads = gradient_sequence(30)
    ref = torch.nn.Parameter(theta0.clone())
    want = run_optimizer(torch.optim.Adamax([ref], foreach=False, weight_decay=0.01), ref, grads)
    param = torch.nn.Parameter(theta0.clone())
    got = run_optimizer(AdaMax([param], eps=1e-8, eps_mode="inside_max", weight_decay=0.01, impl="loop"), param, grads)
    assert all(torch.equal(g, w) for g, w in zip(got, want))


def test_paper_mode_differs_from_torch_where_eps_matters():
    # Tiny gradients: torch's max(β2·u, |g|+ε) caps the step far below α; Algorithm 2 does not.
    grad = torch.full((3,), 1e-9)
    steps = {}
    for name, make in {"paper": lambda p: AdaMax([p]), "torch": lambda p: torch.optim.Adamax([p])}.items():
        param = torch.nn.Parameter(torch.zeros(3))
        param.grad = grad
        make(param).step()
        steps[name] = param.detach().abs().max().item()
    assert steps["paper"] == pytest.approx(2e-3, rel=1e-6)  # Δ1 = -α·sign(g)
    assert steps["torch"] < 2e-3 * 0.2


@pytest.mark.parametrize("impl", ["loop", "reference"])
def test_step_bounded_by_alpha_tight_bound(impl):
    # |Δ_t| <= α·adamax_worst_step_ratio(t) (<= 1.009·α; the paper states <= α, §7.1).
    param = torch.nn.Parameter(torch.zeros(SHAPE, dtype=torch.float64))
    opt = AdaMax([param], impl=impl)
    before = param.detach().clone()
    for t, grad in enumerate(gradient_sequence(40, dtype=torch.float64), start=1):
        param.grad = grad
        opt.step()
        step = (param.detach() - before).abs().max().item()
        assert step <= 2e-3 * adamax_worst_step_ratio(t) * (1 + 1e-12)
        if t == 1:
            assert step == pytest.approx(2e-3, rel=1e-12)
        before = param.detach().clone()


def test_zero_gradients_are_a_no_op_not_nan():
    # u = 0 where only zero gradients were seen: the paper's 0/0 is a zero step.
    param = torch.nn.Parameter(torch.ones(8))
    opt = AdaMax([param])
    param.grad = torch.zeros(8)
    opt.step()
    opt.step()
    assert torch.equal(param.detach(), torch.ones(8))
