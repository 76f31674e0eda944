"""Grid generators (§3.2): hand-built cases, cross-transform identities, gradcheck, bad θ."""

from __future__ import annotations


import pytest
import torch
import torch.nn.functional as F

from seminal.stn.grids import (
    TPSGridGenerator,
    affine_grid,
    attention_grid,
    attention_to_affine,
    projective_grid,
    solve_homography,
    tps_control_points,
    tps_grid,
    tps_grid_matrix,
)

D = torch.float64


def random_affine(n: int = 3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.eye(2, 3, dtype=D) + 0.3 * torch.randn(n, 2, 3, generator=g, dtype=D)


def test_affine_grid_matches_torch_affine_grid() -> None:
    theta = random_affine()
    for size in [(5, 7), (1, 1), (9, 4)]:
        expected = F.affine_grid(theta, [3, 1, *size], align_corners=False)
        assert torch.allclose(affine_grid(theta, size), expected, atol=1e-12)


def test_attention_is_the_eq2_affine() -> None:
    params = torch.tensor([[0.5, 0.1, -0.2], [1.0, 0.0, 0.0]], dtype=D)
    expected = torch.tensor([[[0.5, 0, 0.1], [0, 0.5, -0.2]], [[1, 0, 0], [0, 1, 0]]], dtype=D)
    assert torch.equal(attention_to_affine(params), expected)
    assert torch.allclose(attention_grid(params, (4, 4)), affine_grid(expected, (4, 4)))


def test_projective_with_affine_homography_equals_affine_grid() -> None:
    theta = random_affine()
    eight = torch.cat((theta.reshape(3, 6), torch.zeros(3, 2, dtype=D)), dim=1)
    assert torch.allclose(projective_grid(eight, (6, 5)), affine_grid(theta, (6, 5)), atol=1e-12)
    # A full 3×3 with a scaled last row is the same projective map.
    full = torch.cat((theta, torch.tensor([0, 0, 1.0], dtype=D).expand(3, 1, 3)), dim=1) * 2.5
    assert torch.allclose(projective_grid(full, (6, 5)), affine_grid(theta, (6, 5)), atol=1e-12)


def test_projective_divides_by_the_third_coordinate() -> None:
    h = torch.tensor([[1.0, 0, 0, 0, 1, 0, 0.5, 0]], dtype=D)  # w = 1 + 0.5 x
    grid = projective_grid(h, (1, 2))  # x_t = ∓0.5, y_t = 0
    assert torch.allclose(grid[0, 0, :, 0], torch.tensor([-0.5 / 0.75, 0.5 / 1.25], dtype=D))


def test_solve_homography_maps_the_four_points() -> None:
    g = torch.Generator().manual_seed(1)
    p = torch.tensor([[-1.0, -1], [1, -1], [1, 1], [-1, 1]], dtype=D).expand(2, 4, 2)
    q = p + 0.2 * torch.randn(2, 4, 2, generator=g, dtype=D)
    h = solve_homography(p, q)
    mapped = h @ torch.cat((p, torch.ones(2, 4, 1, dtype=D)), dim=2).transpose(1, 2)
    assert torch.allclose((mapped[:, :2] / mapped[:, 2:]).transpose(1, 2), q, atol=1e-10)


def test_tps_unmoved_control_points_give_the_identity() -> None:
    points = tps_control_points(4, dtype=D)
    identity = affine_grid(torch.eye(2, 3, dtype=D).unsqueeze(0), (7, 9))
    assert torch.allclose(tps_grid(points.unsqueeze(0), (7, 9)), identity, atol=1e-12)


@pytest.mark.parametrize("grid_size", [4, 3, (2, 5)])
def test_tps_with_affinely_moved_points_equals_the_affine_grid(grid_size) -> None:
    theta = random_affine(2, seed=3)
    points = tps_control_points(grid_size, dtype=D)
    moved = points @ theta[:, :, :2].transpose(1, 2) + theta[:, :, 2].unsqueeze(1)  # (2, K, 2)
    expected = affine_grid(theta, (6, 8))
    assert torch.allclose(tps_grid(moved, (6, 8), points), expected, atol=1e-10)
    assert torch.allclose(TPSGridGenerator(points)(moved.reshape(2, -1), (6, 8)), expected, atol=1e-10)


def test_tps_interpolates_its_control_points() -> None:
    # A 2×2 output whose pixel centres ARE the control points: the grid must hit θ exactly.
    points = torch.tensor([[-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5], [0.5, 0.5]], dtype=D)
    theta = points + 0.1 * torch.randn(1, 4, 2, generator=torch.Generator().manual_seed(0), dtype=D)
    grid = tps_grid(theta, (2, 2), points)
    assert torch.allclose(grid.view(1, 4, 2), theta, atol=1e-12)


def test_tps_per_image_control_points_match_the_shared_matrix() -> None:
    points = tps_control_points(4, dtype=D)
    per_image = points + 0.05 * torch.randn(3, 16, 2, generator=torch.Generator().manual_seed(2), dtype=D)
    theta = torch.randn(3, 16, 2, generator=torch.Generator().manual_seed(5), dtype=D)
    expected = torch.stack([tps_grid(theta[i : i + 1], (4, 5), per_image[i])[0] for i in range(3)])
    assert torch.allclose(tps_grid(theta, (4, 5), per_image), expected, atol=1e-10)
    assert tps_grid_matrix(per_image, (4, 5)).shape == (3, 20, 16)


def test_tps_generator_caches_the_float64_solve() -> None:
    gen = TPSGridGenerator()
    theta = tps_control_points(4).unsqueeze(0)
    gen(theta, (5, 5))
    m1 = gen.matrix((5, 5), torch.device("cpu"), torch.float32)
    gen(theta, (5, 5))
    assert gen.matrix((5, 5), torch.device("cpu"), torch.float32) is m1
    assert gen.control_points.dtype == torch.float64


# ------------------------------------------------------------------ gradcheck (float64)
def test_gradcheck_affine_and_attention() -> None:
    theta = random_affine(2).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: affine_grid(t, (3, 4)), (theta,))
    params = torch.tensor([[0.8, 0.1, -0.1]], dtype=D, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: attention_grid(t, (3, 4)), (params,))


