"""Algorithm 1: k discriminator steps then one generator step; alternating vs simultaneous."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from seminal.gan.algorithm1 import algorithm1_step
from seminal.gan.losses import discriminator_loss, generator_loss


class CountingSGD(torch.optim.SGD):
    """SGD that records the order of steps in a shared log."""

    def __init__(self, params, log: list[str], name: str, lr: float = 0.1) -> None:
        super().__init__(params, lr=lr)
        self.log, self.name = log, name

    def step(self, closure=None):  # type: ignore[override]
        self.log.append(self.name)
        return super().step(closure)


def _pair(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(seed)
    G = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 5))
    D = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0))
    return G, D


@pytest.mark.parametrize("k", [1, 3])
def test_k_discriminator_steps_then_one_generator_step(k: int) -> None:
    G, D = _pair()
    log: list[str] = []
    data_calls = []

    def next_real() -> torch.Tensor:
        data_calls.append(1)
        return torch.randn(6, 5)

    stats = algorithm1_step(G, D, CountingSGD(G.parameters(), log, "G"), CountingSGD(D.parameters(), log, "D"),
                            next_real, lambda m: torch.randn(m, 3), k=k)
    assert log == ["D"] * k + ["G"]
    assert len(data_calls) == k  # a fresh data minibatch per D step
    assert stats.d_steps == k
    assert 0 < stats.d_real < 1 and 0 < stats.d_fake < 1


def test_alternating_generator_step_uses_the_updated_discriminator() -> None:
    G, D = _pair()
    x, z_d, z_g = torch.randn(6, 5), torch.randn(6, 3), torch.randn(6, 3)
    noises = iter([z_d, z_g])
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)
    algorithm1_step(G, D, torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5),
                    lambda: x, lambda m: next(noises), k=1, update="alternating")
    # by hand: D step on (x, G(z_d)), then G step on z_g against the NEW D
    opt_d = torch.optim.SGD(D_ref.parameters(), lr=0.5)
    discriminator_loss(D_ref(x), D_ref(G_ref(z_d).detach())).backward()
    opt_d.step()
    opt_g = torch.optim.SGD(G_ref.parameters(), lr=0.5)
    generator_loss(D_ref(G_ref(z_g))).backward()
    opt_g.step()
    for a, b in zip(list(G.parameters()) + list(D.parameters()), list(G_ref.parameters()) + list(D_ref.parameters())):
        assert torch.allclose(a, b, atol=1e-6)


def test_simultaneous_update_takes_both_gradients_at_the_same_point() -> None:
    G, D = _pair()
    x, z = torch.randn(6, 5), torch.randn(6, 3)
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)
    stats = algorithm1_step(G, D, torch.optim.SGD(G.parameters(), lr=0.5), torch.optim.SGD(D.parameters(), lr=0.5),
                            lambda: x, lambda m: z, k=1, update="simultaneous")
    fake_logits = D_ref(G_ref(z))
    d_grads = torch.autograd.grad(discriminator_loss(D_ref(x), fake_logits), list(D_ref.parameters()), retain_graph=True)
    g_grads = torch.autograd.grad(generator_loss(fake_logits), list(G_ref.parameters()))
    for p, p0, g in zip(D.parameters(), D_ref.parameters(), d_grads):
        assert torch.allclose(p, p0 - 0.5 * g, atol=1e-6)
    for p, p0, g in zip(G.parameters(), G_ref.parameters(), g_grads):
        assert torch.allclose(p, p0 - 0.5 * g, atol=1e-6)
    assert stats.d_steps == 1


def test_the_discriminator_step_ascends_v() -> None:
    G, D = _pair()
    x, z = torch.randn(64, 5) + 2.0, torch.randn(64, 3)
    opt_g, opt_d = torch.optim.SGD(G.parameters(), lr=0.0), torch.optim.SGD(D.parameters(), lr=0.2)
    values = [algorithm1_step(G, D, opt_g, opt_d, lambda: x, lambda m: z).value for _ in range(30)]
    assert values[-1] > values[0]  # G frozen (lr 0): D alone climbs V


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"k": 0}, r"Invalid k: 0 \(expected an int >= 1 discriminator steps\)"),
        ({"k": 2, "update": "simultaneous"}, r"Invalid k: 2 with update='simultaneous'"),
        ({"update": "sometimes"}, r"Invalid update: 'sometimes' \(expected one of \('alternating', 'simultaneous'\)\)"),
        ({"g_loss": "hinge"}, r"Invalid g_loss: 'hinge'"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, pattern: str) -> None:
    G, D = _pair()
    with pytest.raises(ValueError, match=pattern):
        algorithm1_step(G, D, torch.optim.SGD(G.parameters(), lr=0.1), torch.optim.SGD(D.parameters(), lr=0.1),
                        lambda: torch.randn(2, 5), lambda m: torch.randn(m, 3), **kwargs)
