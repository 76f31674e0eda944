"""The shared training layer: every seminal experiment that trains a network goes through it.

* :class:`Trainer` -- checkpoints with every RNG state, bit-exact ``--resume`` after SIGKILL,
  save-and-stop on SIGINT/SIGTERM, NaN/Inf stop, DistributedDataParallel under torchrun,
  JSON-lines/CSV metrics, progress bars.
* :func:`resolve_device` -- ``--device auto|cpu|cuda|cuda:N``.
* :func:`load_checkpoint` / :func:`save_checkpoint` -- atomic, versioned, ``weights_only`` files.
* :mod:`seminal.training.distributed` -- ``init_distributed`` and friends for the runner.

See docs/training.md for the loop contract and the guarantees.
"""

from seminal.training.checkpoint import (
    FORMAT_VERSION,
    checkpoint_path,
    find_checkpoint,
    load_checkpoint,
    save_checkpoint,
)
from seminal.training.devices import autocast_dtype, resolve_device
from seminal.training.distributed import (
    barrier,
    init_distributed,
    is_main_process,
    shutdown_distributed,
    world_size,
)
from seminal.training.errors import CheckpointError, NonFiniteLossError, TrainingInterrupted
from seminal.training.loader import EpochLoader
from seminal.training.metrics import read_metrics
from seminal.training.rng import capture_rng_state, derive_seed, restore_rng_state, seed_everything
from seminal.training.trainer import Trainer

__all__ = [
    "Trainer",
    "EpochLoader",
    "resolve_device",
    "autocast_dtype",
    "load_checkpoint",
    "save_checkpoint",
    "checkpoint_path",
    "find_checkpoint",
    "FORMAT_VERSION",
    "CheckpointError",
    "NonFiniteLossError",
    "TrainingInterrupted",
    "init_distributed",
    "shutdown_distributed",
    "is_main_process",
    "world_size",
    "barrier",
    "read_metrics",
    "capture_rng_state",
    "restore_rng_state",
    "seed_everything",
    "derive_seed",
]
