"""How canonical the ST outputs are: the residual transform between the ST output and the digit.

For a test digit distorted with a known affine map ``D`` (canvas -> digit, output -> input as
everywhere in :mod:`seminal.stn.convention`) and the ST's θ (ST output -> canvas), the residual
``R = D ∘ θ`` maps the ST output to the undistorted digit. A perfect canonicaliser makes ``R`` the
same for every digit; an upright one makes its rotation 0. With the identity ST the residual is
``D`` itself, so ``D`` gives the input's spread on the same scale.

Rotation ψ of a 2×2 map: the angle of its closest rotation (polar decomposition),
``atan2(a₁₀ − a₀₁, a₀₀ + a₁₁)``. Scale: ``√|det|``. Position: the translation column (where the ST
output's centre lands in the digit, in half-widths of the digit).

Angles are circular: the **circular mean** ``atan2(mean sin, mean cos)`` says whether the frame
is upright, the **circular spread** ``√(−2 ln R̄)`` (the circular standard deviation, ``R̄`` the
mean resultant length) whether it is consistent. A linear standard deviation cannot see a
constant tilt; the circular mean can.

**The ST's own frame.** The residual is measured against the undistorted digit, so an ST that
also straightens a digit's own slant counts that as error. :func:`upright_frame_statistics`
separates the two: it compares each rotated copy's residual with the residual of the *same digit
upright* (the ST's rotation of it), i.e. how consistently the ST maps every rotated copy to the
frame it picks for the upright one (the paper's "canonical form"), and how much it rotates the
upright digits themselves. :func:`slant_statistics` then asks whether that own rotation is
the digits' slant being straightened: it correlates it with the tilt of each upright digit's
principal axis (second moments of the ink; :func:`axis_tilt_deg`). Diagnostics beside the
residual, not replacements for it.
"""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = [
    "polar_angle_deg",
    "zoom",
    "compose_affine",
    "circular_mean_deg",
    "circular_spread_deg",
    "residual_statistics",
    "upright_frame_statistics",
    "axis_tilt_deg",
    "slant_statistics",
    "MIN_ELONGATION",
    "ROTATION_BINS_DEG",
    "TURNED_DEG",
]

#: Bins of the input's |rotation| for the per-bin residual (where does the residual come from?).
ROTATION_BINS_DEG: tuple[tuple[float, float], ...] = ((0.0, 30.0), (30.0, 60.0), (60.0, 90.0))
#: A residual rotation this far from the circular mean counts as a digit turned the wrong way.
TURNED_DEG = 45.0


def polar_angle_deg(linear: torch.Tensor) -> torch.Tensor:
    """Rotation angle (degrees) of 2×2 maps ``(N, 2, 2)``: the angle of their closest rotation."""
    return torch.rad2deg(torch.atan2(linear[:, 1, 0] - linear[:, 0, 1], linear[:, 0, 0] + linear[:, 1, 1]))


def zoom(linear: torch.Tensor) -> torch.Tensor:
    """Isotropic scale ``√|det A|`` of 2×2 maps ``(N, 2, 2)``."""
    return torch.linalg.det(linear).abs().sqrt()


def compose_affine(outer: torch.Tensor, inner: torch.Tensor) -> torch.Tensor:
    """``outer ∘ inner`` for 2×3 affine maps ``(N, 2, 3)`` (apply ``inner`` first)."""
    linear = outer[:, :, :2] @ inner[:, :, :2]
    offset = outer[:, :, :2] @ inner[:, :, 2:] + outer[:, :, 2:]
    return torch.cat((linear, offset), dim=2)


def _wrapped_deg(angles_deg: torch.Tensor) -> torch.Tensor:
    """Angles in degrees wrapped to [−180, 180)."""
    return torch.remainder(angles_deg + 180.0, 360.0) - 180.0


def _resultant(angles_deg: torch.Tensor) -> tuple[float, float]:
    rad = torch.deg2rad(angles_deg.double())
    return float(torch.cos(rad).mean()), float(torch.sin(rad).mean())


def circular_mean_deg(angles_deg: torch.Tensor) -> float:
    """Circular mean of angles in degrees, in (−180, 180]."""
    c, s = _resultant(angles_deg)
    return math.degrees(math.atan2(s, c))


def circular_spread_deg(angles_deg: torch.Tensor) -> float:
    """Circular standard deviation ``√(−2 ln R̄)`` in degrees (0 when every angle is equal)."""
    c, s = _resultant(angles_deg)
    length = min(1.0, math.hypot(c, s))
    return math.degrees(math.sqrt(-2.0 * math.log(length))) if length > 0 else float("inf")


