"""The one coordinate convention of :mod:`seminal.stn` (every grid generator and sampler uses it).

Convention
----------
* **Direction: output -> input** (paper §3.2, eq. 1). A grid holds, for every pixel of the
  *output* (target) image, the point of the *input* (source) image that is sampled there:
  ``grid[n, i, j] = (x_s, y_s)`` for output row ``i``, column ``j``. Moving θ to the right moves
  the sampled window to the right, i.e. the picture content moves *left*.
* **Order (x, y)**: ``grid[..., 0]`` is the horizontal coordinate (column), ``grid[..., 1]`` the
  vertical one (row), as in torch's ``affine_grid``/``grid_sample``.
* **Normalised coordinates, pixel-centre aligned** (``align_corners=False``): −1 and +1 are the
  outer *edges* of the image, so the centre of pixel ``m`` of a ``W``-pixel row is at
  ``x = (2m + 1) / W − 1``. Coordinates therefore mean the same physical place at every
  resolution, which is what an output size different from the input size needs (§3.4).
  Every fast path passes ``align_corners=False`` to torch explicitly; mixing the two
  conventions shifts the image by half a pixel (spec sheet: max error 0.75 on a [0, 1] image).
* **Pixel units**, used by the paper's sampler (eq. 3–7) and by :mod:`seminal.stn.sampling`'s
  reference implementation: ``m = ((x + 1) W − 1) / 2`` (see :func:`normalized_to_pixel`).
* **Outside the image** the input is zero (the literal sums of eq. 3 only run over existing
  pixels; torch's ``padding_mode="zeros"``).

The paper leaves pixel-centre versus pixel-edge alignment open; this is our choice, and
``tests/stn/test_convention.py`` pins it (identity grids, a 90° rotation, round trips).
"""

from __future__ import annotations

import torch

__all__ = ["ALIGN_CORNERS", "base_grid", "normalized_to_pixel", "pixel_to_normalized", "pixel_centers"]

#: The torch ``align_corners`` flag that matches this convention. Never pass anything else.
ALIGN_CORNERS: bool = False


def pixel_centers(size: int, *, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
    """Normalised coordinates of the ``size`` pixel centres along one axis: ``(2m + 1)/size − 1``."""
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"Invalid size: {size!r} (expected a positive int)")
    steps = torch.arange(size, dtype=dtype, device=device)
    return (2.0 * steps + 1.0) / size - 1.0


def base_grid(height: int, width: int, *, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None) -> torch.Tensor:
    """The output (target) pixel centres as homogeneous points, shape ``(H, W, 3)``: ``(x_t, y_t, 1)``."""
    xs = pixel_centers(width, dtype=dtype, device=device)
    ys = pixel_centers(height, dtype=dtype, device=device)
    grid = torch.empty(height, width, 3, dtype=dtype, device=device)
    grid[..., 0] = xs.view(1, width)
    grid[..., 1] = ys.view(height, 1)
    grid[..., 2] = 1.0
    return grid


def normalized_to_pixel(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Normalised coordinate -> pixel index units (pixel ``m`` has its centre at ``m``)."""
    return ((coord + 1.0) * size - 1.0) / 2.0


def pixel_to_normalized(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Pixel index units -> normalised coordinate; the inverse of :func:`normalized_to_pixel`."""
    return (2.0 * coord + 1.0) / size - 1.0
