"""The :class:`Trainer`: one training loop's checkpoints, exact resume, DDP, logging and signals.

Every seminal experiment that trains a network writes its own loop and hands the bookkeeping to a
Trainer::

    trainer = Trainer(ctx, modules={"model": net}, optimizers={"opt": opt}, checkpoint_every=200)
    net = trainer.module("model")                      # DDP-wrapped under torchrun, on ctx.device
    loader = trainer.loader(train_set, batch_size=128, shuffle=True)
    for epoch in trainer.epochs(num_epochs):           # starts at the saved epoch on --resume
        net.train()
        for x, y in trainer.batches(loader, epoch):    # skips the batches done before a resume
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            trainer.log_step(loss=loss)                # once per batch, anywhere in its body
        trainer.log_epoch(test_error=evaluate(net))    # at most once per epoch, after the batch loop
    trainer.close()

The loops, not the logging calls, decide when to checkpoint: a mid-epoch checkpoint is taken when
a batch body has finished (never in the middle of it), and the epoch-end checkpoint when the epoch
body has finished, so nothing a body does after ``log_step``/``log_epoch`` is left out. What makes
``--resume`` bit-identical to an uninterrupted run (on the same hardware):

* Anything random inside the loops draws from torch's (or NumPy's, Python's) global RNG, or from a
  ``torch.Generator`` kept in ``trainer.state``; all of them are saved and restored. Code at the
  top of an epoch body, before the batch loop, must not draw random numbers (on a mid-epoch
  resume it runs again before the RNG is restored at the resume point).
* The RNG state is restored at the point in the loop where the checkpoint was taken, not in the
  constructor, so code between the constructor and the loop (e.g. drawing fixed noise for
  figures) sees the same random numbers in both runs.

Under ``torchrun`` (W processes): modules with trainable parameters are wrapped in
DistributedDataParallel, ``batch_size`` stays the global batch (each rank gets 1/W of every
batch), step metrics are averaged over ranks, files are written by rank 0 only, and every rank
draws from its own RNG stream (seeded from ``(ctx.seed, rank)`` when the trainer is built).

The Trainer is a facade over parts with one job each:
:class:`~seminal.training.placement.Placement` (rank, device, AMP, DDP wrapping),
:class:`~seminal.training.position.LoopPosition` (where the loop is and which calls are allowed
there), :class:`~seminal.training.flusher.MetricFlusher` (step records, rank averaging, the NaN/Inf
stop) and :class:`~seminal.training.snapshot.CheckpointState` (what is saved and restored).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from seminal.training.checkpoint import find_checkpoint, remove_stale_temporaries
from seminal.training.errors import TrainingInterrupted
from seminal.training.flusher import MetricFlusher, epoch_value, step_value
from seminal.training.loader import EpochLoader
from seminal.training.metrics import MetricsLog
from seminal.training.position import LoopPosition
from seminal.training.progress import ProgressBar, examples_in, progress_enabled
from seminal.training.placement import Placement, env_flag
from seminal.training.signals import StopSignals
from seminal.training.snapshot import CheckpointState
from seminal.training.trainer_checks import check_components, check_loop_name, check_positive_int
from seminal.training.trainer_components import TrainerComponents

__all__ = ["Trainer"]


class Trainer(TrainerComponents):
    """Checkpointing, exact resume, DDP, metrics and signal handling for one training loop.

    Args:
        ctx: the experiment's :class:`~seminal.experiments.registry.RunContext` (out_dir, device,
            seed, resume, progress are used).
        modules: the networks, by name. Moved to ``ctx.device``; wrapped in DDP under torchrun.
        optimizers: their optimizers, by name.
        schedulers: LR schedulers (anything with ``state_dict``/``load_state_dict``), by name.
        scaler: a ``torch.amp.GradScaler`` for float16 mixed precision. If None and float16 AMP
            is on (CUDA), one is created; see :meth:`backward_step`.
        name: stem of the checkpoint (``checkpoints/<name>.pt``) and metrics
            (``<name>.metrics.jsonl``) files; use different names for several loops in one run.
        checkpoint_every: save every this many steps (``log_step`` calls); 0 saves only at epoch
            ends and on close. Epoch ends always save.
        amp: mixed precision: None reads ``ctx.amp`` if present, else ``$SEMINAL_AMP``; True/"fp16"
            = float16 on CUDA, "bf16" = bfloat16; off on CPU unless "bf16". Used by :meth:`autocast`.
        tensorboard: also write TensorBoard scalars under ``<out_dir>/tensorboard/<name>``; None
            reads ``ctx.tensorboard`` (``--tensorboard``), else ``$SEMINAL_TENSORBOARD=1``. Needs the ``tensorboard`` package.
        flush_every: write metric records every this many steps (one host sync per flush); None
            = 10 on CPU, 25 on accelerators. Checkpoints always flush first, so a NaN is always
            caught before the checkpoint that would contain it.
        find_unused_parameters: passed to DDP (for models whose forward skips some parameters).
    """

    def __init__(
        self,
        ctx: Any,
        modules: Mapping[str, nn.Module],
        optimizers: Mapping[str, torch.optim.Optimizer],
        schedulers: Mapping[str, Any] | None = None,
        scaler: Any = None,
        name: str = "train",
        checkpoint_every: int = 200,
        *,
        amp: bool | str | None = None,
        tensorboard: bool | None = None,
        flush_every: int | None = None,
        find_unused_parameters: bool = False,
    ) -> None:
        check_loop_name(name)
        check_positive_int("checkpoint_every", checkpoint_every, 0)
        schedulers = dict(schedulers or {})
        check_components(modules, optimizers, schedulers)

        self.ctx = ctx
        self.name = name
        self.checkpoint_every = checkpoint_every
        self.out_dir = Path(ctx.out_dir)
        self.placement = Placement.create(ctx, modules, amp=amp, scaler=scaler,
                                          find_unused_parameters=find_unused_parameters)
        if flush_every is None:
            flush_every = 10 if self.device.type == "cpu" else 25
        check_positive_int("flush_every", flush_every, 1)
        self.optimizers: dict[str, Any] = dict(optimizers)
        self.schedulers: dict[str, Any] = schedulers
        self.position = LoopPosition()
        self.snapshot = CheckpointState(self.out_dir, name, int(ctx.seed), self.placement, self.optimizers, schedulers)
        if tensorboard is None:
            tensorboard = getattr(ctx, "tensorboard", None)
        if tensorboard is None:
            tensorboard = env_flag("SEMINAL_TENSORBOARD") == "1"
        self.metrics_log = MetricsLog(self.out_dir, name, enabled=self.is_main, tensorboard=bool(tensorboard))
        self.flusher = MetricFlusher(self.metrics_log, self.world_size, self.device, flush_every,
                                     on_failure=self._abort, last_checkpoint=lambda: self.snapshot.last_checkpoint)
        self._loader_count = 0
        self._failed = False
        self._closed = False
        self._in_loop = False  # inside trainer.epochs(): a stop signal will be acted on
        self._in_batches = False  # inside trainer.batches()
        # Set by log_step/log_epoch, acted on when the body ends: (flush due, signal seen at the call).
        self._step_boundary: tuple[bool, int] | None = None
        self._epoch_entry: tuple[dict[str, Any], int] | None = None
        self._show_progress = progress_enabled(bool(getattr(ctx, "progress", True)), self.is_main)

        if self.is_main:
            remove_stale_temporaries(self.checkpoint_path)
        keep_bytes: int | None = None
        if getattr(ctx, "resume", False):
            path = find_checkpoint(self.out_dir, name)
            if path is not None:
                keep_bytes = self.snapshot.restore(path, self.position)
                if self.is_main and hasattr(ctx, "note"):
                    ctx.note(f"Training loop '{name}' resumed from {path.name} at epoch {self.epoch}, step {self.step}.")
        self.metrics_log.open(keep_bytes)
        self._signals = StopSignals(in_loop=lambda: self._in_loop)
        self._signals.install()

    # ------------------------------------------------------------------ what the parts hold
    epoch = property(lambda self: self.position.epoch, doc="Epochs done (the next epoch to run).")
    batch = property(lambda self: self.position.batch, doc="Batches of the current epoch done.")
    step = property(lambda self: self.position.step, doc="Batches logged with log_step, in all.")
    history = property(lambda self: self.snapshot.history, doc="The log_epoch entries so far.")
    last_checkpoint = property(lambda self: self.snapshot.last_checkpoint)
    resumed_from = property(lambda self: self.snapshot.resumed_from)
    checkpoint_path = property(lambda self: self.snapshot.path)

    @property
    def state(self) -> dict[str, Any]:
        """The caller's resumable values (accumulators, ``torch.Generator`` objects), checkpointed."""
        return self.snapshot.state

    @state.setter
    def state(self, value: dict[str, Any]) -> None:
        self.snapshot.state = value

    @property
    def flush_every(self) -> int:
        return self.flusher.flush_every

    @flush_every.setter
    def flush_every(self, value: int) -> None:
        check_positive_int("flush_every", value, 1)
        self.flusher.flush_every = value

    @property
    def _in_flight(self) -> int | None:
        return self.position.in_flight

    @_in_flight.setter
    def _in_flight(self, value: int | None) -> None:
        self.position.in_flight = value

    @property
    def _bar(self) -> ProgressBar | None:
        return self.flusher.bar

    # ------------------------------------------------------------------ the loops
    def epochs(self, num_epochs: int) -> Iterator[int]:
        """Epoch indices from the current position (0, or the saved epoch on resume) to ``num_epochs``."""
        check_positive_int("num_epochs", num_epochs, 0)
        self._in_loop = True
        try:
            for epoch in range(self.epoch, num_epochs):
                self.position.epoch = epoch
                self.position.loop_epoch = epoch
                if self.batch == 0:
                    self.snapshot.restore_rng_at(epoch, 0)
                yield epoch
                self._finish_epoch(epoch)
            self.snapshot.restore_rng_at(self.epoch, self.batch, force=True)
            self._flush_and_save(self._signals.received or 0, save=self.snapshot.dirty)
        finally:
            # Also reached when an exception or a `break` leaves the loop (the generator is closed).
            self._in_loop = False

    def batches(self, loader: EpochLoader, epoch: int | None = None) -> Iterator[Any]:
        """The batches of ``epoch`` still to do, on the device; call :meth:`log_step` once per batch."""
        if not isinstance(loader, EpochLoader):
            raise TypeError(f"Invalid loader: expected the result of trainer.loader(...), got {type(loader).__name__}")
        if epoch is None:
            epoch = self.epoch
        if epoch != self.epoch:
            raise ValueError(f"Invalid epoch: {epoch} but the trainer is at epoch {self.epoch} (iterate trainer.epochs())")
        start = self.batch
        self.snapshot.restore_rng_at(epoch, start)
        bar = ProgressBar(self._show_progress, total=len(loader), initial=start, desc=f"{self.name} epoch {epoch}")
        self.flusher.bar = bar
        self._in_batches = True
        try:
            for index, batch in enumerate(loader.iter_epoch(epoch, start), start=start):
                self.position.hand_out(index)
                bar.update(examples_in(batch) * loader.world_size)
                yield batch
                if self.position.body_done(index):
                    self._finish_step()
        finally:
            # A `break` or an exception left the body: a logged batch counts (close() saves it).
            self.position.in_flight = None
            self.position.step_logged = None
            self._step_boundary = None
            self._in_batches = False
            bar.close()
            self.flusher.bar = None

    def _finish_step(self) -> None:
        """The body of a logged batch has ended: flush, checkpoint or stop as due."""
        assert self._step_boundary is not None
        flush_due, signal_at_log = self._step_boundary
        self._step_boundary = None
        checkpoint_due = self.checkpoint_every > 0 and self.step % self.checkpoint_every == 0
        if checkpoint_due or flush_due or (signal_at_log and self.world_size == 1):
            self._flush_and_save(signal_at_log, save=checkpoint_due)

    def _finish_epoch(self, epoch: int) -> None:
        """The epoch body has ended: record its log_epoch entry (if any), move on, checkpoint."""
        if self._epoch_entry is not None:
            self._close_logged_epoch()
        elif self.position.epoch_logged != epoch:
            signal_now = self._signals.received or 0
            stop = self.flusher.flush(signal_now, collective=True)
            self.position.next_epoch(epoch)
            if self.snapshot.dirty or stop:
                self._save()
            if stop:
                self._raise_interrupted()
        self.metrics_log.write_csv()

    def _close_logged_epoch(self) -> None:
        assert self._epoch_entry is not None
        entry, signal_at_log = self._epoch_entry
        self._epoch_entry = None
        stop = self.flusher.flush(signal_at_log, collective=True)
        self.metrics_log.write({"kind": "epoch", **entry})
        self.position.next_epoch(entry["epoch"])
        self.snapshot.dirty = True
        self._save()
        self.metrics_log.write_csv()
        if stop:
            self._raise_interrupted()

    def _flush_and_save(self, signal_seen: int, save: bool) -> None:
        stop = self.flusher.flush(signal_seen, collective=True)
        if stop or save:
            self._save()
        if stop:
            self._raise_interrupted()

    # ------------------------------------------------------------------ logging
    def log_step(self, **metrics: float | torch.Tensor) -> None:
        """Record the batch in flight; call exactly once per batch, anywhere in its body.

        Values are floats or 0-d tensors; under torchrun they are averaged over ranks. When the
        body ends, the trainer may checkpoint, stop on NaN/Inf (:class:`NonFiniteLossError`, last
        good checkpoint kept) or stop on a signal (:class:`TrainingInterrupted`, checkpoint saved).
        """
        self.position.require_batch()
        record: dict[str, Any] = {"kind": "step", "epoch": self.epoch, "step": self.step + 1,
                                  "batch": self.position.in_flight}
        for key, value in metrics.items():
            if key in record:
                raise ValueError(f"Invalid metric name {key!r}: reserved (kind, epoch, step, batch)")
            record[key] = step_value(key, value)
        self.position.log_step()
        self.snapshot.dirty = True
        flush_due = self.flusher.add(record)
        self._step_boundary = (flush_due, self._signals.received or 0)
        if not self._in_batches:  # the in-flight index was set by hand: nothing ends the body later
            self.position.step_logged = None
            self._finish_step()

    def log_epoch(self, **metrics: float | torch.Tensor) -> None:
        """Record epoch-level metrics (e.g. test error) and add them to :attr:`history`.

        Call at most once per epoch, after the loop over :meth:`batches`; the epoch-end checkpoint
        is taken when the epoch body ends. Values are taken as given on rank 0 (compute them on
        the full evaluation set, or average with :meth:`reduce_mean`).
        """
        self.position.require_no_batch()
        entry: dict[str, Any] = {"epoch": self.position.current_epoch(), "step": self.step}
        for key, value in metrics.items():
            entry[key] = epoch_value(key, value)
        self.position.log_epoch()
        self.snapshot.history.append(entry)
        self._epoch_entry = (entry, self._signals.received or 0)
        if not self._in_loop:  # outside trainer.epochs(): nothing will close the epoch later
            self._close_logged_epoch()

    def _raise_interrupted(self) -> None:
        signum = self._signals.received or signal.SIGTERM
        self._abort()
        raise TrainingInterrupted(signum, self.step, self.last_checkpoint)

    def _abort(self) -> None:
        """The loop cannot go on (NaN, failed save, signal): close without saving again."""
        self._failed = True
        self._closed = True
        try:
            self.metrics_log.close()
        except OSError:
            pass  # best effort (e.g. the disk is full): the error being raised matters more
        finally:
            self._signals.restore()

    def _save(self) -> None:
        self.snapshot.save(self.position, self.metrics_log, on_failure=self._abort)

    # ------------------------------------------------------------------ shutdown
    def close(self) -> None:
        """Final checkpoint (if anything changed since the last), close logs, restore signal handlers.

        No checkpoint is written when training stopped in the middle of a batch (an exception
        between handing out a batch and its ``log_step``): the weights may be half-updated, and
        the last checkpoint is the consistent state to resume from.
        """
        if self._closed:
            return
        self._closed = True
        try:
            if not self._failed and not self.position.mid_batch:
                self.flusher.flush(self._signals.received or 0)
                if self.snapshot.dirty:
                    self._save()
        finally:
            self.metrics_log.close()
            self._signals.restore()

    def __enter__(self) -> "Trainer":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self._failed = True
        self.close()
