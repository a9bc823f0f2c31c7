"""What ``make build`` ships (issue 15): bytecode for every module, so a cold start compiles nothing.

Lambda's ``/opt`` and ``/var/task`` are read-only: a module without a usable ``.pyc`` is compiled from
source on every cold start. These tests read ``.aws-sam/build`` as ``make build`` (CI runs it before
``make test``) left it, and pinned versions as ``constraints.txt`` says.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
CACHE_TAG = "cpython-313"
UNCHECKED_HASH = 0b01  # PEP 552 flags: hash-based, source never checked

pytestmark = pytest.mark.skipif(not (BUILD / "CxbridgeLayer").is_dir(), reason="needs `make build`")


def _artifacts() -> list[Path]:
    return [BUILD / "CxbridgeLayer" / "python", *sorted(BUILD.glob("*Function"))]


def _stale_or_missing(root: Path) -> list[str]:
    """Modules under ``root`` whose ``.pyc`` is missing, of another Python, checked, or not of this source."""
    bad = []
    for source in root.rglob("*.py"):
        pyc = source.parent / "__pycache__" / f"{source.stem}.{CACHE_TAG}.pyc"
        if not pyc.is_file():
            bad.append(f"{source.relative_to(BUILD)}: no {CACHE_TAG} bytecode")
            continue
        header = pyc.read_bytes()[:16]
        if header[:4] != importlib.util.MAGIC_NUMBER:
            bad.append(f"{source.relative_to(BUILD)}: bytecode of another Python")
        elif int.from_bytes(header[4:8], "little") != UNCHECKED_HASH:
            bad.append(f"{source.relative_to(BUILD)}: not unchecked-hash bytecode")
        elif header[8:16] != importlib.util.source_hash(source.read_bytes()):
            bad.append(f"{source.relative_to(BUILD)}: bytecode of another version of the source")
    return bad


@pytest.mark.parametrize("artifact", _artifacts(), ids=lambda p: p.parent.name if p.name == "python" else p.name)
def test_every_module_ships_its_bytecode_for_the_runtime(artifact: Path) -> None:
    assert list(artifact.rglob("*.py")), f"{artifact} holds no module"
    assert _stale_or_missing(artifact) == []


def _pins() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return dict(line.lower().split("==") for line in lines if line and not line.startswith("#"))


def test_the_layer_packages_the_pinned_versions() -> None:
    """The layer runs what the tests ran: each packaged distribution at its constraints.txt version."""
    pins = _pins()
    stems = (
        meta.name.removesuffix(".dist-info").rsplit("-", 1)
        for meta in (BUILD / "CxbridgeLayer" / "python").glob("*.dist-info")
    )
    packaged = {name.replace("_", "-").lower(): version for name, version in stems}
    assert {"pydantic", "aws-lambda-powertools", "requests"} <= packaged.keys()
    assert packaged == {name: pins[name] for name in packaged}
