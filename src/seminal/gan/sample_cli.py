"""``seminal sample --checkpoint PATH -n N``: draw samples from a trained generator.

``PATH`` is a GAN run directory or its ``generator.pt`` (format: :mod:`seminal.gan.checkpoint`).
Writes, under ``--out`` (default: ``<run dir>/samples``):

* ``grid.png`` -- all samples tiled, ``--nrow`` per row;
* ``images/sample_00000.png`` ... -- one 28x28 8-bit grayscale PNG per sample (PNG colour type 0,
  pixel = round(255 · value));
* ``samples.pt`` -- the ``(N, 28, 28)`` float tensor in [0, 1] (torch.save).

A second call into the same folder leaves only its own outputs: ``sample_*.png`` files of an
earlier, larger call (or all of them under ``--no-individual``) are removed. Other files in the
folder are not touched.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import torch

from seminal.cli.sample_args import MAX_SAMPLES, add_sample_arguments
from seminal.io import atomic_path, atomic_write_bytes

__all__ = ["add_sample_arguments", "run_sample", "generate_samples", "MAX_SAMPLES"]


def generate_samples(checkpoint: Path, num_samples: int, seed: int = 0) -> torch.Tensor:
    """``(num_samples, 28, 28)`` samples of the generator file at ``checkpoint`` in [0, 1]."""
    from seminal.gan.checkpoint import load_generator
    from seminal.gan.noise import sample_noise

    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or not 1 <= num_samples <= MAX_SAMPLES:
        raise ValueError(
            f"Invalid num_samples: {num_samples!r} (expected -n/--num-samples from 1 to {MAX_SAMPLES:,}; "
            "draw larger sets in several calls)"
        )
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"Invalid seed: {seed!r} (expected an integer in [0, 2**63))")
    loaded = load_generator(checkpoint)
    noise = sample_noise(num_samples, loaded.generator.noise_dim, loaded.prior, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        images = torch.cat([loaded.generator(chunk) for chunk in noise.split(1000)])
    return images.reshape(num_samples, *loaded.image_shape)


def grayscale_png(image: torch.Tensor) -> bytes:
    """``(H, W)`` values in [0, 1] as the bytes of an 8-bit grayscale PNG (mode "L")."""
    from PIL import Image

    pixels = (image.detach().cpu().float().clamp(0.0, 1.0) * 255.0).round().to(torch.uint8).numpy()
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")  # 2-D uint8 -> mode "L"
    return buffer.getvalue()


def _remove_stale_samples(folder: Path, keep: set[str]) -> None:
    """Delete ``sample_*.png`` files in ``folder`` that this call did not write (an earlier call's)."""
    if not folder.is_dir():
        return
    for path in folder.glob("sample_*.png"):
        if path.name not in keep:
            path.unlink()
    if not any(folder.iterdir()):
        folder.rmdir()


def run_sample(args: argparse.Namespace) -> int:
    """Execute ``seminal sample``; returns the process exit code (0 ok, 2 bad input)."""
    from seminal.gan.checkpoint import GeneratorFileError, resolve_generator_path
    from seminal.gan.plots import sample_grid_figure

    try:
        path = resolve_generator_path(args.checkpoint)
        if args.nrow < 1:
            raise ValueError(f"Invalid --nrow: {args.nrow} (expected >= 1)")
        out = args.out if args.out is not None else path.parent / "samples"
        if out.exists() and not out.is_dir():
            raise ValueError(f"Invalid --out: {str(out)!r} is a file (expected a folder; it is created if missing)")
        images = generate_samples(path, args.num_samples, args.seed)
    except (GeneratorFileError, ValueError) as exc:
        first_line = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        print(f"seminal sample: error: {first_line}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    fig = sample_grid_figure(images, nrow=args.nrow, title=f"{args.num_samples} samples of {path}")
    with atomic_path(out / "grid.png") as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")
    buffer = io.BytesIO()
    torch.save(images.clone(), buffer)
    atomic_write_bytes(out / "samples.pt", buffer.getvalue())
    written: set[str] = set()
    if not args.no_individual:
        for i, image in enumerate(images):
            name = f"sample_{i:05d}.png"
            atomic_write_bytes(out / "images" / name, grayscale_png(image))
            written.add(name)
    _remove_stale_samples(out / "images", keep=written)
    print(f"wrote {args.num_samples} samples of {path} to {out}")
    return 0
