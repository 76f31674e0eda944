"""The learning-rate grid search picks the lowest final training loss; diverged runs lose."""

from __future__ import annotations

import math

import pytest

from seminal.adam.reproductions.grid import pick_best, run_grid
from seminal.adam.reproductions.loop import Curve


def test_pick_best_takes_the_lowest_final_loss() -> None:
    curves = [Curve("adam", 1e-3, [1.0, 0.5]), Curve("adam", 1e-2, [1.0, 0.3]), Curve("adam", 1e-1, [1.0, 0.4])]
    assert pick_best(curves).lr == 1e-2


def test_pick_best_rejects_diverged_runs_and_breaks_ties_towards_the_smaller_rate() -> None:
    curves = [Curve("sgd", 1.0, [0.1, math.nan], diverged=True), Curve("sgd", 0.3, [0.5, 0.2]),
              Curve("sgd", 0.1, [0.6, 0.2])]
    assert pick_best(curves).lr == 0.1


def test_pick_best_needs_candidates() -> None:
    with pytest.raises(ValueError, match=r"Invalid grid: no learning rates"):
        pick_best([])


def test_run_grid_names_each_run_and_records_every_rate() -> None:
    names: list[str] = []

    def train(method: str, lr: float, name: str) -> Curve:
        names.append(name)
        return Curve(method, lr, [abs(math.log10(lr) + 2)])  # best at lr = 1e-2

    chosen, record = run_grid(["adam"], {"adam": [1e-3, 1e-2, 1e-1]}, train)
    assert chosen == {"adam": 1e-2}
    assert names == ["grid-adam-lr0.001", "grid-adam-lr0.01", "grid-adam-lr0.1"]
    assert set(record["adam"]["final_loss_by_lr"]) == {"0.001", "0.01", "0.1"}


def test_run_grid_requires_rates_for_every_method() -> None:
    with pytest.raises(ValueError, match=r"Invalid lr_grid: no learning rates for method 'adagrad'"):
        run_grid(["adagrad"], {"adam": [1e-3]}, lambda m, lr, n: Curve(m, lr, [1.0]))
