"""The layer's layout (issue 12): feature packages only, no fakes shipped, one hop from template to handler."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "cxbridge" / "cxbridge"
FEATURES = {"core", "genesys", "calls", "crm", "workitems", "toil", "transcripts"}


def test_the_layer_root_holds_only_feature_packages() -> None:
    modules = {p.name for p in LAYER.glob("*.py")}
    packages = {p.name for p in LAYER.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    assert modules == {"__init__.py"}
    assert packages == FEATURES


def test_no_in_memory_fake_ships_in_the_layer() -> None:
    classes = {
        node.name
        for path in LAYER.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
    }
    assert not {name for name in classes if name.startswith(("InMemory", "Fake"))}


def test_every_function_is_one_hop_from_the_template(sam: dict[str, Any]) -> None:
    """Each function's handler is ``app.lambda_handler`` in its own ``functions/<name>`` folder."""
    functions = [res["Properties"] for res in sam["Resources"].values() if res["Type"] == "AWS::Serverless::Function"]
    assert len(functions) >= 13
    for props in functions:
        code = ROOT / props["CodeUri"]
        assert code.parent == ROOT / "functions"
        assert props["Handler"] == "app.lambda_handler"
        assert (code / "app.py").is_file()


def test_handler_modules_stay_thin() -> None:
    """A handler module translates an event and a response; routes, models and rules live in the feature."""
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        lines = app.read_text().splitlines()
        assert len(lines) <= 60, f"{app.relative_to(ROOT)} has {len(lines)} lines"
        assert not [line for line in lines if line.startswith(("@app.", "app.route"))], app  # no routes here
