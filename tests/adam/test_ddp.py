"""Adam/AdaMax under DistributedDataParallel (2 CPU processes, gloo): ranks stay identical and
match one process that sees the whole batch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from seminal.adam import AdaMax, Adam

WORLD = 2


def _model() -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def _batches() -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    return [torch.randn(2 * WORLD, 4, generator=gen) for _ in range(4)]


def _optimizer(name: str, params) -> torch.optim.Optimizer:
    return Adam(params, lr=0.01, amsgrad=True) if name == "adam" else AdaMax(params, lr=0.01, averaging=0.9)


NAMES = ("adam", "adamax")


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    try:
        for name in NAMES:
            ddp = torch.nn.parallel.DistributedDataParallel(_model())
            opt = _optimizer(name, ddp.parameters())
            for x in _batches():
                opt.zero_grad()
                ddp(x[rank * 2 : rank * 2 + 2]).pow(2).mean().backward()  # DDP averages the two halves
                opt.step()
            torch.save([p.detach() for p in ddp.module.parameters()], Path(out_dir) / f"{name}{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # spawning two torch processes takes tens of seconds on 2 cores
def test_ddp_ranks_agree_with_single_process_full_batch(tmp_path):
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available in this build")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    mp.spawn(_worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD, join=True)
    for name in NAMES:
        ranks = [torch.load(tmp_path / f"{name}{r}.pt") for r in range(WORLD)]
        model = _model()
        opt = _optimizer(name, model.parameters())
        for x in _batches():
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()
        for p0, p1, single in zip(*ranks, model.parameters()):
            assert torch.equal(p0, p1), name
            torch.testing.assert_close(p0, single.detach(), rtol=1e-5, atol=1e-6)
