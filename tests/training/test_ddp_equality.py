"""Two CPU processes under torchrun (gloo) train exactly like one process on the same global batch.

The DDP run is also interrupted (SIGTERM to rank 0 only: both ranks must agree to stop at the same
step) and resumed under torchrun, so this checks resume under DDP too. Results agree to float32
rounding (the gradient all-reduce sums in another order), not bit for bit.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.training import tiny_train
from tests.training.helpers import assert_same_value

from seminal.training import load_checkpoint, read_metrics
from seminal.training.checkpoint import checkpoint_path

HERE = Path(__file__).resolve().parent
# No randomness inside the loop: with it, 2 processes draw different numbers than 1 (by design).
DETERMINISTIC = ["--dropout", "0", "--input-noise", "0", "--no-random-scale"]


def _torchrun(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(HERE / "tiny_train.py"), str(out), *DETERMINISTIC, *extra]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)


@pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                    reason="torch.distributed with gloo is needed")
def test_two_process_ddp_equals_single_process(tmp_path: Path) -> None:
    single = tmp_path / "single"
    tiny_train.train(single, tiny_train.TinyConfig(dropout=0.0, input_noise=0.0, random_scale=False))

    ddp = tmp_path / "ddp"
    interrupted = _torchrun(ddp, "--signal-at-step", "10")
    assert interrupted.returncode != 0
    # Ranks agree to stop at the next flush point (a checkpoint step here: 12). torchrun may kill
    # the slower rank before it prints, so look for the message once.
    assert "SIGTERM received at step 12" in interrupted.stderr, interrupted.stderr
    saved = load_checkpoint(checkpoint_path(ddp, "tiny"))
    assert saved["progress"]["step"] == 12 and saved["world_size"] == 2
    resumed = _torchrun(ddp, "--resume")
    assert resumed.returncode == 0, resumed.stderr

    want = load_checkpoint(checkpoint_path(single, "tiny"))
    got = load_checkpoint(checkpoint_path(ddp, "tiny"))
    for key, tensor in want["modules"]["model"].items():
        torch.testing.assert_close(got["modules"]["model"][key], tensor, rtol=1e-5, atol=1e-6)
    for key, tensor in want["optimizers"]["opt"]["state"][0].items():
        torch.testing.assert_close(got["optimizers"]["opt"]["state"][0][key], tensor, rtol=1e-5, atol=1e-6)
    assert_same_value(want["progress"], got["progress"], "progress")

    want_log = read_metrics(single / "tiny.metrics.jsonl")
    got_log = read_metrics(ddp / "tiny.metrics.jsonl")
    assert len(got_log) == len(want_log) == 24
    for w, g in zip(want_log, got_log):
        assert w.keys() == g.keys()
        for key, value in w.items():
            assert value == g[key] if isinstance(value, (str, int)) else _close(value, g[key]), (key, w, g)
