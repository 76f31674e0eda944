"""The runner writes config, metrics, environment, comparison, run status, report and figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seminal.experiments.runner import run_experiment
from seminal.report import write_html_report
from tests.experiments.fake import make_fake


def test_run_writes_every_file(tmp_path: Path) -> None:
    record = run_experiment(make_fake(), out_dir=tmp_path / "run", preset="quick", seed=3, device="cpu", progress=False)
    out = tmp_path / "run"
    assert record.status == "ok"
    for name in ("config.json", "environment.json", "metrics.json", "comparison.json", "run.json", "report.md"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["preset"] == "quick" and config["seed"] == 3 and config["config"]["steps"] == 10
    assert json.loads((out / "environment.json").read_text())["torch"]
    assert (out / "figures" / "line.png").read_bytes().startswith(b"\x89PNG")
    assert "fake data note" in (out / "report.md").read_text()
    assert json.loads((out / "comparison.json").read_text())[0]["source"] == "Fake Table 1"


def test_same_seed_same_metrics(tmp_path: Path) -> None:
    first = run_experiment(make_fake(), out_dir=tmp_path / "a", seed=7, device="cpu", progress=False)
    second = run_experiment(make_fake(), out_dir=tmp_path / "b", seed=7, device="cpu", progress=False)
    other = run_experiment(make_fake(), out_dir=tmp_path / "c", seed=8, device="cpu", progress=False)
    assert first.metrics["value"] == second.metrics["value"] != other.metrics["value"]


def test_failure_is_recorded_with_traceback(tmp_path: Path) -> None:
    record = run_experiment(make_fake(), out_dir=tmp_path, overrides={"fail": True}, device="cpu", raise_errors=False)
    assert record.status == "failed" and "fake failure on purpose" in record.error
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved["status"] == "failed" and "Traceback" in saved["traceback"]
    with pytest.raises(RuntimeError, match="fake failure"):
        run_experiment(make_fake(), out_dir=tmp_path, overrides={"fail": True}, device="cpu")


def test_unavailable_experiment_is_skipped_with_reason(tmp_path: Path) -> None:
    exp = make_fake(available=lambda config, data_dir: None if config.steps == 1 else f"CIFAR-10 not found in {data_dir}")
    record = run_experiment(exp, out_dir=tmp_path, device="cpu", data_dir=Path("/nowhere"))
    assert record.status == "unavailable" and "CIFAR-10 not found in /nowhere" in record.error
    assert json.loads((tmp_path / "run.json").read_text())["status"] == "unavailable"
    assert run_experiment(exp, out_dir=tmp_path / "smoke", preset="smoke", device="cpu").status == "ok"


def test_html_report_embeds_figures_and_tables(tmp_path: Path) -> None:
    record = run_experiment(make_fake(), out_dir=tmp_path / "run", device="cpu", progress=False)
    page = write_html_report(tmp_path / "report.html", [record], title="t", environment={"torch": "x"}, command="seminal reproduce")
    text = page.read_text()
    assert "data:image/png;base64," in text and "Fake Table 1" in text and "fake data note" in text
    assert "(1 claim checked: 1 agree)" in text  # one checked row, agreeing


def test_a_config_that_trains_on_its_own_thread_count_is_recorded_with_it(tmp_path: Path) -> None:
    import dataclasses

    import torch

    from seminal.environment import describe_hardware
    from tests.experiments.fake import FakeConfig

    @dataclasses.dataclass(frozen=True)
    class ThreadedConfig(FakeConfig):
        cpu_threads: int = 0

    own = torch.get_num_threads() + 1
    experiment = dataclasses.replace(make_fake(), config_cls=ThreadedConfig, quick=lambda: ThreadedConfig(steps=10, cpu_threads=own))
    run_experiment(experiment, out_dir=tmp_path / "own", preset="quick", seed=0, device="cpu", progress=False)
    env = json.loads((tmp_path / "own" / "environment.json").read_text())
    assert env["training_torch_threads"] == own and env["torch_threads"] == torch.get_num_threads()
    assert f"({own} while training)" in describe_hardware(env)
    # the process's own count (0 = leave it) is not a second number
    same = dataclasses.replace(experiment, quick=lambda: ThreadedConfig(steps=10, cpu_threads=0))
    run_experiment(same, out_dir=tmp_path / "same", preset="quick", seed=0, device="cpu", progress=False)
    assert "training_torch_threads" not in json.loads((tmp_path / "same" / "environment.json").read_text())
