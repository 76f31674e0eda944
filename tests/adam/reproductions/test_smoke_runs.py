"""Every Adam experiment runs end to end on its smoke preset: training, checkpoints, figures, rows."""

from __future__ import annotations

import json
import math

import pytest

from seminal.experiments.registry import RunResult, get_experiment

TRAINED = ["adam-fig1", "adam-fig2", "adam-fig3", "adam-fig4"]


def _check_result(result: RunResult) -> None:
    assert result.comparison, "no ours-vs-paper rows"
    for row in result.comparison:
        assert row.source and row.comment and row.agrees in (True, False, None)
    assert result.figures and all(path.is_file() and path.stat().st_size > 0 for path in result.figures)
    json.dumps(result.metrics)  # the runner writes metrics.json


@pytest.mark.parametrize("experiment_id", TRAINED)
def test_smoke_run(experiment_id: str, make_ctx) -> None:
    experiment = get_experiment(experiment_id)
    ctx = make_ctx()
    result = experiment.run(experiment.config("smoke"), ctx)
    _check_result(result)
    assert ctx.protocol().data_source == "synthetic" and not ctx.protocol().judged  # smoke data is recorded as such
    assert all(row.verdict == "" for row in result.comparison)  # synthetic data never "agrees"
    assert list((ctx.out_dir / "checkpoints").glob("*.pt")), "training did not go through the Trainer"


@pytest.mark.parametrize("experiment_id", ["adam-fig1", "adam-fig2", "adam-fig3"])
def test_every_method_has_a_full_finite_curve(experiment_id: str, make_ctx) -> None:
    experiment = get_experiment(experiment_id)
    config = experiment.config("smoke")
    result = experiment.run(config, make_ctx())
    curves = result.metrics["curves"]
    assert list(curves) == list(config.methods)
    for curve in curves.values():
        assert len(curve["losses"]) == config.epochs and all(math.isfinite(v) for v in curve["losses"])


def test_fig1_methods_start_from_the_same_initialisation(make_ctx) -> None:
    # One epoch of one batch: each method's recorded loss is the loss of the shared initial
    # weights on the same first minibatch, before any update.
    experiment = get_experiment("adam-fig1")
    config = experiment.config("smoke", {"epochs": 1, "batch_size": 512})
    losses = [c["losses"][0] for c in experiment.run(config, make_ctx()).metrics["curves"].values()]
    assert max(losses) - min(losses) < 1e-6


def test_fig1_resume_reproduces_the_uninterrupted_run(make_ctx) -> None:
    experiment = get_experiment("adam-fig1")
    config = experiment.config("smoke")
    first = experiment.run(config, make_ctx("a"))
    again = experiment.run(config, make_ctx("a", resume=True))  # every Trainer finds its final checkpoint
    assert again.metrics["curves"] == {m: {**c, "seconds": again.metrics["curves"][m]["seconds"]}
                                       for m, c in first.metrics["curves"].items()}


def test_fig4_grid_covers_every_cell_with_and_without_bias_correction(make_ctx) -> None:
    experiment = get_experiment("adam-fig4")
    config = experiment.config("smoke")
    cells = experiment.run(config, make_ctx()).metrics["cells"]
    keys = {(c["beta1"], c["beta2"], c["log10_lr"], c["bias_correction"]) for c in cells}
    assert len(keys) == len(cells) == len(config.beta1s) * len(config.beta2s) * len(config.log10_lrs) * 2


def test_grid_search_path_trains_on_the_held_out_split(make_ctx) -> None:
    experiment = get_experiment("adam-fig1")
    config = experiment.config("smoke", {"grid_search": True, "grid_holdout": 128, "grid_epochs": 1,
                                         "lr_grid": {"adam": [1e-2, 1e-1], "sgd_nesterov": [0.1], "adagrad": [0.1]}})
    result = experiment.run(config, make_ctx())
    assert result.metrics["train_images"] == config.train_limit - 128
    assert result.metrics["learning_rates"]["adam"] in (1e-2, 1e-1)
    assert set(result.metrics["grid"]["adam"]["final_loss_by_lr"]) == {"0.01", "0.1"}
    assert "grid search" in result.metrics["learning_rate_source"]
