"""The torch.optim contract: validation, groups, closures, schedulers, AMP, state_dicts, compile."""

from __future__ import annotations

import copy
import math
import re

import pytest
import torch

from seminal.adam import AdaMax, Adam, inverse_sqrt_schedule
from seminal.adam import compiled as compiled_module
from seminal.adam import native as native_module

from .helpers import gradient_sequence, run_optimizer

P = lambda: [torch.nn.Parameter(torch.zeros(3))]  # noqa: E731

BAD_INPUTS = [
    (Adam, {"lr": -1e-3}, ValueError, "Invalid learning rate: -0.001 (expected lr >= 0)"),
    (Adam, {"lr": float("nan")}, ValueError, "Invalid learning rate: nan"),
    (Adam, {"lr": "fast"}, TypeError, "Invalid learning rate: 'fast' (expected a float)"),
    (Adam, {"betas": (1.0, 0.999)}, ValueError, "Invalid beta parameter at index 0: 1.0 (expected 0 <= beta < 1)"),
    (Adam, {"betas": (0.9, -0.1)}, ValueError, "Invalid beta parameter at index 1: -0.1 (expected 0 <= beta < 1)"),
    (Adam, {"betas": (0.9,)}, TypeError, "Invalid betas: (0.9,) (expected a pair (beta1, beta2))"),
    (Adam, {"eps": -1e-8}, ValueError, "Invalid epsilon value: -1e-08 (expected 0 <= eps < inf)"),
    (Adam, {"weight_decay": -0.1}, ValueError, "Invalid weight_decay value: -0.1 (expected 0 <= weight_decay < inf)"),
    (Adam, {"eps_mode": "keras"}, ValueError, "Invalid eps_mode: 'keras' (expected one of 'paper', 'efficient')"),
    (Adam, {"beta1_decay": 0.0}, ValueError, "Invalid beta1_decay (λ of Theorem 4.1): 0.0 (expected 0 < beta1_decay <= 1)"),
    (Adam, {"beta1_decay": 1.5}, ValueError, "Invalid beta1_decay (λ of Theorem 4.1): 1.5"),
    (Adam, {"averaging": 1.0}, ValueError, "Invalid averaging beta: 1.0 (expected None or 0 <= averaging < 1)"),
    (Adam, {"impl": "fast"}, ValueError, "Invalid impl: 'fast' (expected one of 'auto', 'fused', 'compiled', 'loop', 'reference')"),
    (Adam, {"amsgrad": 1}, TypeError, "Invalid amsgrad: 1 (expected True or False)"),
    (AdaMax, {"eps_mode": "efficient"}, ValueError, "Invalid eps_mode: 'efficient' (expected one of 'paper', 'inside_max')"),
    (AdaMax, {"impl": "fused"}, ValueError, "Invalid impl: 'fused' (expected one of 'auto', 'compiled', 'loop', 'reference')"),
    (AdaMax, {"betas": (0.9, 1.0)}, ValueError, "Invalid beta parameter at index 1: 1.0 (expected 0 <= beta < 1)"),
    (AdaMax, {"lr": -2e-3}, ValueError, "Invalid learning rate: -0.002 (expected lr >= 0)"),
    (AdaMax, {"maximize": "yes"}, TypeError, "Invalid maximize: 'yes' (expected True or False)"),
]


