"""stn-table1 / stn-compare: presets, paper targets, the comparison rows and the θ analysis."""

from __future__ import annotations

import dataclasses
import json
import math
from types import SimpleNamespace

import pytest
import torch

from seminal.experiments.registry import RunContext, get_experiment
from seminal.stn.reproductions import canonical, compare, table1


def test_registered_with_paper_full_presets_and_labelled_reductions() -> None:
    exp = get_experiment("stn-table1")
    full = exp.config("full")
    assert (full.iterations, full.batch_size, full.lr, full.lr_step, full.optimizer, full.seeds) == (150_000, 256, 0.01, 50_000, "sgd", 3)
    assert full.param_budget == 400_000 and full.sets == ("R", "RTS", "P", "E") and len(full.models) == 8
    assert full.cell_tolerance == 2.0 and full.cells is None
    quick = exp.config("quick")
    assert set(quick.cells) == {("FCN", "R"), ("ST-FCN Aff", "R"), ("CNN", "RTS"), ("ST-CNN Aff", "RTS")} and quick.seeds == 3
    laptop = exp.config("laptop")
    assert laptop.param_budget == 400_000 and laptop.train_count is None and len(laptop.cells) == 10
    assert {m for m, s in laptop.cells if s == "TC"} == {"CNN", "ST-CNN Aff"}
    assert "laptop" in exp.preset_names
    with pytest.raises(ValueError, match=r"unknown preset .huge. for experiment .stn-table1.; expected one of full, quick, smoke, laptop"):
        exp.config("huge")
    # Every Table 1 cell and the TC row are targets.
    assert len(exp.targets) == 8 * 4 + 4


def test_paper_table_transcription_spot_checks() -> None:
    # Provenance: Table 1 of arXiv:1506.02025 via shared/papers/stn.md.
    assert table1.PAPER_TABLE1["FCN"]["RTS"] == 5.2 and table1.PAPER_TABLE1["ST-CNN TPS"]["E"] == 1.1
    assert table1.PAPER_TC == {"FCN": 13.2, "CNN": 3.5, "ST-FCN Aff": 2.0, "ST-CNN Aff": 1.7}


def test_ordering_rows_are_judged_on_every_seed() -> None:
    def cell(model, name, errors):
        return {"model": model, "set": name, "test_errors": errors}

    results = {
        "CNN / RTS": cell("CNN", "RTS", {0: 3.0, 1: 3.0, 2: 3.0}),
        "ST-CNN Aff / RTS": cell("ST-CNN Aff", "RTS", {0: 2.0, 1: 2.5, 2: 3.5}),
    }
    (row,) = table1._ordering_rows(results)
    assert row.quantity.startswith("RTS: ST-CNN Aff error < CNN error") and row.paper == "0.5 < 0.8"
    assert row.verdict == "inconclusive"  # holds on seeds 0 and 1, not on 2
    results["ST-CNN Aff / RTS"]["test_errors"][2] = 1.0
    assert table1._ordering_rows(results)[0].verdict == "agrees"
    assert table1._ordering_rows({"CNN / RTS": results["CNN / RTS"]}) == []


