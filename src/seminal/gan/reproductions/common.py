"""What the MNIST GAN experiments share: the data splits and one trained generator.

Data (authors' configuration): train = the first ``n_train`` training images, validation = the
next ``n_valid``, pixels / 255. When fewer images exist (the 5,000-digit offline fallback has
4,000 training images) the images are first put in a fixed random order (seed 0; the fallback is
stored class by class, so its first 3,000 images hold only the digits 0-7 and a split in file
order leaves 8 and 9 out of the GAN's training set), then the last quarter, at most ``n_valid``,
becomes the validation set and the rest trains the GAN; this is recorded as a note.

Generator sharing: gan-table1, gan-fig2 and gan-fig3 all need a trained G with the same recipe.
Each writes ``generator.pt`` into its run directory with a *fingerprint* (the recipe, the data's
identity, the seed, the device type and the code version: ``seminal.__version__`` plus a hash of
the source files that train a generator, so a file from older code is never reused). Before training, an experiment looks for a generator
with its fingerprint in its own run directory (a finished run being re-run) and in sibling run
directories (``seminal reproduce`` puts all experiments of a reproduction side by side); it copies
a match into its own directory and records where it came from. Looking at candidates neither draws
from nor moves torch's global RNG (see :func:`seminal.gan.checkpoint.load_generator`), so the
same seed and config give the same run whatever else sits in the parent folder. Otherwise it trains its own, so
every ``seminal run gan-figN`` works alone.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from seminal.experiments.registry import RunContext
from seminal.gan.checkpoint import GENERATOR_FILE, GeneratorFile, GeneratorFileError, load_generator
from seminal.gan.trainer import GANTrainConfig, train_gan
from seminal.io import atomic_write_bytes

__all__ = ["GANData", "load_gan_data", "recipe_fingerprint", "obtain_generator", "ObtainedGenerator"]

#: Seed of the fixed image order used when the data is too small for the authors' split.
FALLBACK_SPLIT_SEED = 0


@dataclass(frozen=True)
class GANData:
    """Images as float ``(N, 784)`` in [0, 1]."""

    train: torch.Tensor
    train_labels: torch.Tensor
    valid: torch.Tensor
    test: torch.Tensor
    test_labels: torch.Tensor
    dataset: str
    source: str
    is_fallback: bool
    split_note: str


def load_gan_data(cfg: GANTrainConfig, ctx: RunContext) -> GANData:
    """Load MNIST via :func:`seminal.data.load_mnist` and cut the authors' train/validation split."""
    from seminal.data import load_mnist

    data = load_mnist(dataset=ctx.dataset, data_dir=ctx.data_dir)
    if data.is_fallback:
        ctx.note(data.note)
    images = data.train_images.reshape(-1, 784).float() / 255.0
    labels = data.train_labels
    total = images.shape[0]
    if total > cfg.n_train:
        n_train, n_valid = cfg.n_train, min(cfg.n_valid, total - cfg.n_train)
        split_note = f"train = training images 0-{n_train - 1}, validation = {n_train}-{n_train + n_valid - 1}"
    else:
        # Fixed order (independent of the run's seed): a file-order split of class-sorted data
        # (the fallback) would train the GAN on some digits only.
        order = torch.randperm(total, generator=torch.Generator().manual_seed(FALLBACK_SPLIT_SEED))
        images, labels = images[order], labels[order]
        n_valid = max(1, min(cfg.n_valid, total // 4))
        n_train = total - n_valid
        split_note = (
            f"only {total} training images available (config asks n_train={cfg.n_train}): "
            f"in a fixed random order (seed {FALLBACK_SPLIT_SEED}), GAN trained on the first {n_train}, "
            f"validation = the last {n_valid}"
        )
        ctx.note(split_note)
    return GANData(
        train=images[:n_train], train_labels=labels[:n_train],
        valid=images[n_train : n_train + n_valid],
        test=data.test_images.reshape(-1, 784).float() / 255.0, test_labels=data.test_labels,
        dataset=data.dataset, source=data.source, is_fallback=data.is_fallback, split_note=split_note,
    )


#: Packages whose source decides what a GAN run trains (hashed into the fingerprint).
_TRAINING_SOURCES = ("gan", "adam", "training")


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """``seminal.__version__`` plus a short hash of the source that trains a generator."""
    import seminal

    root = Path(seminal.__file__).resolve().parent
    digest = hashlib.sha1()
    for package in _TRAINING_SOURCES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return f"{seminal.__version__}+{digest.hexdigest()[:12]}"


def recipe_fingerprint(cfg: GANTrainConfig, data: GANData, ctx: RunContext) -> str:
    """Identity of a trained generator: same fingerprint = same training run (and same code)."""
    key = {"recipe": cfg.recipe(), "dataset": data.dataset, "source": data.source,
           "n_train": int(data.train.shape[0]), "seed": ctx.seed, "device": ctx.device.type,
           "code": code_version()}
    return hashlib.sha1(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass
class ObtainedGenerator:
    loaded: GeneratorFile
    history: list[dict[str, Any]]
    images_per_second: float
    reused_from: Path | None  # None: trained in this run
    train_seconds: float = float("nan")


def _matching(path: Path, fingerprint: str) -> GeneratorFile | None:
    try:
        loaded = load_generator(path)
    except GeneratorFileError:
        return None
    return loaded if loaded.meta.get("fingerprint") == fingerprint else None


def obtain_generator(cfg: GANTrainConfig, ctx: RunContext, data: GANData) -> ObtainedGenerator:
    """A generator trained with ``cfg`` on ``data``: reused if one with the same fingerprint exists."""
    fingerprint = recipe_fingerprint(cfg, data, ctx)
    own = Path(ctx.out_dir) / GENERATOR_FILE
    candidates = [own] + sorted(p for p in Path(ctx.out_dir).parent.glob(f"*/{GENERATOR_FILE}") if p != own)
    for path in candidates:
        if not path.is_file():
            continue
        loaded = _matching(path, fingerprint)
        if loaded is None:
            continue
        if path != own:
            atomic_write_bytes(own, path.read_bytes())
            ctx.note(f"generator reused from {path} (same recipe, data, seed and device type: fingerprint {fingerprint})")
        return ObtainedGenerator(loaded, list(loaded.meta.get("history", [])),
                                 float(loaded.meta.get("images_per_second", float("nan"))), None if path == own else path,
                                 float(loaded.meta.get("train_seconds", float("nan"))))
    meta = {"fingerprint": fingerprint, "dataset": data.dataset, "source": data.source, "code_version": code_version()}
    outcome = train_gan(cfg, ctx, data.train, name="gan", meta=meta, valid_images=data.valid)
    loaded = load_generator(outcome.generator_path)
    return ObtainedGenerator(loaded, outcome.history, outcome.images_per_second, None, outcome.train_seconds)


@torch.no_grad()
def generate(loaded: GeneratorFile, n: int, seed: int, device: torch.device | None = None) -> torch.Tensor:
    """``(n, 784)`` samples from fair random noise (its own RNG, seeded by ``seed``), on the CPU."""
    from seminal.gan.noise import sample_noise

    G = loaded.generator.to(device or torch.device("cpu")).eval()
    z = sample_noise(n, G.noise_dim, loaded.prior, generator=torch.Generator().manual_seed(seed))
    out = torch.cat([G(chunk.to(device or "cpu")).cpu() for chunk in z.split(1000)])
    G.cpu()
    return out
