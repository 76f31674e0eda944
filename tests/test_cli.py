"""The ``seminal`` command line: help, listing, runs, reproduce, and precise errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from seminal.cli import main
from seminal.experiments import registry
from tests.experiments.fake import make_fake


@pytest.fixture
def fake_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", {})
    monkeypatch.setattr(registry, "_load_all", lambda: None)
    registry.register(make_fake("adam-fake"))
    registry.register(make_fake("gan-fake"))
    return registry


def test_help_lists_commands(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("list", "run", "reproduce", "sample", "data"):
        assert command in out


def test_python_dash_m_lists_every_registered_experiment() -> None:
    out = subprocess.run([sys.executable, "-m", "seminal", "list"], capture_output=True, text=True, check=True).stdout
    for exp in registry.all_experiments():
        assert exp.id in out


def test_run_writes_results_and_prints_comparison(fake_registry, tmp_path: Path, capsys) -> None:
    code = main(["run", "adam-fake", "--quick", "--seed", "2", "--device", "cpu", "--out", str(tmp_path / "r"),
                 "--set", "lr=0.25", "--set", "sizes=(3, 4)", "--no-progress"])
    assert code == 0
    config = json.loads((tmp_path / "r" / "config.json").read_text())["config"]
    assert config["lr"] == 0.25 and config["sizes"] == [3, 4] and config["steps"] == 10
    assert "value: paper 0.5" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "adam-nope"], "unknown experiment 'adam-nope'"),
        (["run", "adam-fake", "--set", "steps"], "--set: expected FIELD=VALUE, got 'steps'"),
        (["run", "adam-fake", "--set", "nope=1"], "unknown config field 'nope'"),
        (["run", "adam-fake", "--set", "steps=abc"], "--set steps: expected an integer, got 'abc'"),
        (["run", "adam-fake", "--set", "fail=maybe"], "--set fail: expected true or false"),
        (["run", "adam-fake", "--device", "tpu"], "device"),
        (["run", "adam-fake", "--resume", "--out", "/nonexistent/run"], "--resume: --out '/nonexistent/run' does not exist"),
        (["reproduce", "vae"], "argument paper: invalid choice: 'vae'"),
    ],
)
def test_bad_input_is_a_clear_error(fake_registry, argv, message, capsys) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_info:  # argparse's own errors
        code = exit_info.code
    assert code == 2
    assert message in capsys.readouterr().err


def test_bad_seed_is_rejected_by_the_parser(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["run", "adam-fake", "--seed", "-1"])
    assert "argument --seed: expected an integer in [0, 2**63), got -1" in capsys.readouterr().err


def test_reproduce_writes_one_html_report(fake_registry, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    assert main(["reproduce", "--preset", "smoke", "--device", "cpu", "--out", str(out), "--no-progress"]) == 0
    assert (out / "adam-fake" / "metrics.json").is_file() and (out / "gan-fake" / "metrics.json").is_file()
    html = (out / "report.html").read_text()
    assert "adam-fake" in html and "gan-fake" in html and "Environment" in html
    assert [r["status"] for r in json.loads((out / "summary.json").read_text())] == ["ok", "ok"]


def test_reproduce_reports_failures_with_nonzero_exit(fake_registry, monkeypatch, tmp_path: Path) -> None:
    import dataclasses

    from tests.experiments.fake import FakeConfig

    broken = dataclasses.replace(make_fake("stn-broken"), smoke=lambda: FakeConfig(fail=True))
    registry.register(broken)
    assert main(["reproduce", "--preset", "smoke", "--device", "cpu", "--out", str(tmp_path)]) == 1
    summary = {r["experiment"]: r["status"] for r in json.loads((tmp_path / "summary.json").read_text())}
    assert summary == {"adam-fake": "ok", "stn-broken": "failed", "gan-fake": "ok"}
