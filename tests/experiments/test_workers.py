"""Parallel `seminal reproduce`: one paper per worker process, records in catalog order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from seminal.experiments.registry import get_experiment
from seminal.experiments.workers import group_by_paper, resolve_jobs, run_in_workers, usable_cores


def _exp(paper: str, experiment_id: str) -> SimpleNamespace:
    return SimpleNamespace(paper=paper, id=experiment_id)


def test_group_by_paper_keeps_the_given_order() -> None:
    experiments = [_exp("adam", "a1"), _exp("stn", "s1"), _exp("adam", "a2"), _exp("gan", "g1"), _exp("stn", "s2")]
    groups = group_by_paper(experiments)
    assert [[e.id for e in g] for g in groups] == [["a1", "a2"], ["s1", "s2"], ["g1"]]


def test_resolve_jobs_defaults_to_the_cores_and_never_exceeds_the_groups() -> None:
    assert resolve_jobs(None, 100) == usable_cores()
    assert resolve_jobs(None, 1) == 1
    assert resolve_jobs(8, 3) == 3
    assert resolve_jobs(2, 3) == 2


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "2"])
def test_resolve_jobs_refuses_what_is_not_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="jobs"):
        resolve_jobs(bad, 3)  # type: ignore[arg-type]


def test_cli_refuses_jobs_zero() -> None:
    done = subprocess.run([sys.executable, "-m", "seminal", "reproduce", "--jobs", "0"], capture_output=True, text=True)
    assert done.returncode == 2
    assert "argument --jobs: expected a positive integer, got 0" in done.stderr


def test_two_papers_run_in_two_workers(tmp_path: Path) -> None:
    groups = [[get_experiment("adam-fig1")], [get_experiment("stn-table1")]]
    kwargs = dict(preset="smoke", seed=0, device="cpu", progress=False, raise_errors=False)
    records = run_in_workers(groups, kwargs, tmp_path, jobs=2)
    assert [r.experiment for r in records] == ["adam-fig1", "stn-table1"]
    assert [r.status for r in records] == ["ok", "ok"]
    for record in records:
        assert record.out_dir == tmp_path / record.experiment
        assert json.loads((record.out_dir / "run.json").read_text())["status"] == "ok"


def test_the_hardware_line_names_the_workers_threads_not_the_parents() -> None:
    from seminal.environment import describe_hardware

    env = {"device": "cpu", "cpu_model": "Some CPU", "cpu_count": 8, "torch_threads": 8}
    assert describe_hardware(env) == "cpu (Some CPU, 8 cores, 8 torch threads)"
    assert describe_hardware({**env, "workers": 4, "torch_threads": 2}) == "cpu (Some CPU, 8 cores, 4 worker processes of 2 torch threads)"
    assert describe_hardware({**env, "workers": 1, "torch_threads": 1}) == "cpu (Some CPU, 8 cores, 1 torch thread)"
    assert describe_hardware({**env, "training_torch_threads": 1}) == "cpu (Some CPU, 8 cores, 8 torch threads (1 while training))"


def test_worker_threads_share_the_cores_out() -> None:
    from seminal.experiments.workers import worker_threads

    cores = usable_cores()
    assert worker_threads(1) == cores
    assert worker_threads(cores) == 1
    assert worker_threads(cores * 4) == 1
