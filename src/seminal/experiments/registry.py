"""The experiment registry: every reproduction is registered here exactly once.

An :class:`Experiment` bundles an id (``adam-fig1``), the paper it belongs to, a typed config
dataclass whose defaults are the paper's full setting, a *quick* preset (a reduced schedule that
runs on a laptop CPU in minutes), the paper's target values with their source, and a ``run``
function. The runner (:mod:`seminal.experiments.runner`) gives ``run`` a :class:`RunContext` and
writes whatever it returns -- config, metrics, environment, comparison table, figures -- as files.

This module holds the registry itself (:func:`register`, :func:`get_experiment`, the discovery of
the papers' experiments) and is the one import path for the parts it is built from:
:mod:`~seminal.experiments.experiment`, :mod:`~seminal.experiments.run_context` and
:mod:`~seminal.experiments.comparison`.
"""

from __future__ import annotations

import dataclasses

from seminal.experiments.comparison import ComparisonRow, PaperTarget, seed_verdict_row
from seminal.experiments.experiment import Experiment, RunFn  # noqa: F401 - RunFn: the import path it always had
from seminal.experiments.protocol import DataSource, Protocol
from seminal.experiments.run_context import RunContext, RunResult

__all__ = [
    "PaperTarget",
    "ComparisonRow",
    "DataSource",
    "Protocol",
    "seed_verdict_row",
    "RunContext",
    "RunResult",
    "Experiment",
    "register",
    "get_experiment",
    "all_experiments",
    "experiments_for",
    "PAPERS",
    "BUILTIN_PRESETS",
]

#: Paper ids, in the order reports list them.
PAPERS: tuple[str, ...] = ("adam", "stn", "gan")
#: Presets every experiment knows (smoke only where it defines one); ``Experiment.presets`` adds more.
BUILTIN_PRESETS: tuple[str, ...] = ("full", "quick", "smoke")

_REGISTRY: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    """Add an experiment to the registry. Ids are unique; registering twice is an error."""
    if experiment.paper not in PAPERS:
        raise ValueError(f"Experiment {experiment.id!r}: paper must be one of {PAPERS}, got {experiment.paper!r}")
    if not dataclasses.is_dataclass(experiment.config_cls):
        raise TypeError(f"Experiment {experiment.id!r}: config_cls must be a dataclass")
    if experiment.id in _REGISTRY:
        raise ValueError(f"Experiment {experiment.id!r} is already registered")
    _REGISTRY[experiment.id] = experiment
    return experiment


def _load_all() -> None:
    # Importing the paper modules registers their experiments (once; imports are cached).
    import seminal.adam.reproductions  # noqa: F401
    import seminal.gan.reproductions  # noqa: F401
    import seminal.stn.reproductions  # noqa: F401


def get_experiment(experiment_id: str) -> Experiment:
    _load_all()
    try:
        return _REGISTRY[experiment_id]
    except KeyError:
        raise KeyError(
            f"Unknown experiment {experiment_id!r}; expected one of {sorted(_REGISTRY)} (see `seminal list`)"
        ) from None


def all_experiments() -> list[Experiment]:
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda e: (PAPERS.index(e.paper), e.id))


def experiments_for(paper: str) -> list[Experiment]:
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {PAPERS}, got {paper!r}")
    return [e for e in all_experiments() if e.paper == paper]
