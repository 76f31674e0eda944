"""Adam and AdaMax compute the right answer or refuse clearly: hyperparameters, loaded state,
failed steps and low-precision averaging."""

from __future__ import annotations

import copy
import math
import re

import pytest
import torch

from seminal.adam import AdaMax, Adam

from .helpers import adam_oracle_trajectory, averaged_oracle

P = lambda: [torch.nn.Parameter(torch.zeros(3))]  # noqa: E731
ALL_IMPLS = {Adam: ("auto", "fused", "compiled", "loop", "reference"), AdaMax: ("auto", "compiled", "loop", "reference")}


# -- NaN and ±inf in every numeric hyperparameter ----------------------------------------------------

NON_FINITE = [float("nan"), float("inf"), -float("inf")]
NUMERIC = [
    ("lr", lambda x: {"lr": x}, "learning rate"),
    ("lr tensor", lambda x: {"lr": torch.tensor(x)}, "learning rate"),
    ("beta1", lambda x: {"betas": (x, 0.999)}, "beta parameter at index 0"),
    ("beta2", lambda x: {"betas": (0.9, x)}, "beta parameter at index 1"),
    ("eps", lambda x: {"eps": x}, "epsilon value"),
    ("weight_decay", lambda x: {"weight_decay": x}, "weight_decay value"),
    ("beta1_decay", lambda x: {"beta1_decay": x}, "beta1_decay"),
    ("averaging", lambda x: {"averaging": x}, "averaging beta"),
]