def residual_statistics(distortion: torch.Tensor, st_theta: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, Any]:
    """Rotation, scale and position of the residual ``distortion ∘ st_theta`` beside the input's.

    Args:
        distortion: ``D`` ``(N, 2, 3)``, canvas -> undistorted digit.
        st_theta: the ST's affine θ ``(N, 2, 3)``, ST output -> canvas.
        labels: optional class labels ``(N,)``: adds the circular mean rotation per class.

    Returns a dict of floats: ``rotation_mean_deg`` / ``rotation_spread_deg`` (residual),
    ``input_rotation_spread_deg``, ``rotation_spread_ratio``; ``scale_*`` on ``log √|det|``
    (``scale_mean`` is the residual's geometric-mean zoom); ``position_*`` as the RMS distance of
    the translation from its mean and from 0; ``*_ratio`` is None where the input does not vary.
    ``rotation_by_input_deg``: per bin of the input's ``|rotation|`` (:data:`ROTATION_BINS_DEG`,
    the last one open above) the digit count and the residual's circular mean and spread, to tell a
    transformer that undoes small rotations and saturates on large ones from one that is noisy
    everywhere. ``rotation_turned_fraction``: the share of digits whose residual rotation is more
    than :data:`TURNED_DEG` from the circular mean (turned the wrong way), and
    ``rotation_spread_deg_without_turned`` the circular spread of the others (None if none is left).
    """
    distortion, st_theta = distortion.double(), st_theta.double()
    residual = compose_affine(distortion, st_theta)
    rot, rot_in = polar_angle_deg(residual[:, :, :2]), polar_angle_deg(distortion[:, :, :2])
    log_zoom, log_zoom_in = zoom(residual[:, :, :2]).log(), zoom(distortion[:, :, :2]).log()
    pos, pos_in = residual[:, :, 2], distortion[:, :, 2]

    def spread(v: torch.Tensor) -> float:
        return float((v - v.mean(0)).square().sum(-1 if v.dim() > 1 else 0).mean().sqrt()) if v.dim() > 1 else float(v.std(unbiased=False))

    def ratio(ours: float, theirs: float) -> float | None:
        return ours / theirs if theirs > 1e-9 else None

    stats: dict[str, Any] = {
        "digits": int(residual.shape[0]),
        "rotation_mean_deg": circular_mean_deg(rot),
        "rotation_spread_deg": circular_spread_deg(rot),
        "input_rotation_mean_deg": circular_mean_deg(rot_in),
        "input_rotation_spread_deg": circular_spread_deg(rot_in),
        "scale_mean": float(log_zoom.mean().exp()),
        "scale_log_spread": spread(log_zoom),
        "input_scale_log_spread": spread(log_zoom_in),
        "position_mean": [float(v) for v in pos.mean(0)],
        "position_spread": spread(pos),
        "input_position_spread": spread(pos_in),
    }
    stats["rotation_spread_ratio"] = ratio(stats["rotation_spread_deg"], stats["input_rotation_spread_deg"])
    stats["scale_spread_ratio"] = ratio(stats["scale_log_spread"], stats["input_scale_log_spread"])
    stats["position_spread_ratio"] = ratio(stats["position_spread"], stats["input_position_spread"])
    by_input = []
    for low, high in ROTATION_BINS_DEG:
        last = high == ROTATION_BINS_DEG[-1][1]
        inside = (rot_in.abs() >= low) & ((rot_in.abs() < high) | last)  # the last bin takes everything above
        count = int(inside.sum())
        by_input.append({
            "input_abs_deg": [low, high],
            "digits": count,
            "rotation_mean_deg": circular_mean_deg(rot[inside]) if count else None,
            "rotation_spread_deg": circular_spread_deg(rot[inside]) if count else None,
        })
    stats["rotation_by_input_deg"] = by_input
    # A few digits turned the wrong way weigh heavily in √(−2 ln R̄): their share, and the spread of the rest.
    off = _wrapped_deg(rot - stats["rotation_mean_deg"])
    turned = off.abs() > TURNED_DEG
    stats["rotation_turned_fraction"] = float(turned.double().mean())
    stats["rotation_spread_deg_without_turned"] = circular_spread_deg(rot[~turned]) if bool((~turned).any()) else None
    if labels is not None:
        stats["rotation_mean_deg_by_class"] = {
            int(c): circular_mean_deg(rot[labels == c]) for c in torch.unique(labels).tolist()
        }
    return stats


