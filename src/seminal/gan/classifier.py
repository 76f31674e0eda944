"""The MNIST classifier whose features the Fréchet distance (:mod:`seminal.gan.frechet`) uses.

A small CNN (conv 5x5x16 - pool - conv 5x5x32 - pool - fc 128 - fc 10), trained once per dataset
and source and cached under ``seminal.data.cache_dir() / "gan" / "classifiers"`` (atomic write).
The 128-d penultimate ReLU layer is the feature space; the softmax gives the classifier score
and the class histogram.

It is an evaluation instrument, not part of the paper, so it is trained by a short plain loop
with its own seeded RNG (it never touches the global RNG of the GAN run that calls it).
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from seminal.io import atomic_write_bytes

__all__ = ["MNISTFeatureNet", "ClassifierInfo", "load_or_train_classifier", "classifier_cache_key", "training_data_digest"]

log = logging.getLogger(__name__)

_FORMAT = "seminal-gan-classifier/1"


class MNISTFeatureNet(nn.Module):
    """CNN on ``(B, 784)`` or ``(B, 1, 28, 28)`` images in [0, 1]."""

    feature_dim = 128

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 5, padding=2)
        self.conv2 = nn.Conv2d(16, 32, 5, padding=2)
        self.fc = nn.Linear(32 * 7 * 7, self.feature_dim)
        self.head = nn.Linear(self.feature_dim, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, 1, 28, 28)
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)  # (B, 16, 14, 14)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)  # (B, 32, 7, 7)
        return F.relu(self.fc(x.flatten(1)))  # (B, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))  # (B, 10) logits


@dataclass(frozen=True)
class ClassifierInfo:
    """Where the classifier came from and how good it is (test accuracy on the data's test split)."""

    path: Path
    cached: bool
    test_accuracy: float
    key: str


def classifier_cache_key(dataset: str, source: str, n_train: int, epochs: int, data_digest: str = "") -> str:
    """Cache key: the dataset, where its files came from, the training budget and ``data_digest``
    (a hash of the training images and labels: the same source split differently is other data)."""
    digest = hashlib.sha1(f"{dataset}|{source}|{n_train}|{epochs}|{data_digest}|{_FORMAT}".encode()).hexdigest()[:12]
    return f"{dataset}-{digest}"


def training_data_digest(images: torch.Tensor, labels: torch.Tensor) -> str:
    """sha1 of the images (as float32) and labels (as int64), in order."""
    h = hashlib.sha1()
    h.update(images.reshape(images.shape[0], -1).float().contiguous().numpy().tobytes())
    h.update(labels.long().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


@torch.no_grad()
def _accuracy(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    net.eval()
    correct = 0
    for i in range(0, images.shape[0], batch):
        correct += int((net(images[i : i + batch]).argmax(1) == labels[i : i + batch]).sum())
    return correct / max(1, images.shape[0])


def load_or_train_classifier(
    train_images: torch.Tensor,
    train_labels: torch.Tensor,
    test_images: torch.Tensor,
    test_labels: torch.Tensor,
    *,
    dataset: str,
    source: str,
    epochs: int = 3,
    cache_root: Path | None = None,
    seed: int = 0,
    batch_size: int = 64,
) -> tuple[MNISTFeatureNet, ClassifierInfo]:
    """Return the cached classifier for this data, training (and caching) it if absent.

    Images are float in [0, 1], shape ``(N, 784)`` or ``(N, 28, 28)``. The network is in eval mode
    on the CPU. A corrupt cache file is retrained and replaced.
    """
    if epochs < 1:
        raise ValueError(f"Invalid epochs: {epochs} (expected >= 1)")
    if train_images.shape[0] == 0 or train_images.shape[0] != train_labels.shape[0]:
        raise ValueError(
            f"Invalid train_images/train_labels: {train_images.shape[0]} images, {train_labels.shape[0]} labels "
            "(expected the same non-zero number)"
        )
    if cache_root is None:
        from seminal.data import cache_dir

        cache_root = cache_dir()
    key = classifier_cache_key(dataset, source, int(train_images.shape[0]), epochs, training_data_digest(train_images, train_labels))
    path = Path(cache_root) / "gan" / "classifiers" / f"{key}.pt"
    net = MNISTFeatureNet()
    if path.is_file():
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            if blob.get("format") != _FORMAT:
                raise ValueError(f"unexpected format {blob.get('format')!r}")
            net.load_state_dict(blob["state_dict"])
            net.eval()
            return net, ClassifierInfo(path, True, float(blob["test_accuracy"]), key)
        except Exception as exc:  # noqa: BLE001 - any unreadable cache entry is rebuilt
            log.warning("classifier cache %s unreadable (%s); retraining", path, exc)

    rng = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = MNISTFeatureNet()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = train_images.reshape(-1, 784).float()
    y = train_labels.long()
    for _ in range(epochs):
        net.train()
        order = torch.randperm(x.shape[0], generator=rng)
        for i in range(0, x.shape[0], batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(net(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    accuracy = _accuracy(net, test_images.reshape(-1, 784).float(), test_labels.long())
    buffer = io.BytesIO()
    torch.save({"format": _FORMAT, "state_dict": net.state_dict(), "test_accuracy": accuracy,
                "dataset": dataset, "source": source, "epochs": epochs}, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    net.eval()
    return net, ClassifierInfo(path, False, accuracy, key)
