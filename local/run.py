"""``make local``: the API of ``template.yaml`` on 127.0.0.1, AWS emulated in-process by moto.

No AWS account and no Docker: tables and queues are created from the template, every ``Api`` route is
served with the proxy event API Gateway would send (API key enforced), handlers run in-process, and the
call-record stream is relayed to the outbox function after each request, as its event source mapping
would. ``--replay`` posts every sample in ``events/genesys`` three times and prints what happened.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any
from urllib.request import Request, urlopen

import boto3
from moto import mock_aws

from local.http_front import api_routes, make_server
from local.lambda_context import LocalContext
from local.resources import LocalResources, create_all
from local.streams import StreamPump
from local.template import resources_of_type
from scripts.build_events import BODIES, route_of

DEFAULT_PORT = 3000
DEFAULT_API_KEY = "local-dev-key"


class LocalStack:
    """Emulated resources plus in-process functions, wired as the template wires them."""

    def __init__(self) -> None:
        self._mock = mock_aws()
        self._mock.start()
        self.dynamodb = boto3.client("dynamodb")
        self.sqs = boto3.client("sqs")
        self.resources: LocalResources = create_all(self.dynamodb, self.sqs)
        functions = resources_of_type("AWS::Serverless::Function")
        for logical_id in functions:
            os.environ.update(self.resources.function_environment(logical_id))
        self._functions = functions
        self._streams = [
            (StreamPump(self.dynamodb, boto3.client("dynamodbstreams"), self.resources.tables[table]), fn)
            for fn, table in self._stream_sources().items()
        ]
        self._relay_lock = threading.Lock()

    def _stream_sources(self) -> dict[str, str]:
        """Function logical id → table logical id, for every DynamoDB stream event source."""
        sources = {}
        for logical_id, fn in self._functions.items():
            for event in fn["Properties"].get("Events", {}).values():
                if event["Type"] == "DynamoDB":
                    sources[logical_id] = event["Properties"]["Stream"]["Fn::GetAtt"][0]
        return sources

    def _handler(self, logical_id: str) -> Any:
        props = self._functions[logical_id]["Properties"]
        module_name, handler_name = props["Handler"].rsplit(".", 1)
        package = props["CodeUri"].strip("/").replace("/", ".")
        return getattr(importlib.import_module(f"{package}.{module_name}"), handler_name)

    def invoke(self, logical_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Run one function's handler in-process, then relay the streams it may have fed."""
        result: dict[str, Any] = self._handler(logical_id)(event, LocalContext(function_name=logical_id))
        self.relay()
        return result

    def relay(self) -> None:
        """Deliver new stream records to their functions, as their event source mappings would."""
        with self._relay_lock:
            for pump, fn in self._streams:
                pump.pump(partial(self._deliver, fn))

    def _deliver(self, logical_id: str, batch: dict[str, Any]) -> dict[str, Any] | None:
        result: dict[str, Any] | None = self._handler(logical_id)(batch, LocalContext(function_name=logical_id))
        return result

    def state(self) -> dict[str, Any]:
        """What the stack holds: call records and queue depths."""
        records = []
        for table in self.resources.tables.values():
            for item in self.dynamodb.scan(TableName=table).get("Items", []):
                records.append({k: next(iter(v.values())) for k, v in item.items() if k != "cells"})
        queues = {}
        for logical_id, url in self.resources.queue_urls.items():
            attrs = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
            queues[logical_id] = int(attrs["Attributes"]["ApproximateNumberOfMessages"])
        return {"callRecords": records, "queues": queues}

    def stop(self) -> None:
        self._mock.stop()


def replay_samples(base_url: str, api_key: str) -> dict[str, Any]:
    """Post every sample body three times, concurrently; count the answers."""
    posts = []
    for path in sorted(BODIES.glob("*.json")) * 3:
        route, _ = route_of(path.stem)
        posts.append((route, path.read_bytes()))

    def send(item: tuple[str, bytes]) -> dict[str, Any]:
        req = Request(  # noqa: S310 - our own server on 127.0.0.1
            base_url + item[0],
            data=item[1],
            headers={"Content-Type": "application/json", "x-api-key": api_key},
            method="POST",
        )
        with urlopen(req, timeout=10) as resp:  # noqa: S310
            answer: dict[str, Any] = json.loads(resp.read())
            return answer

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(send, posts))
    outcomes: dict[str, int] = {}
    for a in answers:
        outcomes[a["outcome"]] = outcomes.get(a["outcome"], 0) + 1
    return {"posted": len(posts), "outcomes": outcomes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CXBRIDGE_LOCAL_PORT", DEFAULT_PORT)))
    parser.add_argument("--api-key", default=os.environ.get("CXBRIDGE_LOCAL_API_KEY", DEFAULT_API_KEY))
    parser.add_argument("--replay", action="store_true", help="post the samples 3x, print a summary, exit")
    args = parser.parse_args(argv)

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[key] = "local"  # never a real credential: moto intercepts every call
    stack = LocalStack()
    server = make_server(
        args.host, args.port, args.api_key, stack.invoke, lambda p: stack.state() if p == "/__local/state" else None
    )
    base = f"http://{args.host}:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"cxbridge local stack on {base}  (API key header  x-api-key: {args.api_key})")
    for route in sorted(api_routes(), key=lambda r: r.path):
        print(f"  {route.method:5} {base}{route.path}")
    print(f"  GET   {base}/__local/state   call records and queue depths")
    try:
        if args.replay:
            summary = {**replay_samples(base, args.api_key), **stack.state()["queues"]}
            print(json.dumps(summary, indent=2))
            return 0
        print("Ctrl-C to stop.")
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\nstopping")
    finally:
        server.shutdown()
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
