"""The GAN experiments: registration, presets that encode the paper, and generator sharing."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
import torch

from seminal.gan.reproductions.common import GANData, obtain_generator, recipe_fingerprint
from seminal.gan.reproductions.fig3 import interpolate_noise
from seminal.gan.reproductions.table1 import Table1Config
from seminal.experiments.registry import RunContext, experiments_for, get_experiment
from seminal.gan.parzen import SIGMA_GRID
from seminal.gan.trainer import GANTrainConfig


def test_four_experiments_are_registered_with_all_presets() -> None:
    ids = {e.id for e in experiments_for("gan")}
    assert {"gan-table1", "gan-fig1", "gan-fig2", "gan-fig3"} <= ids
    for exp_id in ("gan-table1", "gan-fig1", "gan-fig2", "gan-fig3"):
        exp = get_experiment(exp_id)
        for preset in ("full", "quick", "smoke"):
            cfg = exp.config(preset)
            if isinstance(cfg, GANTrainConfig):
                cfg.validate()


def test_full_preset_is_the_authors_configuration() -> None:
    cfg = get_experiment("gan-table1").config("full")
    assert isinstance(cfg, Table1Config)
    assert (cfg.batch_size, cfg.k, cfg.update, cfg.g_loss, cfg.optimizer) == (100, 1, "simultaneous", "non_saturating", "sgd")
    assert (cfg.lr, cfg.lr_decay, cfg.min_lr) == (0.1, 1.000004, 1e-6)
    assert (cfg.momentum_start, cfg.momentum_final, cfg.momentum_saturate_epoch) == (0.5, 0.7, 250)
    assert (cfg.noise_dim, cfg.prior, cfg.g_hidden, cfg.g_layers) == (100, "uniform", 1200, 2)
    assert (cfg.d_units, cfg.d_layers, cfg.d_pieces, cfg.d_input_keep, cfg.d_hidden_keep) == (240, 2, 5, 0.8, 0.5)
    assert (cfg.g_init_range, cfg.d_init_range) == (0.05, 0.005)
    assert (cfg.n_train, cfg.n_valid) == (50_000, 10_000)
    assert (cfg.parzen_samples, cfg.parzen_valid, cfg.parzen_test) == (10_000, 1_000, 10_000)
    assert len(SIGMA_GRID) == 10


def test_figures_share_table1s_recipe_in_quick_and_smoke() -> None:
    t1 = get_experiment("gan-table1")
    for preset in ("quick", "smoke"):
        recipe = t1.config(preset).recipe()
        assert get_experiment("gan-fig2").config(preset).recipe() == recipe
        assert get_experiment("gan-fig3").config(preset).recipe() == recipe


def test_interpolation_endpoints_and_midpoint() -> None:
    z1, z2 = torch.zeros(2, 3), torch.ones(2, 3)
    path = interpolate_noise(z1, z2, 5)
    assert path.shape == (2, 5, 3)
    assert torch.equal(path[:, 0], z1) and torch.equal(path[:, -1], z2)
    assert torch.allclose(path[:, 2], torch.full((2, 3), 0.5))
    with pytest.raises(ValueError, match=r"Invalid steps: 1 \(expected >= 2\)"):
        interpolate_noise(z1, z2, 1)


def _data() -> GANData:
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(100, 784, generator=gen) ** 2
    return GANData(train=images[:80], train_labels=torch.arange(80) % 10, valid=images[80:], test=images[80:],
                   test_labels=torch.arange(20) % 10, dataset="mnist", source="synthetic", is_fallback=False, split_note="")


def _cfg(**overrides) -> GANTrainConfig:
    base = dict(epochs=1, batch_size=20, optimizer="adam", lr=2e-4, update="alternating", g_hidden=8, d_units=4,
                d_pieces=2, n_train=80, sample_every=0)
    base.update(overrides)
    return GANTrainConfig(**base)


def test_a_sibling_generator_with_the_same_fingerprint_is_reused(tmp_path: Path) -> None:
    data = _data()
    first_ctx = RunContext(out_dir=tmp_path / "gan-fig2", seed=0, progress=False)
    first = obtain_generator(_cfg(), first_ctx, data)
    assert first.reused_from is None
    second_ctx = RunContext(out_dir=tmp_path / "gan-fig3", seed=0, progress=False)
    second = obtain_generator(_cfg(), second_ctx, data)
    assert second.reused_from == tmp_path / "gan-fig2" / "generator.pt"
    assert (tmp_path / "gan-fig3" / "generator.pt").is_file()
    assert any("reused" in n for n in second_ctx.notes)
    # a different recipe, seed or data source is a different generator: trained anew
    other = obtain_generator(_cfg(lr=1e-3), RunContext(out_dir=tmp_path / "x", seed=0, progress=False), data)
    assert other.reused_from is None


def test_fingerprint_changes_with_recipe_seed_and_data() -> None:
    data = _data()
    ctx0, ctx1 = RunContext(out_dir=Path("a"), seed=0), RunContext(out_dir=Path("a"), seed=1)
    base = recipe_fingerprint(_cfg(), data, ctx0)
    assert base == recipe_fingerprint(_cfg(), data, ctx0)
    assert base != recipe_fingerprint(_cfg(), data, ctx1)
    assert base != recipe_fingerprint(_cfg(epochs=2), data, ctx0)
    assert base != recipe_fingerprint(_cfg(), dataclasses.replace(data, source="files: /x"), ctx0)


@pytest.mark.slow
@pytest.mark.parametrize("exp_id", ["gan-fig1", "gan-table1"])
def test_quick_preset_runs_and_shows_the_claims(exp_id: str, tmp_path: Path) -> None:
    from seminal.experiments.runner import run_experiment

    record = run_experiment(get_experiment(exp_id), out_dir=tmp_path / exp_id, preset="quick", seed=0, device="cpu", progress=False)
    assert record.status == "ok"
    if exp_id == "gan-fig1":
        assert record.metrics["stage_d_jsd"] < record.metrics["stage_a_jsd"]
    else:  # quick claims only a labelled, reduced-protocol Parzen number and the other metrics
        assert record.metrics["parzen_full_protocol"] is False
        assert math.isfinite(record.metrics["parzen_mean"]) and record.metrics["parzen_stderr"] > 0
        assert math.isfinite(record.metrics["frechet"]) and 1.0 <= record.metrics["classifier_score"] <= 10.0


def test_a_class_sorted_small_dataset_is_split_in_a_fixed_random_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The offline fallback stores its digits class by class: a file-order split would train the
    # GAN on the low digits only and validate on the high ones.
    import seminal.data
    from seminal.data import MNISTData
    from seminal.gan.reproductions.common import load_gan_data

    labels = torch.arange(10).repeat_interleave(40)  # 400 images, sorted by class
    images = (labels.reshape(-1, 1, 1) * 20 + torch.zeros(400, 28, 28, dtype=torch.long)).to(torch.uint8)
    fake = MNISTData(images, labels, images[:50], labels[:50], "mnist", "sorted stand-in", True, "stand-in note")
    monkeypatch.setattr(seminal.data, "load_mnist", lambda **_: fake)
    ctx = RunContext(out_dir=tmp_path, seed=0, progress=False)
    data = load_gan_data(_cfg(n_train=10_000, n_valid=1_000), ctx)
    assert data.train.shape[0] == 300 and data.valid.shape[0] == 100
    assert set(data.train_labels.tolist()) == set(range(10))
    # labels still belong to their images, and train + validation is every image once
    assert torch.equal(data.train[:, 0] * 255 / 20, data.train_labels.float())
    seen = torch.cat([data.train[:, 0], data.valid[:, 0]]) * 255 / 20
    assert torch.equal(seen.round().long().bincount(minlength=10), torch.full((10,), 40))
    # the order does not depend on the run's seed (the split is part of the data, not the run)
    again = load_gan_data(_cfg(n_train=10_000, n_valid=1_000), RunContext(out_dir=tmp_path, seed=5, progress=False))
    assert torch.equal(again.train, data.train)
    assert any("fixed random order" in n for n in ctx.notes)


def test_unrelated_sibling_generators_do_not_change_a_run(tmp_path: Path) -> None:
    # Old code: loading each sibling candidate built a Generator (random init from the global RNG),
    # so the run trained after looking at them drew other noise than the same run alone.
    from seminal.gan.checkpoint import load_generator

    data = _data()

    def trained(parent: Path) -> torch.Tensor:
        torch.manual_seed(0)  # the runner seeds the global RNG before run()
        ctx = RunContext(out_dir=parent / "gan-table1", seed=0, progress=False)
        obtained = obtain_generator(_cfg(), ctx, data)
        assert obtained.reused_from is None
        return torch.cat([p.detach().flatten() for p in load_generator(ctx.out_dir).generator.parameters()])

    alone = trained(tmp_path / "alone")
    crowded = tmp_path / "crowded"
    for i, seed in enumerate((3, 4, 5)):  # other recipes / seeds: not reusable, but readable
        obtain_generator(_cfg(g_hidden=8 + i), RunContext(out_dir=crowded / f"other{i}", seed=seed, progress=False), data)
    assert torch.equal(trained(crowded), alone)


def test_fingerprint_includes_the_code_version(monkeypatch: pytest.MonkeyPatch) -> None:
    import seminal
    from seminal.gan.reproductions import common

    data = _data()
    ctx = RunContext(out_dir=Path("a"), seed=0)
    before = recipe_fingerprint(_cfg(), data, ctx)
    assert common.code_version().startswith(seminal.__version__ + "+")
    monkeypatch.setattr(common, "code_version", lambda: "9.9.9+000000000000")
    assert recipe_fingerprint(_cfg(), data, ctx) != before


def test_comparability_follows_the_trained_networks_and_data_not_only_the_parzen_sizes() -> None:
    from seminal.gan.reproductions.table1 import comparability

    exp = get_experiment("gan-table1")
    full, laptop, quick = exp.config("full"), exp.config("laptop"), exp.config("quick")
    assert comparability(full, 50_000, 1_000, 10_000, False) == []
    assert comparability(laptop, 50_000, 1_000, 10_000, False) == []
    # the old label looked at the Parzen sizes only: a quick G evaluated with full sizes was "full protocol"
    quick_full_sizes = dataclasses.replace(quick, parzen_samples=10_000, parzen_valid=1_000, parzen_test=10_000)
    reasons = comparability(quick_full_sizes, 50_000, 1_000, 10_000, False)
    assert len(reasons) == 1 and "not the paper's networks" in reasons[0] and "g_arch='conv'" in reasons[0]
    assert any("offline fallback" in r for r in comparability(full, 3_750, 1_000, 10_000, True))
    assert any("10,000 images" in r for r in comparability(full, 10_000, 1_000, 10_000, False))
    assert any("reduced Parzen protocol" in r for r in comparability(full, 50_000, 300, 10_000, False))


def test_laptop_is_a_named_preset_of_table1_only() -> None:
    laptop = get_experiment("gan-table1").config("laptop")
    assert (laptop.g_arch, laptop.g_hidden, laptop.d_units, laptop.d_pieces) == ("mlp", 1200, 240, 5)
    assert laptop.keep_best and laptop.monitor_every == 1
    assert (laptop.parzen_samples, laptop.parzen_valid, laptop.parzen_test) == (10_000, 1_000, 10_000)
    assert "laptop" in get_experiment("gan-table1").preset_names
    with pytest.raises(ValueError, match="unknown preset 'laptop'"):
        get_experiment("gan-fig1").config("laptop")


def test_isolated_pixels_are_counted_on_every_sample_and_every_test_digit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A rare event: the first 1,000 real test digits hold 4 isolated pixels, all 10,000 hold 97, so a
    # rate read off the first quality_samples digits made the ratio's denominator a 4-count guess.
    from seminal.gan.reproductions import table1

    data = _data()
    test = torch.zeros(300, 784)
    test[100:, 5 * 28 + 5] = 1.0  # one isolated lit pixel in each of the last 200 digits only
    data = dataclasses.replace(data, test=test, test_labels=torch.arange(300) % 10)
    monkeypatch.setattr(table1, "load_gan_data", lambda cfg, ctx: data)
    cfg = dataclasses.replace(table1.smoke(), n_train=80, parzen_samples=150, parzen_valid=20, parzen_test=50, quality_samples=100)
    result = table1.run(cfg, RunContext(out_dir=tmp_path / "gan-table1", seed=0, progress=False))
    m = result.metrics
    assert m["isolated_pixel_n_real"] == 300 and m["isolated_pixel_rate_real"] == pytest.approx(200 / 300)
    assert m["isolated_pixel_n_samples"] == 150
    assert m["isolated_pixel_ratio"] == pytest.approx(m["isolated_pixel_rate"] / (200 / 300))
