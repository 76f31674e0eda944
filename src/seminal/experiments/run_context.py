"""What a run is given and what it gives back: :class:`RunContext` (out_dir, device, seed, preset,
notes, the datasets used, the protocol) and :class:`RunResult` (metrics, comparison rows, figures).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # torch is imported lazily so that `seminal --help` and `seminal list` start fast
    import torch

from seminal.experiments.comparison import ComparisonRow
from seminal.experiments.protocol import DataSource, Protocol, assess_protocol

__all__ = ["RunContext", "RunResult"]


def _cpu() -> torch.device:
    import torch

    return torch.device("cpu")


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
