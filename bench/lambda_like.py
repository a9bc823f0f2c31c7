"""What Lambda loads, rebuilt for this machine: the layer, a function's folder and a runtime with boto3 only.

The twin layer comes out of ``layers/cxbridge/Makefile`` (the steps and flags of ``make build``, at the
versions of ``constraints.txt``), with this machine's wheels instead of arm64 ones; each function folder
is copied and compiled as ``make build`` does. Beside them, a venv that holds only boto3 and botocore (the
runtime's SDK, not the dev venv's awscrt and pyOpenSSL, which botocore and urllib3 import when present).
Processes run with the Lambda runtime's variables and, as on read-only ``/opt`` and ``/var/task``, write
no bytecode. The venv and the layer's dependencies are cached under ``.bench/``, keyed by what they are
built from; the cxbridge package and the functions are packaged again on every run.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from local.template import load_template

ROOT = Path(__file__).resolve().parent.parent
LAYER_SOURCE = ROOT / "layers" / "cxbridge"
CACHE = ROOT / ".bench"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def _make(target: str, **variables: str) -> None:
    args = [f"{k}={v}" for k, v in variables.items()]
    make = shutil.which("make") or "make"
    subprocess.run([make, "-s", "-C", str(LAYER_SOURCE), target, f"RUNTIME_PYTHON={sys.executable}", *args], check=True)  # noqa: S603 - our own Makefile


def _key() -> str:
    """What the cached venv and layer dependencies are built from."""
    digest = hashlib.sha256(platform.machine().encode() + sys.version.encode())
    for path in (ROOT / "constraints.txt", LAYER_SOURCE / "Makefile", *sorted(LAYER_SOURCE.glob("requirements*.txt"))):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Twin:
    """The paths of one twin: its interpreter, its ``/opt/python`` and its ``/var/task`` per function."""

    python: Path
    opt: Path
    tasks: Path
    description: str

    def task(self, function: str) -> Path:
        return self.tasks / function


def build_twin() -> Twin:
    """Package the layer and the functions for this machine (dependencies from the cache when current)."""
    home = CACHE / _key()
    venv, opt = home / "venv", home / "opt"
    if not (home / ".complete").is_file():
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)  # noqa: S603
        pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--quiet"]
        subprocess.run([*pip, "--constraint", str(ROOT / "constraints.txt"), "boto3"], check=True)  # noqa: S603
        _make("layer-dependencies", ARTIFACTS_DIR=str(opt), PLATFORM=f"manylinux2014_{platform.machine()}")
        (home / ".complete").touch()
    _make("layer-package", ARTIFACTS_DIR=str(opt))
    tasks = CACHE / "task"
    shutil.rmtree(tasks, ignore_errors=True)
    for folder in sorted((ROOT / "functions").glob("*/app.py")):
        shutil.copytree(folder.parent, tasks / folder.parent.name, ignore=shutil.ignore_patterns("__pycache__"))
    _make("bytecode", BYTECODE_DIRS=str(tasks))
    versions = subprocess.run(  # noqa: S603
        [
            str(venv / "bin" / "python"),
            "-c",
            "import boto3, platform; print(platform.python_version(), boto3.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    description = (
        f"Lambda-like: Python {versions[0]} on {platform.machine()}, boto3 {versions[1]} only, "
        "the layer as make build packages it (native wheels, bytecode), no bytecode written"
    )
    return Twin(venv / "bin" / "python", opt / "python", tasks, description)


_PLACEHOLDERS = {
    "AWS::SQS::Queue": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{{}}",
    "AWS::SNS::Topic": f"arn:aws:sns:{REGION}:{ACCOUNT}:{{}}",
}
_PSEUDO = {"AWS::Partition": "aws", "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": "amazonaws.com"}


def _resolve(value: Any) -> str:
    """A template value as the deployed function would see it, with made-up names for the resources."""
    if not isinstance(value, dict):
        return str(value)
    if "Ref" in value:
        name = value["Ref"]
        parameter = load_template().get("Parameters", {}).get(name)
        if parameter is not None:
            return str(parameter.get("Default", ""))
        return _PLACEHOLDERS.get(load_template()["Resources"][name]["Type"], "{}").format(name)
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        for var, sub in _PSEUDO.items():
            text = text.replace(f"${{{var}}}", sub)
        return text.replace("${", "").replace("}", "")
    return json.dumps(value)


@cache
def _logical_ids() -> dict[str, str]:
    """Function folder name → the template's logical id."""
    resources = load_template()["Resources"]
    return {
        Path(res["Properties"]["CodeUri"]).name: logical_id
        for logical_id, res in resources.items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def lambda_environment(twin: Twin, function: str | None, endpoint: str | None = None) -> dict[str, str]:
    """The variables a process of ``function`` gets from the runtime and the template (None: boto3 alone)."""
    template = load_template()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_ACCESS_KEY_ID": "ASIABENCH",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": "bench",
        "_HANDLER": "app.lambda_handler",
        "AWS_LAMBDA_FUNCTION_NAME": function or "boto3",
        "LAMBDA_TASK_ROOT": str(twin.task(function) if function else twin.tasks),
    }
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    if function is None:
        return env
    props = template["Resources"][_logical_ids()[function]]["Properties"]
    variables = {
        **template["Globals"]["Function"].get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    env.update({name: _resolve(value) for name, value in variables.items()})
    env["PYTHONPATH"] = f"{twin.task(function)}:{twin.opt}"
    return env
