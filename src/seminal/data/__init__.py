"""Datasets: MNIST-format loading with verified downloads and an offline fallback.

See :func:`load_mnist` for the search order, and :mod:`seminal.data.paths` for the environment
variables (``SEMINAL_DATA_DIR``, ``SEMINAL_CACHE_DIR``, ``SEMINAL_NO_DOWNLOAD``).
"""

from seminal.data.catalog import DATASETS, get_spec
from seminal.data.download import DownloadError, download_verified
from seminal.data.idx import DataFileError
from seminal.data.mnist import DataUnavailableError, MNISTData, find_mnist_dir, load_fallback_mnist, load_mnist
from seminal.data.paths import cache_dir, data_cache_dir, downloads_disabled

__all__ = [
    "DATASETS",
    "DataFileError",
    "DataUnavailableError",
    "DownloadError",
    "MNISTData",
    "cache_dir",
    "data_cache_dir",
    "download_verified",
    "downloads_disabled",
    "find_mnist_dir",
    "get_spec",
    "load_fallback_mnist",
    "load_mnist",
]
