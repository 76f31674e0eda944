"""The HTML report of a ``seminal reproduce`` run: one self-contained file (figures embedded).

For each paper: every experiment's status and runtime, its provenance notes (e.g. offline
fallback data), the ours-vs-paper table with an agreement column, and its figures; at the end,
the environment the numbers were measured in.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seminal.experiments.registry import PAPERS
from seminal.experiments.runner import RunRecord
from seminal.io import atomic_write_text

__all__ = ["write_html_report", "render_html_report"]

PAPER_TITLES = {
    "adam": "Adam: A Method for Stochastic Optimization (Kingma & Ba, 2014, arXiv:1412.6980)",
    "stn": "Spatial Transformer Networks (Jaderberg et al., 2015, arXiv:1506.02025)",
    "gan": "Generative Adversarial Nets (Goodfellow et al., 2014, arXiv:1406.2661)",
}

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.yes{background:#e5f5e0}.no{background:#fde0dd}.note{background:#fff7d6;padding:.4em .7em;border-left:4px solid #e0b000;margin:.4em 0}
.failed{color:#b00}.status-ok{color:#070}img{max-width:100%;border:1px solid #ddd;margin:.4em 0}h2{border-bottom:2px solid #333;margin-top:2em}
code{background:#f5f5f5;padding:0 3px}
"""


def _e(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}"
    return html.escape(str(value))


def _img(path: Path) -> str:
    try:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return f"<p class='failed'>missing figure {_e(path)}</p>"
    return f"<figure><img alt='{_e(path.stem)}' src='data:image/png;base64,{data}'><figcaption>{_e(path.name)}</figcaption></figure>"


def _record_html(record: RunRecord) -> str:
    parts = [f"<h3 id='{_e(record.experiment)}'>{_e(record.experiment)}: {_e(record.title)}</h3>"]
    status_class = "status-ok" if record.status == "ok" else "failed"
    parts.append(
        f"<p>preset <code>{_e(record.preset)}</code>, seed {record.seed}, "
        f"<span class='{status_class}'>{_e(record.status)}</span>, {record.duration_s:.1f} s, "
        f"files in <code>{_e(record.out_dir)}</code></p>"
    )
    if record.error:
        parts.append(f"<p class='failed'>{_e(record.error)}</p>")
    parts += [f"<div class='note'>{_e(note)}</div>" for note in record.notes]
    if record.comparison:
        rows = ["<tr><th>quantity</th><th>paper</th><th>ours</th><th>agrees</th><th>source</th><th>comment</th></tr>"]
        for row in record.comparison:
            cls = {"agrees": "yes", "disagrees": "no", "inconclusive": "inconclusive", "": ""}[row.verdict]
            mark = {"agrees": "yes", "disagrees": "no", "inconclusive": "inconclusive", "": "-"}[row.verdict]
            rows.append(
                f"<tr class='{cls}'><td>{_e(row.quantity)}</td><td>{_e(row.paper)}</td><td>{_e(row.ours)}</td>"
                f"<td>{mark}</td><td>{_e(row.source)}</td><td>{_e(row.comment)}</td></tr>"
            )
        parts.append("<table>" + "".join(rows) + "</table>")
    parts += [_img(fig) for fig in record.figures]
    return "\n".join(parts)


def render_html_report(records: Sequence[RunRecord], *, title: str, environment: dict[str, Any], command: str) -> str:
    """The report page as a string."""
    body = [f"<h1>{_e(title)}</h1>", f"<p>Reproduce with <code>{_e(command)}</code>.</p>"]
    summary = ["<tr><th>paper</th><th>experiment</th><th>status</th><th>agree / checked</th><th>time (s)</th></tr>"]
    for record in records:
        checked = [row for row in record.comparison if row.agrees is not None]
        agree = sum(bool(row.agrees) for row in checked)
        summary.append(
            f"<tr><td>{_e(record.paper)}</td><td><a href='#{_e(record.experiment)}'>{_e(record.experiment)}</a></td>"
            f"<td>{_e(record.status)}</td><td>{agree} / {len(checked)}</td><td>{record.duration_s:.1f}</td></tr>"
        )
    body.append("<table>" + "".join(summary) + "</table>")
    for paper in PAPERS:
        paper_records = [r for r in records if r.paper == paper]
        if not paper_records:
            continue
        body.append(f"<h2>{_e(PAPER_TITLES.get(paper, paper))}</h2>")
        body += [_record_html(r) for r in paper_records]
    env_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in environment.items())
    body.append(f"<h2>Environment</h2><table>{env_rows}</table>")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_html_report(path: Path, records: Sequence[RunRecord], *, title: str, environment: dict[str, Any], command: str) -> Path:
    """Write the report atomically to ``path``."""
    return atomic_write_text(path, render_html_report(records, title=title, environment=environment, command=command))
