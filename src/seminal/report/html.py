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
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seminal.environment import describe_hardware
from seminal.experiments.registry import PAPERS, ComparisonRow
from seminal.experiments.runner import RunRecord
from seminal.io import atomic_write_text

__all__ = ["write_html_report", "render_html_report", "headline", "NOT_RUN"]

PAPER_TITLES = {
    "adam": "Adam: A Method for Stochastic Optimization (Kingma & Ba, 2014, arXiv:1412.6980)",
    "stn": "Spatial Transformer Networks (Jaderberg et al., 2015, arXiv:1506.02025)",
    "gan": "Generative Adversarial Nets (Goodfellow et al., 2014, arXiv:1406.2661)",
}

#: ``ours`` of a comparison row for a paper value this run did not compute.
NOT_RUN = "not run"

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


def _e(value: Any) -> str:
    if isinstance(value, float):
        value = f"{value:.4g}"
    return html.escape(str(value))


def _verdict_html(row: ComparisonRow) -> str:
    if not row.verdict:
        return "<span class='v v-none'>info</span>" if not row.comment.startswith("not judged") else "<span class='v v-none'>not judged</span>"
    reduced = " v-reduced" if row.reduced else ""
    return f"<span class='v v-{row.verdict}{reduced}' title='{_e(row.comment)}'>{_e(row.label)}</span>"


def _img(path: Path) -> str:
    try:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return f"<p class='failed'>missing figure {_e(path)}</p>"
    return f"<img alt='{_e(path.stem)}' src='data:image/png;base64,{data}'>"


def _checked(record: RunRecord) -> list[ComparisonRow]:
    return [row for row in record.comparison if row.verdict]