def test_gradcheck_projective() -> None:
    eight = torch.tensor([[1.0, 0.1, 0.0, -0.1, 0.9, 0.05, 0.1, -0.05]], dtype=D, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: projective_grid(t, (3, 4)), (eight,))


def test_gradcheck_tps() -> None:
    theta = (tps_control_points(3, dtype=D) + 0.05).unsqueeze(0).requires_grad_()
    assert torch.autograd.gradcheck(lambda t: tps_grid(t, (3, 4), tps_control_points(3, dtype=D)), (theta,))
    gen = TPSGridGenerator(tps_control_points(3, dtype=D))
    assert torch.autograd.gradcheck(lambda t: gen(t, (3, 4)), (theta,))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("fn", "theta", "error", "match"),
    [
        (affine_grid, torch.zeros(2, 6), ValueError, r"Invalid theta shape for transform 'affine': \(2, 6\) \(expected \(N, 2, 3\)\)"),
        (affine_grid, torch.zeros(2, 2, 3, dtype=torch.int64), TypeError, r"Invalid theta dtype for transform 'affine': torch.int64"),
        (affine_grid, [[1, 0, 0]], TypeError, r"expected a torch.Tensor, got list"),
        (attention_grid, torch.zeros(2, 4), ValueError, r"'attention': \(2, 4\) \(expected \(N, 3\)\)"),
        (projective_grid, torch.zeros(1, 9), ValueError, r"'projective': \(1, 9\) \(expected \(N, 8\) or \(N, 3, 3\)\)"),
        (tps_grid, torch.zeros(1, 15, 2), ValueError, r"'tps': \(1, 15, 2\) \(expected \(N, 16, 2\) or \(N, 32\)\)"),
    ],
)
def test_bad_theta_gives_precise_errors(fn, theta, error, match) -> None:
    with pytest.raises(error, match=match):
        fn(theta, (4, 4))


@pytest.mark.parametrize("size", [(0, 4), (4,), (2.0, 3), "ab"])
def test_bad_size(size) -> None:
    with pytest.raises(ValueError, match=r"Invalid size: .* \(expected \(H, W\), two positive ints\)"):
        affine_grid(torch.eye(2, 3).unsqueeze(0), size)


def test_bad_control_points() -> None:
    with pytest.raises(ValueError, match=r"Invalid control_points: \(4, 3\)"):
        tps_grid(torch.zeros(1, 4, 2), (3, 3), torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"Invalid grid_size: 1"):
        tps_control_points(1)


def test_projective_fast_backward_matches_autograd_of_the_formula() -> None:
    g = torch.Generator().manual_seed(12)
    h = (torch.eye(3, dtype=D) + 0.1 * torch.randn(2, 3, 3, generator=g, dtype=D)).requires_grad_()
    weights = torch.randn(2, 4, 5, 2, generator=g, dtype=D)
    (projective_grid(h, (4, 5)) * weights).sum().backward()
    # The same map written with plain autograd ops (the paper's formula, no custom backward).
    h2 = h.detach().clone().requires_grad_()
    ys, xs = torch.meshgrid(
        (2 * torch.arange(4, dtype=D) + 1) / 4 - 1, (2 * torch.arange(5, dtype=D) + 1) / 5 - 1, indexing="ij"
    )
    pts = torch.stack((xs, ys, torch.ones_like(xs)), -1)  # (4, 5, 3)
    uvw = torch.einsum("nij,hwj->nhwi", h2, pts)
    plain = uvw[..., :2] / uvw[..., 2:]
    (plain * weights).sum().backward()
    assert torch.allclose(projective_grid(h, (4, 5)), plain, atol=1e-12)
    assert torch.allclose(h.grad, h2.grad, atol=1e-12)
