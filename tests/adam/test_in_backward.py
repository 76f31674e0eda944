"""step_in_backward(): the update applied inside backward is exactly step()'s trajectory."""

from __future__ import annotations

import pytest
import torch

from seminal.adam import AdaMax, Adam


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))


@pytest.mark.parametrize(
    ("cls", "options"),
    [
        (Adam, {}),
        (Adam, {"impl": "loop", "amsgrad": True}),
        (Adam, {"beta1_decay": 0.9, "averaging": 0.9, "eps_mode": "efficient"}),
        (Adam, {"impl": "reference", "weight_decay": 0.1, "decoupled_weight_decay": True}),
        (AdaMax, {"bias_correction": False}),
    ],
)
@pytest.mark.parametrize("bucket_bytes", [0, 300, 1 << 20])  # each alone, some held, all held to the end
def test_step_in_backward_is_bit_identical_to_step(cls, options, bucket_bytes):
    model, twin = _model(), _model()
    opt = cls(model.parameters(), lr=0.01, **options)
    twin_opt = cls(twin.parameters(), lr=0.01, **options)
    remove = twin_opt.step_in_backward(bucket_bytes=bucket_bytes)
    gen = torch.Generator().manual_seed(1)
    for _ in range(5):
        x = torch.randn(32, 6, generator=gen)
        opt.zero_grad(set_to_none=True)
        model(x).pow(2).mean().backward()
        opt.step()
        twin(x).pow(2).mean().backward()  # the update happens in here
        assert all(p.grad is None for p in twin.parameters())  # gradients freed as they are used
    for p, q in zip(model.parameters(), twin.parameters()):
        assert torch.equal(p, q)
        assert float(opt.state[p]["step"]) == float(twin_opt.state[q]["step"]) == 5.0
    if "averaging" in options:
        assert torch.equal(opt.averaged_value(model[0].weight), twin_opt.averaged_value(twin[0].weight))
    remove()
    before = [p.detach().clone() for p in twin.parameters()]
    twin(torch.ones(2, 6)).sum().backward()  # hooks removed: backward only accumulates
    assert all(torch.equal(p, b) for p, b in zip(twin.parameters(), before))
    assert all(p.grad is not None for p in twin.parameters())


def test_frozen_parameters_and_bad_state_inside_backward():
    model = _model()
    model[0].weight.requires_grad_(False)
    opt = Adam(model.parameters())
    opt.step_in_backward()
    model(torch.ones(3, 6)).sum().backward()
    assert model[0].weight not in opt.state and float(opt.state[model[2].weight]["step"]) == 1.0
    opt.state[model[2].weight]["exp_avg"] = torch.zeros(3)
    with pytest.raises(ValueError, match="has shape"):
        model(torch.ones(3, 6)).sum().backward()


def test_a_reordered_group_still_steps_each_hooked_parameter_and_a_removed_one_is_refused():
    model, twin = _model(), _model()
    opt, twin_opt = Adam(model.parameters(), lr=0.01), Adam(twin.parameters(), lr=0.01)
    twin_opt.step_in_backward()
    x = torch.randn(8, 6, generator=torch.Generator().manual_seed(2))
    twin(x).pow(2).mean().backward()  # builds the hooks' index of the group
    twin_opt.param_groups[0]["params"].reverse()  # same list, new order: the index is rebuilt
    model(x).pow(2).mean().backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    model(x).pow(2).mean().backward()
    opt.step()
    twin(x).pow(2).mean().backward()
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), twin.parameters()))
    twin_opt.param_groups[0]["params"].pop()
    with pytest.raises(ValueError, match="no longer in its group"):
        twin(x).pow(2).mean().backward()


def test_held_gradients_are_stepped_when_backward_ends_and_a_bad_bucket_size_is_refused():
    model = _model()
    opt = Adam(model.parameters(), lr=0.01)
    with pytest.raises(ValueError, match="bucket_bytes"):
        opt.step_in_backward(bucket_bytes=-1)
    opt.step_in_backward(bucket_bytes=1 << 30)  # nothing reaches the bucket size: all wait for the end
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.ones(4, 6)).pow(2).mean().backward()
    assert all(p.grad is None for p in model.parameters())
    assert all(not torch.equal(p, b) for p, b in zip(model.parameters(), before))
    assert all(float(opt.state[p]["step"]) == 1.0 for p in model.parameters())
    assert not any(held for held, _ in opt._held_gradients().values())


def test_a_backward_that_raised_does_not_step_a_held_parameter_twice():
    model = _model()
    opt = Adam(model.parameters(), lr=0.01)
    opt.step_in_backward(bucket_bytes=1 << 30)
    model(torch.ones(3, 6)).sum().backward()
    opt.state[model[2].weight]["exp_avg"] = torch.zeros(3)  # a bad state: the end-of-backward update raises
    with pytest.raises(ValueError, match="has shape"):
        model(torch.ones(3, 6)).sum().backward()
    opt.state[model[2].weight]["exp_avg"] = torch.zeros(16, 16)
    model(torch.ones(3, 6)).sum().backward()
    assert all(float(opt.state[p]["step"]) == 2.0 for p in model.parameters() if p is not model[2].weight)
    assert float(opt.state[model[2].weight]["step"]) == 2.0  # the failed update changed nothing; this one is its 2nd


def test_data_parallel_is_refused(monkeypatch):
    model = _model()
    opt = Adam(model.parameters(), lr=0.01)
    opt.step_in_backward(bucket_bytes=0)
    monkeypatch.setattr(torch.distributed, "is_available", lambda: True)
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    monkeypatch.setattr(torch.distributed, "get_world_size", lambda *args: 2)
    before = [p.detach().clone() for p in model.parameters()]
    with pytest.raises(RuntimeError, match="torch.distributed"):
        model(torch.ones(2, 6)).sum().backward()  # hooks registered before the process group: refused at the update
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before))
    with pytest.raises(RuntimeError, match="2 processes"):
        Adam(model.parameters()).step_in_backward()
