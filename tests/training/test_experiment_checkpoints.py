"""Every registered experiment's checkpoints reload in a fresh process.

Each experiment runs with its smoke preset through the real CLI in a subprocess, then a second,
fresh process loads every checkpoint under the output folder with ``load_checkpoint``
(``python -m seminal.training.verify``). Running all experiments takes minutes on 2 CPU cores, so
that test is marked slow; the default suite does the same for one quick experiment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seminal.experiments.registry import Experiment, all_experiments

QUICK_ONE = "adam-fig1"  # a few seconds with its smoke preset


def _run_smoke(experiment: Experiment, out: Path) -> None:
    env = {**os.environ, "SEMINAL_NO_DOWNLOAD": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "seminal", "run", experiment.id, "--preset", "smoke", "--out", str(out),
         "--device", "cpu", "--no-progress", "--keep-checkpoints"],
        capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, f"{experiment.id} smoke run failed:\n{result.stderr[-3000:]}"


def _verify_in_fresh_process(root: Path) -> str:
    result = subprocess.run([sys.executable, "-m", "seminal.training.verify", str(root)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _can_run(experiment: Experiment) -> bool:
    if experiment.smoke is None:
        return False
    try:  # the registry's current signature: available(config, data_dir)
        reason = experiment.available(experiment.config("smoke"), None)
    except TypeError:  # an older registry: available()
        reason = experiment.available()  # type: ignore[call-arg]
    return reason is None


def _available(experiments: list[Experiment]) -> list[Experiment]:
    return [e for e in experiments if _can_run(e)]


def test_one_experiment_checkpoints_reload(tmp_path: Path) -> None:
    chosen = [e for e in _available(all_experiments()) if e.id == QUICK_ONE] or _available(all_experiments())[:1]
    if not chosen:
        pytest.skip("no registered experiment can run here")
    _run_smoke(chosen[0], tmp_path / chosen[0].id)
    report = _verify_in_fresh_process(tmp_path)
    assert list(tmp_path.rglob("checkpoints/*.pt")), f"{chosen[0].id} wrote no training checkpoint"
    assert "FAIL" not in report


@pytest.mark.slow
def test_every_experiment_checkpoints_reload(tmp_path: Path) -> None:
    experiments = all_experiments()
    runnable = _available(experiments)
    assert runnable, "no registered experiment can run here"
    for experiment in runnable:
        _run_smoke(experiment, tmp_path / experiment.id)
    report = _verify_in_fresh_process(tmp_path)
    assert "FAIL" not in report
    # Experiments that train write checkpoints; list the ones that wrote none (informational only:
    # some experiments, e.g. pure optimisation toys or ones that reuse another run, do not train).
    silent = [e.id for e in runnable if not list((tmp_path / e.id).rglob("checkpoints/*.pt"))]
    print(f"experiments without training checkpoints: {silent}")
    assert len(silent) < len(runnable)


def test_a_finished_run_deletes_its_training_checkpoints_unless_asked_to_keep_them(tmp_path: Path) -> None:
    # A quick reproduce once wrote 218 MB of checkpoints for a 7-second run: a run that ended ok
    # keeps only its results (and the final files an experiment declares), not its resume state.
    from seminal.cli import main

    for name, extra in (("pruned", []), ("kept", ["--keep-checkpoints"])):
        out = tmp_path / name
        assert main(["run", QUICK_ONE, "--preset", "smoke", "--out", str(out), "--device", "cpu", "--no-progress", *extra]) == 0
        assert (out / "metrics.json").is_file() and (out / "run.json").is_file()
        checkpoints = list(out.rglob("checkpoints/*.pt"))
        assert (not checkpoints) if name == "pruned" else checkpoints, f"{name}: {checkpoints}"
