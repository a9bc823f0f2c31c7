"""The toil page, from live data through the route, rendered by a real headless browser (Debian's chromium).

Set ``CXBRIDGE_SCREENSHOT=docs/toil-page.png`` to keep the screenshot (the README shows it).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from local.toil_data import sample_calls
from tests.png import pixels

if TYPE_CHECKING:
    from pathlib import Path

    from tests.integration.toil.conftest import ToilStack

D = date(2025, 11, 23)
CANDIDATE = (0xC0, 0x39, 0x2B)  # the page's colours: candidates red, other dispositions blue
OTHER = (0x2C, 0x7B, 0xB6)
BROWSER = shutil.which("chromium") or shutil.which("chromium-browser")


def near(colour: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(colour, wanted, strict=True))


def discs(rgb: list[tuple[int, int, int]], width: int, colour: tuple[int, int, int]) -> int:
    """How many filled points of ``colour`` the picture shows: places where a solid 5 x 5 square of it sits
    (a point's disc holds one; dashed lines and label text are too thin), grouped when closer than 12 px."""
    painted = {i for i, c in enumerate(rgb) if near(c, colour)}
    solid = [
        divmod(i, width)
        for i in painted
        if all(i + dy * width + dx in painted for dy in range(-2, 3) for dx in range(-2, 3))
    ]
    centres: list[tuple[int, int]] = []
    for y, x in solid:
        if not any(abs(y - cy) < 12 and abs(x - cx) < 12 for cy, cx in centres):
            centres.append((y, x))
    return len(centres)


def chromium(*args: str) -> subprocess.CompletedProcess[bytes]:
    assert BROWSER is not None
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=960,900"]
    return subprocess.run(  # noqa: S603 - the system's chromium on a file we wrote
        [BROWSER, *flags, *args], capture_output=True, timeout=120, check=True
    )


@pytest.mark.skipif(BROWSER is None, reason="chromium is not installed: apt-get install -y chromium (.ci/run does)")
def test_the_page_from_the_route_shows_every_point_in_a_real_browser(toil: ToilStack, tmp_path: Path) -> None:
    toil.seed(sample_calls(D, 1, 300, seed=7))
    event = {
        "httpMethod": "GET",
        "path": "/toil/report",
        "headers": {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
        "queryStringParameters": {"date": D.isoformat()},
        "requestContext": {"authorizer": {"claims": {"client_id": "reporting", "scope": "cxbridge/toil.read"}}},
        "body": None,
    }
    answer = toil.stack.invoke("toil_report_api", event)
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "text/html; charset=utf-8"
    page = tmp_path / "toil.html"
    page.write_text(answer["body"], encoding="utf-8")
    drawn = len(re.findall(r"<circle ", answer["body"]))
    candidates = len(re.findall(r'<circle class="candidate"', answer["body"]))
    assert drawn >= 5
    assert candidates == 2  # password resets and balance inquiries, planted

    dom = chromium("--dump-dom", page.as_uri()).stdout.decode()
    assert len(re.findall(r"<circle ", dom)) == drawn  # the browser parsed every point into the SVG

    shot = tmp_path / "toil.png"
    chromium(f"--screenshot={shot}", page.as_uri())
    width, height, rgb = pixels(shot.read_bytes())
    assert (width, height) == (960, 900)
    others = len(re.findall(r'<circle class="other"', answer["body"]))
    assert discs(rgb, width, CANDIDATE) == candidates  # each candidate's point is painted, in red
    assert discs(rgb, width, OTHER) == others  # and every other disposition's, in blue
    if target := os.environ.get("CXBRIDGE_SCREENSHOT"):
        shutil.copyfile(shot, target)


def ask(toil: ToilStack, query: dict[str, str], accept: str) -> dict[str, Any]:
    event = {
        "httpMethod": "GET",
        "path": "/toil/report",
        "headers": {"Accept": accept},
        "queryStringParameters": query,
        "body": None,
    }
    answer: dict[str, Any] = toil.stack.invoke("toil_report_api", event)
    return answer


def test_json_stays_the_default_and_format_decides_over_accept(toil: ToilStack) -> None:
    toil.seed(sample_calls(D, 1, 100, seed=7))
    day = {"date": D.isoformat()}
    assert ask(toil, day, "application/json")["headers"]["Content-Type"] == "application/json"
    assert ask(toil, {**day, "format": "html"}, "*/*")["body"].startswith("<!doctype html>")
    as_json = ask(toil, {**day, "format": "json"}, "text/html")
    assert json.loads(as_json["body"])["totalCalls"] == 100


def test_an_unknown_format_is_a_400_naming_it(toil: ToilStack) -> None:
    answer = ask(toil, {"format": "pdf"}, "*/*")
    assert answer["statusCode"] == 400
    assert [e["field"] for e in json.loads(answer["body"])["errors"]] == ["format"]
