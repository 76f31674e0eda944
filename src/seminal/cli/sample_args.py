"""``seminal sample``'s options, checked by argparse before any file is read or any tensor made."""

from __future__ import annotations

import argparse
from pathlib import Path

from seminal.cli.parser import positive_int, seed_value

__all__ = ["add_sample_arguments", "MAX_SAMPLES"]

#: The most samples one call draws (each is a 28x28 float image plus a PNG file).
MAX_SAMPLES = 100_000


def _integer(text: str) -> int:
    # The range is checked by seminal.gan.sample_cli (so the API call gets the same error).
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer from 1 to {MAX_SAMPLES:,}, got {text!r}") from None


def _out_folder(text: str) -> Path:
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a file; expected a folder (it is created if missing)")
    return path


def add_sample_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``seminal sample``'s options to ``parser``."""
    parser.add_argument("--checkpoint", required=True, type=Path, help="a GAN run directory or its generator.pt")
    parser.add_argument("-n", "--num-samples", dest="num_samples", type=_integer, default=100,
                        help=f"how many samples, 1 to {MAX_SAMPLES:,} (default 100)")
    parser.add_argument("--out", type=_out_folder, default=None, help="output folder (default: <run dir>/samples)")
    parser.add_argument("--seed", type=seed_value, default=0, help="seed of the noise draws, in [0, 2**63) (default 0)")
    parser.add_argument("--nrow", type=positive_int, default=10, help="images per row of grid.png (default 10)")
    parser.add_argument("--no-individual", action="store_true", help="write only grid.png and samples.pt")
