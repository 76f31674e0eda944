"""The generator file and `seminal sample`: round trip, outputs, and errors that name the file."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch

from seminal.gan.checkpoint import GeneratorFileError, load_generator, save_generator
from seminal.gan.models import Generator
from seminal.gan.sample_cli import add_sample_arguments, generate_samples, run_sample


def _write(path: Path) -> Generator:
    torch.manual_seed(0)
    G = Generator(noise_dim=8, hidden=(16,))
    save_generator(path, G, prior="gaussian", meta={"fingerprint": "abc"})
    return G


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_sample_arguments(parser)
    return parser.parse_args(list(argv))


def test_round_trip_keeps_weights_prior_and_meta(tmp_path: Path) -> None:
    G = _write(tmp_path / "generator.pt")
    loaded = load_generator(tmp_path)  # a run directory works too
    assert loaded.prior == "gaussian" and loaded.meta["fingerprint"] == "abc" and loaded.image_shape == (28, 28)
    z = torch.randn(3, 8)
    assert torch.equal(loaded.generator(z), G(z))
    assert not loaded.generator.training


def test_sample_command_writes_grid_tensor_and_individual_images(tmp_path: Path) -> None:
    _write(tmp_path / "run" / "generator.pt")
    code = run_sample(_args("--checkpoint", str(tmp_path / "run"), "-n", "7", "--nrow", "3"))
    out = tmp_path / "run" / "samples"
    assert code == 0
    assert (out / "grid.png").stat().st_size > 0
    assert sorted(p.name for p in (out / "images").iterdir()) == [f"sample_{i:05d}.png" for i in range(7)]
    samples = torch.load(out / "samples.pt", weights_only=True)
    assert samples.shape == (7, 28, 28)
    assert torch.equal(samples, generate_samples(tmp_path / "run" / "generator.pt", 7, seed=0))  # seeded: reproducible


def test_missing_path_and_wrong_files_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.pt"
    assert run_sample(_args("--checkpoint", str(missing))) == 2
    assert f"{missing} does not exist" in capsys.readouterr().err

    with pytest.raises(GeneratorFileError, match=r"has no generator.pt"):
        load_generator(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(GeneratorFileError, match=rf"{text} is not a readable torch file"):
        load_generator(text)
    other = tmp_path / "ckpt.pt"
    torch.save({"format": "seminal-checkpoint", "modules": {}}, other)
    with pytest.raises(GeneratorFileError, match=rf"{other} is not a seminal generator file \(format 'seminal-checkpoint'"):
        load_generator(other)


def test_bad_sample_count_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path / "generator.pt")
    assert run_sample(_args("--checkpoint", str(tmp_path), "-n", "0")) == 2
    assert "Invalid num_samples: 0" in capsys.readouterr().err
