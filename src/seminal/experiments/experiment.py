"""One reproduction as data: :class:`Experiment` -- its id, paper, config dataclass (the paper's
full setting), presets, the paper's targets and its ``run`` function -- and how a preset's config
is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seminal.experiments.comparison import PaperTarget
from seminal.experiments.run_context import RunContext, RunResult

__all__ = ["Experiment", "RunFn"]

RunFn = Callable[[Any, RunContext], RunResult]


@dataclass(frozen=True)
class Experiment:
    """A registered reproduction.

    Attributes:
        id: the CLI name, ``<paper>-<what>`` (e.g. ``stn-table1``).
        paper: one of :data:`~seminal.experiments.registry.PAPERS`.
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
