"""Check that every checkpoint under a folder loads: ``python -m seminal.training.verify DIR``.

Training checkpoints (``**/checkpoints/*.pt``) go through :func:`load_checkpoint` (format,
version, tensor checksum); any other ``*.pt`` file must at least load with
``torch.load(weights_only=True)``, and when it is a dict carrying ``content_crc32`` (e.g. a GAN
run's ``generator.pt``) its contents must match that checksum. Prints one line per file and exits 1 if any failed. Meant to
run in a fresh process, e.g. after ``seminal reproduce --preset smoke``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

from seminal.training.checkpoint import content_checksum, load_checkpoint
from seminal.training.errors import CheckpointError

__all__ = ["CheckResult", "verify_tree", "main"]


@dataclass(frozen=True)
class CheckResult:
    path: Path
    kind: str  # "training checkpoint", "checksummed file" or "other torch file"
    ok: bool
    detail: str


def verify_tree(root: str | Path) -> list[CheckResult]:
    """Load every ``*.pt`` under ``root``; one result per file, sorted by path."""
    results = []
    for path in sorted(Path(root).rglob("*.pt")):
        if path.name.startswith("."):
            continue  # a temporary file of a save in progress
        if path.parent.name == "checkpoints":
            try:
                ckpt = load_checkpoint(path)
            except CheckpointError as exc:
                results.append(CheckResult(path, "training checkpoint", False, str(exc)))
                continue
            progress = ckpt["progress"]
            results.append(CheckResult(path, "training checkpoint", True,
                                       f"epoch {progress.get('epoch')}, step {progress.get('step')}"))
        else:
            try:
                obj = torch.load(path, map_location="cpu", weights_only=True)
            except Exception as exc:  # noqa: BLE001 - any failure is the finding being reported
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                results.append(CheckResult(path, "other torch file", False, f"{type(exc).__name__}: {first}"))
                continue
            if isinstance(obj, dict) and "content_crc32" in obj:
                stored = obj.pop("content_crc32")
                actual = content_checksum(obj)
                ok = stored == actual
                detail = ("loads, content checksum matches" if ok else
                          f"corrupt: its contents do not match their checksum (crc32 {actual:#010x}, saved {stored!r})")
                results.append(CheckResult(path, "checksummed file", ok, detail))
                continue
            results.append(CheckResult(path, "other torch file", True, "loads with weights_only=True"))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seminal.training.verify", description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="folder to search for *.pt files")
    args = parser.parse_args(argv)
    if not args.root.is_dir():
        print(f"error: {args.root} is not a folder", file=sys.stderr)
        return 2
    results = verify_tree(args.root)
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        print(f"{mark} {result.kind:19s} {result.path.relative_to(args.root)}: {result.detail}")
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed}/{len(results)} file(s) loaded")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