@pytest.mark.parametrize(("cls", "kwargs", "error", "message"), BAD_INPUTS)
def test_bad_hyperparameters_are_rejected_with_precise_messages(cls, kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        cls(P(), **kwargs)


def test_bad_param_group_is_rejected_and_not_added():
    opt = Adam(P())
    with pytest.raises(ValueError, match=re.escape("Invalid beta parameter at index 0: 1.5")):
        opt.add_param_group({"params": P(), "betas": (1.5, 0.9)})
    assert len(opt.param_groups) == 1


def test_sparse_gradients_and_complex_parameters_are_rejected():
    emb = torch.nn.Embedding(10, 3, sparse=True)
    emb(torch.tensor([1, 2])).sum().backward()
    with pytest.raises(TypeError, match="Adam does not support sparse gradients .*SparseAdam"):
        Adam(emb.parameters()).step()
    with pytest.raises(TypeError, match="AdaMax does not support sparse gradients"):
        AdaMax(emb.parameters()).step()
    z = torch.nn.Parameter(torch.zeros(2, dtype=torch.complex64))
    z.grad = torch.ones(2, dtype=torch.complex64)
    with pytest.raises(TypeError, match="does not support complex parameters"):
        Adam([z]).step()


@pytest.mark.parametrize("cls", [Adam, AdaMax])
def test_param_groups_use_their_own_learning_rate(cls):
    a, b = torch.nn.Parameter(torch.zeros(3)), torch.nn.Parameter(torch.zeros(3))
    opt = cls([{"params": [a]}, {"params": [b], "lr": 0.1}], lr=0.01)
    a.grad = torch.tensor([1.0, -2.0, 3.0])
    b.grad = torch.tensor([-1.0, 2.0, 3.0])
    opt.step()
    # First step: Δ = -α·sign(g) (up to ε).
    torch.testing.assert_close(a.detach(), -0.01 * torch.sign(a.grad), rtol=1e-6, atol=0)
    torch.testing.assert_close(b.detach(), -0.1 * torch.sign(b.grad), rtol=1e-6, atol=0)


@pytest.mark.parametrize("cls", [Adam, AdaMax])
def test_closure_is_evaluated_with_grad_enabled_and_its_loss_returned(cls):
    w = torch.nn.Parameter(torch.tensor([2.0]))
    opt = cls([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w**2).sum()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(20)]
    assert losses[0] == pytest.approx(4.0)
    assert losses[-1] < losses[0] * 0.5


def test_inverse_sqrt_schedule_gives_alpha_over_sqrt_t():
    # Constant gradient: m̂ = g and v̂ = g², so Δ_t = -α_t·sign(g) with α_t = α/sqrt(t).
    w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = Adam([w], lr=0.1, eps=0.0)
    sched = inverse_sqrt_schedule(opt)
    for t in range(1, 6):
        before = w.item()
        w.grad = torch.ones(1, dtype=torch.float64)
        opt.step()
        sched.step()
        assert before - w.item() == pytest.approx(0.1 / math.sqrt(t), rel=1e-12)


def _train(opt, model, steps, seed):
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, 5, generator=gen)
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize("impl", ["loop", "fused"])
@pytest.mark.parametrize("amsgrad", [False, True])
def test_torch_adam_state_dict_loads_and_continues_the_same_trajectory(impl, amsgrad):
    torch.manual_seed(1)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 1))
    torch_opt = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=amsgrad, foreach=False)
    _train(torch_opt, model, 5, seed=0)
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(torch_opt.state_dict())
    want = _train(torch_opt, model, 5, seed=1)

    model.load_state_dict(saved_model)
    ours = Adam(model.parameters(), impl=impl)
    ours.load_state_dict(saved_opt)
    assert ours.param_groups[0]["lr"] == 0.01 and ours.param_groups[0]["amsgrad"] is amsgrad
    got = _train(ours, model, 5, seed=1)
    for g, w in zip(got, want):
        if impl == "loop":
            assert torch.equal(g, w)
        else:
            torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-7)
    assert ours.state[model[0].weight]["step"].dtype == torch.float64


def test_our_state_dict_round_trips_and_loads_into_torch_adam():
    torch.manual_seed(2)
    model = torch.nn.Linear(5, 3)
    opt = Adam(model.parameters(), lr=0.01, averaging=0.99)
    _train(opt, model, 4, seed=0)
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(opt.state_dict())
    want = _train(opt, model, 4, seed=1)
    want_avg = opt.averaged_value(model.weight)

    model.load_state_dict(saved_model)
    again = Adam(model.parameters(), lr=0.5)  # hyperparameters come from the state_dict
    again.load_state_dict(copy.deepcopy(saved_opt))  # load_state_dict may alias the dict's tensors
    got = _train(again, model, 4, seed=1)
    assert all(torch.equal(g, w) for g, w in zip(got, want))
    assert torch.equal(again.averaged_value(model.weight), want_avg)

    model.load_state_dict(saved_model)
    torch_opt = torch.optim.Adam(model.parameters(), fused=True)
    torch_opt.load_state_dict(copy.deepcopy(saved_opt))
    got = _train(torch_opt, model, 4, seed=1)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-7)


def test_torch_adamax_state_dict_continues_in_inside_max_mode():
    torch.manual_seed(3)
    model = torch.nn.Linear(5, 3)
    torch_opt = torch.optim.Adamax(model.parameters(), lr=0.01, foreach=False)
    _train(torch_opt, model, 3, seed=0)
    saved_model, saved_opt = copy.deepcopy(model.state_dict()), copy.deepcopy(torch_opt.state_dict())
    want = _train(torch_opt, model, 3, seed=1)
    model.load_state_dict(saved_model)
    ours = AdaMax(model.parameters(), eps_mode="inside_max", impl="loop")
    ours.load_state_dict(saved_opt)
    got = _train(ours, model, 3, seed=1)
    assert all(torch.equal(g, w) for g, w in zip(got, want))


def test_step_counter_is_float64_and_counts_past_float32_saturation():
    w = torch.nn.Parameter(torch.zeros(2))
    opt = Adam([w])
    w.grad = torch.ones(2)
    opt.step()
    step = opt.state[w]["step"]
    assert step.dtype == torch.float64 and step.dim() == 0 and step.item() == 1.0
    opt.state[w]["step"] = torch.tensor(2.0**24, dtype=torch.float32)  # as loaded from torch, saturated
    assert torch.tensor(2.0**24, dtype=torch.float32) + 1 == 2.0**24  # float32 cannot count on
    opt.step()
    opt.step()
    assert opt.state[w]["step"].item() == 2.0**24 + 2


