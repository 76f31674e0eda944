"""The Adam experiments are registered once, with typed presets and cited targets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from seminal.experiments.registry import experiments_for, get_experiment

ADAM_IDS = {"adam-fig1", "adam-fig2", "adam-fig3", "adam-fig4", "adam-reddi"}


def test_all_adam_experiments_are_registered() -> None:
    assert {e.id for e in experiments_for("adam")} >= ADAM_IDS


@pytest.mark.parametrize("experiment_id", sorted(ADAM_IDS))
def test_presets_are_config_dataclass_instances(experiment_id: str) -> None:
    experiment = get_experiment(experiment_id)
    for preset in ("full", "quick", "smoke"):
        config = experiment.config(preset)
        assert dataclasses.is_dataclass(config) and isinstance(config, experiment.config_cls)
    assert experiment.config("full") == experiment.config_cls()
    assert experiment.config("quick") != experiment.config("full") or experiment_id == "adam-reddi"


@pytest.mark.parametrize("experiment_id", sorted(ADAM_IDS))
def test_targets_cite_the_paper(experiment_id: str) -> None:
    targets = get_experiment(experiment_id).targets
    assert targets
    for target in targets:
        assert "§" in target.source or "Reddi" in target.source


def test_full_presets_are_the_papers_settings() -> None:
    assert get_experiment("adam-fig1").config().epochs == 45
    assert get_experiment("adam-fig1").config().batch_size == 128
    fig2 = get_experiment("adam-fig2").config()
    assert (fig2.epochs, fig2.hidden, fig2.depth, fig2.batch_size) == (200, 1000, 2, 128)
    fig4 = get_experiment("adam-fig4").config()
    assert fig4.beta1s == (0.0, 0.9) and fig4.beta2s == (0.99, 0.999, 0.9999)
    assert fig4.log10_lrs == (-5, -4, -3, -2, -1) and fig4.report_epochs == (10, 100)
    assert (fig4.hidden, fig4.latent) == (500, 50)
    assert get_experiment("adam-fig3").config().epochs == 45
    reddi = get_experiment("adam-reddi").config()
    assert (reddi.beta1, reddi.beta2, reddi.large_gradient, reddi.small_gradient, reddi.period) == (0.9, 0.99, 1010.0, -10.0, 101)


def test_fig3_reports_why_it_is_unavailable_without_cifar(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from seminal.adam.reproductions import fig3
    from seminal.adam.reproductions.cifar import CIFAR_FILES

    monkeypatch.setenv("SEMINAL_NO_DOWNLOAD", "1")
    monkeypatch.setenv("SEMINAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SEMINAL_CACHE_DIR", str(tmp_path / "cache"))
    reason = fig3.available()
    assert reason is not None and "CIFAR-10" in reason and "data_batch_1" in reason

    (tmp_path / "data" / "cifar-10-batches-py").mkdir(parents=True)
    for name in CIFAR_FILES:
        (tmp_path / "data" / "cifar-10-batches-py" / name).write_bytes(b"")
    assert fig3.available() is None


def test_fig4_laptop_preset_is_the_papers_grid_at_10_epochs() -> None:
    experiment = get_experiment("adam-fig4")
    laptop = experiment.config("laptop")
    full = experiment.config("full")
    assert "laptop" in experiment.preset_names
    assert (laptop.beta1s, laptop.beta2s, laptop.log10_lrs) == (full.beta1s, full.beta2s, full.log10_lrs)
    assert laptop.report_epochs == (10, 100) and laptop.train_limit is None and not laptop.synthetic
    assert laptop.long_cells and all(tuple(c)[:2] in {(b1, b2) for b1 in full.beta1s for b2 in full.beta2s}
                                     for c in laptop.long_cells)
    with pytest.raises(ValueError, match="unknown preset 'laptop2' for experiment 'adam-fig4'; expected one of full, quick, smoke, laptop"):
        experiment.config("laptop2")


@pytest.mark.parametrize("experiment_id", ["adam-fig1", "adam-fig2", "adam-fig4", "adam-reddi"])
def test_quick_presets_run_three_seeds(experiment_id: str) -> None:
    assert get_experiment(experiment_id).config("quick").num_seeds == 3


def test_fig4_quick_covers_both_beta1_and_the_extreme_beta2() -> None:
    quick = get_experiment("adam-fig4").config("quick")
    assert set(quick.beta1s) == {0.0, 0.9} and {0.99, 0.9999} <= set(quick.beta2s)


def test_cli_accepts_the_laptop_preset_and_overrides_it() -> None:
    from seminal.cli.config_options import collect_overrides
    from seminal.cli.main import _parse

    args, experiment = _parse(["run", "adam-fig4", "--preset", "laptop", "--set", "report_epochs=(1,2)"])
    assert args.preset == "laptop" and experiment.id == "adam-fig4"
    config = experiment.config(args.preset, collect_overrides(args, experiment))
    assert config.report_epochs == (1, 2) and config.long_cells == experiment.config("laptop").long_cells
    with pytest.raises(ValueError, match="unknown preset 'laptop'"):
        get_experiment("adam-fig1").config("laptop")  # only experiments that define it
