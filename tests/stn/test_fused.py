"""The fused projective warp against the paper-literal oracle (eq. 3-7) and the grid path."""

from __future__ import annotations

import pytest
import torch

from seminal.stn import fused
from seminal.stn.fused import fused_projective_available, projective_warp, takes_fused_path
from seminal.stn.grids import projective_grid
from seminal.stn.sampling import reference_sample, sample_grid



@pytest.fixture
def native_kernel() -> None:
    """Skip without a C++ compiler. A fixture, not a skipif mark: building at import time would
    use the user's cache instead of the test session's private one (tests/conftest.py)."""
    if not fused_projective_available():
        pytest.skip("native kernel not built (no C++ compiler, or SEMINAL_NO_NATIVE=1)")


needs_native = pytest.mark.usefixtures("native_kernel")


def random_homography(n: int, scale: float, dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    identity = torch.tensor([1.0, 0, 0, 0, 1, 0, 0, 0], dtype=dtype)
    return identity + scale * torch.randn(n, 8, generator=g, dtype=dtype)


def oracle(image: torch.Tensor, theta: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    return reference_sample(image, projective_grid(theta, size))


@needs_native
@pytest.mark.parametrize(("shape", "size"), [((3, 2, 7, 9), (5, 6)), ((2, 3, 8, 8), (8, 8)), ((4, 1, 6, 5), (9, 4))])
def test_fused_matches_the_oracle_in_float64_values_and_gradients(shape: tuple[int, ...], size: tuple[int, int]) -> None:
    g = torch.Generator().manual_seed(1)
    image = torch.rand(shape, generator=g, dtype=torch.float64, requires_grad=True)
    # Scale 0.2: parts of the output sample outside the image (zero padding is exercised).
    theta = random_homography(shape[0], 0.2, torch.float64).requires_grad_()
    assert takes_fused_path(image, theta)
    ours, ref = projective_warp(image, theta, size), oracle(image, theta, size)
    torch.testing.assert_close(ours, ref, rtol=0, atol=1e-13)
    assert (ref == 0).any() and (ref != 0).any()
    grad_out = torch.randn(ours.shape, generator=g, dtype=torch.float64)
    ours_grads = torch.autograd.grad(ours, (image, theta), grad_out)
    ref_grads = torch.autograd.grad(ref, (image, theta), grad_out)
    for a, b in zip(ours_grads, ref_grads):
        torch.testing.assert_close(a, b, rtol=1e-11, atol=1e-11)


@needs_native
def test_fused_gradcheck() -> None:
    image = torch.rand(2, 2, 5, 6, dtype=torch.float64, requires_grad=True)
    theta = random_homography(2, 0.1, torch.float64, seed=3).requires_grad_()
    assert torch.autograd.gradcheck(lambda u, t: projective_warp(u, t, (4, 5)), (image, theta))


@needs_native
def test_fused_float32_matches_the_grid_path() -> None:
    image = torch.rand(16, 3, 20, 24, requires_grad=True)
    theta = random_homography(16, 0.05, torch.float32).requires_grad_()
    ours = projective_warp(image, theta)
    grid_path = sample_grid(image, projective_grid(theta, (20, 24)))
    torch.testing.assert_close(ours, grid_path, rtol=0, atol=1e-5)
    grad_out = torch.randn_like(ours)
    for a, b in zip(torch.autograd.grad(ours, (image, theta), grad_out), torch.autograd.grad(grid_path, (image, theta), grad_out)):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-3)


@needs_native
def test_full_homography_and_eight_parameters_agree() -> None:
    image = torch.rand(3, 1, 6, 6, dtype=torch.float64)
    eight = random_homography(3, 0.1, torch.float64)
    full = torch.cat((eight, torch.ones(3, 1, dtype=torch.float64)), 1).view(3, 3, 3)
    torch.testing.assert_close(projective_warp(image, eight), projective_warp(image, 2.0 * full), rtol=0, atol=1e-14)


@needs_native
def test_broadcast_gradient_equals_the_contiguous_one() -> None:
    # out.sum() hands the backward an expanded (stride 0) gradient; the kernel reads it by strides.
    image = torch.rand(4, 2, 7, 7, dtype=torch.float64, requires_grad=True)
    theta = random_homography(4, 0.1, torch.float64).requires_grad_()
    expanded = torch.autograd.grad(projective_warp(image, theta).sum(), (image, theta))
    dense = torch.autograd.grad(projective_warp(image, theta), (image, theta), torch.ones(4, 2, 7, 7, dtype=torch.float64))
    for a, b in zip(expanded, dense):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-14)


@needs_native
def test_threads_split_the_batch_without_changing_results() -> None:
    image = torch.rand(12, 2, 9, 9, dtype=torch.float64, requires_grad=True)
    theta = random_homography(12, 0.1, torch.float64).requires_grad_()
    threads = torch.get_num_threads()
    try:
        results = []
        for count in (1, 3):
            torch.set_num_threads(count)
            out = projective_warp(image, theta)
            results.append((out, *torch.autograd.grad(out.square().sum(), (image, theta))))
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(*results):
        assert torch.equal(a, b)


@needs_native
def test_divide_by_zero_gives_nan_in_that_column_only_and_finite_gradients() -> None:
    # w = 1 - 2 x_t vanishes at the centre x_t = 0.5 of column 4 of 6 (centres (2m + 1)/6 - 1).
    theta = torch.tensor([[1.0, 0, 0, 0, 1, 0, -2.0, 0]], dtype=torch.float64, requires_grad=True)
    image = torch.rand(1, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    out = projective_warp(image, theta)
    assert out[..., 4].isnan().all()
    assert not out[..., [0, 1, 2, 3, 5]].isnan().any()
    grads = torch.autograd.grad(out[..., [0, 1, 2, 3, 5]].sum(), (image, theta))
    assert all(torch.isfinite(g).all() for g in grads)


def test_nearest_mode_and_cuda_take_the_grid_path() -> None:
    image = torch.rand(2, 1, 5, 5)
    theta = random_homography(2, 0.1, torch.float32)
    assert not takes_fused_path(image, theta, "nearest")
    assert not takes_fused_path(image, theta.double())
    torch.testing.assert_close(projective_warp(image, theta, mode="nearest"), sample_grid(image, projective_grid(theta, (5, 5)), "nearest"))


def test_without_the_native_kernel_the_grid_path_gives_the_same_function(monkeypatch: pytest.MonkeyPatch) -> None:
    image = torch.rand(3, 2, 7, 8, dtype=torch.float64, requires_grad=True)
    theta = random_homography(3, 0.1, torch.float64).requires_grad_()
    monkeypatch.setattr(fused, "fused_projective_available", lambda: False)
    assert not takes_fused_path(image, theta)
    out = projective_warp(image, theta, (5, 6))
    torch.testing.assert_close(out, oracle(image, theta, (5, 6)), rtol=0, atol=1e-13)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"theta": torch.zeros(2, 9)}, ValueError, r"'projective': \(2, 9\)"),
        ({"input": torch.zeros(2, 5, 5)}, ValueError, r"Invalid input shape: \(2, 5, 5\)"),
        ({"theta": torch.zeros(3, 8)}, ValueError, r"Invalid theta batch size: 3 \(expected 2"),
        ({"size": (0, 4)}, ValueError, r"Invalid size"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict, error: type, match: str) -> None:
    args = {"input": torch.zeros(2, 1, 5, 5), "theta": torch.zeros(2, 8), "size": None} | kwargs
    with pytest.raises(error, match=match):
        projective_warp(args["input"], args["theta"], args["size"])
