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
import os
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
from moto import mock_aws

from cxbridge.toil.page import render_html
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
