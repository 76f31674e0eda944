"""The generator file and `seminal sample`: round trip, outputs, and errors that name the file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
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


def test_bit_flips_are_refused_or_harmless_and_verify_agrees(tmp_path: Path) -> None:
    # The old file had no checksum: most flips in the weights loaded silently (and were reused).
    from seminal.training.verify import verify_tree

    path = tmp_path / "run" / "generator.pt"
    G = _write(path)
    original = path.read_bytes()
    z = torch.randn(4, 8)
    rng = torch.Generator().manual_seed(0)
    positions = torch.randint(0, len(original), (60,), generator=rng).tolist()
    # and 20 flips inside the tensor data, where an unchecked file loads with other weights
    data_start = original.find(b"data/0")
    positions += torch.randint(data_start, len(original) - 200, (20,), generator=rng).tolist()
    silently_changed = 0
    for pos in positions:
        flipped = bytearray(original)
        flipped[pos] ^= 1 << (pos % 8)
        path.write_bytes(bytes(flipped))
        try:
            loaded = load_generator(path)
        except GeneratorFileError:
            (result,) = verify_tree(tmp_path)
            assert not result.ok or result.kind == "checksummed file", result
            continue
        silently_changed += not torch.equal(loaded.generator(z), G(z))
        (result,) = verify_tree(tmp_path)
        assert result.ok and result.kind == "checksummed file", result
    assert silently_changed == 0
    path.write_bytes(original)
    (result,) = verify_tree(tmp_path)
    assert result.ok and result.kind == "checksummed file"


def test_verify_reports_a_corrupt_generator_file(tmp_path: Path) -> None:
    from seminal.training.checkpoint import content_checksum
    from seminal.training.verify import verify_tree

    path = tmp_path / "generator.pt"
    _write(path)
    blob = torch.load(path, weights_only=True)
    blob["state_dict"]["output.bias"][0] += 1.0  # changed weights, stale checksum
    torch.save(blob, path)
    (result,) = verify_tree(tmp_path)
    assert not result.ok and "do not match their checksum" in result.detail
    with pytest.raises(GeneratorFileError, match="is corrupt"):
        load_generator(path)
    blob.pop("content_crc32")
    blob["content_crc32"] = content_checksum(blob)
    torch.save(blob, path)
    assert load_generator(path).meta["fingerprint"] == "abc"


def test_loading_a_generator_does_not_move_the_global_rng(tmp_path: Path) -> None:
    _write(tmp_path / "generator.pt")
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    load_generator(tmp_path / "generator.pt")
    assert torch.equal(torch.rand(3), expected)


def test_sample_images_are_grayscale_pngs_of_the_samples(tmp_path: Path) -> None:
    from PIL import Image

    _write(tmp_path / "generator.pt")
    assert run_sample(_args("--checkpoint", str(tmp_path), "-n", "3", "--out", str(tmp_path / "s"))) == 0
    samples = torch.load(tmp_path / "s" / "samples.pt", weights_only=True)
    for i in range(3):
        with Image.open(tmp_path / "s" / "images" / f"sample_{i:05d}.png") as png:
            assert png.mode == "L" and png.size == (28, 28)
            pixels = torch.from_numpy(np.array(png)).float()
        assert torch.equal(pixels, (samples[i] * 255).round())


def test_a_second_call_leaves_no_stale_files(tmp_path: Path) -> None:
    _write(tmp_path / "generator.pt")
    out = tmp_path / "s"
    (out).mkdir()
    (out / "mine.txt").write_text("not seminal's")
    assert run_sample(_args("--checkpoint", str(tmp_path), "-n", "6", "--out", str(out))) == 0
    assert run_sample(_args("--checkpoint", str(tmp_path), "-n", "2", "--out", str(out))) == 0
    assert sorted(p.name for p in (out / "images").iterdir()) == ["sample_00000.png", "sample_00001.png"]
    assert torch.load(out / "samples.pt", weights_only=True).shape == (2, 28, 28)
    assert run_sample(_args("--checkpoint", str(tmp_path), "-n", "2", "--out", str(out), "--no-individual")) == 0
    assert not (out / "images").exists()
    assert (out / "mine.txt").read_text() == "not seminal's"


def test_gan_library_code_does_not_switch_the_matplotlib_backend() -> None:
    import seminal.gan

    root = Path(seminal.gan.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert "matplotlib.use(" not in text and "pyplot" not in text, path