@pytest.mark.parametrize("cls", [Adam, AdaMax])
@pytest.mark.parametrize("value", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(("name", "kwargs", "label"), NUMERIC, ids=[n[0] for n in NUMERIC])
def test_non_finite_hyperparameters_are_refused_naming_the_argument(cls, value, name, kwargs, label):
    with pytest.raises(ValueError, match=re.escape(f"Invalid {label}")):
        cls(P(), **kwargs(value))


@pytest.mark.parametrize("cls", [Adam, AdaMax])
def test_a_group_edited_after_construction_is_checked_at_the_next_step(cls):
    param = torch.nn.Parameter(torch.ones(3))
    opt = cls([param])
    opt.param_groups[0]["lr"] = float("inf")
    param.grad = torch.ones(3)
    with pytest.raises(ValueError, match="Invalid learning rate: inf"):
        opt.step()
    assert torch.equal(param.detach(), torch.ones(3)) and not opt.state[param]


# -- a step that raises changes nothing ----------------------------------------------------------------


def _snapshot(opt, params):
    return [p.detach().clone() for p in params], copy.deepcopy({id(p): dict(opt.state[p]) for p in params if p in opt.state})


@pytest.mark.parametrize("cls", [Adam, AdaMax])
@pytest.mark.parametrize("stepped_before", [False, True])
def test_a_step_that_raises_on_a_later_parameter_changes_nothing(cls, stepped_before):
    good = torch.nn.Parameter(torch.ones(4))
    later = torch.nn.Parameter(torch.ones(3, 2))
    emb = torch.nn.Embedding(5, 2, sparse=True)
    opt = cls([{"params": [good]}, {"params": [later, emb.weight], "lr": 0.1}])
    if stepped_before:
        good.grad, later.grad = torch.ones(4), torch.ones(3, 2)
        opt.step()
    params_before, state_before = _snapshot(opt, [good, later])
    good.grad, later.grad = torch.full((4,), 2.0), torch.full((3, 2), 2.0)
    emb(torch.tensor([1])).sum().backward()  # a sparse gradient in the second group
    with pytest.raises(TypeError, match=r"sparse gradients \(parameter 1 of group 1"):
        opt.step()
    params_after, state_after = _snapshot(opt, [good, later])
    assert all(torch.equal(a, b) for a, b in zip(params_before, params_after))
    assert state_before.keys() == state_after.keys()
    for key in state_before:
        assert all(torch.equal(state_before[key][k], state_after[key][k]) for k in state_before[key])
    assert emb.weight not in opt.state


def test_an_unsupported_dtype_for_impl_fused_changes_nothing():
    good = torch.nn.Parameter(torch.ones(4))
    meta = torch.nn.Parameter(torch.empty(3, device="meta"))
    opt = Adam([good, meta], impl="fused")
    good.grad, meta.grad = torch.ones(4), torch.empty(3, device="meta")
    with pytest.raises(TypeError, match=r"impl='fused' needs .* \(parameter 1 of group 0\)"):
        opt.step()
    assert torch.equal(good.detach(), torch.ones(4)) and not opt.state[good]


# -- loaded state that does not fit is refused -------------------------------------------------------


def _trained(cls, **options):
    model = torch.nn.Linear(4, 3)
    opt = cls(model.parameters(), **options)
    model(torch.ones(2, 4)).sum().backward()
    opt.step()
    return model, opt


@pytest.mark.parametrize("cls", [Adam, AdaMax])
def test_state_dict_with_a_wrong_shape_is_refused_before_loading(cls):
    _, opt = _trained(cls)
    saved = copy.deepcopy(opt.state_dict())
    saved["state"][0]["exp_avg"] = torch.zeros(4, 3)  # transposed: same numel, wrong shape
    fresh = cls(torch.nn.Linear(4, 3).parameters())
    with pytest.raises(ValueError, match=r"state 'exp_avg' of parameter id 0 has shape \(4, 3\), but its parameter has shape \(3, 4\)"):
        fresh.load_state_dict(saved)
    assert not fresh.state


@pytest.mark.parametrize(
    ("key", "value", "error", "message"),
    [
        ("exp_avg", torch.zeros(3, 4, dtype=torch.int64), ValueError, "expected a real floating dtype"),
        ("exp_avg", [0.0] * 12, TypeError, "expected a tensor"),
        ("step", torch.tensor(-1.0), ValueError, "expected a whole number of steps"),
        ("step", torch.tensor(float("nan")), ValueError, "expected a whole number of steps"),
        ("step", torch.ones(2), ValueError, "expected one real number"),
    ],
)
def test_state_dict_with_wrong_state_is_refused(key, value, error, message):
    _, opt = _trained(Adam)
    saved = copy.deepcopy(opt.state_dict())
    saved["state"][0][key] = value
    with pytest.raises(error, match=re.escape(message)):
        Adam(torch.nn.Linear(4, 3).parameters()).load_state_dict(saved)


@pytest.mark.parametrize("cls", [Adam, AdaMax])
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s.__setitem__("exp_avg", torch.zeros(4, 3)), r"has shape \(4, 3\), expected \(3, 4\)"),
        (lambda s: s.__setitem__("exp_avg", s["exp_avg"].double()), "has dtype torch.float64, expected torch.float32"),
        (lambda s: s.__setitem__("exp_avg", s["exp_avg"].to("meta")), "is on meta, expected cpu"),
        (lambda s: s.pop("exp_avg"), "has no 'exp_avg'"),
    ],
)
def test_state_edited_in_place_is_refused_at_the_next_step(cls, edit, message):
    model, opt = _trained(cls)
    edit(opt.state[model.weight])
    before = model.weight.detach().clone()
    with pytest.raises((ValueError, TypeError), match=message):
        opt.step()
    assert torch.equal(model.weight.detach(), before)


def test_parameters_converted_to_another_dtype_after_stepping_are_refused():
    model, opt = _trained(Adam)
    model.double()
    model(torch.ones(2, 4, dtype=torch.float64)).sum().backward()
    with pytest.raises(ValueError, match="has dtype torch.float32, expected torch.float64"):
        opt.step()


# -- §7.2 averaging of low-precision parameters -----------------------------------------------------------


