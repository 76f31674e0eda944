"""stn-table1 / stn-compare: presets, paper targets, the comparison rows and the θ analysis."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace

import pytest
import torch

from seminal.experiments.registry import RunContext, get_experiment
from seminal.stn.reproductions import compare, table1


def test_registered_with_paper_full_presets_and_labelled_reductions() -> None:
    exp = get_experiment("stn-table1")
    full = exp.config("full")
    assert (full.iterations, full.batch_size, full.lr, full.lr_step, full.optimizer, full.seeds) == (150_000, 256, 0.01, 50_000, "sgd", 3)
    assert full.param_budget == 400_000 and full.sets == ("R", "RTS", "P", "E") and len(full.models) == 8
    quick = exp.config("quick")
    assert "CNN" in quick.models and "ST-CNN Aff" in quick.models and "RTS" in quick.sets
    # The reduction is derived from the config by the runner, never written by hand.
    from seminal.experiments.protocol import assess_protocol

    assert assess_protocol(full, exp.default_config(), "full").full
    differences = assess_protocol(quick, exp.default_config(), "quick").differences
    assert "iterations: 600 (paper 150000)" in differences and "optimizer: adam (paper sgd)" in differences
    compare_exp = get_experiment("stn-compare")
    assert not assess_protocol(compare_exp.config("smoke"), compare_exp.default_config(), "smoke").judged
    # Every Table 1 cell and the TC row are targets.
    assert len(exp.targets) == 8 * 4 + 4


def test_paper_table_transcription_spot_checks() -> None:
    # Provenance: Table 1 of arXiv:1506.02025 via shared/papers/stn.md.
    assert table1.PAPER_TABLE1["FCN"]["RTS"] == 5.2 and table1.PAPER_TABLE1["ST-CNN TPS"]["E"] == 1.1
    assert table1.PAPER_TC == {"FCN": 13.2, "CNN": 3.5, "ST-FCN Aff": 2.0, "ST-CNN Aff": 1.7}


def test_claim_row() -> None:
    cfg = table1.quick()
    results = {"CNN / RTS": {"test_error_mean": 3.0}, "ST-CNN Aff / RTS": {"test_error_mean": 2.0}}
    row = table1._claim_row(results, cfg)
    assert row is not None and row.agrees is True and row.ours == "2.00 vs 3.00"
    results["ST-CNN Aff / RTS"]["test_error_mean"] = 3.5
    assert table1._claim_row(results, cfg).agrees is False
    assert table1._claim_row({"CNN / RTS": {"test_error_mean": 1.0}}, cfg) is None


def test_polar_angle_zoom_and_compose_hand_computed() -> None:
    a = math.radians(30)
    rot = torch.tensor([[[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]], dtype=torch.float64) * 2.0
    assert torch.allclose(compare.polar_angle_deg(rot), torch.tensor([30.0], dtype=torch.float64))
    assert torch.allclose(compare.zoom(rot), torch.tensor([2.0], dtype=torch.float64))
    outer = torch.tensor([[[2.0, 0, 1], [0, 2, 0]]], dtype=torch.float64)
    inner = torch.tensor([[[1.0, 0, 0.5], [0, 1, -0.5]]], dtype=torch.float64)
    # outer(inner(p)) = 2(p + (0.5, −0.5)) + (1, 0) = 2p + (2, −1)
    assert torch.allclose(compare._compose(outer, inner), torch.tensor([[[2.0, 0, 2], [0, 2, -1]]], dtype=torch.float64))


def test_an_identity_st_has_rotation_spread_ratio_one() -> None:
    # With θ = identity the residual is the distortion itself: the metric's "no canonicalisation".
    from seminal.stn.distortions import rotate_translate_scale, rotation_scale_theta

    images = (torch.rand(50, 28, 28) * 255).to(torch.uint8)
    _, params = rotate_translate_scale(images, torch.Generator().manual_seed(0))
    dist = rotation_scale_theta(params["angle"], params["scale"], params["offset"], 42)
    identity = torch.eye(2, 3, dtype=torch.float64).expand(50, 2, 3)
    residual = compare._compose(dist, identity)
    ratio = compare.polar_angle_deg(residual[:, :, :2]).std() / compare.polar_angle_deg(dist[:, :, :2]).std()
    assert torch.isclose(ratio, torch.tensor(1.0, dtype=torch.float64))
    assert torch.allclose(compare.polar_angle_deg(dist[:, :, :2]), params["angle"], atol=1e-9)


def _synthetic_digits(n_train: int = 64, n_test: int = 32):
    g = torch.Generator().manual_seed(0)

    def split(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.arange(n) % 10
        images = torch.zeros(n, 28, 28, dtype=torch.uint8)
        for i in range(n):  # a class-dependent bar: learnable, cheap
            images[i, 6:22, 4 + 2 * int(labels[i]) : 6 + 2 * int(labels[i])] = 255
        return images, labels

    (tri, trl), (tei, tel) = split(n_train), split(n_test)
    return SimpleNamespace(
        train_images=tri, train_labels=trl, test_images=tei, test_labels=tel,
        source="synthetic bars (test)", is_fallback=False, note="",
    )


def test_table1_run_writes_rows_matching_its_metrics(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(table1, "load_source_digits", lambda ctx: _synthetic_digits())
    cfg = dataclasses.replace(table1.smoke(), tc_models=(), iterations=3)
    ctx = RunContext(out_dir=tmp_path, progress=False)
    result = table1.run(cfg, ctx)
    cells = result.metrics["cells"]
    assert set(cells) == {"CNN / RTS", "ST-CNN Aff / RTS"}
    rows = {r.quantity: r for r in result.comparison}
    assert rows["CNN / RTS test error %"].paper == 0.8
    assert rows["CNN / RTS test error %"].ours == round(cells["CNN / RTS"]["test_error_mean"], 2)
    assert rows["CNN / RTS test error %"].agrees is None  # reduced preset: informational only
    assert "RTS: ST-CNN Aff error < CNN error" in rows
    assert rows["ST-CNN TPS / E test error %"].ours == "not run" and rows["ST-CNN TPS / E test error %"].paper == 1.1
    assert len(rows) == 1 + 8 * 4 + 4  # the claim + every Table 1 cell + the TC row
    assert all(p.is_file() for p in result.figures)
    assert (tmp_path / "checkpoints").is_dir()


def test_bad_model_name_in_config(tmp_path) -> None:
    cfg = dataclasses.replace(table1.smoke(), models=("CNN", "ResNet"))
    with pytest.raises(ValueError, match=r"Invalid model in config: 'ResNet'"):
        table1.run(cfg, RunContext(out_dir=tmp_path, progress=False))
    with pytest.raises(ValueError, match=r"Invalid model: 'CNN'"):
        compare._build(dataclasses.replace(compare.smoke(), model="CNN"), 42)
