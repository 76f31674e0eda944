"""Distorted MNIST generation (§4.1): deterministic, the documented geometry, the right sizes."""

from __future__ import annotations

import pytest
import torch

from seminal.stn.distortions import (
    DISTORTIONS,
    OUTPUT_SIZE,
    distort,
    elastic,
    project,
    rotate,
    rotate_translate_scale,
    rotation_scale_theta,
    translate_clutter,
)
from seminal.stn.grids import affine_grid
from seminal.stn.sampling import sample_grid


def blob_digits(n: int = 6, seed: int = 0) -> torch.Tensor:
    """Synthetic uint8 'digits': random bright strokes inside the central 20×20 box (like MNIST)."""
    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(n, 28, 28, dtype=torch.uint8)
    images[:, 4:24, 4:24] = (torch.rand(n, 20, 20, generator=g) > 0.7).to(torch.uint8) * 255
    return images


@pytest.mark.parametrize("name", DISTORTIONS)
def test_distort_is_deterministic_and_sized(name: str) -> None:
    digits = blob_digits()
    a, b, c = distort(name, digits, seed=1), distort(name, digits, seed=1), distort(name, digits, seed=2)
    size = OUTPUT_SIZE[name]
    assert a.shape == (6, 1, size, size) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() <= 1 and a.sum() > 0


def test_rotation_theta_is_counter_clockwise_as_displayed() -> None:
    x = torch.rand(1, 1, 28, 28)
    theta = rotation_scale_theta(torch.tensor([90.0]), torch.ones(1), torch.zeros(1, 2), 28)
    out = sample_grid(x, affine_grid(theta.float(), (28, 28)))
    assert torch.allclose(out, torch.rot90(x, k=1, dims=(2, 3)), atol=1e-5)


def test_rotation_scale_theta_places_and_scales() -> None:
    # A single bright pixel centre at the digit centre moves by the offset and the canvas is 42 px.
    x = torch.zeros(1, 1, 28, 28)
    x[..., 13:15, 13:15] = 1.0  # 2×2 block around the centre
    theta = rotation_scale_theta(torch.zeros(1), torch.ones(1), torch.tensor([[5.0, -3.0]]), 42)
    out = sample_grid(x, affine_grid(theta.float(), (42, 42)))
    rows, cols = torch.nonzero(out[0, 0] > 0.99, as_tuple=True)
    assert sorted(set(rows.tolist())) == [20 - 3, 21 - 3] and sorted(set(cols.tolist())) == [20 + 5, 21 + 5]


@pytest.mark.parametrize("fn", [rotate, rotate_translate_scale, project, elastic])
def test_generators_report_their_parameters_in_range(fn) -> None:
    out, params = fn(blob_digits(64), torch.Generator().manual_seed(0))
    if "angle" in params:
        limit = 90.0 if fn is rotate else 45.0
        assert params["angle"].abs().max() <= limit
    if "scale" in params:
        low, high = (0.7, 1.2) if fn is rotate_translate_scale else (0.75, 1.0)
        assert params["scale"].min() >= low and params["scale"].max() <= high


def test_rts_ink_scales_with_area() -> None:
    digits = blob_digits(32)
    out, params = rotate_translate_scale(digits, torch.Generator().manual_seed(0))
    ratio = out.sum(dim=(1, 2, 3)) / (digits.float() / 255).sum(dim=(1, 2))
    assert torch.allclose(ratio, params["scale"].float() ** 2, rtol=0.08)


def test_tc_contains_the_digit_and_clutter() -> None:
    digits = blob_digits(8)
    canvas, params = translate_clutter(digits, torch.Generator().manual_seed(0))
    assert canvas.shape == (8, 1, 60, 60)
    for i in range(8):
        r, c = params["top_left"][i].tolist()
        window = canvas[i, 0, r : r + 28, c : c + 28]
        assert torch.all(window >= digits[i].float() / 255)  # max-composited: the digit is intact
    assert canvas.sum() > sum(d.float().sum() / 255 for d in digits)  # clutter adds ink


def test_bad_name() -> None:
    with pytest.raises(ValueError, match=r"Invalid distortion: 'X' \(expected one of \('R', 'RTS', 'P', 'E', 'TC'\)\)"):
        distort("X", blob_digits(1), 0)


@pytest.mark.parametrize("name", DISTORTIONS)
def test_first_images_do_not_depend_on_the_count(name: str) -> None:
    # Image i is a function of (seed, i): a longer set starts with the shorter one, also across blocks.
    from seminal.stn import distortions

    digits = blob_digits(12, seed=3)
    old_block = distortions.BLOCK
    distortions.BLOCK = 4  # several blocks, one of them partial, on a small set
    try:
        short, long = distort(name, digits[:5], seed=7), distort(name, digits, seed=7)
    finally:
        distortions.BLOCK = old_block
    assert torch.equal(short, long[:5])
    assert torch.equal(distort(name, digits[:3], seed=7), distort(name, digits, seed=7)[:3])
