"""Datasets: MNIST-format data through torchvision's dataset classes, verified, with an offline fallback.

See :func:`load_mnist` for the search order, :func:`prepare_mnist` for the one preparation every
paper uses, and :mod:`seminal.data.paths` for the environment variables (``SEMINAL_DATA_DIR``,
``SEMINAL_CACHE_DIR``, ``SEMINAL_NO_DOWNLOAD``).
"""

from seminal.data.catalog import DATASETS, get_spec
from seminal.data.download import DownloadError, download_dataset
from seminal.data.mnist import DataUnavailableError, MNISTData, find_mnist_dir, load_fallback_mnist, load_mnist
from seminal.data.paths import cache_dir, data_cache_dir, downloads_disabled
from seminal.data.prepare import PreparedMNIST, fixed_subset, flat_float, holdout_split, prepare_mnist
from seminal.data.verify import DataFileError

__all__ = [
    "DATASETS",
    "DataFileError",
    "DataUnavailableError",
    "DownloadError",
    "MNISTData",
    "PreparedMNIST",
    "cache_dir",
    "data_cache_dir",
    "download_dataset",
    "downloads_disabled",
    "find_mnist_dir",
    "fixed_subset",
    "flat_float",
    "get_spec",
    "holdout_split",
    "load_fallback_mnist",
    "load_mnist",
    "prepare_mnist",
]
