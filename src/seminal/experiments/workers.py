"""Run several experiments in parallel worker processes, one paper per worker at a time.

``seminal reproduce`` runs a dozen experiments; most of them train with one or two torch threads,
so on a multi-core machine one experiment after another leaves cores idle. :func:`run_in_workers`
runs them in ``jobs`` processes instead.

Why one paper per worker: a paper's experiments may read each other's outputs (gan-table1 and
gan-fig3 reuse the generator gan-fig2 trained, from a sibling run folder), so one paper's
experiments run in catalog order in one process, while different papers share nothing and run side
by side. Each worker gets ``cores // jobs`` torch threads (an experiment that pins its own thread
count keeps it). The numbers of a run do not depend on ``jobs`` except through the torch thread
count, which changes the order of floating-point reductions in the last bits.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["usable_cores", "resolve_jobs", "group_by_paper", "run_in_workers", "WorkerTask", "worker_threads"]


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def resolve_jobs(jobs: int | None, groups: int) -> int:
    """The number of worker processes: ``jobs``, or (None) one per usable core, never more than
    there are groups to run. ``jobs`` must be an int ≥ 1."""
    if jobs is None:
        jobs = usable_cores()
    elif isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"Invalid jobs: {jobs!r} (expected an int >= 1)")
    return max(1, min(jobs, groups))


def group_by_paper(experiments: Sequence[Any]) -> list[list[Any]]:
    """The experiments split by ``.paper``, in their given order (first appearance orders the papers)."""
    groups: dict[str, list[Any]] = {}
    for experiment in experiments:
        groups.setdefault(experiment.paper, []).append(experiment)
    return list(groups.values())


@dataclass(frozen=True)
class WorkerTask:
    """What a worker needs to run one paper's experiments: their ids (the worker looks them up in
    the registry, since an Experiment holds functions that do not pickle), the keyword arguments of
    :func:`~seminal.experiments.runner.run_experiment` shared by all of them, the run folder that
    holds one sub-folder per experiment, and the worker's torch thread count."""

    experiment_ids: tuple[str, ...]
    run_kwargs: dict[str, Any]
    out: Path
    threads: int


def _run_task(task: WorkerTask) -> list[Any]:
    import torch

    from seminal.experiments.registry import get_experiment
    from seminal.experiments.runner import run_experiment

    torch.set_num_threads(task.threads)
    records = []
    for experiment_id in task.experiment_ids:
        print(f"    started {experiment_id}", file=sys.stderr, flush=True)
        record = run_experiment(get_experiment(experiment_id), out_dir=task.out / experiment_id, **task.run_kwargs)
        detail = f": {record.error}" if record.error else ""
        print(f"    {experiment_id}: {record.status} in {record.duration_s:.1f} s{detail}", file=sys.stderr, flush=True)
        records.append(record)
    return records


def run_in_workers(
    groups: Sequence[Sequence[Any]],
    run_kwargs: dict[str, Any],
    out: Path,
    jobs: int,
) -> list[Any]:
    """Run each group's experiments in order in one of ``jobs`` worker processes; return every
    :class:`~seminal.experiments.runner.RunRecord`, groups in their given order.

    ``run_kwargs`` go to every ``run_experiment`` call (``raise_errors`` should be False, so one
    failed experiment is a record, not a lost batch). Ctrl-C reaches the workers too (same process
    group): each trainer checkpoints and stops, the pool is shut down, and KeyboardInterrupt is
    raised here so the run can be resumed.
    """
    if jobs < 1:
        raise ValueError(f"Invalid jobs: {jobs!r} (expected an int >= 1)")
    threads = worker_threads(jobs)
    tasks = [WorkerTask(tuple(e.id for e in group), dict(run_kwargs), Path(out), threads) for group in groups]
    # spawn, not fork: a forked child inherits torch's thread pools mid-use and can deadlock.
    context = multiprocessing.get_context("spawn")
    results: dict[int, list[Any]] = {}
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context)
    try:
        pending: dict[Future[list[Any]], int] = {pool.submit(_run_task, task): i for i, task in enumerate(tasks)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                results[index] = future.result()
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [record for i in range(len(tasks)) for record in results[i]]


def worker_threads(jobs: int) -> int:
    """Torch threads of each of ``jobs`` worker processes: the usable cores shared out evenly."""
    return max(1, usable_cores() // max(1, jobs))
