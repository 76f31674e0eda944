"""Exceptions raised by the training layer.

Each one carries the facts a person needs to act on it (the file, the step, the metric) in its
message, and as attributes for the runner.
"""

from __future__ import annotations

import signal
from pathlib import Path

__all__ = ["CheckpointError", "NonFiniteLossError", "TrainingInterrupted"]


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be used: missing, truncated, corrupt, unsafe or incompatible.

    The message always starts with ``Checkpoint <path>:`` and then names the problem.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"Checkpoint {self.path}: {problem}")


class NonFiniteLossError(RuntimeError):
    """A logged metric became NaN or Inf; training stopped and the last good checkpoint is kept.

    Attributes:
        metric: the name passed to ``log_step`` (e.g. ``"loss"``).
        value: the offending value (nan, inf or -inf).
        step: the global step (1-based count of ``log_step`` calls) at which it was logged.
        epoch: the epoch of that step.
        checkpoint: the last good checkpoint (written before this step), or None if none was written.
    """

    def __init__(self, metric: str, value: float, step: int, epoch: int, checkpoint: Path | None) -> None:
        self.metric = metric
        self.value = value
        self.step = step
        self.epoch = epoch
        self.checkpoint = checkpoint
        where = (
            f"the last good checkpoint {checkpoint} was kept; fix the cause (e.g. a lower learning "
            "rate) and continue with --resume"
            if checkpoint is not None
            else "no checkpoint had been written yet"
        )
        super().__init__(
            f"Non-finite {metric}={value} at step {step} (epoch {epoch}); training stopped: {where}"
        )


class TrainingInterrupted(BaseException):
    """SIGINT or SIGTERM arrived; a checkpoint was saved after the batch in flight.

    The runner should print the message and exit with :attr:`exit_code` (130 for SIGINT,
    143 for SIGTERM, the shell conventions 128 + signal number).

    Like KeyboardInterrupt it derives from BaseException, not Exception: an ``except Exception``
    in experiment code (or in a runner that records failures and goes on) must not swallow a
    request to stop.
    """

    def __init__(self, signum: int, step: int, checkpoint: Path | None) -> None:
        self.signum = signum
        self.step = step
        self.checkpoint = checkpoint
        self.exit_code = 128 + int(signum)
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = f"signal {signum}"
        saved = f"checkpoint saved to {checkpoint}" if checkpoint is not None else "no checkpoint"
        super().__init__(f"{name} received at step {step}: {saved}; interrupted, resume with --resume")
