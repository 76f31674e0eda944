"""One run as HTML: its card (verdict badge, protocol, Table 1 grid, comparison rows, figures)
and, for a ``notes-<paper>`` run, the "notes checked" table.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seminal.experiments.registry import ComparisonRow
from seminal.experiments.run_record import RunRecord
from seminal.report.headline import NOT_RUN, checked_rows, headline, notes_claims

__all__ = ["escape", "verdict_badge", "overall_badge", "record_html", "notes_table_html"]


def escape(value: Any) -> str:
    """HTML-escaped text; floats to 4 significant digits."""
    if isinstance(value, float):
        value = f"{value:.4g}"
    return html.escape(str(value))


def verdict_badge(row: ComparisonRow) -> str:
    """The coloured verdict word of one comparison row."""
    if not row.verdict:
        return "<span class='v v-none'>info</span>" if not row.comment.startswith("not judged") else "<span class='v v-none'>not judged</span>"
    reduced = " v-reduced" if row.reduced else ""
    return f"<span class='v v-{row.verdict}{reduced}' title='{escape(row.comment)}'>{escape(row.label)}</span>"


def _img(path: Path) -> str:
    try:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return f"<p class='failed'>missing figure {escape(path)}</p>"
    return f"<img alt='{escape(path.stem)}' src='data:image/png;base64,{data}'>"


_CLAIM_CLASS = {"holds": "agrees", "holds approximately": "inconclusive", "does not hold": "disagrees",
                "inconclusive": "inconclusive"}


def overall_badge(record: RunRecord) -> str:
    """The experiment's verdict badge: the worst of its checked rows (for the notes: "notes checked")."""
    checked = checked_rows(record)
    if record.status == "ok" and notes_claims(record):
        return "<span class='v v-none'>notes checked</span>"
    if record.status != "ok":
        return f"<span class='v v-disagrees'>{escape(record.status)}</span>" if record.status == "failed" else f"<span class='v v-none'>{escape(record.status)}</span>"
    if not checked:
        full = record.protocol is not None and record.protocol.full
        return "<span class='v v-none'>no criterion</span>" if full else "<span class='v v-none'>not judged</span>"
    for verdict in ("disagrees", "inconclusive", "agrees"):
        hit = [r for r in checked if r.verdict == verdict]
        if hit:
            return verdict_badge(hit[0])
    return ""


def _protocol_html(record: RunRecord) -> str:
    protocol = record.protocol
    if protocol is None:
        return "<div class='protocol'>protocol not recorded (a run made before protocols were recorded)</div>"
    if protocol.full:
        data = "; ".join(escape(d.describe()) for d in protocol.data)
        return f"<div class='protocol full'><b>Full protocol</b>: the paper's setting{'; data: ' + data if data else ''}</div>"
    items = "; ".join(escape(r) for r in protocol.reasons() if not r.startswith("data:")) or "the config is the paper's"
    data = "; ".join(escape(d.describe()) for d in protocol.data)
    data_line = f"<br><span class='muted'>data: {data}</span>" if data else ""
    if protocol.judged:
        return (f"<div class='protocol'><b>Reduced run</b> ({escape(protocol.preset)} preset; verdicts are about this reduced "
                f"run, not the paper's absolute numbers): {items}{data_line}</div>")
    return (f"<div class='protocol'><b>Not judged</b> ({escape(protocol.preset)} preset: a plumbing check; no criterion is "
            f"reported as a verdict): {items}{data_line}</div>")


