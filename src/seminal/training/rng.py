"""Every random number generator's state as plain, ``weights_only``-loadable values.

A checkpoint must restore Python's ``random``, NumPy's global generator, torch's CPU generator and
every CUDA generator, or a resumed run draws different dropout masks / noise than an uninterrupted
one. ``torch.load(weights_only=True)`` only accepts tensors and plain containers, so NumPy's state
array becomes a tensor and tuples stay tuples of ints/floats.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

import numpy as np
import torch

__all__ = ["capture_rng_state", "restore_rng_state", "seed_everything", "derive_seed",
           "generator_to_state", "generator_from_state"]


def derive_seed(*parts: int | str) -> int:
    """A stable 63-bit seed from ``parts`` (same on every machine and Python run; not ``hash()``)."""
    text = ":".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little") & ((1 << 63) - 1)


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and every CUDA device) with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % (1 << 32))
    torch.manual_seed(seed)


def capture_rng_state() -> dict[str, Any]:
    """The current state of every global generator, as ``weights_only``-loadable values."""
    version, internal, gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": int(version), "internal": list(internal), "gauss": gauss},
        "numpy": {
            "kind": str(kind),
            "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64).copy()),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "torch": torch.get_rng_state(),
        "cuda": [],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = list(torch.cuda.get_rng_state_all())
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Put every global generator back to ``state`` (from :func:`capture_rng_state`)."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss"]))
    npy = state["numpy"]
    np.random.set_state(
        (npy["kind"], npy["keys"].numpy().astype(np.uint32), npy["pos"], npy["has_gauss"], npy["cached_gaussian"])
    )
    torch.set_rng_state(state["torch"].cpu())
    cuda_states = state.get("cuda") or []
    if cuda_states and torch.cuda.is_available():
        if len(cuda_states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all([s.cpu() for s in cuda_states])
        else:
            # A different GPU count than when saved: restore the devices both runs have.
            for index, s in enumerate(cuda_states[: torch.cuda.device_count()]):
                torch.cuda.set_rng_state(s.cpu(), index)


_GENERATOR_TAG = "__torch_generator__"


def generator_to_state(gen: torch.Generator) -> dict[str, Any]:
    """A ``torch.Generator`` as a loadable dict (kept in ``trainer.state`` across checkpoints)."""
    return {_GENERATOR_TAG: True, "device": str(gen.device), "state": gen.get_state()}


def is_generator_state(obj: Any) -> bool:
    return isinstance(obj, dict) and obj.get(_GENERATOR_TAG) is True


def generator_from_state(obj: dict[str, Any]) -> torch.Generator:
    gen = torch.Generator(device=obj["device"])
    gen.set_state(obj["state"].cpu())
    return gen
