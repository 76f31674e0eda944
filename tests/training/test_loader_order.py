"""The data order: deterministic per (seed, epoch), independent of the global RNG, sharded exactly."""

from __future__ import annotations

import pytest
import torch
from torch.utils.data import Dataset, TensorDataset

from seminal.training.loader import EpochLoader, epoch_order, global_batches, rank_batches


def _loader(n: int = 10, batch_size: int = 4, rank: int = 0, world_size: int = 1, **kwargs: object) -> EpochLoader:
    data = TensorDataset(torch.arange(n), torch.arange(n) * 10)
    options = {"shuffle": True, "drop_last": False, "seed": 3, "stream": 0, "device": torch.device("cpu"), **kwargs}
    return EpochLoader(data, batch_size=batch_size, rank=rank, world_size=world_size, **options)  # type: ignore[arg-type]


def test_order_depends_on_seed_and_epoch_only() -> None:
    torch.manual_seed(0)
    a = epoch_order(50, seed=1, epoch=2, shuffle=True)
    torch.manual_seed(123)  # the global RNG must not matter
    torch.rand(7)
    b = epoch_order(50, seed=1, epoch=2, shuffle=True)
    assert torch.equal(a, b)
    assert sorted(a.tolist()) == list(range(50))
    assert not torch.equal(a, epoch_order(50, seed=1, epoch=3, shuffle=True))
    assert not torch.equal(a, epoch_order(50, seed=2, epoch=2, shuffle=True))
    assert torch.equal(epoch_order(5, seed=1, epoch=0, shuffle=False), torch.arange(5))


def test_batches_cover_the_epoch_with_a_partial_last_batch() -> None:
    loader = _loader(n=10, batch_size=4)
    assert len(loader) == 3
    xs = [x for x, _ in loader.iter_epoch(1)]
    assert [len(x) for x in xs] == [4, 4, 2]
    assert sorted(torch.cat(xs).tolist()) == list(range(10))
    # Labels stay paired with their inputs.
    for x, y in loader.iter_epoch(1):
        assert torch.equal(y, x * 10)
    # Skipping (resume) yields exactly the remaining batches.
    rest = [x for x, _ in loader.iter_epoch(1, start=1)]
    assert all(torch.equal(a, b) for a, b in zip(rest, xs[1:])) and len(rest) == 2
    assert len(_loader(n=10, batch_size=4, drop_last=True)) == 2


def test_rank_shards_reassemble_the_global_batches() -> None:
    single = _loader(n=12, batch_size=6).index_batches(epoch=4)
    shards = [_loader(n=12, batch_size=6, rank=r, world_size=3).index_batches(epoch=4) for r in range(3)]
    assert all(len(s) == len(single) for s in shards)
    for b, global_batch in enumerate(single):
        assert torch.equal(torch.cat([shards[r][b] for r in range(3)]), global_batch)


def test_last_partial_batch_is_padded_to_equal_shards() -> None:
    order = torch.arange(10)
    batches = global_batches(order, batch_size=4, drop_last=False, multiple_of=4)
    assert [len(b) for b in batches] == [4, 4, 4]
    assert batches[-1].tolist() == [8, 9, 0, 1]  # padded from the start of the permutation
    assert [len(b) for b in rank_batches(batches, rank=1, world_size=4)] == [1, 1, 1]
    assert [len(b) for b in global_batches(order, 4, drop_last=True, multiple_of=4)] == [4, 4]
    assert [len(b) for b in global_batches(order, 4, drop_last=False)] == [4, 4, 2]  # single process: no padding


class Squares(Dataset):
    def __len__(self) -> int:
        return 9

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return torch.tensor([float(i)]), i * i


def test_generic_dataset_goes_through_a_dataloader_without_touching_the_global_rng() -> None:
    loader = EpochLoader(Squares(), batch_size=4, shuffle=True, drop_last=False, seed=0, stream=1, device=torch.device("cpu"))
    torch.manual_seed(5)
    before = torch.get_rng_state()
    batches = list(loader.iter_epoch(0))
    assert torch.equal(torch.get_rng_state(), before)
    assert [len(b[1]) for b in batches] == [4, 4, 1]
    for x, y in batches:
        assert torch.equal(x[:, 0].long() ** 2, y)


@pytest.mark.parametrize("bad, message", [
    (0, r"Invalid batch_size: 0 \(expected a positive int\)"),
    (2.5, r"Invalid batch_size: 2\.5 \(expected a positive int\)"),
    (5, r"Invalid batch_size: 5 is the global batch and must be divisible by the number of processes \(2\)"),
])
def test_invalid_batch_size(bad: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _loader(batch_size=bad, world_size=2)  # type: ignore[arg-type]


def test_empty_dataset_is_refused() -> None:
    with pytest.raises(ValueError, match=r"Invalid dataset: it is empty"):
        EpochLoader(TensorDataset(torch.zeros(0)), 4, True, False, 0, 0, torch.device("cpu"))
