"""Run folders (version_N, a lock), --resume (folder or last, fingerprint checks), presets, flags."""

from __future__ import annotations

import errno
import json
import threading
from pathlib import Path

import pytest

from seminal.cli import main
from seminal.experiments import registry
from seminal.experiments.run_dirs import new_version_dir, run_folder_lock
from tests.cli.fake_ctx import make_ctx_fake

CPU = ["--device", "cpu", "--no-progress"]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_load_all", lambda: None)
    registry.register(make_ctx_fake())
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*argv: str) -> int:
    try:
        return main(list(argv))
    except SystemExit as exit_info:
        return int(exit_info.code or 0)


def _metrics(folder: Path) -> dict:
    return json.loads((folder / "metrics.json").read_text())


def test_each_run_gets_its_own_version_folder(fake: Path) -> None:
    assert _run("run", "adam-ctx", "--quick", *CPU) == 0
    assert _run("run", "adam-ctx", "--quick", *CPU) == 0
    base = fake / "runs" / "adam-ctx" / "quick"
    assert sorted(p.name for p in base.iterdir()) == ["version_0", "version_1"]


def test_simultaneous_claims_never_collide(tmp_path: Path) -> None:
    claimed: list[Path] = []
    threads = [threading.Thread(target=lambda: claimed.append(new_version_dir(tmp_path))) for _ in range(11)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(claimed)) == 11


