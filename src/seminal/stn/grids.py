"""Grid generators (paper §3.2): θ -> sampling grid, one function per transform the paper names.

All of them follow :mod:`seminal.stn.convention`: the grid maps every *output* pixel centre
``(x_t, y_t)`` (normalised, pixel-centre aligned, −1..1) to the *input* point ``(x_s, y_s)`` that
is sampled there, and they return ``(N, H, W, 2)`` in ``(x, y)`` order -- ready for
:func:`seminal.stn.sampling.sample_grid`.

===================  ==========================  ===============================================
transform            θ (paper symbol -> shape)   map (output -> input)
===================  ==========================  ===============================================
affine (eq. 1)       A_θ -> ``(N, 2, 3)``        ``(x_s, y_s) = A_θ (x_t, y_t, 1)ᵀ``
attention (eq. 2)    (s, t_x, t_y) -> ``(N, 3)`` ``A_θ = [[s, 0, t_x], [0, s, t_y]]``
similarity (ours)    (α, ln s, t_x, t_y) ->       ``A_θ = [[s cos α, −s sin α, t_x], [s sin α, s cos α, t_y]]``
                     ``(N, 4)``                  (rotation + isotropic scale + translation)
projective (§3.2)    8 params -> ``(N, 8)`` or   ``(u, v, w) = H (x_t, y_t, 1)ᵀ``, ``(x_s, y_s) = (u/w, v/w)``
                     ``(N, 3, 3)``               with ``H[2, 2] = 1`` for the 8-parameter form
thin plate spline    source control points ->    the TPS through the K pairs (c_k -> θ_k), c_k on a
(§3.2, [4])          ``(N, K, 2)`` or ``(N, 2K)`` regular grid of the output (4×4 = 16 by default)
===================  ==========================  ===============================================

Implementation notes (not deviations):
* The affine grid is a broadcast multiply-add rather than ``torch.nn.functional.affine_grid``;
  on CPU it is several times cheaper (spec sheet, "torch facts") and gives the same numbers.
* The TPS system ``L`` is solved once, in float64, per (control points, output size): a grid is
  then one ``(HW × K) @ (K × 2)`` product per image (:class:`TPSGridGenerator`).
* The paper's TPS parametrisation is "the positions of the control points in the source"; we use
  exactly that, so θ = control points is the identity.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from seminal.stn.convention import base_grid, pixel_centers

__all__ = [
    "affine_grid",
    "attention_grid",
    "attention_to_affine",
    "similarity_to_affine",
    "similarity_grid",
    "projective_grid",
    "projective_matrix",
    "tps_control_points",
    "tps_radial_basis",
    "tps_grid_matrix",
    "tps_grid",
    "TPSGridGenerator",
    "solve_homography",
    "check_size",
    "check_theta",
]


# ---------------------------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------------------------
def check_size(size: Sequence[int]) -> tuple[int, int]:
    """Validate an output size ``(H, W)`` and return it as a tuple of ints."""
    try:
        height, width = size  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"Invalid size: {size!r} (expected (H, W), two positive ints)") from None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (height, width)):
        raise ValueError(f"Invalid size: {tuple(size)!r} (expected (H, W), two positive ints)")
    return int(height), int(width)


def check_theta(theta: torch.Tensor, transform: str, trailing: Sequence[tuple[int, ...]]) -> None:
    """Raise TypeError/ValueError unless ``theta`` is a floating tensor of shape ``(N, *t)`` for a ``t`` in ``trailing``."""
    if not isinstance(theta, torch.Tensor):
        raise TypeError(f"Invalid theta for transform {transform!r}: expected a torch.Tensor, got {type(theta).__name__}")
    if not theta.dtype.is_floating_point:
        raise TypeError(
            f"Invalid theta dtype for transform {transform!r}: {theta.dtype} (expected a floating point dtype)"
        )
    if theta.dim() < 1 or tuple(theta.shape[1:]) not in [tuple(t) for t in trailing]:
        expected = " or ".join("(N, " + ", ".join(str(d) for d in t) + ")" for t in trailing)
        raise ValueError(
            f"Invalid theta shape for transform {transform!r}: {tuple(theta.shape)} (expected {expected})"
        )


# ---------------------------------------------------------------------------------------------
# affine and attention (eq. 1, eq. 2)
# ---------------------------------------------------------------------------------------------
def affine_grid(theta: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Eq. 1: ``(x_s, y_s)ᵀ = A_θ (x_t, y_t, 1)ᵀ`` for every output pixel centre.

    Args:
        theta: ``A_θ``, shape ``(N, 2, 3)``.
        size: output size ``(H', W')`` (may differ from the input's).

    Returns:
        ``(N, H', W', 2)`` source points in ``(x, y)`` order, same values as
        ``F.affine_grid(theta, (N, C, H', W'), align_corners=False)``.
    """
    check_theta(theta, "affine", [(2, 3)])
    height, width = check_size(size)
    xs = pixel_centers(width, dtype=theta.dtype, device=theta.device).view(1, 1, width)  # (1, 1, W)
    ys = pixel_centers(height, dtype=theta.dtype, device=theta.device).view(1, height, 1)  # (1, H, 1)
    a = theta.unsqueeze(-1).unsqueeze(-1)  # (N, 2, 3, 1, 1)
    # Broadcast multiply-add: row r of A_θ gives coordinate r of the source point.
    x_s = a[:, 0, 0] * xs + a[:, 0, 1] * ys + a[:, 0, 2]  # (N, H, W)
    y_s = a[:, 1, 0] * xs + a[:, 1, 1] * ys + a[:, 1, 2]  # (N, H, W)
    return torch.stack((x_s, y_s), dim=-1)


