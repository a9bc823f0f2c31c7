"""``make bench``: measure what DESIGN.md sets targets for; never fails on speed.

Prints a short table, then one JSON object on the last line with the DESIGN.md keys (null where the
part of the system that a figure measures is not built yet).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from bench.crm import bench_batch_seconds, bench_crm
from bench.ingest import bench_ingest
from bench.sla import bench_sla

ROOT = Path(__file__).resolve().parent.parent
KEYS = (
    "ingest_p50_ms",
    "ingest_p99_ms",
    "ingest_aws_calls_per_event",
    "ingest_aws_writes_per_event",
    "import_ratio_vs_boto3",
    "import_ratio_other_vs_boto3",
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
    "sfn_transitions_closed_early",
    "sfn_transitions_full_ladder",
    "package_mb_max",
)
INGEST_MODULES = [f"functions.{name}.app" for name in ("ingest_acw", "ingest_customer_end", "ingest_user_end")]
INGEST_MODULES.append("functions.ingest_call_completed.app")
OTHER_MODULES = sorted(
    f"functions.{path.parent.name}.app"
    for path in (ROOT / "functions").glob("*/app.py")
    if f"functions.{path.parent.name}.app" not in INGEST_MODULES
)


def _import_seconds(module: str) -> float:
    """Wall time of importing ``module`` in a fresh interpreter."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    # The variables the Lambda runtime sets: libraries choose their Lambda paths by them (the X-Ray SDK
    # builds a local sampler instead of a botocore client for centralized sampling, ~140 ms less).
    lambda_env = {
        "LAMBDA_TASK_ROOT": str(ROOT),
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": "us-east-1",
    }
    env = {**os.environ, **lambda_env, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)  # noqa: S603 - our own interpreter and module names
    return float(out.stdout)


def bench_imports(runs: int) -> dict[str, float]:
    """Each handler's import time as a ratio to ``import boto3`` alone; the worst of a group counts.

    Each ratio is the median of paired runs (boto3, then the handler), so a machine that slows down or
    speeds up during the bench moves both sides of a pair alike.
    """
    modules = [*INGEST_MODULES, *OTHER_MODULES]
    for module in ["boto3", *modules]:
        _import_seconds(module)  # compile bytecode first: Lambda packages ship it warm too
    ratios: dict[str, float] = {}
    boto3_samples: list[float] = []
    for module in modules:
        pairs = [(_import_seconds("boto3"), _import_seconds(module)) for _ in range(runs)]
        boto3_samples += [b for b, _ in pairs]
        ratios[module] = statistics.median(m / b for b, m in pairs)
    return {"boto3_import_ms": statistics.median(boto3_samples) * 1000, **ratios}


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
        # Hanging requests cost real seconds: the quick run leaves out the slowest path (single upserts).
        batch_s = {sink: bench_batch_seconds(sink, 3 if args.quick else 10) for sink in ("salesforce", "dynamics")}
        if not args.quick:
            batch_s["dynamics_single"] = bench_batch_seconds("dynamics_single", 3)
        sla = bench_sla(quick=args.quick)
    imports = bench_imports(import_runs)
    result: dict[str, Any] = dict.fromkeys(KEYS)
    result.update(
        ingest_p50_ms=round(ingest["p50_ms"], 3),
        ingest_p99_ms=round(ingest["p99_ms"], 3),
        ingest_aws_calls_per_event=round(ingest["aws_calls_per_event"], 3),
        ingest_aws_writes_per_event=round(ingest["aws_writes_per_event"], 3),
        import_ratio_vs_boto3=round(max(imports[m] for m in INGEST_MODULES), 3),
        import_ratio_other_vs_boto3=round(max(imports[m] for m in OTHER_MODULES), 3),
        call_record_bytes_max=ingest["call_record_bytes_max"],
        crm_job_bytes_max=ingest["crm_job_bytes_max"],
        outbox_aws_calls_per_job=round(ingest["outbox_aws_calls_per_job"], 3),
        crm_requests_per_record=round(crm["crm_requests_per_record"], 4),
        crm_requests_per_record_dynamics=round(dynamics["crm_requests_per_record"], 4),
        crm_records_per_s=round(crm["crm_records_per_s"], 1),
        crm_batch_s_max=round(max(batch_s.values()), 2),
        lost=ingest["lost"] + crm["lost"] + dynamics["lost"],
        duplicated=ingest["duplicated"] + crm["duplicated"] + dynamics["duplicated"],
        package_mb_max=package_mb(),
        sfn_transitions_closed_early=sla["sfn_transitions_closed_early"],
        sfn_transitions_full_ladder=sla["sfn_transitions_full_ladder"],
    )
    slowest = max(OTHER_MODULES, key=imports.__getitem__)
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
        ("ingest handler import time / import boto3 (worst)", f"{result['import_ratio_vs_boto3']}", "< 1.5"),
        (
            f"other handler import time / import boto3 ({slowest.removeprefix('functions.').removesuffix('.app')})",
            f"{result['import_ratio_other_vs_boto3']}",
            "< 2",
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
        ("CRM requests per record (Automation Anywhere work queue)", "not built", "<= 0.02"),
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
        ("largest function + layer (MB, after sam build)", f"{result['package_mb_max']}", "< 30"),
    ]
    print(f"{'figure':62} {'value':>22}  target")
    for name, value, target in rows:
        print(f"{name:62} {value:>22}  {target}")
    print(f"(ingest events: {events}; CRM records: {crm['records']}; boto3 import {imports['boto3_import_ms']:.0f} ms)")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
