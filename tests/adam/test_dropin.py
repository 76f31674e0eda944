"""seminal.optim.Adam / AdaMax as drop-ins for torch.optim.Adam / Adamax: every call torch accepts,
torch.compile without graph breaks, GradScaler inside the step, state_dicts for torch.optim."""

from __future__ import annotations

import copy
import inspect
import warnings

import pytest
import torch

from seminal.optim import AdaMax, Adam

from .helpers import gradient_sequence

# Calls torch.optim.Adam accepts: (positional args after params, keyword args).
ADAM_CALLS = [
    ((), {}),
    ((0.01,), {}),
    ((0.01, (0.8, 0.99)), {}),
    ((0.01, (0.8, 0.99), 1e-6), {}),
    ((0.01, (0.8, 0.99), 1e-6, 0.1), {}),
    ((0.01, (0.8, 0.99), 1e-6, 0.1, True), {}),  # amsgrad is torch's 6th positional argument
    ((), {"foreach": True}),
    ((), {"foreach": False}),
    ((), {"foreach": None, "fused": None}),
    ((), {"fused": True}),
    ((), {"fused": False}),
    ((), {"capturable": False, "differentiable": False}),
    ((), {"maximize": True}),
    ((0.01,), {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ((torch.tensor(0.01),), {}),
]
ADAMAX_CALLS = [
    ((), {}),
    ((0.01, (0.8, 0.99), 1e-6, 0.1), {}),
    ((0.01, (0.8, 0.99), 1e-6, 0.1, False), {}),  # foreach is torch Adamax's 6th positional argument
    ((), {"foreach": True, "maximize": True}),
    ((), {"capturable": False, "differentiable": False}),
]


def _trajectory(make, steps: int = 6) -> torch.Tensor:
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3)
    opt = make(model.parameters())
    for g in gradient_sequence(steps, shape=(3, 5), seed=1):
        model.weight.grad = g.clone()
        model.bias.grad = g[:, 0].clone()
        opt.step()
    return model.weight.detach()


@pytest.mark.parametrize(("args", "kwargs"), ADAM_CALLS)
def test_every_torch_adam_call_works_and_means_the_same(args, kwargs):
    want = _trajectory(lambda p: torch.optim.Adam(p, *args, **kwargs))
    got = _trajectory(lambda p: Adam(p, *args, **kwargs))
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("args", "kwargs"), ADAMAX_CALLS)
def test_every_torch_adamax_call_works_and_means_the_same(args, kwargs):
    # torch's Adamax puts ε inside the max; seminal's default is the paper's ε-free Algorithm 2.
    want = _trajectory(lambda p: torch.optim.Adamax(p, *args, **kwargs))
    eps = {} if len(args) >= 3 else {"eps": 1e-8}
    got = _trajectory(lambda p: AdaMax(p, *args, eps_mode="inside_max", **eps, **kwargs))
    torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-7)


def test_flags_select_the_implementation():
    p = [torch.nn.Parameter(torch.zeros(2))]
    assert Adam(p, fused=True).defaults["impl"] == "fused"
    assert Adam(p, fused=False).defaults["impl"] == "loop"
    assert Adam(p, foreach=False).defaults["impl"] == "loop"
    assert Adam(p, foreach=True).defaults["impl"] == "auto"
    assert AdaMax(p, foreach=False).defaults["impl"] == "loop"


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (Adam, {"capturable": True}, r"Adam\(capturable=True\) is not supported: .*float64 step counter"),
        (Adam, {"differentiable": True}, r"Adam\(differentiable=True\) is not supported: no seminal implementation"),
        (AdaMax, {"differentiable": True}, r"AdaMax\(differentiable=True\) is not supported"),
        (Adam, {"fused": True, "foreach": True}, "fused=True and foreach=True cannot be set together"),
        (Adam, {"fused": True, "impl": "loop"}, r"impl='loop' contradicts fused=True"),
        (AdaMax, {"fused": True}, r"AdaMax\(fused=True\) is not supported: there is no fused AdaMax kernel"),
        (Adam, {"foreach": "yes"}, r"Invalid foreach: 'yes' \(expected None, True or False\)"),
    ],
)
def test_flags_seminal_cannot_honour_are_refused_clearly(cls, kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        cls([torch.nn.Parameter(torch.zeros(2))], **kwargs)


# -- torch.compile(fullgraph=True) -------------------------------------------------------------------------


def _compiled_step_matches_eager(cls, **options):
    torch.manual_seed(4)
    model = torch.nn.Linear(6, 2)
    twin = copy.deepcopy(model)
    opt, twin_opt = cls(model.parameters(), lr=0.01, **options), cls(twin.parameters(), lr=0.01, **options)
    x = torch.randn(10, 6)

    @torch.compile(fullgraph=True)  # a graph break raises here instead of splitting the graph
    def optimizer_step():
        opt.step()

    for _ in range(3):
        for net in (model, twin):
            net.zero_grad()
            net(x).pow(2).mean().backward()
        optimizer_step()
        twin_opt.step()
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)
    assert float(opt.state[model.weight]["step"]) == 3.0


