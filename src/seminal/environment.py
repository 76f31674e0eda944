"""A record of the software and hardware a run used, written beside every result."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

import seminal

__all__ = ["collect_environment", "describe_hardware"]


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(seminal.__file__).parent, capture_output=True, text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip() or None
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * page_size / 2**30, 1)


def describe_hardware(env: dict[str, Any]) -> str:
    """One line from an environment record, e.g. "cpu (AMD EPYC, 2 cores, 1 torch thread, 7.8 GiB)"."""
    device = env.get("device") or "device not recorded"
    parts = [env.get("cpu_model") or env.get("processor")]
    if env.get("cpu_count"):
        parts.append(f"{env['cpu_count']} cores")
    if env.get("torch_threads"):
        threads = f"{env['torch_threads']} torch thread{'s' if env['torch_threads'] != 1 else ''}"
        # `seminal reproduce --jobs N`: the experiments ran in N worker processes with their own threads.
        parts.append(f"{env['workers']} worker processes of {threads}" if env.get("workers", 1) > 1 else threads)
        if env.get("training_torch_threads"):  # the config's cpu_threads, set for training only
            n = env["training_torch_threads"]
            parts[-1] += f" ({n} while training)"
    if env.get("memory_gib"):
        parts.append(f"{env['memory_gib']} GiB")
    if str(device).startswith("cuda") and env.get("gpus"):
        parts.insert(0, ", ".join(env["gpus"]))
    text = ", ".join(str(p) for p in parts if p)
    return f"{device} ({text})" if text else str(device)


def collect_environment(device: torch.device | None = None) -> dict[str, Any]:
    """Versions, hardware and the command line, as a JSON-serialisable dict."""
    import matplotlib
    import numpy
    import torchvision

    env: dict[str, Any] = {
        "seminal": seminal.__version__,
        "git_commit": _git_commit(),
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": numpy.__version__,
        "matplotlib": matplotlib.__version__,
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda_available": torch.cuda.is_available(),
        "device": str(device) if device is not None else None,
        "command": " ".join(sys.argv),
        "time_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if torch.cuda.is_available():
        env["cuda"] = torch.version.cuda
        env["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return env

