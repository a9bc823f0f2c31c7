"""``make toil``: the toil report as a table, and a chart of share against AHT as one self-contained HTML file.

    python -m scripts.toil [--date YYYY-MM-DD] [--days N] [--scope org|queue]
                           [--source records|genesys-analytics] [--calls-per-day N] [--seed N] [--out FILE]

No AWS account: the template's tables are emulated by moto, filled with generated calls in which
password resets and balance inquiries are planted as candidates (``local.toil_data.sample_calls``), and
the Genesys sandbox on 127.0.0.1 names the wrap-up codes (and, with ``--source genesys-analytics``,
answers the aggregates query from the same calls). The report itself comes from the deployed code path
(``wiring.toil_service``) with the template's environment.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from datetime import UTC, date, datetime, timedelta
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from moto import mock_aws

from local.resources import create_all
from local.sandboxes.genesys import GenesysSandbox
from local.toil_data import PLANTED, analytics_calls, put_call_records, sample_calls, wrapup_code_names

if TYPE_CHECKING:
    from cxbridge.toil.rules import ToilReport, ToilRow

FUNCTION = "ToilReportApiFunction"
SECRET_NAME = "cxbridge/genesys"  # noqa: S105 - the secret's name, as in the template; not a secret


# ---- the table ---------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _mark(row: ToilRow) -> str:
    if row.candidate:
        return "NEW" if not row.previous.candidate else "yes"
    return "" if row.automatable else "n/a"


def render_table(report: ToilReport) -> str:
    """The report as a fixed-width text table, candidates marked, with the trend against the previous period."""
    p = report.policy
    head = [
        f"Toil report {report.period.first} .. {report.period.last} ({report.period.days} d, {report.scope}, "
        f"source {report.source}): {report.total_calls} calls (previous period {report.previous_total_calls})",
        f"Candidate: share > {p.share_threshold_pct:g} % and AHT > {p.aht_threshold_s:g} s;"
        f" hours saved/month at automation rate {p.automation_rate:g}",
        "",
    ]
    columns = ["disposition", "queue", "calls", "share %", "AHT s", "talk", "hold", "ACW", "handle h"]
    columns += ["saved h/mo", "Δ share", "Δ AHT", "candidate"]
    lines = []
    for row in report.rows:
        now, t = row.current, row.current.tally
        aht_change = None if now.aht_s is None or row.previous.aht_s is None else now.aht_s - row.previous.aht_s
        lines.append(
            [
                row.disposition,
                row.queue_id or "",
                str(t.calls),
                _num(now.share * 100),
                _num(now.aht_s),
                _num(t.mean_s(t.talk_ms)),
                _num(t.mean_s(t.held_ms)),
                _num(t.mean_s(t.acw_ms)),
                _num(t.handle_ms / 3_600_000),
                _num(row.hours_saved_per_month) if row.automatable else "-",
                f"{(now.share - row.previous.share) * 100:+.1f}",
                "-" if aht_change is None else f"{round(aht_change):+d}",
                _mark(row),
            ]
        )
    if report.scope != "queue":
        columns.pop(1)
        lines = [line[:1] + line[2:] for line in lines]
    widths = [max(len(c), *(len(line[i]) for line in lines)) if lines else len(c) for i, c in enumerate(columns)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 or columns[i] == "queue" else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    body = [fmt(columns), fmt(["-" * w for w in widths]), *(fmt(line) for line in lines)]
    if not lines:
        body.append("(no calls in either period)")
    return "\n".join(head + body)


# ---- the chart ---------------------------------------------------------------------------------------

WIDTH, HEIGHT = 880, 560
LEFT, RIGHT, TOP, BOTTOM = 70, 30, 60, 60


def _ticks(limit: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values (steps of 1, 2 or 5 times a power of ten) from 0 to ``limit``."""
    raw = limit / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return [n * step for n in range(int(limit / step + 1e-9) + 1)]


