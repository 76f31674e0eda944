"""One MNIST preparation for every paper: load once, cut the split the experiment needs.

:func:`prepare_mnist` loads with :func:`seminal.data.load_mnist` (files, download or fallback;
verified and kept for the process) and returns uint8 images cut three ways, as the papers need:

* **fixed subsets** (``train_limit`` / ``test_limit``): the first ``limit`` images of one fixed
  random permutation (seed :data:`SUBSET_SEED`), so every method and every run sees the same
  images whatever the run's seed (Adam's quick presets);
* **a train/validation split** (``validation=(n_train, n_valid)``): the first ``n_train`` training
  images train, the next ``n_valid`` validate, in file order (the GAN authors' split). When there
  are too few images for that (the 4,000-image fallback), the images are put in a fixed random
  order (seed :data:`SHUFFLED_SPLIT_SEED`) -- the fallback is stored class by class, so a file-order
  split would leave whole digits out -- and the last quarter, at most ``n_valid``, validates;
* **everything** (no option): the source digits STN's distortions are made from.

:func:`holdout_split` cuts a held-out part off a training set by another fixed permutation (seed
:data:`HOLDOUT_SEED`; Adam's learning-rate grid search). The seeds are the values each paper used
before this preparation was shared, so no subset changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["PreparedMNIST", "prepare_mnist", "fixed_subset", "holdout_split", "flat_float",
           "SUBSET_SEED", "HOLDOUT_SEED", "SHUFFLED_SPLIT_SEED"]

#: Permutation seed of fixed subsets (kept from Adam's experiments).
SUBSET_SEED = 1412_6980
#: Permutation seed of hold-out splits (kept from Adam's grid search).
HOLDOUT_SEED = SUBSET_SEED + 1
#: Order of a train/validation split of too few images (kept from the GAN experiments).
SHUFFLED_SPLIT_SEED = 0


@dataclass(frozen=True)
class PreparedMNIST:
    """uint8 images ``(N, 28, 28)`` with int64 labels, cut as asked, and where they came from.

    ``valid_*`` are empty unless a validation split was asked for. ``data`` is the full loaded
    dataset (its ``dataset``, ``source``, ``is_fallback`` and ``note`` are the provenance).
    ``split_note`` says how the split was made.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    valid_images: torch.Tensor
    valid_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    data: object  # seminal.data.MNISTData
    split_note: str


def flat_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` images as float32 ``(N, 784)`` in [0, 1] (pixels / 255)."""
    return images.reshape(images.shape[0], -1).float().div_(255.0)


def _check_size(name: str, value: object, *, positive: bool, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int{' or None' if optional else ''}, got {value!r}")
    if value < (1 if positive else 0):
        raise ValueError(f"{name} must be {'positive' if positive else 'non-negative'}, got {value}")


def fixed_subset(images: torch.Tensor, labels: torch.Tensor, limit: int | None, *,
                 seed: int = SUBSET_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """``limit`` images of a fixed permutation (all of them, in file order, when ``limit`` is None or too big)."""
    _check_size("limit", limit, positive=True)
    if limit is None or limit >= len(labels):
        return images, labels
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))[:limit]
    return images[order], labels[order]


def holdout_split(count: int, holdout: int, *, name: str = "holdout") -> tuple[torch.Tensor, torch.Tensor]:
    """(kept, held-out) index tensors: ``holdout`` of ``count`` items by the fixed :data:`HOLDOUT_SEED` order."""
    if isinstance(holdout, bool) or not isinstance(holdout, int) or not 0 < holdout < count:
        raise ValueError(f"Invalid {name}: {holdout} (expected 0 < {name} < {count})")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(HOLDOUT_SEED))
    return order[holdout:], order[:holdout]


def _train_validation(images: torch.Tensor, labels: torch.Tensor, n_train: int, n_valid: int):
    total = len(labels)
    if total > n_train:
        n_valid = min(n_valid, total - n_train)
        note = f"train = training images 0-{n_train - 1}, validation = {n_train}-{n_train + n_valid - 1}"
        return images, labels, n_train, n_valid, note, False
    # A fixed order, independent of the run's seed: the split is part of the data, not the run.
    order = torch.randperm(total, generator=torch.Generator().manual_seed(SHUFFLED_SPLIT_SEED))
    n_valid = max(1, min(n_valid, total // 4))
    note = (f"only {total} training images available (config asks n_train={n_train}): in a fixed random order "
            f"(seed {SHUFFLED_SPLIT_SEED}), training uses the first {total - n_valid}, validation = the last {n_valid}")
    return images[order], labels[order], total - n_valid, n_valid, note, True


def prepare_mnist(
    *,
    dataset: str = "mnist",
    data_dir=None,
    progress: bool = True,
    note: Callable[[str], None] | None = None,
    train_limit: int | None = None,
    test_limit: int | None = None,
    validation: tuple[int, int] | None = None,
) -> PreparedMNIST:
    """Load an MNIST-format dataset once and cut it (see the module docstring).

    Args:
        dataset, data_dir, progress: passed to :func:`seminal.data.load_mnist`.
        note: called with each sentence a report must carry about the split (a shuffled split);
            e.g. ``RunContext.note``. Where the data came from is ``data``'s provenance, which the
            experiment records once (``RunContext.record_data``).
        train_limit, test_limit: fixed random subsets of that many images (None = all).
        validation: ``(n_train, n_valid)`` for a train/validation split of the training images.

    Raises:
        ValueError, TypeError: a bad size (named in the message), or what ``load_mnist`` raises.
    """
    _check_size("train_limit", train_limit, positive=True)
    _check_size("test_limit", test_limit, positive=True)
    if validation is not None:
        if not isinstance(validation, tuple) or len(validation) != 2:
            raise TypeError(f"validation must be a (n_train, n_valid) pair or None, got {validation!r}")
        _check_size("validation n_train", validation[0], positive=True, optional=False)
        _check_size("validation n_valid", validation[1], positive=False, optional=False)
        if train_limit is not None:
            raise ValueError("train_limit and validation cannot be combined: the split decides the training images")
    import seminal.data  # through the package, so a substituted loader (a test's stand-in) is used

    data = seminal.data.load_mnist(dataset=dataset, data_dir=data_dir, progress=progress)
    say = note or (lambda _text: None)
    train_x, train_y = data.train_images, data.train_labels
    valid_x, valid_y = train_x[:0], train_y[:0]
    split_note = "all training images"
    if validation is not None:
        train_x, train_y, n_train, n_valid, split_note, shuffled = _train_validation(train_x, train_y, *validation)
        if shuffled:
            say(split_note)
        valid_x, valid_y = train_x[n_train : n_train + n_valid], train_y[n_train : n_train + n_valid]
        train_x, train_y = train_x[:n_train], train_y[:n_train]
    elif train_limit is not None:
        train_x, train_y = fixed_subset(train_x, train_y, train_limit)
        split_note = f"{len(train_y):,} training images (fixed subset, seed {SUBSET_SEED})"
    test_x, test_y = fixed_subset(data.test_images, data.test_labels, test_limit)
    return PreparedMNIST(train_x, train_y, valid_x, valid_y, test_x, test_y, data, split_note)
