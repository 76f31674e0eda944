"""Multi-process training under ``torchrun`` (one process per device, one or many nodes).

Launched by ``torchrun --nproc_per_node N [--nnodes M ...] -m seminal run <id>``, every process
sees ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` in its
environment. :func:`init_distributed` turns that into a process group (gloo on CPU, NCCL on CUDA);
without those variables (or with ``WORLD_SIZE=1``) everything here is a no-op, so single-process
code needs no branches.

Checkpoints and logs are written by rank 0 only (:func:`is_main_process`); every rank reads the
checkpoint on ``--resume``, so multi-node runs need ``--out`` on a shared filesystem.
"""

from __future__ import annotations

import gc
import os
from typing import Any

import torch
import torch.distributed as dist

__all__ = [
    "init_distributed",
    "shutdown_distributed",
    "is_distributed",
    "is_main_process",
    "world_size",
    "rank",
    "local_rank",
    "barrier",
    "local_device",
    "all_gather_objects",
]


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"Invalid environment variable {name}={raw!r} (expected an integer)") from None


def launched_by_torchrun() -> bool:
    """True when the environment says this is one of several torchrun workers."""
    return _env_int("WORLD_SIZE", 1) > 1


def init_distributed(device: torch.device) -> None:
    """Create the default process group when launched under torchrun with ``WORLD_SIZE > 1``.

    Uses NCCL when ``device`` is CUDA (and first selects ``cuda:LOCAL_RANK``), gloo otherwise.
    Calling it twice, or without torchrun, does nothing.
    """
    if not launched_by_torchrun() or is_distributed():
        return
    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but this torch build has no torch.distributed support")
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.set_device(local_rank())
        backend = "nccl"
    else:
        backend = "gloo"
    kwargs: dict[str, Any] = {"backend": backend}
    if backend == "nccl":
        # Lets NCCL bind the communicator to this rank's GPU up front (avoids a guess + warning).
        kwargs["device_id"] = torch.device("cuda", local_rank())
    dist.init_process_group(**kwargs)


def shutdown_distributed(synchronize: bool = False) -> None:
    """Destroy the process group if one exists.

    Args:
        synchronize: wait at a barrier first, so that no rank tears down its connections while
            another still has collectives in flight (a gloo rank that did so was seen to abort
            with "terminate called without an active exception" on a loaded machine). Pass True
            only when every rank ended normally: after a failure on one rank the others would
            wait at the barrier for the process group's timeout.

    Garbage is collected first: a finished ``DistributedDataParallel`` wrapper sits in a reference
    cycle and keeps the process group alive past ``destroy_process_group``, so that the group and
    its gloo worker threads would be torn down during interpreter finalization, where a gloo rank
    was seen to abort with the message above even after the barrier.
    """
    if is_distributed():
        gc.collect()
        if synchronize:
            barrier()
        dist.destroy_process_group()


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    return dist.get_world_size() if is_distributed() else 1


def rank() -> int:
    return dist.get_rank() if is_distributed() else 0


def local_rank() -> int:
    return _env_int("LOCAL_RANK", 0)


def is_main_process() -> bool:
    """True on rank 0 (and in any single-process run): the process that writes files."""
    return rank() == 0


def barrier() -> None:
    """Wait until every rank gets here (no-op without a process group)."""
    if is_distributed():
        if dist.get_backend() == "nccl":
            dist.barrier(device_ids=[torch.cuda.current_device()])
        else:
            dist.barrier()


def local_device(device: torch.device) -> torch.device:
    """The device this rank should use: ``cuda`` becomes ``cuda:LOCAL_RANK`` under torchrun."""
    device = torch.device(device)
    if device.type == "cuda" and device.index is None:
        if launched_by_torchrun() or is_distributed():
            return torch.device("cuda", local_rank())
        return torch.device("cuda", torch.cuda.current_device())
    return device


def all_gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj``, in rank order (``[obj]`` without a process group)."""
    if not is_distributed():
        return [obj]
    gathered: list[Any] = [None] * world_size()
    dist.all_gather_object(gathered, obj)
    return gathered
