"""The generator file: what a trained GAN run leaves behind for sampling and for other experiments.

``<run dir>/generator.pt`` is a ``torch.save`` of a plain dict (loadable with
``torch.load(weights_only=True)``)::

    {
      "format": "seminal-gan-generator/1",
      "arch": "mlp",                          # "mlp" (the paper's G) or "conv" (ConvGenerator)
      "noise_dim": 100, "hidden": [1200, 1200], "data_dim": 784, "image_shape": [28, 28],
                                              # "conv" stores "channels", "upsampling" and
                                              # "fine_channels" instead of "hidden"
      "prior": "uniform",                     # the p_z to sample z from
      "state_dict": {...},                    # Generator.state_dict(), CPU tensors
      "meta": {"fingerprint": "...", "dataset": "mnist", "source": "...", "epochs": 300,
               "history": [{...}, ...]},      # per-epoch training metrics
      "content_crc32": 123456789,             # CRC32 of everything above (as training checkpoints)
    }

The content checksum is :func:`seminal.training.checkpoint.content_checksum`, the same as the
training checkpoints', so ``python -m seminal.training.verify DIR`` checks generator files too and a
flipped bit is refused by :func:`load_generator` instead of being sampled from (or reused by the
next run). Building the network on load never draws from torch's global RNG, so looking at
candidate files cannot change the run that looks.

The training checkpoints of :mod:`seminal.training` (which hold D, optimizers and RNG state too)
are for resuming; this file is the generator alone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from seminal.gan.conv_models import ConvGenerator
from seminal.gan.models import Generator
from seminal.gan.noise import PRIORS
from seminal.io import atomic_write_bytes
from seminal.training.checkpoint import content_checksum

__all__ = ["GENERATOR_FILE", "GENERATOR_FORMAT", "GeneratorFile", "save_generator", "load_generator", "GeneratorFileError"]

#: File name a GAN run writes into its run directory.
GENERATOR_FILE = "generator.pt"
GENERATOR_FORMAT = "seminal-gan-generator/1"


class GeneratorFileError(ValueError):
    """A path that is not a readable seminal generator file."""


@dataclass
class GeneratorFile:
    """A loaded generator file: the network (eval mode, CPU) plus how to sample its noise."""

    generator: Generator | ConvGenerator
    prior: str
    image_shape: tuple[int, ...]
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def save_generator(
    path: str | Path, generator: Generator | ConvGenerator, *, prior: str, image_shape: tuple[int, ...] = (28, 28), meta: dict[str, Any] | None = None
) -> Path:
    """Write ``generator`` to ``path`` atomically in the format above."""
    module = getattr(generator, "module", generator)  # unwrap DDP
    if isinstance(module, ConvGenerator):
        arch: dict[str, Any] = {"arch": "conv", "channels": int(module.channels), "upsampling": module.upsampling,
                                "fine_channels": int(module.fine_channels)}
    elif isinstance(module, Generator):
        arch = {"arch": "mlp", "hidden": [int(h) for h in module.hidden]}
    else:
        raise TypeError(f"Invalid generator: {type(module).__name__} (expected Generator or ConvGenerator)")
    blob = {
        "format": GENERATOR_FORMAT,
        **arch,
        "noise_dim": int(module.noise_dim),
        "data_dim": int(module.data_dim),
        "image_shape": [int(s) for s in image_shape],
        "prior": prior,
        "state_dict": {k: v.detach().cpu() for k, v in module.state_dict().items()},
        "meta": dict(meta or {}),
    }
    blob["content_crc32"] = content_checksum(blob)
    buffer = io.BytesIO()
    torch.save(blob, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def resolve_generator_path(path: str | Path) -> Path:
    """``path`` itself if it is a file, ``path/generator.pt`` if it is a run directory."""
    p = Path(path)
    if p.is_dir():
        candidate = p / GENERATOR_FILE
        if not candidate.is_file():
            raise GeneratorFileError(f"Invalid checkpoint: directory {p} has no {GENERATOR_FILE} (expected a GAN run directory or generator file)")
        return candidate
    if not p.is_file():
        raise GeneratorFileError(f"Invalid checkpoint: {p} does not exist (expected a {GENERATOR_FILE} written by a GAN run)")
    return p


def _build(blob: dict[str, Any]) -> Generator | ConvGenerator:
    arch = blob.get("arch", "mlp")
    if arch == "conv":
        # files written before "upsampling" and "fine_channels" were stored: nearest-neighbour, no fine layer
        return ConvGenerator(noise_dim=int(blob["noise_dim"]), channels=int(blob["channels"]),
                             upsampling=str(blob.get("upsampling", "nearest")), fine_channels=int(blob.get("fine_channels", 0)))
    if arch == "mlp":
        return Generator(noise_dim=int(blob["noise_dim"]), hidden=tuple(blob["hidden"]), data_dim=int(blob["data_dim"]))
    raise ValueError(f"unknown arch {arch!r} (expected 'mlp' or 'conv')")


def load_generator(path: str | Path) -> GeneratorFile:
    """Load a generator file (or a run directory holding one). Errors name the file."""
    p = resolve_generator_path(path)
    try:
        blob = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - re-raised with the file's name
        from seminal.training.checkpoint import foreign_globals

        code = foreign_globals(p)  # judged by what the pickle imports, not by torch's wording
        if code:
            raise GeneratorFileError(
                f"Invalid checkpoint: {p} was refused by torch.load(weights_only=True): it imports "
                f"{', '.join(code[:3])}, which could run code when loaded"
            ) from exc
        first_line = next((line for line in str(exc).splitlines() if line.strip()), "")
        raise GeneratorFileError(f"Invalid checkpoint: {p} is not a readable torch file ({type(exc).__name__}: {first_line})") from exc
    if not isinstance(blob, dict) or blob.get("format") != GENERATOR_FORMAT:
        found = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
        raise GeneratorFileError(
            f"Invalid checkpoint: {p} is not a seminal generator file (format {found!r}, expected {GENERATOR_FORMAT!r}); "
            f"pass the {GENERATOR_FILE} of a GAN run, not a training checkpoint"
        )
    if "content_crc32" not in blob:
        raise GeneratorFileError(f"Invalid checkpoint: {p} has no content_crc32 (written by an older seminal; retrain it)")
    stored = blob.pop("content_crc32")
    actual = content_checksum(blob)
    if stored != actual:
        raise GeneratorFileError(
            f"Invalid checkpoint: {p} is corrupt: its contents do not match their checksum "
            f"(crc32 {actual:#010x}, saved {stored!r})"
        )
    prior = blob.get("prior")
    if prior not in PRIORS:
        raise GeneratorFileError(f"Invalid checkpoint: {p} has prior {prior!r} (expected one of {PRIORS})")
    try:
        # fork_rng: the throw-away random initialisation must not move the caller's global RNG
        with torch.random.fork_rng(devices=[]):
            generator = _build(blob)
        generator.load_state_dict(blob["state_dict"])
    except (RuntimeError, ValueError, KeyError, TypeError) as exc:
        raise GeneratorFileError(f"Invalid checkpoint: {p} has weights that do not fit its own sizes ({exc})") from exc
    generator.eval()
    return GeneratorFile(generator, prior, tuple(int(s) for s in blob["image_shape"]), dict(blob.get("meta", {})), p)