def _plain(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


_CLAIM_CLASS = {"holds": "agrees", "holds approximately": "inconclusive", "does not hold": "disagrees",
                "inconclusive": "inconclusive"}


def _claims(record: RunRecord) -> list[dict[str, Any]]:
    """The study notes' claims of a notes-<paper> run (metrics ``notes_claims``), else []."""
    claims = record.metrics.get("notes_claims") if isinstance(record.metrics, dict) else None
    return [c for c in claims if isinstance(c, dict)] if isinstance(claims, list) else []


def _claims_tally(claims: list[dict[str, Any]]) -> str:
    words = ("holds", "holds approximately", "does not hold", "inconclusive")
    return ", ".join(f"{sum(c.get('verdict') == w for c in claims)} {w}" for w in words
                     if any(c.get("verdict") == w for c in claims))


def headline(record: RunRecord) -> str:
    """One line of plain text: the first checked claim, ours vs the paper's, and the verdict tally."""
    if record.status != "ok":
        return {"unavailable": "cannot run here (see below)", "failed": "failed (see below)"}.get(record.status, record.status)
    claims = _claims(record)
    if claims:  # the verdicts are about the notes' claims, not about reproducing a paper result
        return f"{len(claims)} claims of the study notes checked against the paper: {_claims_tally(claims)}"
    checked = _checked(record)
    if not checked:
        if record.protocol is not None and not record.protocol.judged:
            return "not judged (smoke or synthetic run)"
        # Still lead with a number: the first row that has both ours and a paper value.
        informative = [r for r in record.comparison if r.ours != NOT_RUN and str(r.paper).strip("—– -")]
        why = "reduced run, not judged against the paper" if record.protocol and not record.protocol.full else "no criterion checked"
        if not informative:
            return f"informational rows only ({why})"
        first = informative[0]
        return f"{first.quantity}: ours {_plain(first.ours)} vs paper {_plain(first.paper)} ({why})"
    first = checked[0]
    counts = {word: sum(r.verdict == verdict for r in checked)
              for verdict, word in (("agrees", "agree"), ("disagrees", "disagree"), ("inconclusive", "inconclusive"))}
    tally = ", ".join(f"{n} {word}" for word, n in counts.items() if n)
    claims = "claim" if len(checked) == 1 else "claims"
    return f"{first.quantity}: ours {_plain(first.ours)} vs paper {_plain(first.paper)} ({len(checked)} {claims} checked: {tally})"


def _overall(record: RunRecord) -> str:
    """The experiment's verdict badge: the worst of its checked rows (for the notes: "notes checked")."""
    checked = _checked(record)
    if record.status == "ok" and _claims(record):
        return "<span class='v v-none'>notes checked</span>"
    if record.status != "ok":
        return f"<span class='v v-disagrees'>{_e(record.status)}</span>" if record.status == "failed" else f"<span class='v v-none'>{_e(record.status)}</span>"
    if not checked:
        full = record.protocol is not None and record.protocol.full
        return "<span class='v v-none'>no criterion</span>" if full else "<span class='v v-none'>not judged</span>"
    for verdict in ("disagrees", "inconclusive", "agrees"):
        hit = [r for r in checked if r.verdict == verdict]
        if hit:
            return _verdict_html(hit[0])
    return ""


def _protocol_html(record: RunRecord) -> str:
    protocol = record.protocol
    if protocol is None:
        return "<div class='protocol'>protocol not recorded (a run made before protocols were recorded)</div>"
    if protocol.full:
        data = "; ".join(_e(d.describe()) for d in protocol.data)
        return f"<div class='protocol full'><b>Full protocol</b>: the paper's setting{'; data: ' + data if data else ''}</div>"
    items = "; ".join(_e(r) for r in protocol.reasons() if not r.startswith("data:")) or "the config is the paper's"
    data = "; ".join(_e(d.describe()) for d in protocol.data)
    data_line = f"<br><span class='muted'>data: {data}</span>" if data else ""
    if protocol.judged:
        return (f"<div class='protocol'><b>Reduced run</b> ({_e(protocol.preset)} preset; verdicts are about this reduced "
                f"run, not the paper's absolute numbers): {items}{data_line}</div>")
    return (f"<div class='protocol'><b>Not judged</b> ({_e(protocol.preset)} preset: a plumbing check; no criterion is "
            f"reported as a verdict): {items}{data_line}</div>")


def _table1_html(table1: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Models x distortions, ours beside the paper's in each cell (the paper's Table 1 layout)."""
    distortions = list(table1)
    models: list[str] = []
    for per_model in table1.values():
        models += [m for m in per_model if m not in models]
    head = "<tr><th>model</th>" + "".join(f"<th>{_e(d)}</th>" for d in distortions) + "</tr>"
    rows = []
    for model in models:
        cells = []
        for d in distortions:
            cell = table1[d].get(model)
            if not cell:
                cells.append("<td class='cell muted'></td>")
                continue
            ours, paper = cell.get("ours"), cell.get("paper")
            paper_text = "" if paper is None else f" <span class='paper'>({_e(paper)})</span>"
            if ours is None:  # not run in this preset: the paper's value alone, greyed
                cells.append(f"<td class='cell notrun-cell'>–{paper_text}</td>")
            else:
                cells.append(f"<td class='cell'><b>{_e(round(ours, 2) if isinstance(ours, float) else ours)}</b>{paper_text}</td>")
        rows.append(f"<tr><th>{_e(model)}</th>{''.join(cells)}</tr>")
    return ("<table class='t1'><caption class='muted' style='text-align:left'>Table 1 layout: ours in bold, "
            "the paper's value in brackets, – = not run in this preset</caption>"
            + head + "".join(rows) + "</table>")


def _rows_html(rows: Sequence[ComparisonRow]) -> str:
    out = ["<tr><th>quantity</th><th>paper</th><th>ours</th><th>verdict</th><th>source</th><th>comment</th></tr>"]
    for row in rows:
        out.append(
            f"<tr><td>{_e(row.quantity)}</td><td>{_e(row.paper)}</td><td>{_e(row.ours)}</td>"
            f"<td>{_verdict_html(row)}</td><td>{_e(row.source)}</td><td>{_e(row.comment)}</td></tr>"
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


def _record_html(record: RunRecord) -> str:
    parts = [f"<h3 id='{_e(record.experiment)}'>{_e(record.experiment)}: {_e(record.title)}</h3>"]
    parts.append(f"<p class='headline'>{_overall(record)} {_e(headline(record))}</p>")
    parts.append(
        f"<p class='muted'>preset <code>{_e(record.preset)}</code>, seed {record.seed}, {_e(record.status)} in "
        f"{record.duration_s:.1f} s on {_e(_device(record))}; files in <code>{_e(record.out_dir)}</code></p>"
    )
    if record.status == "ok" or record.status == "failed":
        parts.append(_protocol_html(record))
    if record.error:
        parts.append(f"<p class='failed'>{_e(record.error)}</p>")
    parts += [f"<div class='note'>{_e(note)}</div>" for note in record.notes]
    table1 = record.metrics.get("table1") if isinstance(record.metrics, dict) else None
    if isinstance(table1, dict) and table1:
        parts.append(_table1_html(table1))
    shown = [row for row in record.comparison if row.ours != NOT_RUN]
    not_run = [row for row in record.comparison if row.ours == NOT_RUN]
    if shown:
        parts.append(_rows_html(shown))
    if not_run and not (isinstance(table1, dict) and table1):  # the Table 1 grid already shows them
        names = ", ".join(_e(row.quantity.removesuffix(" test error %")) for row in not_run)
        parts.append(f"<p class='notrun'>Not run in the <code>{_e(record.preset)}</code> preset ({len(not_run)} paper values): {names}.</p>")
    description = _figure_description(record) if record.figures else ""
    if description:  # each figure beside what the paper's figure shows
        for fig in record.figures:
            parts.append(f"<div class='figrow'>{_img(fig)}<div class='desc'><b>The paper's figure:</b> {_e(description)}"
                         f"<br><span class='muted'>ours: {_e(fig.name)}</span></div></div>")
    elif record.figures:  # no words to set beside them: a compact gallery
        parts.append("<div class='gallery'>" + "".join(
            f"<figure>{_img(fig)}<figcaption class='muted'>{_e(fig.name)}</figcaption></figure>" for fig in record.figures
        ) + "</div>")
    return "\n".join(parts)


def _notes_table_html(record: RunRecord) -> str:
    """The "notes checked" table: claim | paper statement | our measurement | verdict."""
    rows = ["<tr><th>claim (the notes, paraphrased)</th><th>the paper says</th><th>our measurement</th><th>verdict</th></tr>"]
    claims = _claims(record)
    if claims:  # the claim's own verdict word (holds / holds approximately / does not hold / inconclusive)
        for claim in claims:
            verdict = str(claim.get("verdict", ""))
            badge = f"<span class='v v-{_CLAIM_CLASS.get(verdict, 'none')}'>{_e(verdict)}</span>"
            detail = f"<div class='muted'>{_e(claim.get('detail', ''))}</div>" if claim.get("detail") else ""
            rows.append(f"<tr><td>{_e(claim.get('claim', ''))}</td><td>{_e(claim.get('paper', ''))}</td>"
                        f"<td>{_e(claim.get('measured', ''))}</td><td>{badge}{detail}</td></tr>")
    for row in ([] if claims else record.comparison):
        comment = f"<div class='muted'>{_e(row.comment)}</div>" if row.comment else ""
        source = f"<div class='muted'>{_e(row.source)}</div>" if row.source else ""
        rows.append(f"<tr><td>{_e(row.quantity)}</td><td>{_e(row.paper)}{source}</td><td>{_e(row.ours)}</td>"
                    f"<td>{_verdict_html(row)}{comment}</td></tr>")
    return (f"<h3 id='{_e(record.experiment)}'>What the study notes say, checked</h3>"
            f"<p class='muted'>from <a href='#{_e(record.experiment)}-details'>{_e(record.experiment)}</a>, "
            f"preset <code>{_e(record.preset)}</code>, seed {record.seed}</p><table>{''.join(rows)}</table>")


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
        items.append(f"<li><b>{_e(source)}</b> — {what}. Used by: {', '.join(_e(i) for i in dict.fromkeys(ids))}.</li>")
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
        f"<h1>{_e(title)}</h1>",
        (f"<p>Reproduce with <code>{_e(command)}</code>. Preset {', '.join(f'<code>{_e(p)}</code>' for p in presets)}, "
         f"seed {', '.join(str(s) for s in seeds)}, on {_e(describe_hardware(environment))}.</p>"),
        _data_banner(records),
    ]
    summary = ["<tr><th>experiment</th><th>verdict</th><th>headline: ours vs paper</th><th>protocol</th><th>time (s)</th></tr>"]
    for record in records:
        status = record.protocol.status if record.protocol and record.status == "ok" else record.status
        summary.append(
            f"<tr><td><a href='#{_e(record.experiment)}'>{_e(record.experiment)}</a></td><td>{_overall(record)}</td>"
            f"<td>{_e(headline(record))}</td><td>{_e(status)}</td><td>{record.duration_s:.1f}</td></tr>"
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
        body.append(f"<h2>{_e(PAPER_TITLES.get(paper, paper))}</h2>")
        notes = [r for r in paper_records if r.experiment == f"notes-{paper}" and r.status == "ok"]
        body += [_notes_table_html(r) for r in notes]
        for record in paper_records:
            html_part = _record_html(record)
            if record in notes:  # its card keeps the figures; the id moves to avoid a duplicate anchor
                html_part = html_part.replace(f"id='{_e(record.experiment)}'", f"id='{_e(record.experiment)}-details'", 1)
            body.append(html_part)
    env_rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in environment.items())
    body.append(f"<h2>Environment</h2><table>{env_rows}</table>")
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
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
