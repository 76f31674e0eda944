"""What a trainer checkpoints and how it comes back: modules, optimizers, schedulers, scaler,
the loop position, every RNG state, the metric history, ``trainer.state`` and the metrics log's
length.

RNG states are restored at the point in the loop where the checkpoint was taken (not when the
checkpoint is loaded), so code between building the trainer and entering the loop draws the same
random numbers in an uninterrupted and in a resumed run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from seminal.training import distributed as dist_utils
from seminal.training.checkpoint import (
    FORMAT,
    FORMAT_VERSION,
    checkpoint_path,
    load_checkpoint,
    previous_checkpoint_path,
    save_checkpoint,
)
from seminal.training.errors import CheckpointError
from seminal.training.metrics import MetricsLog
from seminal.training.position import LoopPosition
from seminal.training.rng import (
    capture_rng_state,
    generator_from_state,
    generator_to_state,
    is_generator_state,
    restore_rng_state,
)
from seminal.training.placement import Placement

__all__ = ["CheckpointState"]


def _to_cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_cpu(v) for v in obj)
    return obj


def _map_state(obj: Any, leaf: Callable[[Any], Any | None]) -> Any:
    """``obj`` with every leaf that ``leaf`` converts (non-None result) replaced, recursively."""
    converted = leaf(obj)
    if converted is not None:
        return converted
    if isinstance(obj, dict):
        return {k: _map_state(v, leaf) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_map_state(v, leaf) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_map_state(v, leaf) for v in obj)
    return obj


def _encode_generators(obj: Any) -> Any:
    return _map_state(obj, lambda x: generator_to_state(x) if isinstance(x, torch.Generator) else None)


def _decode_generators(obj: Any) -> Any:
    return _map_state(obj, lambda x: generator_from_state(x) if is_generator_state(x) else None)


class CheckpointState:
    """One trainer's checkpoint file and the state it holds beyond the modules.

    Attributes:
        history: the ``log_epoch`` entries so far.
        state: the caller's own resumable values (``trainer.state``): accumulators,
            ``torch.Generator`` objects, anything ``torch.save`` can write with weights_only.
        last_checkpoint: the last good checkpoint written or loaded, else None.
        resumed_from: the checkpoint this run resumed from, else None.
        dirty: something changed since the last checkpoint.
    """

    def __init__(self, out_dir: Path, name: str, seed: int, placement: Placement, optimizers: dict[str, Any],
                 schedulers: dict[str, Any]) -> None:
        self.name = name
        self.seed = int(seed)
        self.path = checkpoint_path(out_dir, name)
        self.placement = placement
        self.optimizers = optimizers
        self.schedulers = schedulers
        self.history: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {}
        self.last_checkpoint: Path | None = None
        self.resumed_from: Path | None = None
        self.dirty = False
        self._pending_rng: dict[str, Any] | None = None
        self._resume_point: tuple[int, int] | None = None

    def save(self, position: LoopPosition, metrics_log: MetricsLog, on_failure: Callable[[], None]) -> None:
        """Checkpoint everything (rank 0 writes; every rank contributes its RNG state)."""
        placement = self.placement
        try:
            log_bytes = metrics_log.sync()
        except OSError as exc:
            on_failure()
            raise CheckpointError(self.path, f"not written: syncing {metrics_log.jsonl_path} "
                                  f"failed ({exc}); the previous checkpoint is intact") from exc
        # Each rank has its own RNG streams and trainer.state (e.g. per-shard accumulators).
        rng_states = dist_utils.all_gather_objects(capture_rng_state())
        encoded_state = _encode_generators(self.state)
        rank_states = dist_utils.all_gather_objects(_to_cpu(encoded_state)) if placement.world_size > 1 else None
        error: BaseException | None = None
        if placement.is_main:
            checkpoint = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "name": self.name,
                "torch_version": str(torch.__version__),
                "seed": self.seed,
                "world_size": placement.world_size,
                "modules": {k: m.state_dict() for k, m in placement.raw_modules.items()},
                "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
                "schedulers": {k: s.state_dict() for k, s in self.schedulers.items()},
                "scaler": placement.scaler.state_dict() if placement.scaler is not None else None,
                "progress": position.as_checkpoint(),
                "rng": rng_states,
                "history": list(self.history),
                "state": encoded_state,
                "rank_states": rank_states,
                "metrics_log": {"file": metrics_log.jsonl_path.name, "bytes": log_bytes},
            }
            try:
                save_checkpoint(self.path, checkpoint)
            except OSError as exc:
                kept = (f"the previous checkpoint {self.last_checkpoint} is intact" if self.last_checkpoint
                        else "no earlier checkpoint exists")
                error = CheckpointError(self.path, f"could not be written ({exc}); {kept}")
                error.__cause__ = exc
            except TypeError as exc:
                error = TypeError(f"Checkpoint {self.path} not written: {exc}")
        if placement.world_size > 1:
            failed = torch.tensor(1.0 if error is not None else 0.0, device=placement.device)
            torch.distributed.all_reduce(failed)
            if error is None and failed.item() > 0:
                error = CheckpointError(self.path, "rank 0 could not write it (see rank 0's error)")
        if error is not None:
            on_failure()
            raise error
        self.last_checkpoint = self.path
        self.dirty = False

    def restore(self, path: Path, position: LoopPosition) -> int:
        """Load ``path`` into the modules, optimizers, ...; returns the metrics log length to keep."""
        placement = self.placement
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
        if int(ckpt.get("seed", self.seed)) != self.seed:
            raise CheckpointError(
                path, f"was written with seed {ckpt['seed']} but this run has seed {self.seed}; "
                "resume with the same --seed (the data order depends on it)"
            )
        for kind, ours in (("modules", placement.raw_modules), ("optimizers", self.optimizers), ("schedulers", self.schedulers)):
            saved = ckpt[kind]
            if sorted(saved) != sorted(ours):
                raise CheckpointError(path, f"has {kind} {sorted(saved)} but this trainer has {sorted(ours)}")
            for key, obj in ours.items():
                try:
                    obj.load_state_dict(saved[key])
                except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
                    raise CheckpointError(path, f"{kind}[{key!r}] does not match this run: {exc}") from exc
        if placement.scaler is not None and ckpt["scaler"]:
            placement.scaler.load_state_dict(ckpt["scaler"])
        position.load_checkpoint(ckpt["progress"])
        self.history = list(ckpt["history"])
        rank_states = ckpt.get("rank_states")
        same_world = rank_states is not None and len(rank_states) == placement.world_size
        self.state = _decode_generators(rank_states[placement.rank] if same_world else ckpt["state"])
        rng = ckpt["rng"]
        self._pending_rng = rng[placement.rank] if len(rng) == placement.world_size else rng[0]
        self._resume_point = (position.epoch, position.batch)
        self.last_checkpoint = path
        self.resumed_from = path
        return int(ckpt["metrics_log"]["bytes"])

    def restore_rng_at(self, epoch: int, batch: int, force: bool = False) -> None:
        """Restore the loaded RNG states when the loop reaches the checkpoint's point (or now, with ``force``)."""
        if self._pending_rng is None:
            return
        if force or self._resume_point == (epoch, batch):
            restore_rng_state(self._pending_rng)
            self._pending_rng = None
            self._resume_point = None
