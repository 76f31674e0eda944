"""The sizes of the ``notes-adam`` checks (:mod:`seminal.adam.reproductions.notes`); none of them
is a paper setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["NotesAdamConfig"]


@dataclass
class NotesAdamConfig:
    """Sizes of the checks; the defaults are the largest (none of these is a paper setting)."""

    beta1: float = 0.9  # β1 of the moment checks (the paper's default)
    beta2: float = 0.999  # β2 of the moment checks (the paper's default)
    grad_mean: float = 1.0  # E[g] of the stationary gradient stream (claims 1 and 4)
    grad_std: float = 1.0  # its standard deviation (claim 1)
    streams: int = 4000  # independent gradient streams averaged (Monte Carlo over runs)
    steps: int = 10_000  # length of each stream; β2 = 0.999's bias lasts thousands of steps
    drift_taus: list[float] = field(default_factory=lambda: [100.0, 1000.0, 10000.0])  # claim 2
    train_steps: int = 2000  # claim 3: the small training run
    train_batch: int = 32  # claim 3: minibatch size of the small training run
    train_lr: float = 1e-3  # claim 3: Adam's α in the small training run
    # sparse-gradient case: zero steps before the single spike (the step-bound worst case)
    spike_steps: list[int] = field(default_factory=lambda: [1, 3, 10, 30, 100, 300, 1000, 3000, 10000])
    noise_stds: list[float] = field(default_factory=lambda: [0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0])  # claim 4
    noise_steps: int = 6000  # steps per noise level; the tail after 4× 1/(1−β2) is averaged
    limit_steps: int = 200  # claim 5: trajectory length of the RMSProp / AdaGrad comparisons
    # claim 5: values of 1 − β2 walked towards 0 (AdaGrad as the limit)
    limit_deltas: list[float] = field(default_factory=lambda: [1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7])