def _table1_html(table1: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Models x distortions, ours beside the paper's in each cell (the paper's Table 1 layout)."""
    distortions = list(table1)
    models: list[str] = []
    for per_model in table1.values():
        models += [m for m in per_model if m not in models]
    head = "<tr><th>model</th>" + "".join(f"<th>{escape(d)}</th>" for d in distortions) + "</tr>"
    rows = []
    for model in models:
        cells = []
        for d in distortions:
            cell = table1[d].get(model)
            if not cell:
                cells.append("<td class='cell muted'></td>")
                continue
            ours, paper = cell.get("ours"), cell.get("paper")
            paper_text = "" if paper is None else f" <span class='paper'>({escape(paper)})</span>"
            if ours is None:  # not run in this preset: the paper's value alone, greyed
                cells.append(f"<td class='cell notrun-cell'>–{paper_text}</td>")
            else:
                cells.append(f"<td class='cell'><b>{escape(round(ours, 2) if isinstance(ours, float) else ours)}</b>{paper_text}</td>")
        rows.append(f"<tr><th>{escape(model)}</th>{''.join(cells)}</tr>")
    return ("<table class='t1'><caption class='muted' style='text-align:left'>Table 1 layout: ours in bold, "
            "the paper's value in brackets, – = not run in this preset</caption>"
            + head + "".join(rows) + "</table>")


def _rows_html(rows: Sequence[ComparisonRow]) -> str:
    out = ["<tr><th>quantity</th><th>paper</th><th>ours</th><th>verdict</th><th>source</th><th>comment</th></tr>"]
    for row in rows:
        out.append(
            f"<tr><td>{escape(row.quantity)}</td><td>{escape(row.paper)}</td><td>{escape(row.ours)}</td>"
            f"<td>{verdict_badge(row)}</td><td>{escape(row.source)}</td><td>{escape(row.comment)}</td></tr>"
        )
    return "<table>" + "".join(out) + "</table>"


def _figure_description(record: RunRecord) -> str:
    try:
        from seminal.experiments.registry import get_experiment

        return get_experiment(record.experiment).figure_description()
    except KeyError:
        return ""


def _device(record: RunRecord) -> str:
    return str(record.environment.get("device") or "device not recorded")


def record_html(record: RunRecord) -> str:
    """The card of one run."""
    parts = [f"<h3 id='{escape(record.experiment)}'>{escape(record.experiment)}: {escape(record.title)}</h3>"]
    parts.append(f"<p class='headline'>{overall_badge(record)} {escape(headline(record))}</p>")
    parts.append(
        f"<p class='muted'>preset <code>{escape(record.preset)}</code>, seed {record.seed}, {escape(record.status)} in "
        f"{record.duration_s:.1f} s on {escape(_device(record))}; files in <code>{escape(record.out_dir)}</code></p>"
    )
    if record.status == "ok" or record.status == "failed":
        parts.append(_protocol_html(record))
    if record.error:
        parts.append(f"<p class='failed'>{escape(record.error)}</p>")
    parts += [f"<div class='note'>{escape(note)}</div>" for note in record.notes]
    table1 = record.metrics.get("table1") if isinstance(record.metrics, dict) else None
    if isinstance(table1, dict) and table1:
        parts.append(_table1_html(table1))
    shown = [row for row in record.comparison if row.ours != NOT_RUN]
    not_run = [row for row in record.comparison if row.ours == NOT_RUN]
    if shown:
        parts.append(_rows_html(shown))
    if not_run and not (isinstance(table1, dict) and table1):  # the Table 1 grid already shows them
        names = ", ".join(escape(row.quantity.removesuffix(" test error %")) for row in not_run)
        parts.append(f"<p class='notrun'>Not run in the <code>{escape(record.preset)}</code> preset ({len(not_run)} paper values): {names}.</p>")
    description = _figure_description(record) if record.figures else ""
    if description:  # each figure beside what the paper's figure shows
        for fig in record.figures:
            parts.append(f"<div class='figrow'>{_img(fig)}<div class='desc'><b>The paper's figure:</b> {escape(description)}"
                         f"<br><span class='muted'>ours: {escape(fig.name)}</span></div></div>")
    elif record.figures:  # no words to set beside them: a compact gallery
        parts.append("<div class='gallery'>" + "".join(
            f"<figure>{_img(fig)}<figcaption class='muted'>{escape(fig.name)}</figcaption></figure>" for fig in record.figures
        ) + "</div>")
    return "\n".join(parts)


def notes_table_html(record: RunRecord) -> str:
    """The "notes checked" table: claim | paper statement | our measurement | verdict."""
    rows = ["<tr><th>claim (the notes, paraphrased)</th><th>the paper says</th><th>our measurement</th><th>verdict</th></tr>"]
    claims = notes_claims(record)
    if claims:  # the claim's own verdict word (holds / holds approximately / does not hold / inconclusive)
        for claim in claims:
            verdict = str(claim.get("verdict", ""))
            badge = f"<span class='v v-{_CLAIM_CLASS.get(verdict, 'none')}'>{escape(verdict)}</span>"
            detail = f"<div class='muted'>{escape(claim.get('detail', ''))}</div>" if claim.get("detail") else ""
            rows.append(f"<tr><td>{escape(claim.get('claim', ''))}</td><td>{escape(claim.get('paper', ''))}</td>"
                        f"<td>{escape(claim.get('measured', ''))}</td><td>{badge}{detail}</td></tr>")
    for row in ([] if claims else record.comparison):
        comment = f"<div class='muted'>{escape(row.comment)}</div>" if row.comment else ""
        source = f"<div class='muted'>{escape(row.source)}</div>" if row.source else ""
        rows.append(f"<tr><td>{escape(row.quantity)}</td><td>{escape(row.paper)}{source}</td><td>{escape(row.ours)}</td>"
                    f"<td>{verdict_badge(row)}{comment}</td></tr>")
    return (f"<h3 id='{escape(record.experiment)}'>What the study notes say, checked</h3>"
            f"<p class='muted'>from <a href='#{escape(record.experiment)}-details'>{escape(record.experiment)}</a>, "
            f"preset <code>{escape(record.preset)}</code>, seed {record.seed}</p><table>{''.join(rows)}</table>")
