"""Docs numbers come from committed result files: publish, render, and the docs-vs-results check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from seminal.experiments.registry import (
    ComparisonRow,
    Experiment,
    PaperTarget,
    RunContext,
    RunResult,
)
from seminal.experiments.runner import run_experiment
from seminal.report.docs import (
    MAX_FIGURE_BYTES,
    main,
    publish,
    render_block,
    render_file,
    stale_blocks,
)

REPO = Path(__file__).resolve().parents[2]


def test_every_docs_results_block_matches_its_committed_files() -> None:
    problems = stale_blocks(REPO / "docs" / "papers", REPO / "docs" / "results")
    assert not problems, "\n".join(problems) + "\nregenerate with `python -m seminal.report.docs render`"


def test_committed_results_hold_no_checkpoints_or_large_files() -> None:
    for path in (REPO / "docs" / "results").rglob("*"):
        if path.is_file():
            assert path.suffix != ".pt", f"{path}: checkpoints are never published"
            assert path.stat().st_size <= MAX_FIGURE_BYTES, f"{path}: larger than {MAX_FIGURE_BYTES:,} bytes"


def _run(config: object, ctx: RunContext) -> RunResult:
    import matplotlib.figure

    fig = matplotlib.figure.Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1], [1, 0])
    small = ctx.save_figure(fig, "small")
    big = ctx.figures_dir / "big.png"
    big.write_bytes(b"\x89PNG" + b"0" * (MAX_FIGURE_BYTES + 1))
    (ctx.out_dir / "checkpoints").mkdir(exist_ok=True)
    return RunResult(
        metrics={"error": 1.25, "table1": {"RTS": {"CNN": {"ours": 1.25, "paper": 0.8}, "ST-CNN Aff": {"ours": None, "paper": 0.5}}}},
        comparison=[
            ComparisonRow("error below 2 | claim", "yes", "yes", True, "Table 1"),
            ComparisonRow("CNN / RTS test error %", 0.8, 1.25, None, "Table 1"),
            ComparisonRow("FCN / R test error %", 2.1, "not run", None, "Table 1"),
        ],
        figures=[small, big],
    )


def _experiment() -> Experiment:
    from dataclasses import make_dataclass

    config = make_dataclass("DocsFakeConfig", [("iterations", int, 100)])
    return Experiment(id="stn-docsfake", paper="stn", title="fake", config_cls=config, quick=lambda: config(iterations=5),
                      targets=(PaperTarget("error", 0.8, "Table 1"),), run=_run)


@pytest.fixture()
def run_folder(tmp_path: Path) -> Path:
    out = tmp_path / "run"
    record = run_experiment(_experiment(), out_dir=out, preset="quick", device="cpu", progress=False)
    assert record.status == "ok"
    return out


def test_publish_copies_result_files_and_small_figures_only(run_folder: Path, tmp_path: Path) -> None:
    done = publish(run_folder, tmp_path / "results")
    dest = tmp_path / "results" / "stn-docsfake" / "quick"
    assert done.destination == dest
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == [
        "comparison.json", "config.json", "environment.json", "figures/small.png", "metrics.json", "run.json"]
    assert len(done.skipped_figures) == 1 and done.skipped_figures[0].startswith("figures/big.png")
    # Publishing again replaces the folder (nothing stale is left).
    (dest / "figures" / "old.png").write_bytes(b"x")
    publish(run_folder, tmp_path / "results")
    assert not (dest / "figures" / "old.png").exists()


def test_publish_refuses_an_unfinished_run_and_a_path_as_preset(run_folder: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="preset must be a simple name"):
        publish(run_folder, tmp_path / "results", preset="../x")
    run = json.loads((run_folder / "run.json").read_text())
    (run_folder / "run.json").write_text(json.dumps({**run, "status": "interrupted"}))
    with pytest.raises(ValueError, match="only a finished run"):
        publish(run_folder, tmp_path / "results")


def test_render_block_states_the_protocol_once_and_builds_the_tables(run_folder: Path, tmp_path: Path) -> None:
    publish(run_folder, tmp_path / "results")
    text = render_block(tmp_path / "results" / "stn-docsfake" / "quick")
    assert text.count("iterations: 5 (paper 100)") == 1 and "Protocol: reduced (quick preset)" in text
    assert "| error below 2 \\| claim | yes | yes | agrees (reduced run) | Table 1 |" in text
    assert "| CNN / RTS test error % | 0.8 | 1.25 | — | Table 1 |" in text
    assert "| CNN | 1.25 (0.8) |" in text and "| ST-CNN Aff | not run (0.5) |" in text
    assert "Not run in this preset (1 paper values): FCN / R." in text
    assert "on cpu (" in text  # the hardware, from environment.json


def test_render_fills_a_block_and_check_catches_an_edited_number(run_folder: Path, tmp_path: Path, capsys) -> None:
    results, docs = tmp_path / "results", tmp_path / "docs"
    publish(run_folder, results)
    docs.mkdir()
    page = docs / "paper.md"
    page.write_text("# Paper\n\n<!-- results: stn-docsfake/quick -->\nold text\n<!-- /results -->\n\nafter\n")
    assert stale_blocks(docs, results) == [f"{page}: stn-docsfake/quick differs from its result files"]
    assert main(["render", "--docs", str(docs), "--results", str(results)]) == 0
    rendered = page.read_text()
    assert "old text" not in rendered and "| CNN / RTS test error % | 0.8 | 1.25 |" in rendered and rendered.endswith("\n\nafter\n")
    assert main(["render", "--check", "--docs", str(docs), "--results", str(results)]) == 0
    page.write_text(rendered.replace("| 0.8 | 1.25 |", "| 0.8 | 0.95 |"))  # a number typed by hand
    assert main(["render", "--check", "--docs", str(docs), "--results", str(results)]) == 1
    assert "differs from its result files" in capsys.readouterr().err
    # Rendering twice changes nothing the second time.
    assert render_file(page, results) == (["stn-docsfake/quick"], [])
    assert render_file(page, results) == ([], [])


def test_a_block_without_published_results_says_so_and_quotes_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "p.md"
    page.write_text("<!-- results: gan-table1/laptop -->\n| Parzen | 225 | 231 |\n<!-- /results -->\n")  # typed by hand
    assert stale_blocks(docs, tmp_path / "results") == [f"{page}: gan-table1/laptop differs from its result files"]
    assert main(["render", "--docs", str(docs), "--results", str(tmp_path / "results")]) == 0
    text = page.read_text()
    assert "No results file is committed for `gan-table1/laptop`" in text and "231" not in text
    assert stale_blocks(docs, tmp_path / "results") == []


def test_an_unclosed_marker_is_refused_and_swallows_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    page = docs / "p.md"
    text = "<!-- results: a/quick -->\n\n<!-- results: b/quick -->\nkept\n<!-- /results -->\n"
    page.write_text(text)
    with pytest.raises(ValueError, match=r"without a closing <!-- /results -->: a/quick"):
        render_file(page, tmp_path / "results")
    assert page.read_text() == text
