"""Under torchrun, both ranks of a GAN run hold the same G and D, for both update modes.

The simultaneous update takes its gradients with torch.autograd.grad, which DDP's backward hooks
never see; without an explicit all-reduce every rank trained its own GAN on its shard of the
batch, silently. Different dropout masks and noise per rank make any missing synchronisation show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

HERE = Path(__file__).resolve().parent


@pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                    reason="torch.distributed with gloo is needed")
@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_two_ranks_hold_identical_generator_and_discriminator(update: str, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(HERE / "ddp_gan_train.py"), str(tmp_path), update]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    initial_g = None
    for net in ("G", "D"):
        for key, tensor in ranks[0][net].items():
            assert torch.equal(ranks[1][net][key], tensor), f"{update}: {net}.{key} differs between the ranks"
    # and training moved them (identical because synchronised, not because nothing happened)
    torch.manual_seed(0)
    from seminal.gan.models import Generator

    initial_g = Generator(noise_dim=100, hidden=(16, 16)).state_dict()
    assert not torch.equal(initial_g["hidden_layers.0.weight"], ranks[0]["G"]["hidden_layers.0.weight"])
