"""The toil report as one self-contained HTML page: a chart of share of volume against average handle time.

The same page is answered by ``GET /toil/report`` (``Accept: text/html`` or ``format=html``) from live data and
written by ``make toil`` from generated calls. Pure: no I/O, no AWS, no HTTP.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cxbridge.toil.rules import ToilReport

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
