"""MethodDDP: a model's other methods run through DDP.forward (in a 1-process gloo group).

The 2-process test (test_ddp_equality.py) shows the gradients are synchronised; this one checks the
mechanics cheaply: attribute access, nested calls of forward, and that forward is restored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch
import torch.distributed as dist
from torch import nn

from seminal.training.ddp import MethodDDP


class Model(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(3, 2)
        self.scale = 2.0
        self.forward_calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.forward_calls += 1
        return self.layer(x)

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return self(x).pow(2).mean() * self.scale  # calls forward itself


@pytest.fixture
def one_process_group() -> Iterator[None]:
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is needed")
    if dist.is_initialized():
        pytest.skip("a process group already exists")
    dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
    try:
        yield
    finally:
        dist.destroy_process_group()


def test_methods_and_attributes_pass_through(one_process_group: None) -> None:
    model = Model()
    wrapped = MethodDDP(model)
    x = torch.randn(4, 3)
    loss = wrapped.loss(x)
    torch.testing.assert_close(loss, model.layer(x).pow(2).mean() * 2.0)
    assert model.forward_calls == 1  # the real forward ran once, inside the method
    assert "forward" not in model.__dict__  # the stand-in is gone
    loss.backward()
    assert model.layer.weight.grad is not None
    assert wrapped.scale == 2.0 and wrapped.layer is model.layer
    assert wrapped.loss.__name__ == "loss"
    torch.testing.assert_close(wrapped(x), model.layer(x))
    with pytest.raises(AttributeError, match=r"'Model' object has no attribute 'missing'"):
        wrapped.missing  # noqa: B018
