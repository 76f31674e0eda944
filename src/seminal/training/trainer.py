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
            trainer.log_step(loss=loss)                # LAST statement of the batch body
        trainer.log_epoch(test_error=evaluate(net))    # LAST statement of the epoch body
    trainer.close()

Rules that make ``--resume`` bit-identical to an uninterrupted run (on the same hardware):

* Call ``log_step`` exactly once per batch, as the last statement of the batch body (after
  ``optimizer.step()``): a mid-epoch checkpoint is taken there, with the batch in flight complete.
* Call ``log_epoch`` (if at all) as the last statement of the epoch body; it checkpoints too.
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
"""

from __future__ import annotations

import math
import os
import re
import signal
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Callable

import torch
from torch import nn
from torch.utils.data import Dataset

from seminal.training import distributed as dist_utils
from seminal.training.checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    checkpoint_path,
    find_checkpoint,
    load_checkpoint,
    previous_checkpoint_path,
    remove_stale_temporaries,
    save_checkpoint,
)
from seminal.training.devices import autocast, autocast_dtype
from seminal.training.errors import CheckpointError, NonFiniteLossError, TrainingInterrupted
from seminal.training.loader import EpochLoader
from seminal.training.metrics import MetricsLog
from seminal.training.progress import ProgressBar, progress_enabled
from seminal.training.rng import (
    capture_rng_state,
    derive_seed,
    generator_from_state,
    generator_to_state,
    is_generator_state,
    restore_rng_state,
    seed_everything,
)
from seminal.training.signals import StopSignals

__all__ = ["Trainer"]

_RESERVED = ("kind", "epoch", "step", "batch")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _env_flag(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def _batch_size_of(batch: Any) -> int:
    if isinstance(batch, torch.Tensor):
        return int(batch.shape[0]) if batch.dim() > 0 else 1
    if isinstance(batch, (list, tuple)) and batch:
        return _batch_size_of(batch[0])
    if isinstance(batch, Mapping) and batch:
        return _batch_size_of(next(iter(batch.values())))
    return 0


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


class Trainer:
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
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ValueError(f"Invalid name: {name!r} (expected letters, digits, '_', '.' or '-')")
        if isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int) or checkpoint_every < 0:
            raise ValueError(f"Invalid checkpoint_every: {checkpoint_every!r} (expected an int >= 0)")
        if not isinstance(modules, Mapping) or not modules:
            raise TypeError("Invalid modules: expected a non-empty dict of name -> nn.Module")
        for key, module in modules.items():
            if not isinstance(module, nn.Module):
                raise TypeError(f"Invalid modules[{key!r}]: expected an nn.Module, got {type(module).__name__}")
        if not isinstance(optimizers, Mapping):
            raise TypeError("Invalid optimizers: expected a dict of name -> torch.optim.Optimizer")
        for key, opt in optimizers.items():
            if not hasattr(opt, "state_dict") or not hasattr(opt, "load_state_dict"):
                raise TypeError(f"Invalid optimizers[{key!r}]: {type(opt).__name__} has no state_dict()")
        schedulers = dict(schedulers or {})
        for key, sched in schedulers.items():
            if not hasattr(sched, "state_dict") or not hasattr(sched, "load_state_dict"):
                raise TypeError(f"Invalid schedulers[{key!r}]: {type(sched).__name__} has no state_dict()")

        self.ctx = ctx
        self.name = name
        self.checkpoint_every = checkpoint_every
        self.out_dir = Path(ctx.out_dir)
        self.world_size = dist_utils.world_size()
        self.rank = dist_utils.rank()
        self.is_main = self.rank == 0
        self.device = dist_utils.local_device(torch.device(ctx.device))
        if flush_every is None:
            flush_every = 10 if self.device.type == "cpu" else 25
        if isinstance(flush_every, bool) or not isinstance(flush_every, int) or flush_every < 1:
            raise ValueError(f"Invalid flush_every: {flush_every!r} (expected an int >= 1)")
        self.flush_every = flush_every

        if amp is None:
            amp = getattr(ctx, "amp", None)
        if amp is None:
            amp = _env_flag("SEMINAL_AMP")
        self.amp_dtype = autocast_dtype(amp, self.device)
        if scaler is None and self.amp_dtype == torch.float16:
            scaler = torch.amp.GradScaler(self.device.type)
        self.scaler = scaler

        self._raw_modules: dict[str, nn.Module] = {k: m.to(self.device) for k, m in modules.items()}
        self.optimizers: dict[str, Any] = dict(optimizers)
        self.schedulers: dict[str, Any] = schedulers
        self._modules: dict[str, nn.Module] = {}
        for key, module in self._raw_modules.items():
            trainable = any(p.requires_grad for p in module.parameters())
            if self.world_size > 1 and trainable:
                from seminal.training.ddp import MethodDDP

                self._modules[key] = MethodDDP(
                    module,
                    device_ids=[self.device.index] if self.device.type == "cuda" else None,
                    find_unused_parameters=find_unused_parameters,
                )
            else:
                self._modules[key] = module
        if self.world_size > 1:
            # DDP has broadcast rank 0's initial weights; from here on each rank needs its own
            # random stream (different dropout masks / noise per shard of the batch).
            seed_everything(derive_seed("rank", ctx.seed, self.rank))

        # Position in the loop: self.batch batches of self.epoch are done; self.step log_step calls.
        self.epoch = 0
        self.batch = 0
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {}
        self.last_checkpoint: Path | None = None
        self.checkpoint_path = checkpoint_path(self.out_dir, name)
        self.resumed_from: Path | None = None
        self._in_flight: int | None = None
        # True from the moment a batch is handed out until log_step (or the body ends): an exception
        # then may have left the weights half-updated, so close() must not checkpoint them.
        self._mid_batch = False
        self._epoch_logged: int | None = None
        self._loop_epoch: int | None = None  # the epoch trainer.epochs() last yielded
        self._pending_records: list[dict[str, Any]] = []
        self._pending_rng: dict[str, Any] | None = None
        self._resume_point: tuple[int, int] | None = None
        self._loader_count = 0
        self._dirty = False
        self._failed = False
        self._closed = False
        self._bar: ProgressBar | None = None
        self._show_progress = progress_enabled(bool(getattr(ctx, "progress", True)), self.is_main)

        if tensorboard is None:
            tensorboard = getattr(ctx, "tensorboard", None)
        if tensorboard is None:
            tensorboard = _env_flag("SEMINAL_TENSORBOARD") == "1"
        self.metrics_log = MetricsLog(self.out_dir, name, enabled=self.is_main, tensorboard=bool(tensorboard))

        if self.is_main:
            remove_stale_temporaries(self.checkpoint_path)
        keep_bytes: int | None = None
        if getattr(ctx, "resume", False):
            path = find_checkpoint(self.out_dir, name)
            if path is not None:
                keep_bytes = self._restore(path)
        self.metrics_log.open(keep_bytes)
        self._in_loop = False  # inside trainer.epochs(): a stop signal will be acted on
        self._signals = StopSignals(in_loop=lambda: self._in_loop)
        self._signals.install()

    # ------------------------------------------------------------------ modules and data
    def module(self, name: str) -> nn.Module:
        """The module to train and call (DDP-wrapped under torchrun), already on the device."""
        try:
            return self._modules[name]
        except KeyError:
            raise KeyError(f"Unknown module {name!r}; expected one of {sorted(self._modules)}") from None

    def unwrap(self, name: str) -> nn.Module:
        """The plain module (never DDP-wrapped): use for evaluation, figures and saving."""
        self.module(name)
        return self._raw_modules[name]

    def optimizer(self, name: str) -> Any:
        try:
            return self.optimizers[name]
        except KeyError:
            raise KeyError(f"Unknown optimizer {name!r}; expected one of {sorted(self.optimizers)}") from None

    def loader(
        self,
        dataset: Dataset,
        batch_size: int = 128,
        shuffle: bool = True,
        drop_last: bool = False,
        *,
        shard: bool = True,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> EpochLoader:
        """Batches of ``dataset`` in a deterministic order per ``(ctx.seed, epoch)``.

        ``batch_size`` is the global batch (the paper's); under torchrun each rank gets
        ``batch_size / world_size`` of every batch. ``shard=False`` gives every rank all batches
        (e.g. evaluation computed identically on every rank).
        """
        stream = self._loader_count
        self._loader_count += 1
        return EpochLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            drop_last=drop_last,
            seed=int(self.ctx.seed),
            stream=stream,
            device=self.device,
            rank=self.rank if shard else 0,
            world_size=self.world_size if shard else 1,
            num_workers=num_workers,
            collate_fn=collate_fn,
        )

    # ------------------------------------------------------------------ the loops
    def epochs(self, num_epochs: int) -> Iterator[int]:
        """Epoch indices from the current position (0, or the saved epoch on resume) to ``num_epochs``."""
        if isinstance(num_epochs, bool) or not isinstance(num_epochs, int) or num_epochs < 0:
            raise ValueError(f"Invalid num_epochs: {num_epochs!r} (expected an int >= 0)")
        self._in_loop = True
        try:
            for epoch in range(self.epoch, num_epochs):
                self.epoch = epoch
                self._loop_epoch = epoch
                if self.batch == 0:
                    self._restore_rng_at(epoch, 0)
                yield epoch
                self._finish_epoch(epoch)
            self._restore_rng_at(self.epoch, self.batch, force=True)
            stop = self._flush(collective=True)
            if self._dirty or stop:
                self._save()
            if stop:
                self._raise_interrupted()
        finally:
            # Also reached when an exception or a `break` leaves the loop (the generator is closed).
            self._in_loop = False

    def _finish_epoch(self, epoch: int) -> None:
        if self._epoch_logged != epoch:
            # No log_epoch: still close the epoch (position and checkpoint) here.
            stop = self._flush(collective=True)
            self.epoch = epoch + 1
            self.batch = 0
            if self._dirty or stop:
                self._save()
            if stop:
                self._raise_interrupted()
        self.metrics_log.write_csv()

    def batches(self, loader: EpochLoader, epoch: int | None = None) -> Iterator[Any]:
        """The batches of ``epoch`` still to do, on the device; call :meth:`log_step` once per batch."""
        if not isinstance(loader, EpochLoader):
            raise TypeError(f"Invalid loader: expected the result of trainer.loader(...), got {type(loader).__name__}")
        if epoch is None:
            epoch = self.epoch
        if epoch != self.epoch:
            raise ValueError(f"Invalid epoch: {epoch} but the trainer is at epoch {self.epoch} (iterate trainer.epochs())")
        start = self.batch
        self._restore_rng_at(epoch, start)
        bar = ProgressBar(self._show_progress, total=len(loader), initial=start, desc=f"{self.name} epoch {epoch}")
        self._bar = bar
        try:
            for index, batch in enumerate(loader.iter_epoch(epoch, start), start=start):
                self._in_flight = index
                self._mid_batch = True
                bar.update(_batch_size_of(batch) * (loader.world_size))
                yield batch
                self._mid_batch = False
                if self._in_flight == index:  # the body did not call log_step
                    self._in_flight = None
                    self.batch = index + 1
        finally:
            self._in_flight = None
            bar.close()
            self._bar = None

    # ------------------------------------------------------------------ logging
    def log_step(self, **metrics: float | torch.Tensor) -> None:
        """Record the batch just trained; may checkpoint, stop on NaN/Inf, or stop on a signal.

        Call exactly once per batch, as the last statement of the batch body (after
        ``optimizer.step()``). Values are floats or 0-d tensors; under torchrun they are averaged
        over ranks. Raises :class:`NonFiniteLossError` (last good checkpoint kept) or
        :class:`TrainingInterrupted` (checkpoint just saved).
        """
        if self._in_flight is None:
            raise RuntimeError(
                "log_step() must be called exactly once per batch, inside "
                "`for batch in trainer.batches(loader, epoch)`, after optimizer.step()"
            )
        record: dict[str, Any] = {"kind": "step", "epoch": self.epoch, "step": self.step + 1, "batch": self._in_flight}
        for key, value in metrics.items():
            if key in record:
                raise ValueError(f"Invalid metric name {key!r}: reserved (kind, epoch, step, batch)")
            if isinstance(value, torch.Tensor):
                if value.numel() != 1:
                    raise ValueError(f"Invalid metric {key!r}: expected a scalar, got a tensor of shape {tuple(value.shape)}")
                record[key] = value.detach().reshape(())
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                record[key] = float(value)
            else:
                raise TypeError(f"Invalid metric {key!r}: expected a float or 0-d tensor, got {type(value).__name__}")
        self.step += 1
        self.batch = self._in_flight + 1
        self._in_flight = None
        self._mid_batch = False
        self._dirty = True
        self._pending_records.append(record)

        checkpoint_due = self.checkpoint_every > 0 and self.step % self.checkpoint_every == 0
        signal_seen = self._signals.received is not None and self.world_size == 1
        if checkpoint_due or signal_seen or len(self._pending_records) >= self.flush_every:
            stop = self._flush(collective=True)
            if stop or checkpoint_due:
                self._save()
            if stop:
                self._raise_interrupted()

    def log_epoch(self, **metrics: float | torch.Tensor) -> None:
        """Record epoch-level metrics (e.g. test error), add them to :attr:`history`, checkpoint.

        Call once per epoch as the last statement of the epoch body. Values are taken as given on
        rank 0 (compute them on the full evaluation set, or average with :meth:`reduce_mean`).
        """
        if self._in_flight is not None:
            raise RuntimeError("log_epoch() was called inside the batch loop; call it after the loop over trainer.batches()")
        epoch = self._loop_epoch if self._loop_epoch is not None else self.epoch
        if self._epoch_logged == epoch:
            raise RuntimeError(f"log_epoch() was already called for epoch {epoch}; call it once per epoch")
        entry: dict[str, Any] = {"epoch": epoch, "step": self.step}
        for key, value in metrics.items():
            if key in ("kind", "epoch", "step", "batch"):
                raise ValueError(f"Invalid metric name {key!r}: reserved (kind, epoch, step, batch)")
            entry[key] = self._to_json_value(key, value)
        self._mid_batch = False
        stop = self._flush(collective=True)
        self.history.append(entry)
        self.metrics_log.write({"kind": "epoch", **entry})
        self._epoch_logged = epoch
        self.epoch = epoch + 1
        self.batch = 0
        self._dirty = True
        self._save()
        self.metrics_log.write_csv()
        if stop:
            self._raise_interrupted()

    @staticmethod
    def _to_json_value(key: str, value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise ValueError(f"Invalid metric {key!r}: expected a scalar, got a tensor of shape {tuple(value.shape)}")
            return float(value.detach().double().cpu())
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return value
        if hasattr(value, "item"):
            return value.item()
        raise TypeError(f"Invalid metric {key!r}: expected a number, str or 0-d tensor, got {type(value).__name__}")

    def _flush(self, collective: bool = False) -> bool:
        """Write pending step records (averaged over ranks), check them for NaN/Inf.

        Returns True when any rank received SIGINT/SIGTERM (agreed across ranks here, at a point
        every rank reaches at the same step, so they all stop together).
        """
        records = self._pending_records
        self._pending_records = []
        local_signal = float(self._signals.received or 0)
        if not records and not collective:
            return False
        slots = [(i, key) for i, record in enumerate(records) for key in record if key not in _RESERVED]
        if self.world_size == 1:
            stop = local_signal > 0
            for i, key in slots:
                value = records[i][key]
                records[i][key] = float(value.item()) if isinstance(value, torch.Tensor) else value
        else:
            # One all-reduce per flush: every metric (averaged over ranks) plus the stop flag.
            values = [records[i][key] for i, key in slots]
            flat = torch.stack([v.to(self.device, torch.float64) if isinstance(v, torch.Tensor)
                                else torch.tensor(v, dtype=torch.float64, device=self.device) for v in values]
                               + [torch.tensor(local_signal, dtype=torch.float64, device=self.device)])
            torch.distributed.all_reduce(flat)
            host = flat.cpu().tolist()
            stop = host[-1] > 0
            for (i, key), value in zip(slots, host[:-1]):
                records[i][key] = value / self.world_size
        for record in records:
            try:
                self.metrics_log.write(record)
            except OSError as exc:
                # A log with a hole would be checkpointed as complete: stop here instead; the
                # last checkpoint and the log up to it are intact for --resume.
                self._abort()
                raise OSError(exc.errno, f"could not write metrics to {self.metrics_log.jsonl_path}: "
                              f"{exc.strerror}; the last checkpoint {self.last_checkpoint} is intact") from exc
            for key, value in record.items():
                if key not in _RESERVED and not math.isfinite(value):
                    self._abort()
                    raise NonFiniteLossError(key, value, record["step"], record["epoch"], self.last_checkpoint)
        if records and self._bar is not None:
            self._bar.set_metrics({k: v for k, v in records[-1].items() if k not in _RESERVED})
        return stop

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

    # ------------------------------------------------------------------ mixed precision
    def autocast(self) -> AbstractContextManager[None]:
        """``torch.autocast`` when AMP is on for this device, else a no-op context."""
        return autocast(self.device, self.amp_dtype)

    def backward_step(self, loss: torch.Tensor, optimizers: str | list[str] = "opt", zero_grad: bool = True) -> None:
        """``loss.backward()`` and ``step()`` of the named optimizer(s), through the scaler if any."""
        names = [optimizers] if isinstance(optimizers, str) else list(optimizers)
        opts = [self.optimizer(n) for n in names]
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            for opt in opts:
                self.scaler.step(opt)
            self.scaler.update()
        else:
            loss.backward()
            for opt in opts:
                opt.step()
        if zero_grad:
            for opt in opts:
                opt.zero_grad(set_to_none=True)

    def reduce_mean(self, value: float | torch.Tensor) -> float:
        """The mean of ``value`` over ranks (``value`` itself in a single process)."""
        tensor = torch.as_tensor(value, dtype=torch.float64, device=self.device).detach().clone()
        if self.world_size > 1:
            torch.distributed.all_reduce(tensor)
            tensor /= self.world_size
        return float(tensor.cpu())

    # ------------------------------------------------------------------ checkpoints
    def _encode_state(self, obj: Any) -> Any:
        if isinstance(obj, torch.Generator):
            return generator_to_state(obj)
        if isinstance(obj, dict):
            return {k: self._encode_state(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._encode_state(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self._encode_state(v) for v in obj)
        return obj

    def _decode_state(self, obj: Any) -> Any:
        if is_generator_state(obj):
            return generator_from_state(obj)
        if isinstance(obj, dict):
            return {k: self._decode_state(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self._decode_state(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(self._decode_state(v) for v in obj)
        return obj

    def _save(self) -> None:
        """Checkpoint everything (rank 0 writes; every rank contributes its RNG state)."""
        try:
            log_bytes = self.metrics_log.sync()
        except OSError as exc:
            self._abort()
            raise CheckpointError(self.checkpoint_path, f"not written: syncing {self.metrics_log.jsonl_path} "
                                  f"failed ({exc}); the previous checkpoint is intact") from exc
        # Each rank has its own RNG streams and trainer.state (e.g. per-shard accumulators).
        rng_states = dist_utils.all_gather_objects(capture_rng_state())
        encoded_state = self._encode_state(self.state)
        rank_states = dist_utils.all_gather_objects(_to_cpu(encoded_state)) if self.world_size > 1 else None
        error: BaseException | None = None
        if self.is_main:
            checkpoint = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "name": self.name,
                "torch_version": str(torch.__version__),
                "seed": int(self.ctx.seed),
                "world_size": self.world_size,
                "modules": {k: m.state_dict() for k, m in self._raw_modules.items()},
                "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
                "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
                "scaler": self.scaler.state_dict() if self.scaler is not None else None,
                "progress": {"epoch": self.epoch, "batch": self.batch, "step": self.step},
                "rng": rng_states,
                "history": list(self.history),
                "state": encoded_state,
                "rank_states": rank_states,
                "metrics_log": {"file": self.metrics_log.jsonl_path.name, "bytes": log_bytes},
            }
            try:
                save_checkpoint(self.checkpoint_path, checkpoint)
            except OSError as exc:
                kept = f"the previous checkpoint {self.last_checkpoint} is intact" if self.last_checkpoint else "no earlier checkpoint exists"
                error = CheckpointError(self.checkpoint_path, f"could not be written ({exc}); {kept}")
                error.__cause__ = exc
            except TypeError as exc:
                error = TypeError(f"Checkpoint {self.checkpoint_path} not written: {exc}")
        if self.world_size > 1:
            failed = torch.tensor(1.0 if error is not None else 0.0, device=self.device)
            torch.distributed.all_reduce(failed)
            if error is None and failed.item() > 0:
                error = CheckpointError(self.checkpoint_path, "rank 0 could not write it (see rank 0's error)")
        if error is not None:
            self._abort()
            raise error
        self.last_checkpoint = self.checkpoint_path
        self._dirty = False

    def _restore(self, path: Path) -> int:
        """Load ``path`` into the modules, optimizers, ...; returns the metrics log length to keep."""
        try:
            ckpt = load_checkpoint(path, map_location="cpu")
        except CheckpointError as exc:
            prev = previous_checkpoint_path(path)
            if path != prev and prev.exists():
                raise CheckpointError(
                    path, f"{exc.problem}. The previous checkpoint {prev} may be intact: move it to {path} "
                    "and resume again to continue from it"
                ) from exc
            raise
        if ckpt["name"] != self.name:
            raise CheckpointError(path, f"belongs to trainer {ckpt['name']!r}, not {self.name!r}")
        if int(ckpt.get("seed", self.ctx.seed)) != int(self.ctx.seed):
            raise CheckpointError(
                path, f"was written with seed {ckpt['seed']} but this run has seed {self.ctx.seed}; "
                "resume with the same --seed (the data order depends on it)"
            )
        for kind, ours in (("modules", self._raw_modules), ("optimizers", self.optimizers), ("schedulers", self.schedulers)):
            saved = ckpt[kind]
            if sorted(saved) != sorted(ours):
                raise CheckpointError(path, f"has {kind} {sorted(saved)} but this trainer has {sorted(ours)}")
            for key, obj in ours.items():
                try:
                    obj.load_state_dict(saved[key])
                except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
                    raise CheckpointError(path, f"{kind}[{key!r}] does not match this run: {exc}") from exc
        if self.scaler is not None and ckpt["scaler"]:
            self.scaler.load_state_dict(ckpt["scaler"])
        progress = ckpt["progress"]
        self.epoch, self.batch, self.step = int(progress["epoch"]), int(progress["batch"]), int(progress["step"])
        self.history = list(ckpt["history"])
        rank_states = ckpt.get("rank_states")
        same_world = rank_states is not None and len(rank_states) == self.world_size
        self.state = self._decode_state(rank_states[self.rank] if same_world else ckpt["state"])
        rng = ckpt["rng"]
        self._pending_rng = rng[self.rank] if len(rng) == self.world_size else rng[0]
        self._resume_point = (self.epoch, self.batch)
        self.last_checkpoint = path
        self.resumed_from = path
        if self.is_main and hasattr(self.ctx, "note"):
            self.ctx.note(f"Training loop '{self.name}' resumed from {path.name} at epoch {self.epoch}, step {self.step}.")
        return int(ckpt["metrics_log"]["bytes"])

    def _restore_rng_at(self, epoch: int, batch: int, force: bool = False) -> None:
        if self._pending_rng is None:
            return
        if force or self._resume_point == (epoch, batch):
            restore_rng_state(self._pending_rng)
            self._pending_rng = None
            self._resume_point = None

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
            if not self._failed and not self._mid_batch:
                self._flush()
                if self._dirty:
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
