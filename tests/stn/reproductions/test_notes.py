"""notes-stn: the verdict logic of the rotation claims, the deterministic claims pinned, and a
smoke run of the whole experiment on synthetic digits (so the result does not depend on which
MNIST is installed)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from seminal.experiments.registry import RunContext
from seminal.stn.distortions import rotation_scale_theta
from seminal.stn.reproductions import notes


def _fake_digits(n_train: int = 96, n_test: int = 48) -> SimpleNamespace:
    gen = torch.Generator().manual_seed(0)
    images = (torch.rand(n_train + n_test, 28, 28, generator=gen) * 255).to(torch.uint8)
    labels = torch.arange(n_train + n_test) % 10
    return SimpleNamespace(train_images=images[:n_train], train_labels=labels[:n_train],
                           test_images=images[n_train:], test_labels=labels[n_train:], source="synthetic",
                           is_fallback=False)


def _errors(with_st: list[float], without: list[float]) -> dict:
    """Per-seed straight error curves over 0°, 45°, 90° growing by ``with_st[s]`` (ST-CNN, tutorial)
    and ``without[s]`` (CNN, tutorial without ST) percentage points, on top of different levels."""
    errors = {key: {} for key in notes.MODELS}
    for seed, (a, b) in enumerate(zip(with_st, without)):
        for st_key, plain_key in notes.PAIRS:
            errors[st_key][seed] = [30.0, 30.0 + a / 2, 30.0 + a]  # a higher level: the level is not judged
            errors[plain_key][seed] = [10.0, 10.0 + b / 2, 10.0 + b]
    return {"errors": errors, "train_count": 10, "test_count": 10}


@pytest.mark.parametrize(("with_st", "without", "verdict"), [
    ([1.0, 2.0], [3.0, 4.0], "holds"),
    ([5.0, 2.0], [3.0, 4.0], "inconclusive"),
    ([5.0, 6.0], [3.0, 4.0], "does not hold"),
])
def test_rotation_verdict_is_judged_per_seed_on_error_growth(with_st, without, verdict) -> None:
    cfg = notes.NotesSTNConfig(seeds=[0, 1], angles=[0.0, 45.0, 90.0])
    claims = notes._rotation_claims(_errors(with_st, without), cfg)
    assert [c.verdict for c in claims] == [verdict, verdict]
    diff = sorted(a - b for a, b in zip(with_st, without))
    assert claims[0].measured.startswith("error growth 0° to 90°, with minus without ST (pp): ")
    assert f"[{diff[0]:+.2f}, {diff[-1]:+.2f}]" in claims[0].measured
    level = 30.0 + sum(with_st) / len(with_st) / 2  # the mean of each straight curve is its midpoint
    assert f"same CNN + affine ST {level:.1f} %" in claims[0].detail  # the level is reported beside the verdict


def test_error_growth_is_the_fitted_rise() -> None:
    assert notes.error_growth([10.0, 12.0, 14.0], [0.0, 45.0, 90.0]) == pytest.approx(4.0)
    assert notes.error_growth([10.0, 20.0, 10.0], [0.0, 45.0, 90.0]) == pytest.approx(0.0, abs=1e-12)
    assert notes.error_growth([5.0], [0.0]) == 0.0


def test_pairs_share_their_classifier_start() -> None:
    torch.manual_seed(3)
    cnn = notes.build_model("CNN", 8000)
    torch.manual_seed(3)
    st_cnn = notes.build_model("ST-CNN Aff", 8000)
    assert all(torch.equal(a, b) for a, b in zip(cnn.state_dict().values(), st_cnn.classifier.state_dict().values()))


def test_affine_is_a_special_case_of_projective_and_tps() -> None:
    gaps = notes.affine_special_cases(seed=0)
    assert gaps["projective_vs_affine"] < 1e-12 and gaps["tps_vs_affine"] < 1e-12


def test_identity_start_and_sampler() -> None:
    digits = _fake_digits().test_images[:16]
    assert notes.identity_start(digits) < 1e-5  # float32 grid rounding only
    checks = notes.sampler_checks(digits, seed=0)
    assert checks["bilinear_vs_reference"] < 1e-12 and checks["multichannel_vs_per_channel"] < 1e-12


def test_rotate_digits_quarter_turn_is_exact() -> None:
    digits = _fake_digits().test_images[:4]
    turned = notes.rotate_digits(digits, 90.0)
    expected = torch.rot90(digits.float().div(255.0), 1, dims=(1, 2)).unsqueeze(1)  # counter-clockwise on screen
    assert torch.allclose(turned, expected, atol=1e-4)


def test_frozen_tutorial_has_no_trainable_st() -> None:
    model = notes.build_model("tutorial-no-st", 12_000)
    assert not any(p.requires_grad for p in model.stn.parameters())
    assert all(p.requires_grad for p in notes.build_model("tutorial", 12_000).stn.parameters())
    with pytest.raises(ValueError, match="Invalid model key"):
        notes.build_model("FCN", 12_000)


def test_smoke_run_on_synthetic_digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notes, "load_source_digits", lambda ctx: _fake_digits())
    cfg = notes.smoke()
    result = notes.run(cfg, RunContext(out_dir=tmp_path, progress=False))
    claims = result.metrics["notes_claims"]
    assert len(claims) == 8 and len(result.comparison) == 8
    assert [c["verdict"] for c in claims[4:]] == ["does not hold", "holds", "holds", "holds approximately"]
    assert all(c["verdict"] in ("holds", "inconclusive", "does not hold") for c in claims[:4])
    assert set(result.metrics["undone_rotation"]) == {"ST-CNN Aff", "tutorial"}
    assert set(result.metrics["test_error_by_angle"]) == set(notes.MODELS)
    assert all(len(v) == len(cfg.angles) for per in result.metrics["test_error_by_angle"].values() for v in per.values())
    assert sorted(Path(f).stem for f in result.figures) == ["stn_rotation", "stn_transforms"]


class _RotationUndoer(torch.nn.Module):
    """A stand-in ST model whose θ undoes a known fraction of each angle, called in sweep order."""

    def __init__(self, angles: list[float], fraction: float) -> None:
        super().__init__()
        self.angles, self.fraction, self.calls = angles, fraction, 0

    def transform(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        n = x.shape[0]
        angle = torch.full((n,), self.fraction * self.angles[self.calls], dtype=torch.float64)
        self.calls += 1
        inverse = rotation_scale_theta(-angle, torch.ones(n, dtype=torch.float64), torch.zeros(n, 2, dtype=torch.float64), 28)
        return x, inverse.reshape(n, 6).float()


@pytest.mark.parametrize("fraction", [0.0, 0.5, 1.0])
def test_undone_rotation_measures_the_fraction_removed(fraction: float) -> None:
    angles = [0.0, 30.0, 60.0, 90.0]
    digits = _fake_digits().test_images[:4]
    assert notes.undone_rotation(_RotationUndoer(angles, fraction), digits, angles) == pytest.approx(fraction, abs=1e-5)


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="Invalid seeds"):
        notes._validate(notes.NotesSTNConfig(seeds=[0, 0]))
    with pytest.raises(ValueError, match="Invalid angles"):
        notes._validate(notes.NotesSTNConfig(angles=[-10.0]))
