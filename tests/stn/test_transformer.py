"""SpatialTransformer (§3): identity init, every transform, output size, composition, NaN guard."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seminal.stn.transformer import (
    TRANSFORMS,
    NonFiniteTransformError,
    ParallelSpatialTransformers,
    SeriesSpatialTransformers,
    SpatialTransformer,
    transform_spec,
)


def make_st(transform: str = "affine", **kwargs) -> SpatialTransformer:
    loc = nn.Sequential(nn.Flatten(), nn.Linear(36, 8), nn.Tanh())
    return SpatialTransformer(loc, 8, transform, **kwargs)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_untrained_transformer_is_the_identity(transform: str) -> None:
    st = make_st(transform)
    x = torch.rand(3, 1, 6, 6)
    out, theta = st(x)
    assert torch.allclose(out, x, atol=1e-5)
    assert theta.shape == (3, transform_spec(transform).num_params)
    assert torch.all(st.regression.weight == 0)
    assert torch.allclose(theta, transform_spec(transform).identity.expand(3, -1))


@pytest.mark.parametrize(("transform", "count"), [("affine", 6), ("attention", 3), ("projective", 8), ("tps", 32)])
def test_parameter_counts(transform: str, count: int) -> None:
    assert make_st(transform).num_params == count
    assert make_st("tps", tps_grid_size=3).num_params == 18


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_gradients_reach_the_localisation_network(transform: str) -> None:
    st = make_st(transform)
    x = torch.rand(2, 1, 6, 6)
    out, _ = st(x)
    (out * torch.rand_like(out)).sum().backward()
    assert st.regression.weight.grad is not None and st.regression.weight.grad.abs().sum() > 0


def test_output_size_differs_from_input() -> None:
    st = make_st(output_size=(3, 4))
    out, _ = st(torch.rand(2, 1, 6, 6))
    assert out.shape == (2, 1, 3, 4)


def test_warp_with_a_given_theta_zooms() -> None:
    st = make_st("attention")
    x = torch.zeros(1, 1, 6, 6)
    x[..., 2:4, 2:4] = 1.0  # a centred 2×2 square
    # s = 1/6: every output pixel centre samples within ±1/6, between the square's pixel centres.
    out = st.warp(x, torch.tensor([[1.0 / 6.0, 0.0, 0.0]]))
    assert torch.allclose(out, torch.ones_like(out), atol=1e-6)


def test_series_and_parallel() -> None:
    a, b = make_st(), make_st("attention")
    x = torch.rand(2, 1, 6, 6)
    out, thetas = SeriesSpatialTransformers(a, b)(x)
    assert out.shape == x.shape and [t.shape[1] for t in thetas] == [6, 3]
    with torch.no_grad():
        a.regression.bias.copy_(torch.tensor([0.5, 0, 0, 0, 0.5, 0]))  # zoom in 2×
        b.regression.bias.copy_(torch.tensor([0.5, 0, 0]))  # and again
    series, _ = SeriesSpatialTransformers(a, b)(x)
    direct = a.warp(a.warp(x, a.regression.bias.expand(2, -1)), torch.tensor([[0.5, 0, 0, 0, 0.5, 0]]).expand(2, -1))
    assert torch.allclose(series, direct, atol=1e-6)
    par, thetas = ParallelSpatialTransformers(a, b)(x)
    assert par.shape == (2, 2, 6, 6) and len(thetas) == 2
    assert torch.allclose(par[:, :1], a(x)[0]) and torch.allclose(par[:, 1:], b(x)[0])


def test_parallel_needs_one_output_size() -> None:
    with pytest.raises(ValueError, match=r"Invalid transformers: output sizes differ"):
        ParallelSpatialTransformers(make_st(output_size=(3, 3)), make_st(output_size=(4, 4)))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_diverging_theta_raises_instead_of_sampling(bad: float) -> None:
    st = make_st()
    with torch.no_grad():
        st.regression.bias[0] = bad
    with pytest.raises(NonFiniteTransformError, match=r"Non-finite values in theta of the 'affine' spatial transformer"):
        st(torch.rand(1, 1, 6, 6))


def test_projective_divide_by_zero_raises() -> None:
    st = make_st("projective")
    theta = torch.tensor([[1.0, 0, 0, 0, 1, 0, 0, 0]])
    theta_bad = theta.clone()
    theta_bad[0, 6] = -2.0  # w = 1 − 2·x_t vanishes at the pixel centre x_t = 0.5
    with pytest.raises(NonFiniteTransformError, match=r"the grid"):
        st.warp(torch.rand(1, 1, 6, 6), theta_bad)


@pytest.mark.parametrize(
    ("theta", "x", "error", "match"),
    [
        (torch.zeros(1, 5), torch.rand(1, 1, 6, 6), ValueError, r"Invalid theta shape for transform 'affine': \(1, 5\) \(expected \(N, 6\)\)"),
        (torch.zeros(1, 6, dtype=torch.int32), torch.rand(1, 1, 6, 6), TypeError, r"Invalid theta dtype for transform 'affine': torch.int32"),
        (torch.zeros(1, 6, device="meta"), torch.rand(1, 1, 6, 6), ValueError, r"Invalid theta device: meta \(expected cpu, the input's device\)"),
        (torch.zeros(2, 6), torch.rand(1, 1, 6, 6), ValueError, r"Invalid theta batch size: 2 \(expected 1"),
        (torch.zeros(1, 6), torch.rand(6, 6), ValueError, r"Invalid input shape: \(6, 6\)"),
    ],
)
def test_bad_theta_for_warp(theta, x, error, match) -> None:
    with pytest.raises(error, match=match):
        make_st().warp(x, theta)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match=r"Invalid transform: 'similarity' \(expected one of \('affine', 'attention', 'projective', 'tps'\)\)"):
        make_st("similarity")
    with pytest.raises(ValueError, match=r"Invalid loc_features: 0"):
        SpatialTransformer(nn.Identity(), 0)
    with pytest.raises(TypeError, match=r"Invalid localization: expected an nn.Module"):
        SpatialTransformer(lambda x: x, 4)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Invalid mode: 'cubic'"):
        make_st(mode="cubic")


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_transformer_pickles_and_round_trips_its_state(transform: str) -> None:
    import pickle

    st = make_st(transform)
    with torch.no_grad():
        st.regression.weight.normal_(std=0.01)
    x = torch.rand(2, 1, 6, 6)
    clone = pickle.loads(pickle.dumps(st))  # e.g. torch.save(model), multiprocessing
    assert torch.allclose(clone(x)[0], st(x)[0])
    fresh = make_st(transform)
    fresh.load_state_dict(st.state_dict())
    assert torch.allclose(fresh(x)[0], st(x)[0])
