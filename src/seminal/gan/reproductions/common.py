"""What the MNIST GAN experiments share: the data splits and one trained generator.

Data (authors' configuration, cut by the shared :func:`seminal.data.prepare_mnist`): train = the
first ``n_train`` training images, validation = the next ``n_valid``, pixels / 255. When fewer
images exist (the 5,000-digit offline fallback has 4,000 training images) the images are first put
in a fixed random order (seed 0; the fallback is stored class by class, so its first 3,000 images
hold only the digits 0-7 and a split in file order leaves 8 and 9 out of the GAN's training set),
then the last quarter, at most ``n_valid``, becomes the validation set and the rest trains the
GAN; this is recorded as a note.

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

from seminal.data.prepare import SHUFFLED_SPLIT_SEED, flat_float, prepare_mnist
from seminal.experiments.registry import DataSource, RunContext
from seminal.gan.checkpoint import GENERATOR_FILE, GeneratorFile, GeneratorFileError, load_generator
from seminal.gan.trainer import GANTrainConfig, train_gan
from seminal.io import atomic_write_bytes

__all__ = ["GANData", "load_gan_data", "recipe_fingerprint", "obtain_generator", "ObtainedGenerator"]

#: Seed of the fixed image order used when the data is too small for the authors' split.
FALLBACK_SPLIT_SEED = SHUFFLED_SPLIT_SEED


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
    """Load MNIST via :func:`seminal.data.prepare_mnist` with the authors' train/validation split."""
    prepared = prepare_mnist(dataset=ctx.dataset, data_dir=ctx.data_dir, progress=ctx.progress, note=ctx.note,
                             validation=(cfg.n_train, cfg.n_valid))
    data = prepared.data
    ctx.record_data(DataSource.from_mnist(data, train=len(prepared.train_labels), test=None))  # test sizes: in each row
    return GANData(
        train=flat_float(prepared.train_images), train_labels=prepared.train_labels,
        valid=flat_float(prepared.valid_images),
        test=flat_float(prepared.test_images), test_labels=prepared.test_labels,
        dataset=data.dataset, source=data.source, is_fallback=data.is_fallback, split_note=prepared.split_note,
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