def test_torch_compile_fullgraph_of_adam_step_has_no_graph_break():
    _compiled_step_matches_eager(Adam, amsgrad=True, averaging=0.9)


@pytest.mark.slow  # a second compile of ~30 s on a loaded 2-core machine
def test_torch_compile_fullgraph_of_adamax_step_has_no_graph_break():
    _compiled_step_matches_eager(AdaMax, beta1_decay=0.99)


# -- GradScaler --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weight_decay", [0.0, 0.5])
@pytest.mark.parametrize(
    ("cls", "impl"), [(Adam, "auto"), (Adam, "loop"), (Adam, "reference"), (AdaMax, "auto"), (AdaMax, "loop")]
)
def test_grad_scaler_unscales_inside_the_step(cls, impl, weight_decay):
    """Scaled training gives the unscaled twin's result and skips non-finite steps. With L2 weight
    decay the update depends on the gradient's scale, so a step that did not divide the scale out
    would differ from the twin's; without it, the plain case."""
    assert cls._step_supports_amp_scaling is True
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 2)
    twin = copy.deepcopy(model)
    opt = cls(model.parameters(), lr=0.01, weight_decay=weight_decay, impl=impl)
    twin_opt = cls(twin.parameters(), lr=0.01, weight_decay=weight_decay, impl=impl)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**12)
    x = torch.randn(8, 4)
    for _ in range(3):
        opt.zero_grad()
        scaler.scale(model(x).pow(2).mean()).backward()
        scaler.step(opt)
        scaler.update()
        twin_opt.zero_grad()
        twin(x).pow(2).mean().backward()
        twin_opt.step()
        assert not hasattr(opt, "grad_scale")  # GradScaler handed the scale to the step, then removed it
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-6, atol=1e-7)
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-6, atol=1e-7)  # unscaled in place
    before = [p.detach().clone() for p in model.parameters()]
    opt.zero_grad()
    scaler.scale(model(x * float("inf")).sum()).backward()
    scaler.step(opt)  # non-finite gradients: the step is skipped, counters included
    scaler.update()
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before))
    assert float(opt.state[model.weight]["step"]) == 3.0


# -- state_dicts for torch.optim ---------------------------------------------------------------------------


def test_to_torch_state_dict_warns_about_what_torch_cannot_do_and_keeps_our_state():
    model = torch.nn.Linear(3, 2)
    opt = Adam(model.parameters(), eps_mode="efficient", averaging=0.9, bias_correction=False)
    model(torch.ones(1, 3)).sum().backward()
    opt.step()
    with pytest.warns(UserWarning, match=r"no equivalent of eps_mode='efficient' \(group 0\), averaging=0.9 \(group 0\), bias_correction=False"):
        exported = opt.to_torch_state_dict()
    assert "param_avg" not in exported["state"][0] and "eps_mode" not in exported["param_groups"][0]
    assert "param_avg" in opt.state[model.weight]  # our own state is untouched
    torch.optim.Adam(model.parameters()).load_state_dict(exported)


def test_to_torch_state_dict_of_plain_adam_is_silent_and_continues_the_trajectory():
    torch.manual_seed(2)
    model = torch.nn.Linear(5, 3)
    opt = Adam(model.parameters(), lr=0.01)
    x = torch.randn(4, 5)
    for _ in range(3):
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
    twin = copy.deepcopy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        exported = opt.to_torch_state_dict()
    torch_opt = torch.optim.Adam(twin.parameters(), fused=True)
    torch_opt.load_state_dict(exported)
    for net, o in ((model, opt), (twin, torch_opt)):
        o.zero_grad()
        net(x).pow(2).mean().backward()
        o.step()
    torch.testing.assert_close(twin.weight, model.weight, rtol=1e-6, atol=1e-7)


def test_adamax_in_the_paper_form_warns_when_exported():
    opt = AdaMax([torch.nn.Parameter(torch.zeros(2))])
    with pytest.warns(UserWarning, match="eps_mode='paper'"):
        opt.to_torch_state_dict()


# -- torch's fused kernel through its public functional API ------------------------------------------------


def test_public_functional_adam_still_takes_the_arguments_seminal_passes():
    # seminal calls torch.optim.adam.adam(fused=True) (in that module's __all__), never
    # torch._fused_adam_; this pins the signature and the step-increment behaviour it relies on.
    from torch.optim.adam import __all__ as public, adam

    assert "adam" in public
    parameters = inspect.signature(adam).parameters
    for name in ("foreach", "fused", "grad_scale", "found_inf", "amsgrad", "beta1", "beta2", "lr", "weight_decay", "eps", "maximize"):
        assert name in parameters, name
    param = torch.zeros(3)
    grad = torch.tensor([1.0, -2.0, 3.0])
    step = torch.zeros(())
    adam([param], [grad], [torch.zeros(3)], [torch.zeros(3)], [], [step], fused=True, amsgrad=False,
         beta1=0.9, beta2=0.999, lr=0.1, weight_decay=0.0, eps=0.0, maximize=False)
    assert step.item() == 1.0  # the functional increments t before the kernel reads it
    torch.testing.assert_close(param, -0.1 * grad.sign())
