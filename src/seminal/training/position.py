"""Where a training loop is: epoch, batch and step, and which calls are allowed there.

The Trainer's loops (``epochs()`` / ``batches()``) move the position; ``log_step`` and
``log_epoch`` only *record* metrics against it. Checkpoints are taken at the boundaries the loops
reach after the caller's body has run (the end of a batch body, the end of an epoch body), so a
caller never has to put a logging call in a particular place for a checkpoint to be complete.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LoopPosition"]


@dataclass
class LoopPosition:
    """``batch`` batches of ``epoch`` are done; ``step`` batches have been logged in all.

    Attributes:
        in_flight: index of the batch handed to the caller and not yet logged, else None.
        mid_batch: True from the moment a batch is handed out until it is logged or its body
            ends: an exception then may have left the weights half-updated, so closing must not
            checkpoint them.
        step_logged: index of the batch whose ``log_step`` was called but whose boundary (flush,
            checkpoint) has not been processed yet, else None.
        loop_epoch: the epoch ``epochs()`` last yielded.
        epoch_logged: the epoch ``log_epoch`` was last called for.
    """

    epoch: int = 0
    batch: int = 0
    step: int = 0
    in_flight: int | None = None
    mid_batch: bool = False
    step_logged: int | None = None
    loop_epoch: int | None = None
    epoch_logged: int | None = None

    def as_checkpoint(self) -> dict[str, int]:
        return {"epoch": self.epoch, "batch": self.batch, "step": self.step}

    def load_checkpoint(self, progress: dict[str, int]) -> None:
        self.epoch, self.batch, self.step = int(progress["epoch"]), int(progress["batch"]), int(progress["step"])

    def hand_out(self, index: int) -> None:
        """Batch ``index`` goes to the caller's body."""
        self.in_flight = index
        self.mid_batch = True

    def require_batch(self) -> None:
        """Raises unless a batch is in flight and not yet logged (the ``log_step`` contract)."""
        if self.in_flight is None:
            raise RuntimeError(
                "log_step() must be called exactly once per batch, inside "
                "`for batch in trainer.batches(loader, epoch)`, after optimizer.step()"
            )

    def require_no_batch(self) -> None:
        """Raises while a batch is in flight (the ``log_epoch`` contract)."""
        if self.in_flight is not None:
            raise RuntimeError("log_epoch() was called inside the batch loop; call it after the loop over trainer.batches()")

    def log_step(self) -> int:
        """The in-flight batch is logged; returns its index. Raises outside a batch body."""
        self.require_batch()
        index = self.in_flight
        self.step += 1
        self.batch = index + 1
        self.in_flight = None
        self.mid_batch = False
        self.step_logged = index
        return index

    def body_done(self, index: int) -> bool:
        """The body of batch ``index`` returned; True when it logged the batch (a boundary is due)."""
        self.mid_batch = False
        if self.step_logged == index:
            self.step_logged = None
            return True
        if self.in_flight == index:  # the body did not call log_step: the batch is still done
            self.in_flight = None
            self.batch = index + 1
        return False

    def current_epoch(self) -> int:
        return self.loop_epoch if self.loop_epoch is not None else self.epoch

    def log_epoch(self) -> int:
        """``log_epoch`` for the current epoch; returns it. Raises inside a batch body or twice."""
        self.require_no_batch()
        epoch = self.current_epoch()
        if self.epoch_logged == epoch:
            raise RuntimeError(f"log_epoch() was already called for epoch {epoch}; call it once per epoch")
        self.epoch_logged = epoch
        self.mid_batch = False
        return epoch

    def next_epoch(self, epoch: int) -> None:
        self.epoch = epoch + 1
        self.batch = 0
