"""Train one model per optimizer from the same initialisation: the body of Figs. 1, 2 and 3.

§6: "we use the same parameter initialization when comparing different optimization
algorithms". Every method gets a deep copy of one ``template`` module, and the shared Trainer
loader gives every method the same minibatch order (it depends on the run's seed and the epoch
only). Learning rates are either fixed (given in the config) or chosen by the grid search of
:mod:`seminal.adam.reproductions.grid` on a held-out split.

:func:`compare_over_seeds` repeats the whole comparison (a fresh shared initialisation, a new
minibatch order and new dropout noise) for each of several seeds, so the figures' claims can be
judged on every seed (:mod:`seminal.adam.reproductions.seeds`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn
from torch.utils.data import Dataset

from seminal.adam.reproductions.grid import run_grid
from seminal.adam.reproductions.loop import Curve, LossFn, train_curve
from seminal.adam.reproductions.optimizers import make_optimizer
from seminal.adam.reproductions.seeds import run_seeds, seed_prefix
from seminal.experiments.registry import RunContext

__all__ = ["OptimizerComparison", "compare_optimizers", "compare_over_seeds", "per_seed_metrics"]


@dataclass
class OptimizerComparison:
    curves: dict[str, Curve]  # method -> its training curve on the main split
    lrs: dict[str, float]  # method -> the learning rate used
    lr_source: str  # where the learning rates came from, for comments
    grid: dict[str, Any] | None  # the grid-search record, None when fixed rates were used

    def metrics(self) -> dict[str, Any]:
        return {
            "final_train_loss": {m: c.final for m, c in self.curves.items()},
            "curves": {m: c.to_json() for m, c in self.curves.items()},
            "learning_rates": self.lrs,
            "learning_rate_source": self.lr_source,
            "grid": self.grid,
        }


def compare_optimizers(ctx: RunContext, *, template: nn.Module, methods: Sequence[str], epochs: int,
                       batch_size: int, loss_fn: LossFn, main_set: Dataset,
                       fixed_lrs: Mapping[str, float], grid_search: bool,
                       lr_grid: Mapping[str, Sequence[float]], grid_epochs: int,
                       held_out: Dataset | None, inverse_sqrt_decay: bool,
                       name_prefix: str = "") -> OptimizerComparison:
    """Train ``template``'s copies with each method; see the module docstring.

    ``name_prefix`` goes in front of every Trainer name (checkpoint stem), e.g. ``"seed1-"``.
    """

    from seminal.adam import inverse_sqrt_schedule  # α_t = α/sqrt(t), §6.1

    def train(method: str, lr: float, name: str, dataset: Dataset, num_epochs: int) -> Curve:
        model = copy.deepcopy(template)
        optimizer = make_optimizer(method, model.parameters(), lr)
        schedule = inverse_sqrt_schedule(optimizer) if inverse_sqrt_decay else None
        return train_curve(ctx, name=name, method=method, lr=lr, model=model, optimizer=optimizer,
                           dataset=dataset, epochs=num_epochs, batch_size=batch_size, loss_fn=loss_fn,
                           per_step_schedule=schedule)

    grid = None
    if grid_search:
        if held_out is None:
            raise ValueError("Invalid held_out: None (expected a dataset when grid_search is True)")
        lrs, grid = run_grid(methods, lr_grid,
                             lambda m, lr, name: train(m, lr, name_prefix + name, held_out, grid_epochs))
        source = f"grid search: {grid_epochs} epochs on {len(held_out):,} held-out images, lowest final training loss"
    else:
        missing = [m for m in methods if m not in fixed_lrs]
        if missing:
            raise ValueError(f"Invalid lrs: no learning rate for {missing} (expected one per method)")
        lrs = {m: float(fixed_lrs[m]) for m in methods}
        source = "fixed values from the config (lrs), not tuned by this run"
    curves = {m: train(m, lrs[m], name_prefix + m, main_set, epochs) for m in methods}
    return OptimizerComparison(curves=curves, lrs=lrs, lr_source=source, grid=grid)


def compare_over_seeds(ctx: RunContext, num_seeds: int, make_template: Callable[[], nn.Module],
                       **comparison: Any) -> dict[int, OptimizerComparison]:
    """:func:`compare_optimizers` once per seed (see :func:`~seminal.adam.reproductions.seeds.run_seeds`).

    ``make_template`` is called right after seeding, so every seed has its own shared
    initialisation; ``comparison`` holds the keyword arguments of :func:`compare_optimizers`.
    """
    results: dict[int, OptimizerComparison] = {}
    for seed, seed_ctx in run_seeds(ctx, num_seeds):
        results[seed] = compare_optimizers(seed_ctx, template=make_template(), name_prefix=seed_prefix(seed),
                                           **comparison)
    return results


def per_seed_metrics(results: Mapping[int, OptimizerComparison]) -> dict[str, Any]:
    """Metrics of a multi-seed comparison: the first seed's at the top level, every seed's under "per_seed"."""
    first = results[min(results)]
    return {**first.metrics(), "seeds": sorted(results),
            "per_seed": {str(seed): {"final_train_loss": {m: c.final for m, c in r.curves.items()},
                                     "curves": {m: c.losses for m, c in r.curves.items()},
                                     "learning_rates": r.lrs}
                         for seed, r in sorted(results.items())}}
