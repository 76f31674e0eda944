"""The HTML report of a ``seminal reproduce`` run: one self-contained file (figures embedded).

Built to be read at a glance:

* the top says once what every number rests on: the preset, the seed, the hardware, and which
  experiments used data other than the complete dataset (the 5,000-digit offline MNIST stand-in,
  synthetic images);
* an overview table gives each experiment's headline -- our value beside the paper's and the
  verdict ("agrees", "disagrees", "inconclusive", marked "(reduced run)" when the run was not the
  paper's protocol) -- and the protocol;
* each paper's section opens with the "notes checked" table when a ``notes-<paper>`` experiment
  was run, then one card per experiment: the protocol stated once, Table 1 shaped as the paper's
  table when the metrics hold a ``table1`` mapping, the comparison rows (rows that were not run
  collapsed into one line), and each figure beside what the paper's figure shows;
* the environment at the end.

This module lays out the page; one run's card is :mod:`seminal.report.run_card` and its plain-text
headline :mod:`seminal.report.headline`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seminal.environment import describe_hardware
from seminal.experiments.registry import PAPERS
from seminal.experiments.runner import RunRecord
from seminal.io import atomic_write_text
from seminal.report.headline import NOT_RUN, headline
from seminal.report.run_card import escape, notes_table_html, overall_badge, record_html

__all__ = ["write_html_report", "render_html_report", "headline", "NOT_RUN"]

PAPER_TITLES = {
    "adam": "Adam: A Method for Stochastic Optimization (Kingma & Ba, 2014, arXiv:1412.6980)",
    "stn": "Spatial Transformer Networks (Jaderberg et al., 2015, arXiv:1506.02025)",
    "gan": "Generative Adversarial Nets (Goodfellow et al., 2014, arXiv:1406.2661)",
}

_CSS = """
body{font-family:system-ui,sans-serif;max-width:1200px;margin:1.5em auto;padding:0 1em;color:#222;line-height:1.35}
table{border-collapse:collapse;margin:.5em 0;font-size:.88em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}h2{border-bottom:2px solid #333;margin-top:2em}h3{margin:1.6em 0 .3em}
code{background:#f5f5f5;padding:0 3px}.muted{color:#666;font-size:.9em}
.v{font-weight:600;white-space:nowrap;padding:1px 6px;border-radius:3px}
.v-agrees{background:#d8f0d0;color:#1d5e12}.v-disagrees{background:#fbd5d0;color:#8a1c10}
.v-inconclusive{background:#fde9b8;color:#6b4a00}.v-none{background:#eee;color:#555;font-weight:400}
.v-reduced{outline:1px dashed #888}
.banner{background:#fff4d1;border-left:5px solid #e0a800;padding:.5em .8em;margin:.8em 0}
.banner.bad{background:#fde2de;border-color:#c0392b}
.protocol{background:#eef3fb;border-left:4px solid #4a78c2;padding:.35em .7em;margin:.4em 0;font-size:.92em}
.protocol.full{background:#e5f5e0;border-color:#2e8b3a}
.headline{font-size:1.02em;margin:.3em 0}.failed{color:#b00}
.note{background:#fafafa;border-left:3px solid #bbb;padding:.25em .6em;margin:.3em 0;font-size:.9em}
.figrow{display:flex;gap:1.2em;align-items:flex-start;margin:.6em 0;flex-wrap:wrap}
.figrow img{max-width:720px;width:100%;border:1px solid #ddd}.figrow .desc{flex:1;min-width:240px;font-size:.92em}
.gallery{display:flex;flex-wrap:wrap;gap:.8em;margin:.6em 0}.gallery figure{margin:0;width:360px}
.gallery img{width:100%;border:1px solid #ddd}
.t1 td.cell{text-align:center;white-space:nowrap}.t1 .paper{color:#666;font-size:.9em}
.notrun{color:#555;font-size:.88em;margin:.3em 0}.t1 td.notrun-cell{background:#f6f6f6;color:#999}
"""


def _data_banner(records: Sequence[RunRecord]) -> str:
    """Once, at the top: which experiments did not use the complete datasets."""
    by_source: dict[tuple[str, str], list[str]] = {}
    for record in records:
        for data in record.protocol.data if record.protocol else ():
            if data.kind != "full":
                key = (data.kind, f"{data.dataset} ({data.detail})" if data.detail else data.dataset)
                by_source.setdefault(key, []).append(record.experiment)
    if not by_source:
        return ""
    items = []
    for (kind, source), ids in by_source.items():
        what = ("an offline stand-in, not the complete dataset: absolute numbers are not comparable with the paper's"
                if kind == "fallback" else "synthetic images, not real data: these runs are not judged")
        items.append(f"<li><b>{escape(source)}</b> — {what}. Used by: {', '.join(escape(i) for i in dict.fromkeys(ids))}.</li>")
    bad = " bad" if any(kind == "fallback" for kind, _ in by_source) else ""
    return f"<div class='banner{bad}'><b>Data.</b><ul>{''.join(items)}</ul></div>"


def _merged_environment(records: Sequence[RunRecord], environment: dict[str, Any]) -> dict[str, Any]:
    """The given environment with what it lacks (the device the runs resolved, the hardware)
    taken from the runs' own environment.json."""
    env = {k: v for k, v in environment.items() if v is not None}
    for record in records:
        for key, value in record.environment.items():
            env.setdefault(key, value)
    devices = sorted({str(r.environment["device"]) for r in records if r.environment.get("device")})
    if devices and not environment.get("device"):
        env["device"] = ", ".join(devices)
    return env


def render_html_report(records: Sequence[RunRecord], *, title: str, environment: dict[str, Any], command: str) -> str:
    """The report page as a string."""
    presets = sorted({r.preset for r in records})
    seeds = sorted({r.seed for r in records})
    environment = _merged_environment(records, environment)
    body = [
        f"<h1>{escape(title)}</h1>",
        (f"<p>Reproduce with <code>{escape(command)}</code>. Preset {', '.join(f'<code>{escape(p)}</code>' for p in presets)}, "
         f"seed {', '.join(str(s) for s in seeds)}, on {escape(describe_hardware(environment))}.</p>"),
        _data_banner(records),
    ]
    summary = ["<tr><th>experiment</th><th>verdict</th><th>headline: ours vs paper</th><th>protocol</th><th>time (s)</th></tr>"]
    for record in records:
        status = record.protocol.status if record.protocol and record.status == "ok" else record.status
        summary.append(
            f"<tr><td><a href='#{escape(record.experiment)}'>{escape(record.experiment)}</a></td><td>{overall_badge(record)}</td>"
            f"<td>{escape(headline(record))}</td><td>{escape(status)}</td><td>{record.duration_s:.1f}</td></tr>"
        )
    body.append("<table>" + "".join(summary) + "</table>")
    body.append("<p class='muted'>Verdicts: <span class='v v-agrees'>agrees</span> the paper's claim held on every seed; "
                "<span class='v v-inconclusive'>inconclusive</span> it held on some seeds only; "
                "<span class='v v-disagrees'>disagrees</span> it failed; <span class='v v-agrees v-reduced'>(reduced run)</span> "
                "the run was not the paper's protocol, so the verdict is about the reduced run.</p>")
    for paper in PAPERS:
        paper_records = [r for r in records if r.paper == paper]
        if not paper_records:
            continue
        body.append(f"<h2>{escape(PAPER_TITLES.get(paper, paper))}</h2>")
        notes = [r for r in paper_records if r.experiment == f"notes-{paper}" and r.status == "ok"]
        body += [notes_table_html(r) for r in notes]
        for record in paper_records:
            html_part = record_html(record)
            if record in notes:  # its card keeps the figures; the id moves to avoid a duplicate anchor
                html_part = html_part.replace(f"id='{escape(record.experiment)}'", f"id='{escape(record.experiment)}-details'", 1)
            body.append(html_part)
    env_rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in environment.items())
    body.append(f"<h2>Environment</h2><table>{env_rows}</table>")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def write_html_report(path: Path, records: Sequence[RunRecord], *, title: str, environment: dict[str, Any], command: str) -> Path:
    """Write the report atomically to ``path``."""
    return atomic_write_text(path, render_html_report(records, title=title, environment=environment, command=command))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m seminal.report FOLDER [-o report.html]``: the report of runs made earlier.

    FOLDER is a ``seminal reproduce`` output folder (its sub-folders are the runs) or one run folder.
    """
    import argparse

    from seminal.experiments.runner import load_run_record

    parser = argparse.ArgumentParser(prog="python -m seminal.report", description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("-o", "--out", type=Path, default=None, help="default: FOLDER/report.html")
    args = parser.parse_args(argv)
    folders = [args.folder] if (args.folder / "run.json").is_file() else sorted(
        p for p in args.folder.iterdir() if (p / "run.json").is_file())
    if not folders:
        parser.error(f"{args.folder}: no run folder (a folder with run.json) found")
    order = {paper: i for i, paper in enumerate(PAPERS)}
    records = sorted((load_run_record(f) for f in folders), key=lambda r: (order.get(r.paper, 99), r.experiment))
    environment = next((r.environment for r in records if r.environment), {})
    presets = "/".join(sorted({r.preset for r in records}))
    out = write_html_report(args.out or args.folder / "report.html", records, title=f"seminal reproduction ({presets})",
                            environment=environment, command=f"seminal reproduce --preset {presets}")
    print(out)
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
