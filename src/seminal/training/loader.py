"""Deterministic, resumable, shardable batches.

The order of an epoch is a pure function of ``(seed, loader index, epoch)``: a permutation drawn
from a private ``torch.Generator`` seeded with :func:`~seminal.training.rng.derive_seed`. It never
touches the global RNG, so resuming needs only ``(epoch, batch index)``: the batches already done
are skipped by index, without loading them.

``batch_size`` is the *global* batch size (the paper's). Under ``torchrun`` with W processes,
each global batch is cut into W equal contiguous slices, one per rank; with a mean loss per rank
and DDP's gradient averaging, the update equals single-process training on the same global batch.
A last partial batch is padded (with indices from the start of the epoch's permutation) to a
multiple of W so that every rank does the same number of steps; ``drop_last=True`` drops it
instead. In a single process nothing is padded.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Callable

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from seminal.training.rng import derive_seed

__all__ = ["epoch_order", "global_batches", "rank_batches", "EpochLoader", "move_to_device"]


def epoch_order(num_samples: int, seed: int, epoch: int, shuffle: bool, stream: int = 0) -> torch.Tensor:
    """The sample order of ``epoch`` (a permutation when ``shuffle``, else ``arange``)."""
    if not shuffle:
        return torch.arange(num_samples)
    gen = torch.Generator()
    gen.manual_seed(derive_seed("epoch-order", seed, stream, epoch))
    return torch.randperm(num_samples, generator=gen)


def global_batches(order: torch.Tensor, batch_size: int, drop_last: bool, multiple_of: int = 1) -> list[torch.Tensor]:
    """Cut ``order`` into global batches; pad a last partial batch to a multiple of ``multiple_of``."""
    n = order.numel()
    batches = [order[i: i + batch_size] for i in range(0, n, batch_size)]
    if batches and batches[-1].numel() < batch_size:
        if drop_last:
            batches.pop()
        elif multiple_of > 1 and batches[-1].numel() % multiple_of:
            need = multiple_of - batches[-1].numel() % multiple_of
            pad = order[:need] if n >= need else order.repeat(need // max(n, 1) + 1)[:need]
            batches[-1] = torch.cat([batches[-1], pad])
    return batches


def rank_batches(batches: Sequence[torch.Tensor], rank: int, world_size: int) -> list[torch.Tensor]:
    """Rank ``rank``'s contiguous slice of every global batch (sizes are multiples of world_size)."""
    if world_size == 1:
        return list(batches)
    out = []
    for batch in batches:
        per_rank = batch.numel() // world_size
        out.append(batch[rank * per_rank: (rank + 1) * per_rank])
    return out


def move_to_device(obj: Any, device: torch.device, non_blocking: bool = False) -> Any:
    """Move tensors inside tuples/lists/dicts to ``device`` (other values are returned as they are)."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=non_blocking)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):  # namedtuple
        return type(obj)(*(move_to_device(v, device, non_blocking) for v in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(move_to_device(v, device, non_blocking) for v in obj)
    if isinstance(obj, dict):
        return {k: move_to_device(v, device, non_blocking) for k, v in obj.items()}
    return obj


class EpochLoader:
    """Batches of a dataset in the deterministic order of a given epoch.

    Created by :meth:`Trainer.loader`; iterate with ``trainer.batches(loader, epoch)`` during
    training. Iterating the loader directly (``for x, y in loader``) gives epoch 0's order from
    the start, already on the device -- handy for evaluation with ``shuffle=False``.

    A :class:`~torch.utils.data.TensorDataset` is indexed directly (one gather per tensor per
    batch, much faster than per-sample ``__getitem__``); any other dataset goes through a
    :class:`~torch.utils.data.DataLoader` with ``num_workers`` workers.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int,
        shuffle: bool,
        drop_last: bool,
        seed: int,
        stream: int,
        device: torch.device,
        rank: int = 0,
        world_size: int = 1,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"Invalid batch_size: {batch_size!r} (expected a positive int)")
        if batch_size % world_size:
            raise ValueError(
                f"Invalid batch_size: {batch_size} is the global batch and must be divisible by the "
                f"number of processes ({world_size})"
            )
        try:
            num_samples = len(dataset)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"Invalid dataset: {type(dataset).__name__} has no len(); a map-style Dataset is required") from None
        if num_samples == 0:
            raise ValueError("Invalid dataset: it is empty")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.stream = stream
        self.device = device
        self.rank = rank
        self.world_size = world_size
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.num_samples = num_samples
        self._tensors: tuple[torch.Tensor, ...] | None = (
            tuple(dataset.tensors) if isinstance(dataset, TensorDataset) and collate_fn is None else None
        )

    def __len__(self) -> int:
        """Batches per epoch (the same on every rank)."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    @property
    def per_rank_batch_size(self) -> int:
        return self.batch_size // self.world_size

    def index_batches(self, epoch: int) -> list[torch.Tensor]:
        """This rank's sample indices for each batch of ``epoch``."""
        order = epoch_order(self.num_samples, self.seed, epoch, self.shuffle, self.stream)
        return rank_batches(global_batches(order, self.batch_size, self.drop_last, self.world_size),
                            self.rank, self.world_size)

    def iter_epoch(self, epoch: int, start: int = 0) -> Iterator[Any]:
        """Batches ``start, start+1, ...`` of ``epoch``, moved to the device."""
        indices = self.index_batches(epoch)[start:]
        non_blocking = self.device.type == "cuda"
        if self._tensors is not None:
            for idx in indices:
                yield move_to_device(tuple(t[idx.to(t.device)] for t in self._tensors), self.device, non_blocking)
            return
        if not indices:
            return
        loader = DataLoader(
            self.dataset,
            batch_sampler=[idx.tolist() for idx in indices],
            num_workers=self.num_workers,
            collate_fn=self.collate_fn,
            pin_memory=self.device.type == "cuda",
            # A private generator: DataLoader draws a base seed for its workers from it instead of
            # from the global RNG, which would make resumed runs draw different random numbers.
            generator=torch.Generator().manual_seed(derive_seed("workers", self.seed, self.stream, epoch)),
            persistent_workers=False,
        )
        for batch in loader:
            yield move_to_device(batch, self.device, non_blocking)

    def __iter__(self) -> Iterator[Any]:
        return self.iter_epoch(0)
