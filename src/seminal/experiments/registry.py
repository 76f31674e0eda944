"""The experiment registry: every reproduction is registered here exactly once.

An :class:`Experiment` bundles an id (``adam-fig1``), the paper it belongs to, a typed config
dataclass whose defaults are the paper's full setting, a *quick* preset (a reduced schedule that
runs on a laptop CPU in minutes), the paper's target values with their source, and a ``run``
function. The runner (:mod:`seminal.experiments.runner`) gives ``run`` a :class:`RunContext` and
writes whatever it returns -- config, metrics, environment, comparison table, figures -- as files.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported lazily so that `seminal --help` and `seminal list` start fast
    import torch

from seminal.experiments.protocol import DataSource, Protocol, assess_protocol

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


def _cpu() -> torch.device:
    import torch

    return torch.device("cpu")


@dataclass(frozen=True)
class PaperTarget:
    """One value the paper reports, with where it comes from.

    ``value`` is a number or a short claim in words (the Adam paper has curves, not tables).
    """

    name: str
    value: float | str
    source: str
    unit: str = ""


@dataclass(frozen=True)
class ComparisonRow:
    """One line of an ours-vs-paper table.

    ``agrees`` is True/False when a criterion was checked, None when the row is informational.
    ``inconclusive`` marks a checked criterion whose outcome differs between seeds (``agrees`` is
    then None): it is reported as "inconclusive", never as agreement.
    ``comment`` says why we agree or not (the criterion, the measured gap); what the run reduced
    is not repeated here: the runner derives it once per run (:mod:`seminal.experiments.protocol`).
    ``reduced`` is set by the runner on the checked rows of a run that is not the paper's full
    protocol: the verdict then reads "agrees (reduced run)".
    """

    quantity: str
    paper: float | str
    ours: float | str
    agrees: bool | None = None
    source: str = ""
    comment: str = ""
    inconclusive: bool = False
    reduced: bool = False

    @property
    def verdict(self) -> str:
        """"agrees", "disagrees", "inconclusive" or "" (informational row)."""
        if self.inconclusive:
            return "inconclusive"
        return {True: "agrees", False: "disagrees", None: ""}[self.agrees]

    @property
    def label(self) -> str:
        """The verdict as reports print it: "agrees (reduced run)" when the run was reduced."""
        verdict = self.verdict
        return f"{verdict} (reduced run)" if verdict and self.reduced else verdict


def seed_verdict_row(
    quantity: str,
    paper: float | str,
    per_seed_values: dict[int, float],
    per_seed_agrees: dict[int, bool],
    *,
    source: str = "",
    criterion: str = "",
    fmt: str = "{:.4g}",
) -> ComparisonRow:
    """One row judged on several seeds: ours is "median [min, max] over seeds s1,s2,...".

    The row agrees only when the criterion holds on every seed, disagrees when it fails on every
    seed, and is *inconclusive* otherwise -- a claim that holds for one seed and not another is
    never reported as agreement.
    """
    if not per_seed_values or set(per_seed_values) != set(per_seed_agrees):
        raise ValueError("per_seed_values and per_seed_agrees must be non-empty and cover the same seeds")
    values = sorted(per_seed_values.values())
    n = len(values)
    median = values[n // 2] if n % 2 else 0.5 * (values[n // 2 - 1] + values[n // 2])
    seeds = ",".join(str(s) for s in sorted(per_seed_values))
    ours = f"{fmt.format(median)} [{fmt.format(values[0])}, {fmt.format(values[-1])}] (median [range], seeds {seeds})"
    held = sum(bool(v) for v in per_seed_agrees.values())
    if held == n:
        agrees, inconclusive = True, False
    elif held == 0:
        agrees, inconclusive = False, False
    else:
        agrees, inconclusive = None, True
    comment = f"{criterion}; holds on {held}/{n} seeds" if criterion else f"holds on {held}/{n} seeds"
    return ComparisonRow(quantity, paper, ours, agrees, source, comment, inconclusive)


@dataclass
class RunContext:
    """What an experiment's ``run`` function is given by the runner.

    Attributes:
        out_dir: this run's directory; everything the run writes goes under it.
        device: the torch device to train on (resolved from ``--device``).
        seed: the run's seed; the runner has already seeded Python, NumPy and torch with it.
        quick: True for the quick preset (the config already reflects it; this is informational).
        preset: the preset's name ("full", "quick", "smoke" or one of ``Experiment.presets``).
        resume: continue from the checkpoint in ``out_dir`` if there is one.
        data_dir: explicit data directory (``--data-dir``), or None for the default search.
        dataset: dataset name from ``--dataset`` ("mnist", "fashion-mnist", "kmnist").
        progress: show progress bars.
        amp: mixed precision for the training layer: None/False = off, True or "fp16"/"bf16"
            (``--amp``; takes effect on CUDA in loops that use ``trainer.autocast()``; the runner
            turns it off on other devices and says so in a note).
        tensorboard: also write TensorBoard scalars (``--tensorboard``; needs the package); None
            leaves it to the training layer (``$SEMINAL_TENSORBOARD``).
        notes: provenance notes that the run appends to; they are written to the report next
            to the results. Where the data came from is recorded with :meth:`record_data`, not
            as a note.
        preset: the preset name the config came from.
        config: the config the run was given; paper_config: the paper's setting (the config
            dataclass defaults). With :attr:`data` they decide :meth:`protocol`.
        data: the datasets the run used (:meth:`record_data`).
    """

    out_dir: Path
    device: torch.device = field(default_factory=_cpu)
    seed: int = 0
    quick: bool = False
    preset: str = "full"
    resume: bool = False
    data_dir: Path | None = None
    dataset: str = "mnist"
    progress: bool = True
    amp: bool | str | None = None
    tensorboard: bool | None = None
    notes: list[str] = field(default_factory=list)
    preset: str = "full"
    config: Any = None
    paper_config: Any = None
    data: list[DataSource] = field(default_factory=list)

    @property
    def figures_dir(self) -> Path:
        path = self.out_dir / "figures"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def save_figure(self, fig: Any, name: str) -> Path:
        """Save a matplotlib figure as ``figures/<name>.png`` (atomically) and close it."""
        from seminal.io import atomic_path
        import matplotlib.pyplot as plt

        path = self.figures_dir / f"{name}.png"
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
        plt.close(fig)
        return path

    def note(self, text: str) -> None:
        """Record a provenance note once (shown in the report)."""
        if text not in self.notes:
            self.notes.append(text)

    def record_data(self, source: DataSource) -> None:
        """Record a dataset this run used; a later record of the same dataset and kind replaces
        the earlier one (so a loader can record the whole set, and the caller the part used)."""
        if not isinstance(source, DataSource):
            raise TypeError(f"record_data expects a DataSource, got {type(source).__name__}")
        self.data[:] = [d for d in self.data if (d.dataset, d.kind) != (source.dataset, source.kind)]
        self.data.append(source)

    def protocol(self) -> Protocol:
        """Full protocol or reduced, from this run's config vs the paper's and the data recorded so far."""
        if self.config is None or self.paper_config is None:
            # Not given by a runner: never assume the paper's setting.
            return Protocol(self.preset, ("config not compared with the paper's setting",), tuple(self.data))
        return assess_protocol(self.config, self.paper_config, self.preset, self.data)


@dataclass
class RunResult:
    """What ``run`` returns: JSON-serialisable metrics, the comparison table and figure paths."""

    metrics: dict[str, Any]
    comparison: list[ComparisonRow] = field(default_factory=list)
    figures: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


RunFn = Callable[[Any, RunContext], RunResult]


@dataclass(frozen=True)
class Experiment:
    """A registered reproduction.

    Attributes:
        id: the CLI name, ``<paper>-<what>`` (e.g. ``stn-table1``).
        paper: one of :data:`PAPERS`.
        title: one line for ``seminal list`` and reports.
        config_cls: a dataclass; its defaults are the paper's full setting.
        quick: returns the quick preset (an instance of ``config_cls``).
        smoke: returns a tiny config that exercises the whole run (training, checkpoint, figures,
            comparison) in seconds; the test suite runs every experiment with it.
        targets: the paper's values this experiment is compared with.
        run: ``run(config, ctx) -> RunResult``.
        requires: human-readable requirement that is checked by ``available`` (e.g. "CIFAR-10").
            When it mentions "MNIST", the runner also refuses the *full* preset unless the full
            dataset is found (or downloaded): the offline 5,000 digits are no stand-in for the
            paper's setting.
        available: ``available(config, data_dir)`` returns None when the experiment can run here
            with that config and ``--data-dir``, else the reason it cannot.
        in_quick_reproduce: whether ``seminal reproduce --quick`` includes it.
        keep_checkpoints: glob patterns (relative to ``checkpoints/``, e.g. ``"generator*.pt"``)
            of the training checkpoints a finished run keeps; every other ``checkpoints/*.pt`` is
            deleted when the run ends with status ok (they exist for resuming an interrupted run).
            Files the run writes outside ``checkpoints/`` (final weights, samples) are kept.
        paper_figure_description: one line saying what the paper's figure shows, printed beside
            our figure in the report (default: the targets' claims in words).
        validate: ``validate(config)`` raises ValueError (naming the field) for a config the run would
            refuse; the runner calls it before it creates the run folder.
        presets: further named presets (e.g. ``laptop``), each a function returning an instance
            of ``config_cls``, like :attr:`quick`. ``--preset NAME`` selects any of ``full``, ``quick``, ``smoke``
            and these.
    """

    id: str
    paper: str
    title: str
    config_cls: type
    quick: Callable[[], Any]
    targets: tuple[PaperTarget, ...]
    run: RunFn
    smoke: Callable[[], Any] | None = None
    requires: str = ""
    available: Callable[[Any, Path | None], str | None] = lambda config, data_dir: None
    in_quick_reproduce: bool = True
    keep_checkpoints: tuple[str, ...] = ()
    paper_figure_description: str = ""
    presets: dict[str, Callable[[], Any]] = field(default_factory=dict, hash=False, compare=False)
    validate: Callable[[Any], None] | None = None

    def figure_description(self) -> str:
        """What the paper's figure shows, in words: :attr:`paper_figure_description`, or the
        targets whose value is a claim in words ("name: claim; ...")."""
        if self.paper_figure_description:
            return self.paper_figure_description
        claims = [f"{t.name}: {t.value}" for t in self.targets if isinstance(t.value, str)]
        return "; ".join(claims)

    def default_config(self) -> Any:
        return self.config_cls()

    @property
    def preset_names(self) -> tuple[str, ...]:
        """Every preset ``--preset`` accepts for this experiment, "full" first."""
        builtin = ("full", "quick") + (("smoke",) if self.smoke is not None else ())
        return builtin + tuple(name for name in self.presets if name not in builtin)

    def config(self, preset: str = "full", overrides: dict[str, Any] | None = None) -> Any:
        """The config for ``preset`` (see :attr:`preset_names`) with ``overrides`` applied."""
        if preset in self.presets:
            cfg = self.presets[preset]()
        elif preset == "full":
            cfg = self.config_cls()
        elif preset == "quick":
            cfg = self.quick()
        elif preset == "smoke" and self.smoke is not None:
            cfg = self.smoke()
        elif preset in self.presets:
            cfg = self.presets[preset]()
        else:
            raise ValueError(
                f"--preset: unknown preset {preset!r} for experiment {self.id!r}; "
                f"expected one of {', '.join(self.preset_names)}"
            )
        if overrides:
            names = {f.name for f in dataclasses.fields(cfg)}
            unknown = sorted(set(overrides) - names)
            if unknown:
                raise ValueError(
                    f"--set: unknown config field(s) {unknown} for experiment {self.id!r}; "
                    f"expected one of {sorted(names)}"
                )
            cfg = dataclasses.replace(cfg, **overrides)
        return cfg


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
