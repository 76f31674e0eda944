"""Several seeds inside one run, and the rules that turn per-seed outcomes into verdicts.

A claim about an optimizer's curve is only reported as agreeing with the paper when it holds on
every seed the run trained (:func:`seminal.experiments.registry.seed_verdict_row`). A run with
``num_seeds = n`` and ``--seed s`` trains seeds s, s+1, ..., s+n−1; each seed gets its own copy
of the run context (its own data order), reseeds the global RNGs (its own initialisation and
dropout noise) and its own checkpoint names, so ``--resume`` continues every seed exactly.

Synthetic-data runs (the smoke presets) exercise the code, not the paper: their rows are
informational, never "agrees" or "disagrees".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

from seminal.experiments.registry import ComparisonRow, RunContext

__all__ = ["SYNTHETIC_COMMENT", "check_num_seeds", "informational", "run_seeds", "seed_prefix"]

SYNTHETIC_COMMENT = "informational only: synthetic data, not the paper's dataset (a smoke run checks the code, not the claim)"


def check_num_seeds(num_seeds: int) -> None:
    """Raise ValueError naming ``num_seeds`` unless it is a positive int."""
    if isinstance(num_seeds, bool) or not isinstance(num_seeds, int) or num_seeds <= 0:
        raise ValueError(f"Invalid num_seeds: {num_seeds!r} (expected a positive int)")


def seed_prefix(seed: int) -> str:
    """The prefix of every Trainer name (checkpoint stem) trained under ``seed``."""
    return f"seed{seed}-"


def run_seeds(ctx: RunContext, num_seeds: int) -> Iterator[tuple[int, RunContext]]:
    """Yield (seed, context for that seed) for seeds ctx.seed, ..., ctx.seed + num_seeds − 1.

    The global RNGs are seeded with the seed before each yield. The contexts share ``ctx.notes``.
    """
    from seminal.training import seed_everything

    check_num_seeds(num_seeds)
    for seed in range(ctx.seed, ctx.seed + num_seeds):
        seed_everything(seed)
        yield seed, dataclasses.replace(ctx, seed=seed)


def informational(rows: Sequence[ComparisonRow], reason: str = SYNTHETIC_COMMENT) -> list[ComparisonRow]:
    """``rows`` with every verdict removed (agrees None, not inconclusive) and ``reason`` prepended."""
    return [dataclasses.replace(row, agrees=None, inconclusive=False,
                                comment=f"{reason}. {row.comment}" if row.comment else reason) for row in rows]