def test_a_second_writer_into_the_same_folder_fails_at_once(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = fake / "shared"
    with run_folder_lock(out):
        assert _run("run", "adam-ctx", "--quick", *CPU, "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "is in use by another seminal run" in err and not (out / "config.json").exists()
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", str(out)) == 0  # released afterwards


def test_resume_last_and_resume_folder(fake: Path) -> None:
    assert _run("run", "adam-ctx", "--quick", *CPU, "--keep-checkpoints") == 0
    assert _run("run", "adam-ctx", "--quick", *CPU, "--resume", "last") == 0
    folder = fake / "runs" / "adam-ctx" / "quick" / "version_0"
    assert _metrics(folder)["resume"] is True
    assert _run("run", "adam-ctx", "--quick", *CPU, "--resume", str(folder)) == 0
    assert not (fake / "runs" / "adam-ctx" / "quick" / "version_1").exists()


def test_resume_with_changed_settings_is_refused_then_allowed_explicitly(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(fake / "r")
    assert _run("run", "adam-ctx", "--quick", "--seed", "2", *CPU, "--out", out, "--keep-checkpoints") == 0
    capsys.readouterr()
    assert _run("run", "adam-ctx", "--quick", "--seed", "3", *CPU, "--out", out, "--resume") == 2
    assert "seed: 2 -> 3" in capsys.readouterr().err
    assert _run("run", "adam-ctx", "--quick", "--seed", "2", "--set", "lr=0.5", *CPU, "--out", out, "--resume") == 2
    assert "config.lr: 0.1 -> 0.5" in capsys.readouterr().err
    assert _run("run", "adam-ctx", "--preset", "laptop", "--seed", "2", *CPU, "--out", out, "--resume") == 2
    assert "preset: 'quick' -> 'laptop'" in capsys.readouterr().err
    assert _run("run", "adam-ctx", "--quick", "--seed", "2", "--lr", "0.5", *CPU, "--out", out, "--resume-anyway") == 0
    run_json = json.loads((fake / "r" / "run.json").read_text())
    assert run_json["resume_anyway"] == ["config.lr: 0.1 -> 0.5"]
    assert json.loads((fake / "r" / "config.json").read_text())["config"]["lr"] == 0.5


def test_resume_into_a_folder_without_checkpoint_is_refused(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = fake / "r"
    out.mkdir()  # a folder that never held a run (a finished run's results are returned: test_protocol)
    assert _run("run", "adam-ctx", "--quick", "--set", "checkpoint=false", *CPU, "--out", str(out), "--resume") == 2
    assert "holds no checkpoint" in capsys.readouterr().err


def test_starting_over_a_folder_with_checkpoints_is_refused(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(fake / "r")
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", out) == 0
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", out) == 2
    assert "pass --resume to continue it" in capsys.readouterr().err


def test_typed_values_and_named_presets(fake: Path) -> None:
    out = fake / "r"
    assert _run("run", "adam-ctx", "--preset", "laptop", "--set", "methods=adam", "--lrs", "adam:0.2",
                "--set", "checkpoint=no", *CPU, "--out", str(out)) == 0
    metrics = _metrics(out)
    assert metrics["methods"] == ["adam"] and metrics["lrs"] == {"adam": 0.2} and metrics["steps"] == 5


def test_run_help_lists_every_field_with_type_default_and_meaning(fake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run("run", "adam-ctx", "--help") == 0
    text = " ".join(capsys.readouterr().out.split())
    for option, kind, default, meaning in [
        ("--steps", "int", "default 100", "how many steps the fake takes"),
        ("--lr", "float", "default 0.1", "a learning rate"),
        ("--methods", "tuple[str, ...]", "default ('adam', 'sgd')", "optimizers to compare"),
        ("--lrs", "dict[str, float]", "default {'adam': 0.1, 'sgd': 1.0}", "step size per method"),
    ]:
        assert option in text and kind in text and default in text and meaning in text
    assert "laptop" in text and "quick 10" in text


def test_amp_is_ignored_on_cpu_as_documented(fake: Path) -> None:
    out = fake / "r"
    assert _run("run", "adam-ctx", "--quick", "--amp", "bf16", *CPU, "--out", str(out)) == 0
    assert _metrics(out)["amp"] is False
    assert any("--amp bf16 was ignored" in note for note in json.loads((out / "run.json").read_text())["notes"])


def test_tensorboard_is_a_flag(fake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "tensorboard" else real_find_spec(name, *a))
    out = fake / "r"
    assert _run("run", "adam-ctx", "--quick", "--tensorboard", *CPU, "--out", str(out)) == 0
    assert _metrics(out)["tensorboard"] is True
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tensorboard" else real_find_spec(name, *a))
    assert _run("run", "adam-ctx", "--quick", "--tensorboard", *CPU, "--out", str(fake / "r2")) == 2
    assert "argument --tensorboard" in capsys.readouterr().err


def test_full_disk_is_one_line(fake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from seminal.experiments import runner

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "metrics.json")

    monkeypatch.setattr(runner, "atomic_write_json", no_space)
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", str(fake / "r")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no space left on the device while writing metrics.json" in err


def test_read_only_out_is_one_line(fake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def read_only(self: Path, *args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "mkdir", read_only)
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", str(fake / "ro" / "r")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "read-only" in err and "--out" in err


def test_unwritable_out_is_refused_before_anything_runs(fake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import os

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", str(fake / "r")) == 2
    assert "argument --out: cannot write into" in capsys.readouterr().err


def test_full_preset_without_full_mnist_is_refused_before_the_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import seminal.data
    from seminal.data import DataUnavailableError

    def unavailable(*args: object, **kwargs: object) -> None:
        raise DataUnavailableError("mnist: no files found; downloads disabled")

    monkeypatch.setattr(seminal.data, "load_mnist", unavailable)
    monkeypatch.chdir(tmp_path)
    assert _run("run", "adam-fig1", *CPU) == 2
    err = capsys.readouterr().err
    assert "the full preset needs the full mnist files" in err and "--quick" in err and "--data-dir" in err
    assert not (tmp_path / "runs").exists()


def test_torch_save_on_a_full_disk_is_one_line(fake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # torch.save reports a full disk as a RuntimeError from its zip writer, not as ENOSPC.
    import shutil
    from collections import namedtuple

    from tests.cli import fake_ctx

    def zip_writer_fails(config: object, ctx: object) -> None:
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 6848 vs 6742")

    registry._REGISTRY["adam-ctx"] = fake_ctx.dataclasses.replace(fake_ctx.make_ctx_fake(), run=zip_writer_fails)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(1 << 20, 1 << 20, 4096))
    assert _run("run", "adam-ctx", "--quick", *CPU, "--out", str(fake / "r")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no space left on the device holding" in err and "4,096 bytes free" in err
