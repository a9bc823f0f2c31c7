"""The setup docs keep up with the template: every parameter is in the table, and only real ones."""

from __future__ import annotations

import re

from local.template import ROOT, load_template

TABLE = ROOT / "docs/setup/parameters.md"


def test_the_parameter_table_lists_every_template_parameter_once() -> None:
    rows = re.findall(r"^\| `(\w+)` \|", TABLE.read_text(), flags=re.MULTILINE)
    assert sorted(rows) == sorted(load_template()["Parameters"])


def test_the_table_shows_each_default_as_the_template_gives_it() -> None:
    text = TABLE.read_text()
    for name, parameter in load_template()["Parameters"].items():
        default = str(parameter.get("Default", ""))
        row = re.search(rf"^\| `{name}` \|[^|]*\|(?P<default>[^|]*)\|", text, flags=re.MULTILINE)
        assert row is not None, name
        shown = row["default"]
        assert (f"`{default}`" in shown) if default else ("empty" in shown), (name, default, shown)
