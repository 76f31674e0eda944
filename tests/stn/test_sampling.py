"""Samplers (§3.3, eq. 3–7): fast path vs the paper-literal oracle, exact moves, gradients."""

from __future__ import annotations

import pytest
import torch

from seminal.stn.grids import affine_grid, projective_grid, tps_control_points, tps_grid
from seminal.stn.sampling import reference_sample, sample_grid

D = torch.float64


def jittered_grid(n: int, size: tuple[int, int], seed: int) -> torch.Tensor:
    """A random affine grid, pushed off integer pixel positions (eq. 7 vs torch differ there)."""
    g = torch.Generator().manual_seed(seed)
    theta = torch.eye(2, 3, dtype=D) + 0.25 * torch.randn(n, 2, 3, generator=g, dtype=D)
    return affine_grid(theta, size) + 0.013


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_fast_sampler_matches_reference(mode: str) -> None:
    g = torch.Generator().manual_seed(0)
    image = torch.rand(2, 3, 6, 7, generator=g, dtype=D)
    for grid in (jittered_grid(2, (5, 9), 1), 1.4 * jittered_grid(2, (4, 4), 2)):  # also outside the image
        assert torch.allclose(sample_grid(image, grid, mode), reference_sample(image, grid, mode), atol=1e-12)


def test_fast_sampler_matches_reference_on_projective_and_tps_grids() -> None:
    image = torch.rand(1, 2, 8, 8, generator=torch.Generator().manual_seed(3), dtype=D)
    grids = [
        projective_grid(torch.tensor([[1.0, 0.1, 0.02, -0.1, 0.9, 0.0, 0.2, -0.1]], dtype=D), (6, 6)),
        tps_grid((tps_control_points(4, dtype=D) * 0.8 + 0.03).unsqueeze(0), (6, 6)),
    ]
    for grid in grids:
        assert torch.allclose(sample_grid(image, grid), reference_sample(image, grid), atol=1e-12)


def test_gradients_match_reference() -> None:
    g = torch.Generator().manual_seed(4)
    image = torch.rand(2, 2, 5, 6, generator=g, dtype=D)
    grid = jittered_grid(2, (4, 5), 5)
    weights = torch.rand(2, 2, 4, 5, generator=g, dtype=D)
    grads = []
    for fn in (sample_grid, reference_sample):
        u = image.clone().requires_grad_()
        s = grid.clone().requires_grad_()
        (fn(u, s) * weights).sum().backward()
        grads.append((u.grad, s.grad))
    assert torch.allclose(grads[0][0], grads[1][0], atol=1e-12)  # eq. 6
    assert torch.allclose(grads[0][1], grads[1][1], atol=1e-10)  # eq. 7 (chain rule to normalised)


def test_gradcheck_reference_sampler_eq6_eq7() -> None:
    # The explicit eq. 6–7 backward against finite differences (non-integer sample points).
    image = torch.rand(1, 2, 4, 5, generator=torch.Generator().manual_seed(6), dtype=D).requires_grad_()
    grid = jittered_grid(1, (3, 3), 7).requires_grad_()
    assert torch.autograd.gradcheck(reference_sample, (image, grid))


def test_gradcheck_fast_sampler() -> None:
    image = torch.rand(1, 2, 4, 5, generator=torch.Generator().manual_seed(8), dtype=D).requires_grad_()
    grid = jittered_grid(1, (3, 3), 9).requires_grad_()
    assert torch.autograd.gradcheck(sample_grid, (image, grid))
    assert torch.autograd.gradcheck(lambda u: sample_grid(u, grid.detach(), "nearest"), (image,))


def test_nearest_has_no_grid_gradient() -> None:
    image = torch.rand(1, 1, 4, 4, dtype=D, requires_grad=True)
    grid = jittered_grid(1, (3, 3), 10).requires_grad_()
    reference_sample(image, grid, "nearest").sum().backward()
    assert grid.grad is None or torch.all(grid.grad == 0)
    fast_image = image.detach().clone().requires_grad_()
    fast = grid.detach().clone().requires_grad_()
    sample_grid(fast_image, fast, "nearest").sum().backward()
    assert torch.all(fast.grad == 0)
    assert torch.equal(image.grad, fast_image.grad)  # eq. 4's ∂V/∂U: a 0/1 count per input pixel


