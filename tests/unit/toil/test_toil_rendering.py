"""``make toil``'s output: the text table and the self-contained HTML chart."""

from __future__ import annotations

import re
from datetime import date

from cxbridge.toil.page import render_html
from cxbridge.toil.rules import (
    DispositionRef,
    Period,
    Scope,
    SourceKey,
    Tally,
    ToilPolicy,
    ToilReport,
    build_report,
    name_tallies,
)
from scripts.toil import render_table


def calls(n: int, handle_s: int) -> Tally:
    return Tally(n, n, n * handle_s * 1000, n * handle_s * 1000)


def sample(scope: Scope = Scope.ORG) -> ToilReport:
    queue = "q-1" if scope is Scope.QUEUE else None
    now: dict[SourceKey, Tally] = {
        (DispositionRef("wc-pwd"), queue): calls(25, 420),
        (DispositionRef("wc-new"), queue): calls(20, 400),
        (DispositionRef(name="<script>alert(1)</script>"), queue): calls(5, 100),
        (DispositionRef("ININ-WRAP-UP-TIMEOUT"), queue): calls(50, 500),
    }
    before: dict[SourceKey, Tally] = {
        (DispositionRef("wc-pwd"), queue): calls(25, 420),
        (DispositionRef("wc-new"), queue): calls(5, 400),  # 5 %: not a candidate yet
        (DispositionRef("ININ-WRAP-UP-TIMEOUT"), queue): calls(70, 500),
    }
    names = {"wc-pwd": "Password reset", "wc-new": "Balance inquiry", "ININ-WRAP-UP-TIMEOUT": "ININ-WRAP-UP-TIMEOUT"}
    return build_report(
        name_tallies(now, names),
        name_tallies(before, names),
        period=Period.ending(date(2026, 5, 1), 1),
        scope=scope,
        policy=ToilPolicy(),
        source="records",
    )


def test_the_table_marks_candidates_new_ones_and_non_automatable_rows() -> None:
    table = render_table(sample())
    rows = {line.split("  ")[0].strip(): line for line in table.splitlines()}

    assert rows["Password reset"].rstrip().endswith("yes")
    assert rows["Balance inquiry"].rstrip().endswith("NEW")
    assert rows["ININ-WRAP-UP-TIMEOUT"].rstrip().endswith("n/a")
    assert "queue" not in table.splitlines()[3]
    assert "q-1" in render_table(sample(Scope.QUEUE))


def test_the_table_of_an_empty_period_says_so() -> None:
    empty = build_report(
        name_tallies({}, {}),
        name_tallies({}, {}),
        period=Period.ending(date(2026, 5, 1), 1),
        scope=Scope.ORG,
        policy=ToilPolicy(),
        source="records",
    )

    assert render_table(empty).endswith("(no calls in either period)")
    assert "<li>none</li>" in render_html(empty)


def test_the_chart_is_one_self_contained_page_with_thresholds_and_highlighted_candidates() -> None:
    page = render_html(sample())

    assert page.count("<svg") == 1
    assert not re.search(r"<script|src=|href=|@import", page)  # nothing loaded, nothing run; names escaped
    assert "&lt;script&gt;" in page
    assert page.count('class="threshold"') == 2
    assert page.count('<circle class="candidate"') == 2
    assert page.count('<circle class="system"') == 1
    assert "share 15 %" in page and "AHT 300 s" in page