def render_html(report: ToilReport) -> str:
    """An HTML page with an inline SVG: x share of volume, y AHT, both thresholds drawn, candidates highlighted."""
    p = report.policy
    points = [r for r in report.rows if r.current.tally.calls and r.current.aht_s is not None]
    x_max = max([p.share_threshold_pct * 1.5, *(r.current.share * 100 * 1.1 for r in points)])
    y_max = max([p.aht_threshold_s * 1.5, *((r.current.aht_s or 0) * 1.1 for r in points)])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(share_pct: float) -> float:
        return LEFT + share_pct / x_max * plot_w

    def y(aht_s: float) -> float:
        return TOP + plot_h - aht_s / y_max * plot_h

    tx, ty = x(p.share_threshold_pct), y(p.aht_threshold_s)
    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}"'
        ' role="img" aria-label="share of volume against average handle time per disposition">',
        f'<rect class="zone" x="{tx:.1f}" y="{TOP}" width="{LEFT + plot_w - tx:.1f}" height="{ty - TOP:.1f}"/>',
        f'<rect class="frame" x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}"/>',
    ]
    for tick in _ticks(x_max):
        svg.append(f'<text class="tick" x="{x(tick):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{tick:g}</text>')
    for tick in _ticks(y_max):
        svg.append(f'<text class="tick" x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    svg += [
        f'<line class="threshold" x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{TOP + plot_h}"/>',
        f'<text class="threshold-label" x="{tx + 4:.1f}" y="{TOP + 14}">share {p.share_threshold_pct:g} %</text>',
        f'<line class="threshold" x1="{LEFT}" y1="{ty:.1f}" x2="{LEFT + plot_w}" y2="{ty:.1f}"/>',
        f'<text class="threshold-label" x="{LEFT + 6}" y="{ty - 6:.1f}">AHT {p.aht_threshold_s:g} s</text>',
        f'<text class="axis" x="{LEFT + plot_w / 2}" y="{HEIGHT - 16}" text-anchor="middle">share of volume (%)</text>',
        f'<text class="axis" transform="translate(18 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
        "average handle time (s)</text>",
    ]
    for row in points:
        cx, cy = x(row.current.share * 100), y(row.current.aht_s or 0)
        kind = "candidate" if row.candidate else ("other" if row.automatable else "system")
        right = cx > LEFT + plot_w * 0.7  # label on the left, so it stays inside the picture
        label = row.disposition + (f" ({row.queue_id})" if row.queue_id else "")
        title = (
            f"{label}: {row.current.tally.calls} calls, {row.current.share * 100:.1f} %, "
            f"AHT {row.current.aht_s or 0:.0f} s, ~{row.hours_saved_per_month:.0f} h/month"
        )
        svg += [
            f'<circle class="{kind}" cx="{cx:.1f}" cy="{cy:.1f}" r="{7 if row.candidate else 5}">'
            f"<title>{escape(title)}</title></circle>",
            f'<text class="label {kind}-label" x="{cx - 9 if right else cx + 9:.1f}" y="{cy + 4:.1f}"'
            f' text-anchor="{"end" if right else "start"}">{escape(label)}</text>',
        ]
    svg.append("</svg>")
    title = f"Toil report {report.period.first} .. {report.period.last} ({report.scope})"
    candidates = "".join(
        f"<li><b>{escape(r.disposition)}</b>{escape(f' ({r.queue_id})' if r.queue_id else '')}: "
        f"{r.current.share * 100:.1f} % of calls, AHT {r.current.aht_s or 0:.0f} s, "
        f"~{r.hours_saved_per_month:.0f} agent hours/month{' (new)' if not r.previous.candidate else ''}</li>"
        for r in report.candidates
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
        ".frame{fill:none;stroke:#888}.zone{fill:#fde8e8}.threshold{stroke:#c0392b;stroke-dasharray:6 4}"
        ".threshold-label{fill:#c0392b;font-size:12px}.tick{font-size:11px;fill:#555}.axis{font-size:13px}"
        ".candidate{fill:#c0392b}.other{fill:#2c7bb6}.system{fill:none;stroke:#999}"
        ".label{font-size:12px}.candidate-label{font-weight:bold;fill:#c0392b}.system-label{fill:#999}"
    )
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{style}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>{report.total_calls} calls from {escape(report.source)}. A disposition is an automation candidate when "
        f"it is more than {p.share_threshold_pct:g} % of the calls and its average handle time is over "
        f"{p.aht_threshold_s:g} s (the shaded corner). Hollow points: system wrap-up codes and calls without a "
        f"disposition, never candidates.</p>{''.join(svg)}"
        f"<h2>Candidates</h2><ul>{candidates or '<li>none</li>'}</ul></body></html>\n"
    )


# ---- the local stack ---------------------------------------------------------------------------------


def local_report(last_day: date, days: int, *, scope: str, source: str, calls_per_day: int, seed: int) -> ToilReport:
    """Generate calls, load them into moto and the Genesys sandbox, and build the report as the route does."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "local"  # never a real credential: moto intercepts every call
    calls = sample_calls(last_day, days, calls_per_day, seed=seed)
    with mock_aws(), GenesysSandbox(wrapup_codes=wrapup_code_names(PLANTED), calls=analytics_calls(calls)) as genesys:
        dynamodb = boto3.client("dynamodb")
        resources = create_all(dynamodb, boto3.client("sqs"))
        put_call_records(dynamodb, resources.tables["CallRecordsTable"], calls)
        credentials = {"client_id": genesys.client_id, "client_secret": genesys.client_secret}
        boto3.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(credentials))
        os.environ.update(resources.function_environment(FUNCTION))
        os.environ.update({"GENESYS_SECRET_NAME": SECRET_NAME, "GENESYS_BASE_URL": genesys.url, "TOIL_SOURCE": source})
        from cxbridge.core.observability import logger  # noqa: PLC0415
        from cxbridge.toil import wiring  # noqa: PLC0415 - after the environment is set
        from cxbridge.toil.rules import Scope  # noqa: PLC0415

        logger.setLevel("WARNING")  # the table is the output; the functions' info lines would bury it

        return wiring.toil_service().report(last_day, days, Scope(scope))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    parser.add_argument("--date", type=date.fromisoformat, default=yesterday, help="last day (default yesterday)")
    parser.add_argument("--days", type=int, default=7, choices=range(1, 32), metavar="1..31")
    parser.add_argument("--scope", choices=["org", "queue"], default="org")
    parser.add_argument("--source", choices=["records", "genesys-analytics"], default="records")
    parser.add_argument("--calls-per-day", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("toil-report.html"), help="the chart (HTML with SVG)")
    args = parser.parse_args(argv)
    report = local_report(
        args.date, args.days, scope=args.scope, source=args.source, calls_per_day=args.calls_per_day, seed=args.seed
    )
    print(render_table(report))
    args.out.write_text(render_html(report), encoding="utf-8")
    print(f"\nchart: {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