def test_eq7_subgradient_bracket_hand_computed() -> None:
    # U = [0, 10] in one row; sample at x_s = 0.25 px: V = 2.5, ∂V/∂x_s = U_1 − U_0 = 10 (pixel units).
    image = torch.tensor([[[[0.0, 10.0]]]], dtype=D)
    x_norm = (2 * 0.25 + 1) / 2 - 1  # pixel 0.25 -> normalised, W = 2
    grid = torch.tensor([[[[x_norm, 0.0]]]], dtype=D, requires_grad=True)
    out = reference_sample(image, grid)
    assert torch.allclose(out, torch.tensor(2.5, dtype=D))
    out.sum().backward()
    assert torch.allclose(grid.grad[0, 0, 0, 0], torch.tensor(10.0 * 2 / 2, dtype=D))  # dpix/dnorm = W/2 = 1


@pytest.mark.parametrize("fn", [sample_grid, reference_sample])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_identity_returns_the_input(fn, mode: str) -> None:
    image = torch.rand(2, 3, 5, 7, dtype=D)
    grid = affine_grid(torch.eye(2, 3, dtype=D).expand(2, 2, 3), (5, 7))
    assert torch.allclose(fn(image, grid, mode), image, atol=1e-12)


@pytest.mark.parametrize("fn", [sample_grid, reference_sample])
def test_90_degree_rotation_moves_pixels_exactly(fn) -> None:
    image = torch.rand(1, 2, 5, 5, dtype=D)
    # Output (x, y) samples input (y, −x): the output is the input turned 90° clockwise (rot90, k=−1).
    theta = torch.tensor([[[0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]], dtype=D)
    out = fn(image, affine_grid(theta, (5, 5)))
    assert torch.allclose(out, torch.rot90(image, k=-1, dims=(2, 3)), atol=1e-12)
    # Non-square: a 3×5 input rotated into a 5×3 output moves every pixel exactly too.
    wide = torch.rand(1, 1, 3, 5, dtype=D)
    assert torch.allclose(fn(wide, affine_grid(theta, (5, 3))), torch.rot90(wide, k=-1, dims=(2, 3)), atol=1e-12)


def test_channels_share_one_warp() -> None:
    image = torch.rand(1, 1, 6, 6, dtype=D)
    grid = jittered_grid(1, (4, 4), 11)
    stacked = sample_grid(torch.cat((image, 2 * image), dim=1), grid)
    assert torch.allclose(stacked[:, 1], 2 * stacked[:, 0])


@pytest.mark.parametrize(
    ("image", "grid", "mode", "error", "match"),
    [
        (torch.rand(1, 4, 4), torch.zeros(1, 2, 2, 2), "bilinear", ValueError, r"Invalid input shape: \(1, 4, 4\) \(expected \(N, C, H, W\)\)"),
        (torch.rand(1, 1, 4, 4), torch.zeros(1, 2, 2, 3), "bilinear", ValueError, r"Invalid grid shape: \(1, 2, 2, 3\) \(expected \(N, H', W', 2\)\)"),
        (torch.rand(2, 1, 4, 4), torch.zeros(1, 2, 2, 2), "bilinear", ValueError, r"Invalid grid batch size: 1 \(expected 2"),
        (torch.rand(1, 1, 4, 4), torch.zeros(1, 2, 2, 2, dtype=D), "bilinear", TypeError, r"Invalid dtypes: input torch.float32, grid torch.float64"),
        (torch.rand(1, 1, 4, 4), torch.zeros(1, 2, 2, 2, device="meta"), "bilinear", ValueError, r"Invalid grid device: meta \(expected cpu"),
        (torch.rand(1, 1, 4, 4), torch.zeros(1, 2, 2, 2), "bicubic", ValueError, r"Invalid mode: 'bicubic' \(expected one of \('bilinear', 'nearest'\)\)"),
    ],
)
@pytest.mark.parametrize("fn", [sample_grid, reference_sample])
def test_bad_sampler_inputs(fn, image, grid, mode, error, match) -> None:
    with pytest.raises(error, match=match):
        fn(image, grid, mode)


def test_reference_sampler_refuses_double_backward() -> None:
    # Its eq. 6-7 backward reuses kernels saved in the forward: a second derivative would be wrong.
    image = torch.rand(1, 1, 5, 5, dtype=D, requires_grad=True)
    grid = jittered_grid(1, (4, 4), 9).requires_grad_(True)
    out = reference_sample(image, grid)
    (grad_grid,) = torch.autograd.grad(out.square().sum(), grid, create_graph=True)
    with pytest.raises(RuntimeError, match=r"once_differentiable|does not require grad|second derivative"):
        grad_grid.sum().backward()