def test_fused_path_buckets_parameters_with_different_step_counts():
    # A parameter that missed a step has a different t; each must use its own bias correction.
    results = []
    for impl in ("fused", "loop"):
        a, b = torch.nn.Parameter(torch.ones(5)), torch.nn.Parameter(torch.ones(5))
        opt = Adam([a, b], lr=0.1, impl=impl)
        for t, g in enumerate(gradient_sequence(6, shape=(5,))):
            a.grad = g
            b.grad = g.flip(0) if t % 2 == 0 else None
            opt.step()
        results.append((a.detach().clone(), b.detach().clone(), opt.state[b]["step"].item()))
    assert results[0][2] == 3.0
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-6, atol=1e-7)


def test_averaging_switched_on_after_loading_starts_from_current_parameters():
    w = torch.nn.Parameter(torch.ones(3))
    opt = torch.optim.Adam([w], lr=0.1)
    w.grad = torch.ones(3)
    opt.step()
    averaged = Adam([w], lr=0.1, averaging=0.9, amsgrad=True)
    averaged.load_state_dict(opt.state_dict())
    group = averaged.param_groups[0]
    assert group["averaging"] == 0.9  # absent from torch's dict: taken from the constructor
    assert group["amsgrad"] is False  # present in torch's dict: the dict wins, as in torch.optim
    theta1 = w.detach().clone()
    w.grad = torch.ones(3)
    averaged.step()
    # θ̄ restarts as θ1·(1-β^1), so θ̂1 = θ1; then θ̄2 = β·(1-β)·θ1 + (1-β)·θ2 and θ̂2 = θ̄2/(1-β²).
    expected = (0.9 * (1 - 0.9) * theta1 + (1 - 0.9) * w.detach()) / (1 - 0.9**2)
    torch.testing.assert_close(averaged.averaged_value(w), expected)


def test_compiled_path_falls_back_to_loop_when_compilation_fails(monkeypatch):
    def broken_compile(*args, **kwargs):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(native_module, "available", lambda: False)  # no compiler: no native kernel either
    monkeypatch.setattr(compiled_module, "_compiled", {})
    monkeypatch.setattr(compiled_module, "_failure", None)
    monkeypatch.setattr(torch, "compile", broken_compile)
    theta0 = torch.randn(64, 80)
    grads = gradient_sequence(3)
    results = {}
    for impl in ("compiled", "loop"):
        param = torch.nn.Parameter(theta0.clone())
        if impl == "compiled":
            with pytest.warns(RuntimeWarning, match="falling back to the multi-op loop path"):
                results[impl] = run_optimizer(AdaMax([param], impl=impl), param, grads)
        else:
            results[impl] = run_optimizer(AdaMax([param], impl=impl), param, grads)
    assert not compiled_module.compiled_available()
    assert torch.equal(results["compiled"][-1], results["loop"][-1])


def test_no_compile_environment_variable_disables_compiled_path(monkeypatch):
    monkeypatch.setenv("SEMINAL_NO_COMPILE", "1")
    monkeypatch.setattr(compiled_module, "_failure", None)
    assert not compiled_module.compiled_available()
    param = torch.nn.Parameter(torch.randn(64, 80))
    param.grad = torch.randn(64, 80)
    Adam([param], impl="compiled", averaging=0.9).step()  # runs on the loop path, no compile
    assert torch.isfinite(param).all()


@pytest.mark.slow
@pytest.mark.parametrize("cls", [Adam, AdaMax])
def test_torch_compile_of_a_training_step_matches_eager(cls):
    torch.manual_seed(4)
    model = torch.nn.Linear(6, 2)
    twin = copy.deepcopy(model)
    opt, twin_opt = cls(model.parameters(), lr=0.01), cls(twin.parameters(), lr=0.01)
    x = torch.randn(10, 6)

    def train_step(net, optimizer):
        optimizer.zero_grad()
        loss = net(x).pow(2).mean()
        loss.backward()
        optimizer.step()
        return loss

    compiled_step = torch.compile(train_step)
    for _ in range(3):
        compiled_step(model, opt)
        train_step(twin, twin_opt)
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


def test_non_cpu_devices_route_to_device_generic_paths(monkeypatch):
    # No GPU here: "meta" tensors stand in for a device without torch's fused kernel or our compiled
    # CPU kernel. Both optimizers must route them to the loop path (plain torch ops) and never
    # to the compiled kernel; CUDA float tensors go to torch's fused Adam kernel.
    from seminal.adam import kernels

    def no_compiled(*args, **kwargs):
        raise AssertionError("compiled CPU kernel used for a non-CPU tensor")

    monkeypatch.setattr(compiled_module, "_run", no_compiled)
    for cls in (Adam, AdaMax):
        param = torch.nn.Parameter(torch.empty(2048, 1024, device="meta"))  # 2^21 elements: above the auto threshold
        param.grad = torch.empty(2048, 1024, device="meta")
        opt = cls([param])
        opt.step()
        assert opt.state[param]["exp_avg"].device.type == "meta"
    assert kernels.fused_adam_supported(torch.device("cuda"), torch.float32)
    assert kernels.fused_adam_supported(torch.device("cuda"), torch.bfloat16)
    assert not kernels.fused_adam_supported(torch.device("meta"), torch.float32)
    assert not kernels.fused_adam_supported(torch.device("cpu"), torch.int64)
