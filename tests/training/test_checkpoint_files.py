"""Checkpoint files: a failed write keeps the previous one, bad files give errors naming them."""

from __future__ import annotations

import errno
import io
import os
import re
from pathlib import Path

import pytest
import torch

from tests.training import tiny_train
from tests.training.helpers import assert_same_run

import seminal.training.checkpoint as checkpoint_module
from seminal.training import CheckpointError, FORMAT_VERSION, load_checkpoint, save_checkpoint
from seminal.training.checkpoint import check_loadable, checkpoint_path, find_checkpoint, previous_checkpoint_path


def test_disk_full_during_write_keeps_previous_checkpoint(tmp_path: Path, reference_run: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    real_save = torch.save

    def save_until_disk_full(obj: object, f: str | os.PathLike[str], *args: object, **kwargs: object) -> None:
        if isinstance(obj, dict) and obj.get("progress", {}).get("step") == 12:
            buf = io.BytesIO()
            real_save(obj, buf)
            with open(f, "wb") as fh:  # half of the file reaches the disk, then the disk is full
                fh.write(buf.getvalue()[: len(buf.getvalue()) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(checkpoint_module.torch, "save", save_until_disk_full)
    with pytest.raises(CheckpointError, match=r"tiny\.pt: could not be written \(\[Errno 28\] No space left on device\); the previous checkpoint .*tiny\.pt is intact"):
        tiny_train.train(out, tiny_train.TinyConfig())
    monkeypatch.undo()

    ckpt = load_checkpoint(checkpoint_path(out, "tiny"))
    assert ckpt["progress"]["step"] == 9  # the checkpoint before the failed one, complete
    assert not list((out / "checkpoints").glob(".*.tmp")), "the half-written temporary file must be removed"
    # Once there is space again, --resume loses nothing.
    tiny_train.train(out, tiny_train.TinyConfig(), resume=True)
    assert_same_run(reference_run, out)


@pytest.fixture
def good_checkpoint(reference_run: Path, tmp_path: Path) -> Path:
    path = tmp_path / "good.pt"
    path.write_bytes(checkpoint_path(reference_run, "tiny").read_bytes())
    return path


def _corrupt(kind: str, path: Path) -> None:
    data = path.read_bytes()
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(os.urandom(4096))
    elif kind == "garbage-zip-header":
        path.write_bytes(b"PK\x03\x04" + os.urandom(4096))
    elif kind == "bitflip":
        # Flip bytes inside the zip's central directory (the tail), where torch notices.
        flipped = bytearray(data)
        for i in range(len(flipped) - 60, len(flipped) - 20):
            flipped[i] ^= 0xFF
        path.write_bytes(bytes(flipped))
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "empty", "garbage", "garbage-zip-header", "bitflip"])
def test_corrupt_checkpoint_gives_clear_error(good_checkpoint: Path, kind: str) -> None:
    _corrupt(kind, good_checkpoint)
    with pytest.raises(CheckpointError, match=rf"^Checkpoint {re.escape(str(good_checkpoint))}: (file is empty|corrupt or truncated|corrupt or not a torch checkpoint)"):
        load_checkpoint(good_checkpoint)


class NotAllowed:
    """A class a weights_only load must refuse (it could run code when unpickled)."""


def test_checkpoint_with_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.pt"
    torch.save({"format": "seminal.training.checkpoint", "payload": NotAllowed()}, path)
    with pytest.raises(CheckpointError, match=r"evil\.pt: refused by torch\.load\(weights_only=True\).*NotAllowed"):
        load_checkpoint(path)


def test_incompatible_checkpoints_are_refused(good_checkpoint: Path, tmp_path: Path) -> None:
    ckpt = load_checkpoint(good_checkpoint)
    newer = tmp_path / "newer.pt"
    torch.save({**ckpt, "format_version": FORMAT_VERSION + 1}, newer)
    with pytest.raises(CheckpointError, match=rf"newer\.pt: format version {FORMAT_VERSION + 1} is newer than this seminal understands"):
        load_checkpoint(newer)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": ckpt["modules"]["model"]}, foreign)
    with pytest.raises(CheckpointError, match=r"foreign\.pt: not a seminal training checkpoint"):
        load_checkpoint(foreign)
    partial = tmp_path / "partial.pt"
    torch.save({k: v for k, v in ckpt.items() if k != "optimizers"}, partial)
    with pytest.raises(CheckpointError, match=r"partial\.pt: incomplete checkpoint, missing key\(s\) \['optimizers'\]"):
        load_checkpoint(partial)
    with pytest.raises(CheckpointError, match=r"missing\.pt: file not found"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match=r"is a directory"):
        load_checkpoint(tmp_path)


def test_resume_from_corrupt_checkpoint_names_the_file(tmp_path: Path) -> None:
    out = tmp_path / "run"
    tiny_train.train(out, tiny_train.TinyConfig(epochs=1))
    _corrupt("truncated", checkpoint_path(out, "tiny"))
    with pytest.raises(CheckpointError, match=r"checkpoints/tiny\.pt: corrupt or truncated.*The previous checkpoint .*tiny\.prev\.pt may be intact: move it to .*tiny\.pt and resume again"):
        tiny_train.train(out, tiny_train.TinyConfig(epochs=1), resume=True)


def test_resume_with_a_different_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    tiny_train.train(out, tiny_train.TinyConfig(epochs=1))
    monkeypatch.setattr(tiny_train, "make_model", lambda dropout: torch.nn.Sequential(torch.nn.Linear(8, 3)))
    with pytest.raises(CheckpointError, match=r"tiny\.pt: modules\['model'\] does not match this run"):
        tiny_train.train(out, tiny_train.TinyConfig(epochs=1), resume=True)


def test_previous_checkpoint_is_kept_and_used_when_latest_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints" / "x.pt"
    base = {"format": "seminal.training.checkpoint", "format_version": 1}
    save_checkpoint(path, {**base, "n": 1})
    save_checkpoint(path, {**base, "n": 2})
    prev = previous_checkpoint_path(path)
    assert prev.name == "x.prev.pt"
    assert torch.load(prev, weights_only=True)["n"] == 1 and torch.load(path, weights_only=True)["n"] == 2
    path.unlink()  # a save interrupted between keeping the old file and renaming the new one
    assert find_checkpoint(tmp_path, "x") == prev
    assert find_checkpoint(tmp_path, "nothing") is None


def test_unloadable_state_is_refused_at_save_time(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match=r"checkpoint\['state'\]\['bad'\] is a NotAllowed, which torch\.load\(weights_only=True\) cannot read back"):
        check_loadable({"state": {"bad": NotAllowed()}})
    with pytest.raises(TypeError, match=r"checkpoint\['v'\] is a TorchVersion"):
        check_loadable({"v": torch.__version__})  # a str subclass: pickled as its class
    check_loadable({"ok": [1, 2.0, "s", None, True, torch.zeros(2), (torch.float32, torch.Size([2]))]})
    assert not (tmp_path / "x.pt").exists()


def test_flipped_bit_in_a_pickled_number_is_detected(tmp_path: Path) -> None:
    # Found by benchmarks/reliability.py: torch verifies nothing it reads, so a bit flip inside a
    # pickled int (e.g. Python's RNG state) loaded silently until the checksum covered all values.
    path = tmp_path / "n.pt"
    marker = 123456789
    base = {key: {} for key in ("modules", "optimizers", "schedulers", "progress", "state", "metrics_log")}
    save_checkpoint(path, {**base, "format": "seminal.training.checkpoint", "format_version": FORMAT_VERSION,
                           "name": "n", "scaler": None, "rng": [marker], "history": []})
    assert load_checkpoint(path)["rng"] == [marker]
    data = bytearray(path.read_bytes())
    where = data.find(b"J" + marker.to_bytes(4, "little"))  # pickle's BININT opcode
    assert where > 0
    data[where + 1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=r"n\.pt: corrupt: its contents do not match their checksum"):
        load_checkpoint(path)
