"""``make bench``: measure what DESIGN.md sets targets for; never fails on speed.

Prints a short table, then one JSON object on the last line with the DESIGN.md keys (null where the
part of the system that a figure measures is not built yet). The cold start figures (import and first
invocation) come from the Lambda-like twin of ``bench.lambda_like``, not from the development venv.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

from bench.assist import DEADLINE_S, bench_assist, bench_linking
from bench.cold_start import CASES, INGEST, Figures, first_invocation_ratios, import_ratios
from bench.crm import bench_batch_seconds, bench_crm
from bench.ingest import bench_ingest
from bench.lambda_like import build_twin
from bench.sla import bench_sla

ROOT = Path(__file__).resolve().parent.parent
KEYS = (
    "ingest_p50_ms",
    "ingest_p99_ms",
    "ingest_aws_calls_per_event",
    "ingest_aws_writes_per_event",
    "import_ratio_vs_boto3",
    "import_ratio_other_vs_boto3",
    "cold_start_ratio_ingest",
    "cold_start_ratio_max",
    "call_record_bytes_max",
    "crm_job_bytes_max",
    "outbox_aws_calls_per_job",
    "crm_requests_per_record",
    "crm_requests_per_record_dynamics",
    "crm_requests_per_record_aa",
    "crm_records_per_s",
    "crm_batch_s_max",
    "lost",
    "duplicated",
    "assist_p99_ms_crm_ok",
    "assist_p99_ms_crm_hanging",
    "lookup_requests_per_call",
    "sfn_transitions_closed_early",
    "sfn_transitions_full_ladder",
    "package_mb_max",
)
INGEST_FUNCTIONS = list(INGEST)
OTHER_FUNCTIONS = sorted(
    path.parent.name for path in (ROOT / "functions").glob("*/app.py") if path.parent.name not in INGEST
)


def package_mb() -> float | None:
    """Largest unzipped function + layer in ``.aws-sam/build`` (after ``sam build``), in MB."""
    build = ROOT / ".aws-sam" / "build"
    if not build.is_dir():
        return None

    def size(path: Path) -> int:
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())

    layers = [p for p in build.iterdir() if p.is_dir() and p.name.startswith("CxbridgeLayer")]
    layer = max((size(p) for p in layers), default=0)
    functions = [size(p) for p in build.iterdir() if p.is_dir() and p.name.endswith("Function")]
    return round((max(functions, default=0) + layer) / 1e6, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run that only proves the bench works")
    args = parser.parse_args()
    events = 200 if args.quick else 3000
    import_runs = 3 if args.quick else 9

    # The handlers print their metric documents (EMF) to stdout, as in Lambda; they are not figures.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        ingest = bench_ingest(events)
        crm_records = 1_000 if args.quick else 10_000
        crm = bench_crm(crm_records, throttle_ratio=0.3)
        dynamics = bench_crm(crm_records, "dynamics", throttle_ratio=0.3)
        aa = bench_crm(crm_records, "aa_workqueue", throttle_ratio=0.3)
        # Hanging requests cost real seconds: the quick run leaves out the slowest path (single upserts).
        batch_s = {sink: bench_batch_seconds(sink, 3 if args.quick else 10) for sink in ("salesforce", "dynamics")}
        if not args.quick:
            batch_s["dynamics_single"] = bench_batch_seconds("dynamics_single", 3)
        sla = bench_sla(quick=args.quick)
        assist = bench_assist(200 if args.quick else 2_000, hanging_waves=1 if args.quick else 5)
        linking = bench_linking(1_000 if args.quick else 10_000, 200 if args.quick else 2_000)
    twin = build_twin()
    imports = import_ratios(twin, [*INGEST_FUNCTIONS, *OTHER_FUNCTIONS], import_runs)
    first = first_invocation_ratios(twin, import_runs)
    result: dict[str, Any] = dict.fromkeys(KEYS)
    result.update(
        ingest_p50_ms=round(ingest["p50_ms"], 3),
        ingest_p99_ms=round(ingest["p99_ms"], 3),
        ingest_aws_calls_per_event=round(ingest["aws_calls_per_event"], 3),
        ingest_aws_writes_per_event=round(ingest["aws_writes_per_event"], 3),
        import_ratio_vs_boto3=round(max(imports.cpu[f] for f in INGEST_FUNCTIONS), 3),
        import_ratio_other_vs_boto3=round(max(imports.cpu[f] for f in OTHER_FUNCTIONS), 3),
        cold_start_ratio_ingest=round(max(first.cpu[f] for f in INGEST_FUNCTIONS), 3),
        cold_start_ratio_max=round(max(first.cpu[f] for f in CASES), 3),
        call_record_bytes_max=ingest["call_record_bytes_max"],
        crm_job_bytes_max=ingest["crm_job_bytes_max"],
        outbox_aws_calls_per_job=round(ingest["outbox_aws_calls_per_job"], 3),
        crm_requests_per_record=round(crm["crm_requests_per_record"], 4),
        crm_requests_per_record_dynamics=round(dynamics["crm_requests_per_record"], 4),
        crm_requests_per_record_aa=round(aa["crm_requests_per_record"], 4),
        crm_records_per_s=round(crm["crm_records_per_s"], 1),
        crm_batch_s_max=round(max(batch_s.values()), 2),
        lost=ingest["lost"] + crm["lost"] + dynamics["lost"] + aa["lost"],
        duplicated=ingest["duplicated"] + crm["duplicated"] + dynamics["duplicated"] + aa["duplicated"],
        package_mb_max=package_mb(),
        sfn_transitions_closed_early=sla["sfn_transitions_closed_early"],
        sfn_transitions_full_ladder=sla["sfn_transitions_full_ladder"],
        assist_p99_ms_crm_ok=round(assist["assist_p99_ms_crm_ok"], 1),
        assist_p99_ms_crm_hanging=round(assist["assist_p99_ms_crm_hanging"], 1),
        lookup_requests_per_call=round(linking["lookup_requests_per_call"], 4),
    )
    slowest = max(OTHER_FUNCTIONS, key=imports.cpu.__getitem__)
    slowest_first = max(CASES, key=first.cpu.__getitem__)

    def wall(figures: Figures, functions: Iterable[str]) -> str:
        return f" (wall {max(figures.wall[f] for f in functions):.2f})"

    rows = [
        (
            "ingest p50 / p99 per event (ms, moto, warm)",
            f"{result['ingest_p50_ms']} / {result['ingest_p99_ms']}",
            "p99 < 25",
        ),
        (
            "AWS calls / writes per event",
            f"{result['ingest_aws_calls_per_event']} / {result['ingest_aws_writes_per_event']}",
            "writes <= 2",
        ),
        (
            "ingest handler import / import boto3 (worst of four)",
            f"{result['import_ratio_vs_boto3']}{wall(imports, INGEST_FUNCTIONS)}",
            "<= 1.5",
        ),
        (
            f"other handler import / import boto3 ({slowest})",
            f"{result['import_ratio_other_vs_boto3']}{wall(imports, OTHER_FUNCTIONS)}",
            "<= 2",
        ),
        (
            "ingest first invocation / boto3 floor (worst of four)",
            f"{result['cold_start_ratio_ingest']}{wall(first, INGEST_FUNCTIONS)}",
            "<= 1.6",
        ),
        (
            f"first invocation / floor, worst ({slowest_first})",
            f"{result['cold_start_ratio_max']}{wall(first, CASES)}",
            "<= 2",
        ),
        (
            "call record / CRM job size (bytes); outbox AWS calls per job",
            f"{result['call_record_bytes_max']} / {result['crm_job_bytes_max']}; {result['outbox_aws_calls_per_job']}",
            "",
        ),
        ("CRM requests per record (Salesforce fake, 30% throttled)", f"{result['crm_requests_per_record']}", "<= 0.02"),
        (
            "CRM requests per record (Dataverse fake, 30% throttled)",
            f"{result['crm_requests_per_record_dynamics']}",
            "<= 0.02",
        ),
        (
            "CRM requests per record (Automation Anywhere WLM fake, 30% throttled)",
            f"{result['crm_requests_per_record_aa']}",
            "<= 0.02",
        ),
        ("CRM records written per second of worker time", f"{result['crm_records_per_s']}", ""),
        (
            f"slowest 200-record batch, 7% hanging (s; {max(batch_s, key=batch_s.__getitem__)})",
            f"{result['crm_batch_s_max']}",
            "< 60",
        ),
        ("lost / duplicated (ingest 2x redelivery + CRM sync)", f"{result['lost']} / {result['duplicated']}", "0 / 0"),
        (
            "SFN transitions per workitem: closed early / full ladder",
            f"{result['sfn_transitions_closed_early']} / {result['sfn_transitions_full_ladder']}",
            "closed early <= 10",
        ),
        ("assist lookup p99 (ms): CRM answering", f"{result['assist_p99_ms_crm_ok']}", ""),
        (
            f"assist lookup p99 (ms): CRM hanging, {assist['assist_hanging_answers']} answers"
            f" {'all' if assist['assist_hanging_all_fallback'] else 'NOT all'} fallback",
            f"{result['assist_p99_ms_crm_hanging']}",
            f"<= {DEADLINE_S * 1000 + 100:.0f}",
        ),
        (
            f"CRM lookups per call, contact linking ({linking['linked_share']:.0%} linked)",
            f"{result['lookup_requests_per_call']}",
            "<= 0.25",
        ),
        ("largest function + layer (MB, after sam build)", f"{result['package_mb_max']}", "< 30"),
    ]
    print(f"{'figure':62} {'value':>22}  target")
    for name, value, target in rows:
        print(f"{name:62} {value:>22}  {target}")
    print(f"(ingest events: {events}; CRM records: {crm['records']})")
    print(f"(cold start: {twin.description}; ratios of CPU time, medians of {import_runs} pairs;")
    floors = (imports.floor_cpu_ms, imports.floor_wall_ms, first.floor_cpu_ms, first.floor_wall_ms)
    print(" CPU / wall ms: import boto3 {:.0f} / {:.0f}, first-invocation floor {:.0f} / {:.0f})".format(*floors))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