@pytest.mark.parametrize("impl", ["auto", "loop", "compiled"])
@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_average_of_16_bit_parameters_is_exact_to_float32(impl, dtype):
    # θ̄ <- β·θ̄ + (1-β)·θ with β = 0.999 moves θ̄ by 0.1 % of (θ - θ̄) per step, below bf16's
    # resolution: a 16-bit θ̄ stalls (336 % off in bf16). Compare with the float64 average of the
    # trajectory the parameter actually took.
    gen = torch.Generator().manual_seed(0)
    param = torch.nn.Parameter((torch.randn(64, 80, generator=gen) + 3.0).to(dtype))
    opt = Adam([param], lr=1e-2, averaging=0.999, impl=impl)
    trajectory = []
    for _ in range(300):
        # |g| >= 0.5: (1-β2)·g² stays above float16's underflow (ε = 1e-8 is 0 in float16).
        param.grad = ((torch.rand(64, 80, generator=gen) + 0.5) * torch.randn(64, 80, generator=gen).sign()).to(dtype)
        opt.step()
        trajectory.append(param.detach().double().clone())
    assert opt.state[param]["param_avg"].dtype == torch.float32
    want = averaged_oracle(trajectory, 0.999)
    got = (opt.state[param]["param_avg"].double() / (1 - 0.999**300))
    assert ((got - want).abs() / want.abs()).max() < 1e-4
    # averaged_value rounds once to the parameter's dtype: within half a unit of its last place.
    rounded = opt.averaged_value(param).double()
    assert ((rounded - want).abs() / want.abs()).max() <= torch.finfo(dtype).eps


def test_float32_average_of_bf16_survives_a_state_dict_round_trip():
    param = torch.nn.Parameter(torch.ones(8, dtype=torch.bfloat16))
    opt = Adam([param], averaging=0.999)
    param.grad = torch.ones(8, dtype=torch.bfloat16)
    opt.step()
    saved = copy.deepcopy(opt.state_dict())
    again = Adam([param], averaging=0.999)
    again.load_state_dict(saved)  # torch.optim would cast θ̄ to bfloat16
    assert again.state[param]["param_avg"].dtype == torch.float32
    assert torch.equal(again.state[param]["param_avg"], opt.state[param]["param_avg"])


def test_float64_oracle_state_survives_a_state_dict_round_trip():
    param = torch.nn.Parameter(torch.ones(8))
    opt = Adam([param], impl="reference")
    param.grad = torch.full((8,), 1e-3)
    opt.step()
    again = Adam([param], impl="reference")
    again.load_state_dict(copy.deepcopy(opt.state_dict()))
    assert again.state[param]["exp_avg"].dtype == torch.float64
    param.grad = torch.full((8,), 1e-3)
    again.step()
    assert math.isfinite(param.detach()[0].item())


def test_reference_trajectory_unchanged_by_the_refactor():
    # The oracle path still equals the hand-written float64 recurrence (guards the shared machinery).
    theta0 = torch.linspace(-1, 1, 12, dtype=torch.float64)
    grads = [torch.cos(theta0 * k) for k in range(1, 6)]
    param = torch.nn.Parameter(theta0.clone())
    opt = Adam([param], lr=0.1, impl="reference")
    for g in grads:
        param.grad = g
        opt.step()
    want = adam_oracle_trajectory(theta0, grads, {"lr": 0.1, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8})[-1]
    torch.testing.assert_close(param.detach(), want, rtol=1e-15, atol=0)


@pytest.mark.parametrize("cls", [Adam, AdaMax])
def test_a_parameter_listed_twice_is_refused(cls):
    w = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="lists the same parameter more than once"):
        cls([w, w])
    opt = cls([w])
    with pytest.raises(ValueError, match="lists the same parameter more than once"):
        opt.add_param_group({"params": (p for p in [torch.nn.Parameter(torch.ones(1))] * 2)})
    assert len(opt.param_groups) == 1
