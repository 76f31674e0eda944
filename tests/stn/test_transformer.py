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
    out, theta = st.forward_with_theta(x)
    assert torch.allclose(out, x, atol=1e-5)
    assert theta.shape == (3, transform_spec(transform).num_params)
    assert torch.all(st.regression.weight == 0)
    assert torch.allclose(theta, transform_spec(transform).identity.expand(3, -1))


@pytest.mark.parametrize(("transform", "count"), [("affine", 6), ("attention", 3), ("similarity", 4), ("projective", 8), ("tps", 32)])
def test_parameter_counts(transform: str, count: int) -> None:
    assert make_st(transform).num_params == count
    assert make_st("tps", tps_grid_size=3).num_params == 18


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_gradients_reach_the_localisation_network(transform: str) -> None:
    st = make_st(transform)
    x = torch.rand(2, 1, 6, 6)
    out = st(x)
    (out * torch.rand_like(out)).sum().backward()
    assert st.regression.weight.grad is not None and st.regression.weight.grad.abs().sum() > 0


def test_output_size_differs_from_input() -> None:
    st = make_st(output_size=(3, 4))
    out = st(torch.rand(2, 1, 6, 6))
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
    out, thetas = SeriesSpatialTransformers(a, b, return_theta=True)(x)
    assert out.shape == x.shape and [t.shape[1] for t in thetas] == [6, 3]
    with torch.no_grad():
        a.regression.bias.copy_(torch.tensor([0.5, 0, 0, 0, 0.5, 0]))  # zoom in 2×
        b.regression.bias.copy_(torch.tensor([0.5, 0, 0]))  # and again
    series = SeriesSpatialTransformers(a, b)(x)
    direct = a.warp(a.warp(x, a.regression.bias.expand(2, -1)), torch.tensor([[0.5, 0, 0, 0, 0.5, 0]]).expand(2, -1))
    assert torch.allclose(series, direct, atol=1e-6)
    par, thetas = ParallelSpatialTransformers(a, b).forward_with_theta(x)
    assert par.shape == (2, 2, 6, 6) and len(thetas) == 2
    assert torch.allclose(par[:, :1], a(x)) and torch.allclose(par[:, 1:], b(x))
    assert torch.equal(ParallelSpatialTransformers(a, b)(x), par)


def test_parallel_needs_one_output_size() -> None:
    with pytest.raises(ValueError, match=r"Invalid transformers: output sizes differ"):
        ParallelSpatialTransformers(make_st(output_size=(3, 3)), make_st(output_size=(4, 4)))


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_diverging_theta_raises_instead_of_sampling(bad: float) -> None:
    st = make_st()
    with torch.no_grad():
        st.regression.bias[0] = bad
    with pytest.raises(NonFiniteTransformError, match=r"Non-finite values in theta of the 'affine' spatial transformer from a finite input"):
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
    with pytest.raises(ValueError, match=r"Invalid transform: 'shear' \(expected one of \('affine', 'attention', 'similarity', 'projective', 'tps'\)\)"):
        make_st("shear")
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
    assert torch.allclose(clone(x), st(x))
    fresh = make_st(transform)
    fresh.load_state_dict(st.state_dict())
    assert torch.allclose(fresh(x), st(x))


# --- drop-in use: nn.Sequential, θ on request -------------------------------------------------
def test_transformer_fits_in_sequential_and_gives_theta_on_request() -> None:
    st = make_st()
    model = nn.Sequential(st, nn.Flatten(), nn.Linear(36, 3))
    x = torch.rand(4, 1, 6, 6)
    assert model(x).shape == (4, 3)
    out, theta = st.forward_with_theta(x)
    assert torch.equal(st(x), out) and theta.shape == (4, 6)
    with_theta = make_st(return_theta=True)
    with_theta.load_state_dict(st.state_dict())
    out2, theta2 = with_theta(x)
    assert torch.equal(out2, out) and torch.equal(theta2, theta)


def test_localisation_width_mismatch_names_the_argument() -> None:
    st = SpatialTransformer(nn.Sequential(nn.Flatten(), nn.Linear(36, 8)), 5)
    with pytest.raises(ValueError, match=r"Invalid loc_features: 5 \(the localization network outputs 8 features.*loc_features=8"):
        st(torch.rand(2, 1, 6, 6))


# --- finiteness guard -------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_input_is_blamed_on_the_input(bad: float) -> None:
    x = torch.rand(2, 1, 6, 6)
    x[1, 0, 2, 3] = bad
    with pytest.raises(NonFiniteTransformError, match=r"input image .*the input is non-finite") as info:
        make_st()(x)
    assert "diverged" not in str(info.value)


def test_guard_catches_non_finite_sampler_output(monkeypatch: pytest.MonkeyPatch) -> None:
    import seminal.stn.transformer as module

    def broken_sampler(input, grid, mode="bilinear"):
        out = torch.nn.functional.grid_sample(input, grid, align_corners=False)
        out[0, 0, 0, 0] = float("nan")
        return out

    monkeypatch.setattr(module, "sample_grid", broken_sampler)
    with pytest.raises(NonFiniteTransformError, match=r"sampler .* produced NaN/Inf from a finite input and grid"):
        make_st()(torch.rand(1, 1, 6, 6))
    assert make_st(check_finite=False)(torch.rand(1, 1, 6, 6)).isnan().any()


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_input_is_sampled_in_float32(dtype: torch.dtype) -> None:
    # torch's CPU grid_sample in bf16/fp16 gives NaN or ~3e38 at 192-256 px; ours samples in float32.
    loc = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten())
    st = SpatialTransformer(loc, 4).to(dtype)
    with torch.no_grad():
        st.regression.bias.copy_(torch.tensor([0.9, 0.2, 0.05, -0.1, 0.8, 0.02]))
    x = torch.rand(2, 1, 256, 256)
    out = st(x.to(dtype))
    assert out.dtype == dtype and torch.isfinite(out).all()
    reference = make_reference(st, x)
    assert (out.float() - reference).abs().max() < 0.02


def make_reference(st: SpatialTransformer, x: torch.Tensor) -> torch.Tensor:
    theta = st.regression.bias.float().expand(x.shape[0], -1)
    grid = torch.nn.functional.affine_grid(theta.view(-1, 2, 3), list(x.shape), align_corners=False)
    return torch.nn.functional.grid_sample(x, grid, align_corners=False)


def test_autocast_builds_the_grid_in_float32() -> None:
    st = make_st()
    with torch.no_grad():
        st.regression.bias.copy_(torch.tensor([0.7, 0.3, 0.1, -0.2, 0.9, 0.0]))
    x = torch.rand(2, 1, 6, 6)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = st(x)
    assert out.dtype == torch.float32
    theta = st.regression.bias.detach().bfloat16().float().expand(2, -1)  # θ comes out of a bf16 matmul
    assert torch.allclose(out, st.warp(x, theta), atol=1e-6)


