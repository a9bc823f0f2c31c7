"""``cxbridge setup | status | redrive``: one command from ``sam deploy`` to the first synced call, and after.

    cxbridge setup --config cxbridge.yaml --stack cxbridge     # parameter + secrets, then every connection checked
    cxbridge status --stack cxbridge                           # queues, dead letters by reason, records, breaker, toil
    cxbridge redrive --stack cxbridge [--queue crm-sync|ingest] [--rate 10] [--status]

``--local`` points at the local stack (``make local``): its AWS on 127.0.0.1:3003, stack name ``cxbridge``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

from cxbridge.calls.store import DynamoSyncStatusStore
from cxbridge.core.observability import logger
from cxbridge.core.sqs import SqsQueue
from cxbridge_cli import config as config_file
from cxbridge_cli import queues, replay, setup, status
from cxbridge_cli.stack import LOCAL_AWS_URL, Aws, StackError, read_stack

EXIT_FAILED_CHECK = 1
EXIT_USAGE = 2


def _aws(args: argparse.Namespace) -> Aws:
    return Aws(endpoint_url=LOCAL_AWS_URL if args.local else args.endpoint_url, region=args.region)


def run_setup(args: argparse.Namespace) -> int:
    config = config_file.load(Path(args.config))
    genesys, crm = config_file.secrets_of(config, config_file.secret_value)
    aws = _aws(args)
    stack = read_stack(aws, args.stack)
    if not args.check_only:
        for line in setup.write(aws, stack, config, genesys, crm):
            print(line)
    checks = setup.check_all(stack, config, genesys, crm)
    checks += setup.eventbridge(aws, stack, config, genesys, write=not args.check_only)
    for line in setup.report(checks):
        print(line)
    failed = [c.name for c in checks if not c.ok]
    print(
        f"{len(checks) - len(failed)} of {len(checks)} checks passed"
        + (f"; failed: {', '.join(failed)}" if failed else "")
    )
    return EXIT_FAILED_CHECK if failed else 0


def run_status(args: argparse.Namespace) -> int:
    aws = _aws(args)
    print(status.render(status.status(aws, read_stack(aws, args.stack))))
    return 0


def run_redrive(args: argparse.Namespace) -> int:
    aws = _aws(args)
    stack = read_stack(aws, args.stack)
    sqs = aws.client("sqs")
    url = stack.output(queues.DEAD_LETTER_OUTPUTS[args.queue])
    if args.queue == "ingest" and not args.status:  # replayed by what each holds (cxbridge_cli/replay.py)
        dynamodb = aws.client("dynamodb")
        counts = replay.replay_ingest(
            sqs,
            aws.client("dynamodbstreams"),
            aws.client("lambda"),
            url,
            records=DynamoSyncStatusStore(dynamodb, stack.output("CallRecordsTableName")),
            jobs=SqsQueue(sqs, stack.output("CrmSyncQueueUrl")),
        )
        print(json.dumps(counts))
        return 0
    if aws.endpoint_url and args.queue in queues.SOURCE_OUTPUTS:  # moto has no StartMessageMoveTask
        destination = stack.output(queues.SOURCE_OUTPUTS[args.queue])
        print(json.dumps({"moved": queues.move_by_hand(sqs, url, destination)}))
        return 0
    arn = queues.queue_arn(sqs, url)
    shown = queues.move_tasks(sqs, arn) if args.status else queues.start_redrive(sqs, arn, args.rate)
    print(json.dumps(shown, indent=2, default=str))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="cxbridge", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--stack", default="cxbridge", help="CloudFormation stack name (default cxbridge)")
    common.add_argument("--region", help="AWS region (default: AWS_REGION / the profile's)")
    where = common.add_mutually_exclusive_group()
    where.add_argument("--local", action="store_true", help=f"the local stack of make local ({LOCAL_AWS_URL})")
    where.add_argument("--endpoint-url", help="an AWS endpoint other than the real one (an emulator)")
    commands = root.add_subparsers(dest="command", required=True)

    cmd = commands.add_parser("setup", parents=[common], help="write the CRM parameter and secrets, check connections")
    cmd.add_argument("--config", required=True, help="the setup file (start from cxbridge.example.yaml)")
    cmd.add_argument("--check-only", action="store_true", help="check the connections, write nothing")
    cmd.set_defaults(run=run_setup)

    cmd = commands.add_parser("status", parents=[common], help="queues, dead letters, records, breaker, toil report")
    cmd.set_defaults(run=run_status)

    cmd = commands.add_parser("redrive", parents=[common], help="move dead letters back to their queue")
    cmd.add_argument("--queue", choices=sorted(queues.DEAD_LETTER_OUTPUTS), default="crm-sync")
    cmd.add_argument("--rate", type=int, help="messages per second (default: as fast as SQS allows)")
    cmd.add_argument("--status", action="store_true", help="show the move tasks instead of starting one")
    cmd.set_defaults(run=run_redrive)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logger.setLevel("WARNING")  # the logins' info lines are for Lambda; the command prints its own report
    try:
        code: int = args.run(args)
    except (config_file.ConfigError, StackError) as exc:
        print(f"cxbridge {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (NoCredentialsError, NoRegionError, EndpointConnectionError) as exc:
        hint = "is `make local` running? (--local)" if args.local else "set AWS_PROFILE / AWS_REGION, or --region"
        print(f"cxbridge {args.command}: AWS: {exc}; {hint}", file=sys.stderr)
        return EXIT_USAGE
    return code
