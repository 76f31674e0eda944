"""torch.compile(fullgraph=True) of every STN component: no graph breaks, same numbers as eager.

``backend="aot_eager"`` traces through dynamo and AOTAutograd (where graph breaks and host syncs
show up) without needing a C++ compiler.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seminal.stn.grids import TPSGridGenerator, affine_grid, attention_grid, projective_grid, tps_control_points
from seminal.stn.sampling import sample_grid
from seminal.stn.transformer import TRANSFORMS, SpatialTransformer


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def compiled(fn):
    return torch.compile(fn, fullgraph=True, backend="aot_eager")


def test_affine_grid_compiles() -> None:
    theta = torch.randn(3, 2, 3)
    assert torch.allclose(compiled(lambda t: affine_grid(t, (5, 7)))(theta), affine_grid(theta, (5, 7)))


def test_attention_grid_compiles() -> None:
    params = torch.randn(3, 3)
    assert torch.allclose(compiled(lambda t: attention_grid(t, (5, 7)))(params), attention_grid(params, (5, 7)))


def test_projective_grid_compiles() -> None:
    theta = torch.tensor([[1.0, 0.1, 0.0, 0.05, 0.9, 0.0, 0.01, 0.02]]).repeat(2, 1)
    assert torch.allclose(compiled(lambda t: projective_grid(t, (5, 7)))(theta), projective_grid(theta, (5, 7)))


def test_tps_grid_generator_compiles() -> None:
    generator = TPSGridGenerator(tps_control_points(4, dtype=torch.float64))
    generator.matrix((5, 7), torch.device("cpu"), torch.float32)  # the float64 solve happens once, eagerly
    theta = tps_control_points(4).reshape(1, -1).repeat(2, 1) + 0.01 * torch.randn(2, 32)
    assert torch.allclose(compiled(lambda t: generator(t, (5, 7)))(theta), generator(theta, (5, 7)), atol=1e-6)


def test_sample_grid_compiles() -> None:
    x, grid = torch.rand(2, 3, 6, 6), torch.rand(2, 4, 5, 2) * 2 - 1
    assert torch.allclose(compiled(sample_grid)(x, grid), sample_grid(x, grid))


def make_st(transform: str) -> SpatialTransformer:
    st = SpatialTransformer(nn.Sequential(nn.Flatten(), nn.Linear(36, 8), nn.Tanh()), 8, transform)
    with torch.no_grad():
        st.regression.weight.normal_(std=0.01)
    return st


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_transformer_compiles_fullgraph_with_the_guard_on(transform: str) -> None:
    st = make_st(transform)
    x = torch.rand(2, 1, 6, 6)
    fast = compiled(st)
    assert torch.allclose(fast(x), st(x), atol=1e-6)
    with torch.no_grad():
        st.regression.bias[0] = float("nan")
    with pytest.raises(RuntimeError, match=r"localisation network has diverged"):
        fast(x)


def test_transformer_in_sequential_compiles_with_backward() -> None:
    model = nn.Sequential(make_st("affine"), nn.Flatten(), nn.Linear(36, 4))
    x = torch.rand(3, 1, 6, 6)
    loss = compiled(model)(x).square().sum()
    loss.backward()
    assert model[0].regression.weight.grad is not None and model[0].regression.weight.grad.abs().sum() > 0
