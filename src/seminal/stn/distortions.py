"""Distorted MNIST (paper §4.1, Appendix A.4, read from secondary sources), generated with seminal's own grid generators.

=====  ===========================================================================================
set    generation (spec sheet), all with the bilinear sampler and zero background
=====  ===========================================================================================
R      rotation φ ~ U[−90°, +90°], 28×28
RTS    rotation φ ~ U[−45°, 45°], scale s ~ U[0.7, 1.2], the digit centre placed uniformly at
       random in a 42×42 canvas so that the scaled 28×28 frame stays inside (±(42 − 28s)/2 px)
P      scale s ~ U[0.75, 1.0], then each of the 4 image corners moved by N(0, σ = 5 px):
       the homography mapping the moved corners (output) back to the original corners (input)
E      scale s ~ U[0.75, 1.0], then a 4×4 TPS whose 16 (scaled) control points are moved by
       N(0, σ = 1.5 px): the TPS mapping the moved points (output) to the regular grid (input)
TC     the digit at a uniformly random integer position in a 60×60 canvas plus six 6×6 crops of
       random other digits (each one of the up to 1,024 digits before it in the set; the first
       digit takes the second's) at random positions (clutter), combined by max
=====  ===========================================================================================

Random draws come from the ``torch.Generator`` passed in, in a fixed order, so a seed gives the same
images on every machine. :func:`distort` makes image ``i`` a fixed function of ``(seed, i)``: the
set is cut into blocks of :data:`BLOCK` images, block ``b`` draws from its own generator seeded
from ``(seed, b)`` and always draws a whole block's parameters, so the first ``N`` images are the
same whatever the number of images. Pixel lengths (σ, translations) are output pixels; the conversion to
normalised coordinates follows :mod:`seminal.stn.convention` (half an image = ``size / 2`` px).
Reading notes (the appendix is from secondary sources): the rotation is about the image centre;
"random position" for RTS keeps the whole scaled 28×28 frame in the canvas; TC clutter is
composited with a pixel-wise max.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from seminal.stn.grids import affine_grid, projective_grid, solve_homography, tps_control_points, tps_grid
from seminal.stn.sampling import sample_grid

__all__ = [
    "DISTORTIONS",
    "OUTPUT_SIZE",
    "rotation_scale_theta",
    "rotate",
    "rotate_translate_scale",
    "project",
    "elastic",
    "translate_clutter",
    "distort",
    "distort_batch",
    "block_generator",
    "BLOCK",
]

DISTORTIONS: tuple[str, ...] = ("R", "RTS", "P", "E", "TC")
#: Side of the distorted images of each set.
OUTPUT_SIZE: dict[str, int] = {"R": 28, "RTS": 42, "P": 28, "E": 28, "TC": 60}
DIGIT = 28
#: Images per random block of :func:`distort` (part of the definition of every set).
BLOCK = 1024
#: TC clutter comes from one of the up to this many digits before the one placed.
CLUTTER_WINDOW = 1024


def _uniform(n: int, low: float, high: float, gen: torch.Generator, draws: int | None = None) -> torch.Tensor:
    """``n`` draws from U[low, high], consuming ``max(n, draws)`` from ``gen`` (a block's worth)."""
    return (low + (high - low) * torch.rand(max(n, draws or 0), generator=gen, dtype=torch.float64))[:n]


def _rand(shape: tuple[int, ...], gen: torch.Generator, draws: int | None = None) -> torch.Tensor:
    """U[0, 1) of ``shape``, consuming ``max(shape[0], draws)`` rows from ``gen``."""
    rows = max(shape[0], draws or 0)
    return torch.rand(rows, *shape[1:], generator=gen, dtype=torch.float64)[: shape[0]]


def _randn(shape: tuple[int, ...], gen: torch.Generator, draws: int | None = None) -> torch.Tensor:
    rows = max(shape[0], draws or 0)
    return torch.randn(rows, *shape[1:], generator=gen, dtype=torch.float64)[: shape[0]]


def _as_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` or float ``(N, 1, 28, 28)`` -> float32 ``(N, 1, 28, 28)`` in [0, 1]."""
    if images.dim() == 3:
        images = images.unsqueeze(1)
    if images.dim() != 4 or images.shape[1] != 1:
        raise ValueError(f"Invalid images shape: {tuple(images.shape)} (expected (N, 28, 28) or (N, 1, 28, 28))")
    if images.dtype == torch.uint8:
        return images.float() / 255.0
    return images.float()


def rotation_scale_theta(
    angle_deg: torch.Tensor, scale: torch.Tensor, offset_px: torch.Tensor, out_size: int, in_size: int = DIGIT
) -> torch.Tensor:
    """Affine θ ``(N, 2, 3)`` that shows the input rotated by ``angle_deg`` (counter-clockwise as
    displayed), scaled by ``scale`` and with its centre moved by ``offset_px`` ``(N, 2)`` output
    pixels ``(x right, y down)``, on an ``out_size`` canvas.

    Output -> input in pixels about the centres: ``p_in = R(φ)⁻¹ (p_out − t) / s``.
    """
    phi = torch.deg2rad(angle_deg.to(torch.float64))
    cos, sin = torch.cos(phi), torch.sin(phi)
    # Counter-clockwise on screen (y down) is R(−φ) in (x, y); its inverse is R(φ).
    inv_rot = torch.stack((torch.stack((cos, -sin), -1), torch.stack((sin, cos), -1)), -2)  # (N, 2, 2)
    lin_px = inv_rot / scale.to(torch.float64).view(-1, 1, 1)
    out_half, in_half = out_size / 2.0, in_size / 2.0
    lin = lin_px * (out_half / in_half)
    offset = -(lin_px @ offset_px.to(torch.float64).unsqueeze(-1)).squeeze(-1) / in_half
    return torch.cat((lin, offset.unsqueeze(-1)), dim=-1)


def _warp(images: torch.Tensor, grid: torch.Tensor) -> torch.Tensor:
    return sample_grid(images, grid.to(images.dtype), "bilinear").clamp_(0.0, 1.0)


def rotate(
    images: torch.Tensor, gen: torch.Generator, draws: int | None = None, max_angle: float = 90.0
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """R: rotation U[−90°, 90°] (``±max_angle``) about the centre, 28×28.

    ``draws``: consume this many draws per parameter (≥ the number of images; :func:`distort`
    passes a whole block so the images do not depend on how many there are).
    """
    x = _as_float(images)
    n = x.shape[0]
    angle = _uniform(n, -max_angle, max_angle, gen, draws)
    theta = rotation_scale_theta(angle, torch.ones(n, dtype=torch.float64), torch.zeros(n, 2, dtype=torch.float64), DIGIT)
    return _warp(x, affine_grid(theta, (DIGIT, DIGIT))), {"angle": angle}


def rotate_translate_scale(
    images: torch.Tensor, gen: torch.Generator, draws: int | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """RTS: rotation U[−45°, 45°], scale U[0.7, 1.2], random position in a 42×42 canvas."""
    x = _as_float(images)
    n, size = x.shape[0], OUTPUT_SIZE["RTS"]
    angle = _uniform(n, -45.0, 45.0, gen, draws)
    scale = _uniform(n, 0.7, 1.2, gen, draws)
    room = (size - DIGIT * scale) / 2.0  # (N,) px the centre may move either way
    offset = (2.0 * _rand((n, 2), gen, draws) - 1.0) * room.unsqueeze(-1)
    theta = rotation_scale_theta(angle, scale, offset, size)
    return _warp(x, affine_grid(theta, (size, size))), {"angle": angle, "scale": scale, "offset": offset}


def project(
    images: torch.Tensor, gen: torch.Generator, draws: int | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """P: scale U[0.75, 1], corners moved by N(0, 5 px); the homography output corners -> input corners."""
    x = _as_float(images)
    n = x.shape[0]
    scale = _uniform(n, 0.75, 1.0, gen, draws)
    corners = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]], dtype=torch.float64)
    noise = _randn((n, 4, 2), gen, draws) * (5.0 / (DIGIT / 2.0))
    moved = corners * scale.view(-1, 1, 1) + noise  # (N, 4, 2) where the corners appear in the output
    homography = solve_homography(moved, corners.expand(n, -1, -1))  # output -> input
    return _warp(x, projective_grid(homography, (DIGIT, DIGIT))), {"scale": scale}


def elastic(
    images: torch.Tensor, gen: torch.Generator, draws: int | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """E: scale U[0.75, 1], 4×4 TPS control points moved by N(0, 1.5 px)."""
    x = _as_float(images)
    n = x.shape[0]
    scale = _uniform(n, 0.75, 1.0, gen, draws)
    points = tps_control_points(4, dtype=torch.float64)  # (16, 2)
    noise = _randn((n, points.shape[0], 2), gen, draws) * (1.5 / (DIGIT / 2.0))
    moved = points * scale.view(-1, 1, 1) + noise  # output-side control points
    # Small chunks: the per-image TPS matrices are (chunk, 784, 16) float64.
    warped = [
        _warp(x[i : i + 256], tps_grid(points.expand(len(moved[i : i + 256]), -1, -1), (DIGIT, DIGIT), moved[i : i + 256]))
        for i in range(0, n, 256)
    ]
    return (torch.cat(warped) if warped else x.new_zeros(0, 1, DIGIT, DIGIT)), {"scale": scale}


def translate_clutter(
    images: torch.Tensor,
    gen: torch.Generator,
    draws: int | None = None,
    num_clutter: int = 6,
    clutter_size: int = 6,
    *,
    pool: torch.Tensor | None = None,
    first_index: int = 0,
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """TC: the digit at a random position of a 60×60 canvas plus ``num_clutter`` random crops of
    other digits.

    The crops come from ``pool`` (default: ``images``), in which ``images[j]`` is digit
    ``first_index + j``: digit ``g`` takes each crop from one of the up to :data:`CLUTTER_WINDOW`
    digits before it (digit 0 from digit 1), never from itself, so a digit's clutter does not
    depend on how many digits follow it.
    """
    x = _as_float(images)
    source_pool = x if pool is None else _as_float(pool)
    n, size, total = x.shape[0], OUTPUT_SIZE["TC"], source_pool.shape[0]
    canvas = torch.zeros(n, 1, size, size)
    top_left = (_rand((n, 2), gen, draws) * (size - DIGIT + 1)).floor().long()
    index = first_index + torch.arange(n)
    for _ in range(num_clutter):
        back = index.clamp(max=CLUTTER_WINDOW).double()
        pick = (index - 1 - (_rand((n,), gen, draws) * back).floor().long()).clamp(min=0)
        source = torch.where(index == 0, torch.ones_like(index).clamp(max=max(total - 1, 0)), pick)
        crop_at = (_rand((n, 2), gen, draws) * (DIGIT - clutter_size + 1)).floor().long()
        put_at = (_rand((n, 2), gen, draws) * (size - clutter_size + 1)).floor().long()
        for i in range(n):
            cr, cc = int(crop_at[i, 0]), int(crop_at[i, 1])
            pr, pc = int(put_at[i, 0]), int(put_at[i, 1])
            crop = source_pool[int(source[i]), :, cr : cr + clutter_size, cc : cc + clutter_size]
            region = canvas[i, :, pr : pr + clutter_size, pc : pc + clutter_size]
            torch.maximum(region, crop, out=region)
    for i in range(n):  # the digit last: clutter never hides it (max is order-free anyway)
        r, c = int(top_left[i, 0]), int(top_left[i, 1])
        region = canvas[i, :, r : r + DIGIT, c : c + DIGIT]
        torch.maximum(region, x[i], out=region)
    return canvas, {"top_left": top_left}


_GENERATORS: dict[str, Callable[..., tuple[torch.Tensor, dict[str, torch.Tensor]]]] = {
    "R": rotate,
    "RTS": rotate_translate_scale,
    "P": project,
    "E": elastic,
}


def block_generator(seed: int, block: int) -> torch.Generator:
    """The generator of block ``block`` of a set generated with ``seed``."""
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + int(block) * 7_919 + 12_345) % (1 << 63))


def distort_batch(name: str, images: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Distort one batch (uint8 ``(N, 28, 28)`` or float ``(N, 1, 28, 28)`` on the CPU) with set
    ``name``, drawing from ``gen``; TC takes its clutter from the other digits of the batch.

    For training on distortions drawn afresh; fixed sets come from :func:`distort`.
    """
    if name not in DISTORTIONS:
        raise ValueError(f"Invalid distortion: {name!r} (expected one of {DISTORTIONS})")
    if name == "TC":
        return translate_clutter(images, gen)[0]
    return _GENERATORS[name](images, gen)[0]


def distort(name: str, images: torch.Tensor, seed: int) -> torch.Tensor:
    """Distort ``images`` (uint8 ``(N, 28, 28)``) with set ``name``; deterministic for ``seed``.

    Returns float32 ``(N, 1, S, S)`` in [0, 1], ``S = OUTPUT_SIZE[name]``. Image ``i`` depends on
    ``(seed, i)`` and the source digits only (blocks of :data:`BLOCK` images with their own
    generators, see the module docstring), so the first ``N`` images are the same whatever the
    number of images.
    """
    if name not in DISTORTIONS:
        raise ValueError(f"Invalid distortion: {name!r} (expected one of {DISTORTIONS})")
    parts = []
    for block, start in enumerate(range(0, images.shape[0], BLOCK)):
        gen = block_generator(seed, block)
        chunk = images[start : start + BLOCK]
        if name == "TC":
            parts.append(translate_clutter(chunk, gen, BLOCK, pool=images, first_index=start)[0])
        else:
            parts.append(_GENERATORS[name](chunk, gen, BLOCK)[0])
    if not parts:
        size = OUTPUT_SIZE[name]
        return torch.zeros(0, 1, size, size)
    return torch.cat(parts)