def upright_frame_statistics(distortion: torch.Tensor, st_theta: torch.Tensor, upright_theta: torch.Tensor) -> dict[str, float | None]:
    """The residual rotation split into the ST's own frame and its inconsistency (module doc).

    Args:
        distortion: ``D`` ``(N, 2, 3)`` of the rotated copies (canvas -> undistorted digit).
        st_theta: the ST's θ on the rotated copies ``(N, 2, 3)``.
        upright_theta: the ST's θ on the same digits undistorted (``D`` = identity) ``(N, 2, 3)``.

    Returns ``upright_rotation_mean_deg`` / ``upright_rotation_spread_deg`` (circular mean and
    spread of the ST's rotation of the upright digits: its own frame, e.g. slant straightening),
    and ``rotation_spread_from_upright_deg`` with ``..._ratio``: the circular spread of
    ψ(D ∘ θ) − ψ(θ_upright) per digit, beside the input's rotation spread (0 = every rotated copy
    lands in the frame the ST gives the upright digit; None where the input does not rotate).
    """
    distortion, st_theta, upright_theta = distortion.double(), st_theta.double(), upright_theta.double()
    rot = polar_angle_deg(compose_affine(distortion, st_theta)[:, :, :2])
    own = polar_angle_deg(upright_theta[:, :, :2])
    rot_in = polar_angle_deg(distortion[:, :, :2])
    relative = _wrapped_deg(rot - own)
    spread, spread_in = circular_spread_deg(relative), circular_spread_deg(rot_in)
    return {
        "upright_rotation_mean_deg": circular_mean_deg(own),
        "upright_rotation_spread_deg": circular_spread_deg(own),
        "rotation_spread_from_upright_deg": spread,
        "rotation_spread_from_upright_ratio": spread / spread_in if spread_in > 1e-9 else None,
    }


def axis_tilt_deg(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Tilt of each image's principal axis from vertical, and how elongated the ink is.

    ``images`` ``(N, 1, H, W)`` or ``(N, H, W)``, ink bright. The tilt (degrees) is in the
    distortions' convention: an upright bar rotated by ``rotate`` with angle φ has tilt φ, so an
    ST that straightens the digit has rotation ψ = −tilt. Elongation: ``√(λ_max / λ_min)`` of the
    ink's second-moment matrix (1 = round, no axis to speak of).
    """
    ink = images.reshape(images.shape[0], images.shape[-2], images.shape[-1]).double().clamp_min(0.0)
    ys, xs = torch.meshgrid(torch.arange(ink.shape[1], dtype=torch.float64), torch.arange(ink.shape[2], dtype=torch.float64), indexing="ij")
    mass = ink.sum((1, 2)).clamp_min(1e-12)
    dx = xs - ((ink * xs).sum((1, 2)) / mass)[:, None, None]
    dy = ys - ((ink * ys).sum((1, 2)) / mass)[:, None, None]
    mu20, mu02, mu11 = ((ink * dx * dx).sum((1, 2)) / mass, (ink * dy * dy).sum((1, 2)) / mass, (ink * dx * dy).sum((1, 2)) / mass)
    tilt = torch.rad2deg(0.5 * torch.atan2(2.0 * mu11, mu02 - mu20))
    half_gap = torch.sqrt(((mu20 - mu02) / 2.0).square() + mu11.square())
    centre = (mu20 + mu02) / 2.0
    elongation = torch.sqrt((centre + half_gap) / (centre - half_gap).clamp_min(1e-12))
    return tilt, elongation


#: Digits whose ink is at least this elongated have an axis to measure a slant by.
MIN_ELONGATION = 1.5


def slant_statistics(upright_theta: torch.Tensor, upright_images: torch.Tensor, labels: torch.Tensor | None = None) -> dict[str, Any]:
    """Is the ST's rotation of upright digits their slant being straightened? (module doc)

    Over the digits with an axis (elongation ≥ :data:`MIN_ELONGATION`): ``slant_correlation``,
    the correlation of the ST's rotation ψ with the straightening rotation −tilt, and
    ``slant_slope``, the least-squares slope of ψ on −tilt (1 = every slant straightened fully,
    0 = unrelated); ``slant_digits`` counts them; with ``labels``, the correlation per class.
    """
    psi = polar_angle_deg(upright_theta.double()[:, :, :2])
    tilt, elongation = axis_tilt_deg(upright_images)
    keep = elongation >= MIN_ELONGATION

    def fit(mask: torch.Tensor) -> tuple[float, float]:
        if int(mask.sum()) < 3:
            return float("nan"), float("nan")
        x, y = -tilt[mask], psi[mask]
        x, y = x - x.mean(), y - y.mean()
        denominator = float(x.square().sum().sqrt() * y.square().sum().sqrt())
        correlation = float((x * y).sum()) / denominator if denominator > 0 else float("nan")
        slope = float((x * y).sum() / x.square().sum()) if float(x.square().sum()) > 0 else float("nan")
        return correlation, slope

    correlation, slope = fit(keep)
    stats: dict[str, Any] = {"slant_correlation": correlation, "slant_slope": slope, "slant_digits": int(keep.sum())}
    if labels is not None:
        stats["slant_correlation_by_class"] = {int(c): fit(keep & (labels == c))[0] for c in torch.unique(labels).tolist()}
    return stats
