"""Worker for test_ddp_gan.py: train a tiny GAN under torchrun and save this rank's G and D.

Usage: ``python -m torch.distributed.run --nproc_per_node 2 ddp_gan_train.py OUT UPDATE``.
Each rank writes ``OUT/rank<r>.pt`` = {"G": state_dict, "D": state_dict}.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

from seminal.experiments.registry import RunContext
from seminal.gan.trainer import GANTrainConfig, train_gan
from seminal.training.distributed import init_distributed, rank, shutdown_distributed


def main(argv: list[str]) -> int:
    out, update = Path(argv[0]), argv[1]
    torch.set_num_threads(1)
    init_distributed(torch.device("cpu"))
    completed = False
    try:
        torch.manual_seed(0)
        images = torch.rand(240, 784, generator=torch.Generator().manual_seed(0)) ** 2
        cfg = GANTrainConfig(epochs=2, batch_size=20, optimizer="adam", lr=1e-3, update=update, g_hidden=16, d_units=8,
                             d_pieces=2, n_train=240, sample_every=0, checkpoint_every=0)
        ctx = RunContext(out_dir=out, device=torch.device("cpu"), seed=0, progress=False)
        outcome = train_gan(cfg, ctx, images)
        states = {"G": outcome.generator.state_dict(), "D": outcome.discriminator.state_dict()}
        torch.save(states, out / f"rank{rank()}.pt")
        completed = True
    finally:
        shutdown_distributed(synchronize=completed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