def attention_to_affine(params: torch.Tensor) -> torch.Tensor:
    """Eq. 2: ``(s, t_x, t_y)`` -> ``A_θ = [[s, 0, t_x], [0, s, t_y]]``, shape ``(N, 2, 3)``."""
    check_theta(params, "attention", [(3,)])
    s, tx, ty = params.unbind(dim=1)
    zero = torch.zeros_like(s)
    return torch.stack((torch.stack((s, zero, tx), 1), torch.stack((zero, s, ty), 1)), 1)


def attention_grid(params: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Eq. 2 attention grid: isotropic scale ``s`` and translation ``(t_x, t_y)``; params ``(N, 3)``."""
    return affine_grid(attention_to_affine(params), size)


def similarity_to_affine(params: torch.Tensor) -> torch.Tensor:
    """``(α, ln s, t_x, t_y)`` -> ``A_θ = [[s cos α, −s sin α, t_x], [s sin α, s cos α, t_y]]``, ``(N, 2, 3)``.

    A constrained affine map (rotation α in radians, isotropic scale ``s = exp(ln s)``,
    translation): not one of the paper's transforms, a variant of eq. 1 that cannot shear or
    mirror; the identity is ``(0, 0, 0, 0)``.
    """
    check_theta(params, "similarity", [(4,)])
    angle, log_scale, tx, ty = params.unbind(dim=1)
    scale = torch.exp(log_scale)
    cos, sin = scale * torch.cos(angle), scale * torch.sin(angle)
    return torch.stack((torch.stack((cos, -sin, tx), 1), torch.stack((sin, cos, ty), 1)), 1)


def similarity_grid(params: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Grid of :func:`similarity_to_affine`; params ``(N, 4)`` = ``(α, ln s, t_x, t_y)``."""
    return affine_grid(similarity_to_affine(params), size)


# ---------------------------------------------------------------------------------------------
# plane projective
# ---------------------------------------------------------------------------------------------
def projective_matrix(theta: torch.Tensor) -> torch.Tensor:
    """``(N, 8)`` -> ``(N, 3, 3)`` homography with ``H[2, 2] = 1``; ``(N, 3, 3)`` passes through."""
    check_theta(theta, "projective", [(8,), (3, 3)])
    if theta.dim() == 3:
        return theta
    one = torch.ones(theta.shape[0], 1, dtype=theta.dtype, device=theta.device)
    return torch.cat((theta, one), dim=1).view(-1, 3, 3)


def projective_grid(theta: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """Plane projective grid: ``(u, v, w)ᵀ = H (x_t, y_t, 1)ᵀ``, source ``(u/w, v/w)``.

    Args:
        theta: ``(N, 8)`` (the paper's 8 parameters, row-major ``H`` without ``H[2, 2] = 1``) or a
            full ``(N, 3, 3)`` homography.
        size: output size ``(H', W')``.

    A point with ``w = 0`` maps to infinity (Inf/NaN in the grid); :class:`SpatialTransformer`
    rejects such grids instead of sampling them.
    """
    h = projective_matrix(theta)  # (N, 3, 3)
    height, width = check_size(size)
    xs = pixel_centers(width, dtype=h.dtype, device=h.device).view(1, 1, width)
    ys = pixel_centers(height, dtype=h.dtype, device=h.device).view(1, height, 1)
    m = h.unsqueeze(-1).unsqueeze(-1)  # (N, 3, 3, 1, 1)
    # Row sums first on the small (N, 1, W) / (N, H, 1) factors: one full-size add per coordinate.
    u = m[:, 0, 0] * xs + (m[:, 0, 1] * ys + m[:, 0, 2])  # (N, H, W)
    v = m[:, 1, 0] * xs + (m[:, 1, 1] * ys + m[:, 1, 2])
    w = m[:, 2, 0] * xs + (m[:, 2, 1] * ys + m[:, 2, 2])
    return torch.stack((u / w, v / w), dim=-1)


def solve_homography(from_points: torch.Tensor, to_points: torch.Tensor) -> torch.Tensor:
    """The homography ``H`` (``H[2, 2] = 1``) with ``H (p, 1)ᵀ ∝ (q, 1)ᵀ`` for 4 point pairs.

    Args:
        from_points, to_points: ``(N, 4, 2)`` in ``(x, y)``. Solved in float64 (8×8 linear system,
            direct linear transform) and returned in ``from_points.dtype``.
    """
    for name, pts in (("from_points", from_points), ("to_points", to_points)):
        if not isinstance(pts, torch.Tensor) or pts.dim() != 3 or tuple(pts.shape[1:]) != (4, 2):
            shape = tuple(pts.shape) if isinstance(pts, torch.Tensor) else type(pts).__name__
            raise ValueError(f"Invalid {name}: {shape} (expected a tensor of shape (N, 4, 2))")
    p = from_points.to(torch.float64)
    q = to_points.to(torch.float64)
    x, y = p[..., 0], p[..., 1]  # (N, 4)
    u, v = q[..., 0], q[..., 1]
    zeros, ones = torch.zeros_like(x), torch.ones_like(x)
    # u (h20 x + h21 y + 1) = h00 x + h01 y + h02, likewise for v.
    rows_u = torch.stack((x, y, ones, zeros, zeros, zeros, -u * x, -u * y), dim=-1)  # (N, 4, 8)
    rows_v = torch.stack((zeros, zeros, zeros, x, y, ones, -v * x, -v * y), dim=-1)
    a = torch.cat((rows_u, rows_v), dim=1)  # (N, 8, 8)
    b = torch.cat((u, v), dim=1)  # (N, 8)
    h = torch.linalg.solve(a, b)
    return projective_matrix(h).to(from_points.dtype)


# ---------------------------------------------------------------------------------------------
# thin plate spline
# ---------------------------------------------------------------------------------------------
def tps_control_points(
    grid_size: int | tuple[int, int] = 4,
    *,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Control points on a regular ``rows × cols`` grid spanning −1..1 (paper: 4×4 = 16), ``(K, 2)``.

    Ordered row by row (y outer, x inner), in ``(x, y)``.
    """
    rows, cols = (grid_size, grid_size) if isinstance(grid_size, int) else grid_size
    if not all(isinstance(v, int) and v >= 2 for v in (rows, cols)):
        raise ValueError(f"Invalid grid_size: {grid_size!r} (expected an int >= 2 or a pair of them)")
    ys, xs = torch.meshgrid(
        torch.linspace(-1.0, 1.0, rows, dtype=dtype, device=device),
        torch.linspace(-1.0, 1.0, cols, dtype=dtype, device=device),
        indexing="ij",
    )
    return torch.stack((xs.reshape(-1), ys.reshape(-1)), dim=-1)


def tps_radial_basis(sq_dist: torch.Tensor) -> torch.Tensor:
    """TPS kernel ``U(r) = r² log r²`` of the squared distance (``U(0) = 0``)."""
    # r² log r² -> 0 as r -> 0; the clamp keeps log finite and 0 · log(tiny) = 0 exactly.
    tiny = torch.finfo(sq_dist.dtype).tiny
    return sq_dist * torch.log(sq_dist.clamp_min(tiny))


def _check_control_points(control_points: torch.Tensor) -> None:
    if (
        not isinstance(control_points, torch.Tensor)
        or control_points.dim() not in (2, 3)
        or control_points.shape[-1] != 2
        or control_points.shape[-2] < 3
    ):
        shape = tuple(control_points.shape) if isinstance(control_points, torch.Tensor) else type(control_points).__name__
        raise ValueError(f"Invalid control_points: {shape} (expected (K, 2) or (N, K, 2) with K >= 3)")


def _tps_system_inverse(c: torch.Tensor) -> torch.Tensor:
    """``L⁻¹[:, :K]`` for control points ``c`` ``(N, K, 2)`` (float64), ``(N, K+3, K)``."""
    n, k = c.shape[0], c.shape[1]
    p = torch.cat((torch.ones(n, k, 1, dtype=c.dtype, device=c.device), c), dim=2)  # (N, K, 3)
    system = torch.zeros(n, k + 3, k + 3, dtype=c.dtype, device=c.device)
    system[:, :k, :k] = tps_radial_basis(torch.cdist(c, c).square())
    system[:, :k, k:] = p
    system[:, k:, :k] = p.transpose(1, 2)
    rhs = torch.zeros(n, k + 3, k, dtype=c.dtype, device=c.device)
    rhs[:, :k, :] = torch.eye(k, dtype=c.dtype, device=c.device)
    return torch.linalg.solve(system, rhs)


def _tps_features(c: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``[U(|p − c_k|)_k, 1, x, y]`` for every output pixel centre ``p``, ``(N, HW, K+3)``."""
    n = c.shape[0]
    height, width = size
    points = base_grid(height, width, dtype=c.dtype, device=c.device).view(1, -1, 3)  # (1, HW, 3)
    xy = points[..., :2].expand(n, -1, -1)
    return torch.cat((tps_radial_basis(torch.cdist(xy, c).square()), points[..., 2:].expand(n, -1, -1), xy), dim=2)


def tps_grid_matrix(control_points: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """The float64 matrix ``M`` with ``grid = M @ θ``: every output point as a combination of the
    source control points.

    The TPS through pairs ``c_k -> θ_k`` is ``f(p) = a_0 + a_x x + a_y y + Σ_k w_k U(|p − c_k|)``
    with ``[w; a] = L⁻¹ [θ; 0]``, ``L = [[K, P], [Pᵀ, 0]]``, ``K_ij = U(|c_i − c_j|)``,
    ``P = [1, x, y]``. Hence ``f(p) = [U(|p − c|), 1, x, y] · L⁻¹[:, :K] · θ`` -- linear in θ.

    Args:
        control_points: the target (output-side) points ``c``, ``(K, 2)`` or per image ``(N, K, 2)``.
        size: output size ``(H', W')``.

    Returns:
        ``(H'W', K)`` or ``(N, H'W', K)``, float64.
    """
    _check_control_points(control_points)
    size = check_size(size)
    c = control_points.to(torch.float64)
    batched = c.dim() == 3
    if not batched:
        c = c.unsqueeze(0)
    matrix = _tps_features(c, size) @ _tps_system_inverse(c)  # (N, HW, K)
    return matrix if batched else matrix[0]


def _tps_theta(theta: torch.Tensor, k: int) -> torch.Tensor:
    check_theta(theta, "tps", [(k, 2), (2 * k,)])
    return theta.view(theta.shape[0], k, 2)


def tps_grid(theta: torch.Tensor, size: Sequence[int], control_points: torch.Tensor | None = None) -> torch.Tensor:
    """Thin plate spline grid: output control point ``c_k`` samples the input at ``θ_k``.

    Args:
        theta: source positions of the control points, ``(N, K, 2)`` or flattened ``(N, 2K)``.
        size: output size ``(H', W')``.
        control_points: ``c``, ``(K, 2)`` or ``(N, K, 2)``; default the paper's regular 4×4 grid.

    Solves the TPS system on every call; use :class:`TPSGridGenerator` to solve it once.
    """
    if control_points is None:
        control_points = tps_control_points(4, dtype=torch.float64, device=getattr(theta, "device", None))
    _check_control_points(control_points)
    height, width = check_size(size)
    src = _tps_theta(theta, control_points.shape[-2])
    if control_points.dim() == 2:
        matrix = tps_grid_matrix(control_points, (height, width)).to(device=src.device, dtype=src.dtype)
        return (matrix @ src).view(src.shape[0], height, width, 2)
    # Per-image control points: solve for the coefficients of θ only, (N, K+3, 2), then evaluate.
    c = control_points.to(torch.float64)
    coeff = (_tps_system_inverse(c).to(src.dtype) @ src).to(torch.float64)  # (N, K+3, 2)
    grid = _tps_features(c, (height, width)).to(src.dtype) @ coeff.to(src.dtype)
    return grid.view(src.shape[0], height, width, 2)


class TPSGridGenerator:
    """TPS grids with the linear solve done once in float64 per (output size, device, dtype).

    ``TPSGridGenerator(tps_control_points(4))(theta, (H, W))`` equals ``tps_grid(theta, (H, W))``
    but costs one batched matrix product.
    """

    def __init__(self, control_points: torch.Tensor | None = None) -> None:
        if control_points is None:
            control_points = tps_control_points(4, dtype=torch.float64)
        _check_control_points(control_points)
        if control_points.dim() != 2:
            raise ValueError(f"Invalid control_points: {tuple(control_points.shape)} (expected (K, 2))")
        self.control_points = control_points.detach().to("cpu", torch.float64)
        self._cache: dict[tuple[int, int, torch.device, torch.dtype], torch.Tensor] = {}

    @property
    def num_points(self) -> int:
        return int(self.control_points.shape[0])

    def matrix(self, size: Sequence[int], device: torch.device, dtype: torch.dtype) -> torch.Tensor:
        height, width = check_size(size)
        key = (height, width, torch.device(device), dtype)
        if key not in self._cache:
            self._cache[key] = tps_grid_matrix(self.control_points, (height, width)).to(device=device, dtype=dtype)
        return self._cache[key]

    def __call__(self, theta: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
        src = _tps_theta(theta, self.num_points)
        height, width = check_size(size)
        matrix = self.matrix((height, width), src.device, src.dtype)  # (HW, K)
        return torch.matmul(matrix, src).view(src.shape[0], height, width, 2)