def test_polar_angle_zoom_and_compose_hand_computed() -> None:
    a = math.radians(30)
    rot = torch.tensor([[[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]], dtype=torch.float64) * 2.0
    assert torch.allclose(canonical.polar_angle_deg(rot), torch.tensor([30.0], dtype=torch.float64))
    assert torch.allclose(canonical.zoom(rot), torch.tensor([2.0], dtype=torch.float64))
    outer = torch.tensor([[[2.0, 0, 1], [0, 2, 0]]], dtype=torch.float64)
    inner = torch.tensor([[[1.0, 0, 0.5], [0, 1, -0.5]]], dtype=torch.float64)
    # outer(inner(p)) = 2(p + (0.5, −0.5)) + (1, 0) = 2p + (2, −1)
    assert torch.allclose(canonical.compose_affine(outer, inner), torch.tensor([[[2.0, 0, 2], [0, 2, -1]]], dtype=torch.float64))


def test_circular_statistics_hand_computed() -> None:
    # A constant tilt: the linear std is 0 and cannot see it; the circular mean does.
    assert math.isclose(canonical.circular_mean_deg(torch.full((5,), -35.0)), -35.0, abs_tol=1e-9)
    assert canonical.circular_spread_deg(torch.full((5,), -35.0)) < 1e-6
    # Wrap-around: 170° and −170° average to 180°, not 0°.
    assert math.isclose(abs(canonical.circular_mean_deg(torch.tensor([170.0, -170.0]))), 180.0, abs_tol=1e-9)
    # ±10°: R̄ = cos 10°, spread = √(−2 ln cos 10°) rad.
    expected = math.degrees(math.sqrt(-2 * math.log(math.cos(math.radians(10)))))
    assert math.isclose(canonical.circular_spread_deg(torch.tensor([10.0, -10.0])), expected, rel_tol=1e-9)


def _rts_distortions(n: int = 200):
    from seminal.stn.distortions import rotate_translate_scale, rotation_scale_theta

    images = (torch.rand(n, 28, 28, generator=torch.Generator().manual_seed(1)) * 255).to(torch.uint8)
    _, params = rotate_translate_scale(images, torch.Generator().manual_seed(0))
    return params, rotation_scale_theta(params["angle"], params["scale"], params["offset"], 42)


def test_an_identity_st_leaves_the_input_spread() -> None:
    # With θ = identity the residual is the distortion itself: every ratio is 1.
    params, dist = _rts_distortions()
    stats = canonical.residual_statistics(dist, torch.eye(2, 3, dtype=torch.float64).expand(len(dist), 2, 3))
    assert math.isclose(stats["rotation_spread_ratio"], 1.0) and math.isclose(stats["scale_spread_ratio"], 1.0)
    assert math.isclose(stats["position_spread_ratio"], 1.0)
    assert math.isclose(stats["rotation_mean_deg"], canonical.circular_mean_deg(params["angle"]), abs_tol=1e-6)
    assert torch.allclose(canonical.polar_angle_deg(dist[:, :, :2]), params["angle"], atol=1e-9)


def test_a_perfect_st_is_upright_with_no_spread_and_a_tilted_one_is_seen() -> None:
    from seminal.stn.distortions import rotation_scale_theta

    params, dist = _rts_distortions()
    n = len(dist)
    linear_inv = torch.linalg.inv(dist[:, :, :2])
    perfect = torch.cat((linear_inv, -(linear_inv @ dist[:, :, 2:])), dim=2)  # D⁻¹: residual = identity
    stats = canonical.residual_statistics(dist, perfect)
    assert abs(stats["rotation_mean_deg"]) < 1e-6 and stats["rotation_spread_ratio"] < 1e-6
    assert stats["scale_spread_ratio"] < 1e-6 and stats["position_spread_ratio"] < 1e-6
    tilt = rotation_scale_theta(torch.full((n,), 30.0), torch.ones(n), torch.zeros(n, 2), 28)
    tilted = canonical.residual_statistics(dist, canonical.compose_affine(perfect, tilt))
    assert math.isclose(abs(tilted["rotation_mean_deg"]), 30.0, abs_tol=1e-6) and tilted["rotation_spread_ratio"] < 1e-6


def test_digits_turned_the_wrong_way_are_counted_apart_from_the_rest() -> None:
    from seminal.stn.distortions import rotation_scale_theta

    _, dist = _rts_distortions()
    n = len(dist)
    linear_inv = torch.linalg.inv(dist[:, :, :2])
    perfect = torch.cat((linear_inv, -(linear_inv @ dist[:, :, 2:])), dim=2)
    # every digit tilted by 170° (the mean sits at the ±180° seam), a tenth of them by 120° more
    angle = torch.full((n,), 170.0)
    angle[: n // 10] += 120.0
    turn = rotation_scale_theta(angle, torch.ones(n), torch.zeros(n, 2), 28)
    stats = canonical.residual_statistics(dist, canonical.compose_affine(perfect, turn))
    assert stats["rotation_turned_fraction"] == pytest.approx((n // 10) / n)
    assert stats["rotation_spread_deg_without_turned"] < 1e-4 < stats["rotation_spread_deg"]
    none_turned = canonical.residual_statistics(dist, perfect)
    assert none_turned["rotation_turned_fraction"] == 0.0 and none_turned["rotation_spread_deg_without_turned"] < 1e-4


def test_the_upright_frame_separates_slant_straightening_from_inconsistency() -> None:
    from seminal.stn.distortions import rotation_scale_theta

    g = torch.Generator().manual_seed(3)
    n = 400
    phi = torch.empty(n, dtype=torch.float64).uniform_(-90.0, 90.0, generator=g)
    slant = torch.empty(n, dtype=torch.float64).uniform_(-20.0, 20.0, generator=g)  # each digit's own slant
    ones, zeros = torch.ones(n), torch.zeros(n, 2)
    dist = rotation_scale_theta(phi, ones, zeros, 28).double()
    # An ST that puts every rotated copy in the frame it gives the upright digit (straightened by its slant):
    upright = rotation_scale_theta(slant, ones, zeros, 28).double()
    consistent = canonical.compose_affine(_undo(dist), upright)  # residual D ∘ D⁻¹ ∘ U = U
    plain = canonical.residual_statistics(dist, consistent)
    split = canonical.upright_frame_statistics(dist, consistent, upright)
    # The residual against the undistorted digit sees the slant; from the ST's own frame nothing is left.
    assert math.isclose(plain["rotation_spread_deg"], canonical.circular_spread_deg(slant), rel_tol=1e-9)
    assert split["rotation_spread_from_upright_deg"] < 1e-6
    assert math.isclose(split["upright_rotation_spread_deg"], canonical.circular_spread_deg(slant), rel_tol=1e-9)
    # An ST whose rotated copies miss that frame by a per-digit error: the split sees the error.
    error = torch.empty(n, dtype=torch.float64).uniform_(-10.0, 10.0, generator=g)
    off = canonical.compose_affine(consistent, rotation_scale_theta(error, ones, zeros, 28).double())
    missed = canonical.upright_frame_statistics(dist, off, upright)
    assert math.isclose(missed["rotation_spread_from_upright_deg"], canonical.circular_spread_deg(error), rel_tol=1e-6)
    assert math.isclose(missed["rotation_spread_from_upright_ratio"],
                        missed["rotation_spread_from_upright_deg"] / canonical.circular_spread_deg(phi), rel_tol=1e-9)


def test_axis_tilt_reads_the_rotation_of_a_bar_and_slant_statistics_see_straightening() -> None:
    from seminal.stn.distortions import rotate, rotation_scale_theta

    bars = torch.zeros(40, 1, 28, 28)
    bars[:, :, 4:24, 13:15] = 1.0
    tilted, params = rotate(bars, torch.Generator().manual_seed(0), max_angle=40.0)
    tilt, elongation = canonical.axis_tilt_deg(tilted)
    assert torch.allclose(tilt, params["angle"], atol=0.2)  # the distortions' convention
    assert bool((elongation > 5).all())
    round_blobs = torch.zeros(2, 1, 28, 28)
    round_blobs[:, :, 10:18, 10:18] = 1.0
    assert torch.allclose(canonical.axis_tilt_deg(round_blobs)[1], torch.ones(2, dtype=torch.float64), atol=1e-6)
    n = len(tilted)
    ones, zeros = torch.ones(n), torch.zeros(n, 2)
    straighten = rotation_scale_theta(-params["angle"], ones, zeros, 28).double()  # ψ = −tilt
    labels = torch.arange(n) % 2
    full = canonical.slant_statistics(straighten, tilted, labels)
    assert full["slant_correlation"] == pytest.approx(1.0, abs=1e-3) and full["slant_slope"] == pytest.approx(1.0, abs=0.02)
    assert full["slant_digits"] == n and set(full["slant_correlation_by_class"]) == {0, 1}
    half = canonical.slant_statistics(rotation_scale_theta(-0.5 * params["angle"], ones, zeros, 28).double(), tilted)
    assert half["slant_slope"] == pytest.approx(0.5, abs=0.02)
    unrelated = torch.empty(n, dtype=torch.float64).uniform_(-20, 20, generator=torch.Generator().manual_seed(1))
    none = canonical.slant_statistics(rotation_scale_theta(unrelated, ones, zeros, 28).double(), tilted)
    assert abs(none["slant_correlation"]) < 0.5
    assert math.isnan(canonical.slant_statistics(straighten, round_blobs[:1].expand(n, 1, 28, 28))["slant_correlation"])


def _undo(dist: torch.Tensor) -> torch.Tensor:
    """D⁻¹ as a 2×3 map: the residual D ∘ D⁻¹ is the identity."""
    linear_inv = torch.linalg.inv(dist[:, :, :2])
    return torch.cat((linear_inv, -(linear_inv @ dist[:, :, 2:])), dim=2)


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
    cfg = dataclasses.replace(table1.smoke(), tc_models=(), iterations=3, seeds=2)
    ctx = RunContext(out_dir=tmp_path, progress=False)
    result = table1.run(cfg, ctx)
    cells = result.metrics["cells"]
    assert set(cells) == {"CNN / RTS", "ST-CNN Aff / RTS"}
    rows = {r.quantity: r for r in result.comparison}
    assert rows["CNN / RTS test error %"].paper == 0.8
    assert rows["CNN / RTS test error %"].ours == round(cells["CNN / RTS"]["test_error_mean"], 2)
    assert rows["CNN / RTS test error %"].agrees is None  # smoke: informational only
    assert "RTS: ST-CNN Aff error < CNN error (gap, points)" in rows
    assert rows["ST-CNN TPS / E test error %"].ours == "not run" and rows["ST-CNN TPS / E test error %"].paper == 1.1
    assert len(rows) == 1 + 8 * 4 + 4  # the ordering + every Table 1 cell + the TC row
    table = result.metrics["table1"]
    assert table["RTS"]["CNN"] == {"ours": round(cells["CNN / RTS"]["test_error_mean"], 3), "paper": 0.8}
    # With a tolerance, a cell is judged on every seed.
    judged = table1._cell_rows(cells, dataclasses.replace(cfg, cell_tolerance=1e6))
    assert all(r.verdict == "agrees" for r in judged)
    assert all(p.is_file() for p in result.figures)
    assert (tmp_path / "checkpoints").is_dir()


def test_table1_trains_on_fresh_distortions_in_bf16(tmp_path, monkeypatch) -> None:
    """The laptop preset's two switches, end to end on a tiny run: fresh distortions and a bf16 forward."""
    monkeypatch.setattr(table1, "load_source_digits", lambda ctx: _synthetic_digits())
    seen: list[tuple[torch.Size, torch.dtype, bool]] = []
    original = table1.train_classifier

    def spy(ctx, model, train_set, test_set, settings, name, **kwargs):  # type: ignore[no-untyped-def]
        transform = kwargs["batch_transform"]
        assert isinstance(transform, table1.FreshDistortions) and settings.amp == "bf16"
        seen.append((train_set.tensors[0].shape, test_set.tensors[0].dtype, torch.equal(transform(train_set.tensors[0][:4], 0), transform(train_set.tensors[0][:4], 0))))
        return original(ctx, model, train_set, test_set, settings, name, **kwargs)

    monkeypatch.setattr(table1, "train_classifier", spy)
    cfg = dataclasses.replace(table1.smoke(), tc_models=(), iterations=3, seeds=1, fresh_distortions=True, amp_dtype="bf16")
    result = table1.run(cfg, RunContext(out_dir=tmp_path, progress=False))
    # The training set is the clean 28×28 digits (distorted per batch), the test set the fixed RTS one.
    assert seen == [(torch.Size([64, 1, 28, 28]), torch.float32, True)] * 2
    assert all(math.isfinite(c["test_error_mean"]) for c in result.metrics["cells"].values())


def test_fresh_distortions_depend_on_the_seed_and_step_only() -> None:
    from seminal.stn.distortions import OUTPUT_SIZE
    from seminal.stn.reproductions.data import FreshDistortions

    clean = torch.rand(6, 1, 28, 28)
    for name in ("R", "RTS", "P", "E", "TC"):
        batch = FreshDistortions(name, seed=3)(clean, 7)
        assert batch.shape == (6, 1, OUTPUT_SIZE[name], OUTPUT_SIZE[name]) and batch.dtype == torch.float32
        assert torch.equal(batch, FreshDistortions(name, seed=3)(clean, 7))  # a new object (a resumed run): same batch
        assert not torch.equal(batch, FreshDistortions(name, seed=3)(clean, 8))  # the next step: new draws
        assert not torch.equal(batch, FreshDistortions(name, seed=4)(clean, 7))
    with pytest.raises(ValueError, match="Invalid distortion: 'X'"):
        FreshDistortions("X", seed=0)


def test_bad_model_name_in_config(tmp_path) -> None:
    cfg = dataclasses.replace(table1.smoke(), models=("CNN", "ResNet"))
    with pytest.raises(ValueError, match=r"Invalid model in config: 'ResNet'"):
        table1.run(cfg, RunContext(out_dir=tmp_path, progress=False))
    with pytest.raises(ValueError, match=r"Invalid amp_dtype: 'int8'"):
        table1.run(dataclasses.replace(table1.smoke(), amp_dtype="int8"), RunContext(out_dir=tmp_path, progress=False))
    with pytest.raises(ValueError, match=r"Invalid transform: 'tps'"):
        compare.run(dataclasses.replace(compare.smoke(), transform="tps"), RunContext(out_dir=tmp_path, progress=False))
    with pytest.raises(ValueError, match=r"Invalid sets: \('R', 'TC'\)"):
        compare.run(dataclasses.replace(compare.smoke(), sets=("R", "TC")), RunContext(out_dir=tmp_path, progress=False))


def test_compare_run_measures_saves_and_reloads_the_model(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(compare, "load_source_digits", lambda ctx: _synthetic_digits(64, 40))
    cfg = dataclasses.replace(compare.smoke(), sets=("R", "RTS"), analysis_digits=20)
    result = compare.run(cfg, RunContext(out_dir=tmp_path, progress=False))
    r = result.metrics["sets"]["R"]["canonical"]
    rows = {row.quantity: row for row in result.comparison}
    mean_row = rows["R: circular mean of the residual rotation (deg)"]
    assert mean_row.ours == round(r["rotation_mean_deg"], 2) and mean_row.agrees == (abs(r["rotation_mean_deg"]) <= 10)
    assert rows["R: circular spread of the residual rotation / the input's"].ours == round(r["rotation_spread_ratio"], 3)
    assert "RTS: residual scale spread / the input's" in rows
    upright_row = rows["R: the ST's rotation of the same digits upright (spread, deg); residual spread from that frame / the input's"]
    assert upright_row.ours == f"{r['upright_rotation_spread_deg']:.1f}; {r['rotation_spread_from_upright_ratio']:.3f}"
    assert upright_row.agrees is None  # a diagnostic, not a criterion
    slant_row = rows["R: the ST's rotation of upright digits against straightening their slant (correlation; slope)"]
    assert slant_row.ours == f"{r['slant_correlation']:.2f}; {r['slant_slope']:.2f}" and slant_row.agrees is None
    assert {p.name for p in result.figures} == {"canonical_form.png", "theta_sweep.png"}
    # The documented call: the trained network back from the run folder, same outputs.
    model = compare.load_trained(tmp_path, "R")
    x = torch.rand(3, 1, 28, 28)
    trained = compare.build_model("R", cfg.transform, cfg.localization, cfg.transformers)
    trained.load_state_dict(torch.load(tmp_path / "models" / "R.pt", weights_only=True))
    assert torch.equal(model.stn(x), trained.eval().stn(x))
    assert len(model.stn.transformers) == cfg.transformers == 2 and not model.training
    assert all(t.transform == "similarity" for t in model.stn.transformers)
    _, theta = model.stn.forward_with_theta(x)
    assert model.stn.affine_matrix(theta).shape == (3, 2, 3)
    # A folder written before the ``transformers`` field (one ST) still loads.
    spec = json.loads((tmp_path / "models" / "R.json").read_text())
    single = dataclasses.replace(cfg, transformers=1)
    one = compare.build_model("R", single.transform, single.localization, 1)
    torch.save(one.state_dict(), tmp_path / "models" / "R.pt")
    del spec["transformers"]
    (tmp_path / "models" / "R.json").write_text(json.dumps(spec))
    assert compare.load_trained(tmp_path, "R").stn.transform == "similarity"
    with pytest.raises(FileNotFoundError, match=r"Invalid run_dir: no trained 'P' model"):
        compare.load_trained(tmp_path, "P")


def test_canonical_form_figure_has_no_blank_bands() -> None:
    import numpy as np

    from seminal.stn.reproductions.plots import canonical_form_figure

    row = {"name": "R", "inputs": torch.rand(4, 1, 28, 28), "outputs": torch.rand(4, 1, 28, 28), "originals": torch.rand(4, 1, 28, 28)}
    fig = canonical_form_figure([row, {**row, "name": "RTS", "inputs": torch.rand(4, 1, 42, 42)}], "title")
    image = fig.axes[0].images[0].get_array()
    white_rows = np.all(np.asarray(image) == 1.0, axis=1)
    longest, run = 0, 0
    for white in white_rows:
        run = run + 1 if white else 0
        longest = max(longest, run)
    assert longest <= 6  # only the thin separators between digits and between distortions
    assert image.shape[0] == 6 * 42 + 4 * 2 + 6  # 6 rows of 42 px, 4 gaps, 1 separator


def test_laptop_gives_fcn_cells_their_own_schedule() -> None:
    cfg = table1.laptop()
    fcn, cnn = table1._settings(cfg, "ST-FCN Aff"), table1._settings(cfg, "ST-CNN Aff")
    assert fcn.iterations == table1.LAPTOP_FCN_ITERATIONS and cnn.iterations == table1.LAPTOP_ITERATIONS
    assert fcn.lr_step == round(2 / 3 * fcn.iterations) and cnn.lr_step == round(2 / 3 * cnn.iterations)
    assert table1._settings(table1.Table1Config(), "FCN").lr_step == 50_000  # the paper's step
    assert cfg.fresh_distortions and cnn.amp == "bf16" and table1._settings(table1.Table1Config(), "CNN").amp is None


def test_compare_figure_sets_get_their_own_settings() -> None:
    cfg = compare.quick()
    r, rts = compare._settings(cfg, "R"), compare._settings(cfg, "RTS")
    assert (r.iterations, r.lr, r.loc_lr_scale) == (cfg.iterations, cfg.lr, cfg.loc_lr_scale)
    assert (rts.iterations, rts.lr, rts.loc_lr_scale) == (cfg.other_iterations, cfg.other_lr, cfg.other_loc_lr_scale)
    full = compare.CompareConfig()
    assert compare._settings(full, "P") == compare._settings(full, "R")  # the paper's setting: one schedule


def test_quick_gives_the_fcn_family_the_paper_budget() -> None:
    cfg = table1.quick()
    assert table1._budget(cfg, "ST-FCN Aff") == 400_000 and table1._budget(cfg, "FCN") == 400_000
    assert table1._budget(cfg, "ST-CNN Aff") == cfg.param_budget == 30_000


def test_rotation_curriculum_waits_then_ramps_to_ninety_degrees() -> None:
    curriculum = compare.RotationCurriculum(ramp_iterations=100, seed=0, start=50)
    assert [curriculum.max_angle(t) for t in (0, 49, 50, 100, 150, 1000)] == [0.0, 0.0, 0.0, 45.0, 90.0, 90.0]
    digits = torch.rand(8, 1, 28, 28)
    assert torch.allclose(curriculum(digits, 10), digits, atol=1e-5)  # upright phase: the digits unrotated


def test_rotation_curriculum_angle_power_shapes_the_angles_and_power_one_is_uniform() -> None:
    uniform = compare.RotationCurriculum(ramp_iterations=0, seed=3).angles(20_000, step=0).abs()
    linear = compare.RotationCurriculum(ramp_iterations=0, seed=3, power=0.5).angles(20_000, step=0).abs()
    assert float(uniform.max()) <= 90.0 and float(linear.max()) <= 90.0
    assert float((uniform > 60).double().mean()) == pytest.approx(1 / 3, abs=0.02)
    assert float((linear > 60).double().mean()) == pytest.approx(1 - (60 / 90) ** 2, abs=0.02)  # density ∝ |φ|
    ramping = compare.RotationCurriculum(ramp_iterations=100, seed=3, power=0.5)
    assert float(ramping.angles(1000, step=50).abs().max()) <= 45.0
    digits = torch.zeros(4, 1, 28, 28)
    digits[:, :, 4:24, 13:15] = 1.0  # a vertical bar
    plain, powered = compare.RotationCurriculum(0, seed=1), compare.RotationCurriculum(0, seed=1, power=1.0)
    assert torch.equal(plain(digits, 5), powered(digits, 5))
    upright = compare.RotationCurriculum(ramp_iterations=10, seed=1, start=5, power=0.5)
    assert torch.allclose(upright(digits, 0), digits, atol=1e-5)  # r = 0: no division by zero, no rotation
    with pytest.raises(ValueError, match="power"):
        compare.RotationCurriculum(10, seed=0, power=0.0)


def test_classifier_slowdown_leaves_the_localisation_rate_alone() -> None:
    from seminal.stn.reproductions.train import TrainSettings, _lr_factors

    settings = TrainSettings(iterations=10, lr_step=4, classifier_slow_from=6, classifier_lr_factor=0.01)
    classifier, loc = _lr_factors(settings, 2)
    assert [classifier(t) for t in (0, 5, 6)] == pytest.approx([1.0, 0.1, 0.001])
    assert [loc(t) for t in (0, 5, 6, 8)] == pytest.approx([1.0, 0.1, 0.1, 0.01])  # the step decay only
    plain = _lr_factors(TrainSettings(iterations=10, lr_step=4), 2)[0]
    assert [plain(t) for t in range(10)] == pytest.approx([0.1 ** (t // 4) for t in range(10)])
    with pytest.raises(ValueError, match="classifier_lr_factor"):
        _lr_factors(TrainSettings(classifier_lr_factor=0.0), 2)


@pytest.mark.parametrize(
    "field, value",
    [("upright_fraction", 0.6), ("upright_fraction", -0.1), ("classifier_slow_fraction", 1.5), ("classifier_lr_factor", 0.0), ("transformers", 0),
     ("angle_power", 0.0), ("averaging", 1.0), ("averaging", True)],
)
def test_compare_rejects_bad_schedule_fields(field, value, tmp_path) -> None:
    cfg = dataclasses.replace(compare.smoke(), **{field: value})
    with pytest.raises(ValueError, match=field):
        compare._check(cfg)


def test_residual_by_input_rotation_bins_every_digit_once() -> None:
    from seminal.stn.distortions import rotation_scale_theta

    angles = torch.tensor([0.0, 10.0, -29.0, 31.0, -45.0, 59.0, 61.0, -75.0, 90.0, -90.0], dtype=torch.float64)
    n = len(angles)
    dist = rotation_scale_theta(angles, torch.ones(n), torch.zeros(n, 2), 28).double()
    # An ST that undoes rotations up to 45° and leaves larger ones alone: the residual is the
    # input's rotation beyond 45° (0 in the first bin, the whole angle in the last).
    undo = torch.where(angles.abs() <= 45.0, -angles, torch.zeros_like(angles))
    st = rotation_scale_theta(undo, torch.ones(n), torch.zeros(n, 2), 28).double()
    bins = canonical.residual_statistics(dist, st)["rotation_by_input_deg"]
    assert [b["input_abs_deg"] for b in bins] == [list(b) for b in canonical.ROTATION_BINS_DEG]
    assert [b["digits"] for b in bins] == [3, 3, 4]
    assert bins[0]["rotation_spread_deg"] < 1e-6 and abs(bins[0]["rotation_mean_deg"]) < 1e-6
    last = canonical.circular_spread_deg(angles[6:])
    assert math.isclose(bins[2]["rotation_spread_deg"], last, rel_tol=1e-6)


def test_compare_refuses_averaging_without_adam() -> None:
    with pytest.raises(ValueError, match="averaging"):
        compare._check(dataclasses.replace(compare.smoke(), optimizer="sgd", averaging=0.999))


def test_averaging_returns_the_bias_corrected_average_of_the_iterates(tmp_path) -> None:
    # Kingma & Ba §7.2 with θ̄0 = 0: after two steps θ̂ = ((1-β)β·θ1 + (1-β)·θ2) / (1-β²) = (β·θ1 + θ2) / (1+β).
    from torch.utils.data import TensorDataset

    from seminal.stn.reproductions.train import TrainSettings, make_optimizer, train_classifier

    gen = torch.Generator().manual_seed(0)
    data = TensorDataset(torch.randn(8, 3, generator=gen), torch.randint(0, 2, (8,), generator=gen))

    def trained(steps: int, averaging: float | None, name: str) -> torch.Tensor:
        torch.manual_seed(0)
        model = torch.nn.Linear(3, 2)
        settings = TrainSettings(iterations=steps, batch_size=4, lr=0.1, optimizer="adam", averaging=averaging)
        out = train_classifier(RunContext(out_dir=tmp_path / name, seed=0, progress=False), model, data, data, settings, name)
        assert out["iterations"] == steps
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    beta = 0.6
    theta1, theta2 = trained(1, None, "one"), trained(2, None, "two")
    assert not torch.allclose(theta1, theta2)
    assert torch.allclose(trained(2, beta, "averaged"), (beta * theta1 + theta2) / (1 + beta), atol=1e-6)
    with pytest.raises(ValueError, match="averaging"):
        make_optimizer(TrainSettings(optimizer="sgd", averaging=0.9), [torch.zeros(1, requires_grad=True)])
    with pytest.raises(ValueError, match="averaging"):
        make_optimizer(TrainSettings(optimizer="adam", averaging=1.5), [torch.zeros(1, requires_grad=True)])
