"""Hostile names stay inert in every output format (issue: "Hostile content stays inert in every output").

A log can name a feature, user, team or model anything. These tests ingest such names for real and read
every format back: no spreadsheet formula may start a cell, a bare CR may not split a CSV row, and no
terminal control sequence (ESC, BEL, OSC, C1 CSI, the RTL override) may reach table, markdown, CSV or JSON
text raw.
"""

from __future__ import annotations

import csv
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke
from test_attribute_ingest import row, write_jsonl

from costctl.render import render
from costctl.report import Column, Format, Report, Table

HOSTILE = [
    "\r=1+1",
    "\n@SUM(A1)",
    "\x1b]0;pwned\x07evil",
    "\x1b[31mred",
    "gpt\u202elive",
    "\x9b31mcsi",
    "\t=cmd|' /C calc'!A0",
    "-2+3",
]
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("hostile")
    rows = [row(i, feature=name, user_id=name, team=name) for i, name in enumerate(HOSTILE * 3)]
    log = write_jsonl(tmp / "hostile.jsonl", rows)
    path = tmp / "h.duckdb"
    result = invoke("attribute", "ingest", str(log), "--db", str(path))
    assert result.exit_code == 0, result.stderr
    return path


def assert_csv_inert(text: str) -> None:
    """Read as a spreadsheet would: every row, every text cell; none may run as a formula."""
    for record in csv.reader(io.StringIO(text, newline="")):
        for cell in record:
            try:
                Decimal(cell)
                continue  # a number, negative ones included, is data
            except ArithmeticError:
                pass
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), (cell, text)
    assert not RAW_CONTROLS.search(text), text


def assert_terminal_inert(text: str) -> None:
    assert not RAW_CONTROLS.search(text), text
    assert "\r" not in text, text


@pytest.mark.parametrize("dim", ["feature", "user", "team"])
def test_attribute_report_csv_cannot_start_a_formula_row(db: Path, dim: str) -> None:
    result = invoke("attribute", "report", "--db", str(db), "--by", dim, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert_csv_inert(result.stdout)
    # the CR-led name is kept as one quoted, neutralised cell, not a new row
    assert '"\'\r=1+1"' in result.stdout


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_attribute_report_text_formats_escape_control_characters(db: Path, fmt: str) -> None:
    result = invoke("attribute", "report", "--db", str(db), "--by", "feature", "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert_terminal_inert(result.stdout)
    assert "\\x1b]0;pwned\\x07evil" in result.stdout.replace("\\\\", "\\")
    assert "gpt\\u202elive" in result.stdout.replace("\\\\", "\\")


def test_attribute_report_json_keeps_exact_names_but_no_raw_controls(db: Path) -> None:
    result = invoke("attribute", "report", "--db", str(db), "--by", "feature", "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert not RAW_CONTROLS.search(result.stdout)
    names = {r["feature"] for r in result.json()["rows"] if "feature" in r}
    assert set(HOSTILE) <= names  # escapes only: the parsed values are exactly the logged names


@pytest.mark.parametrize("fmt", ["csv", "table", "markdown"])
def test_audit_logs_outputs_are_inert(db: Path, fmt: str) -> None:
    result = invoke("audit", "logs", "--db", str(db), "-f", fmt)
    assert result.exit_code in (0, 1), result.stderr
    if fmt == "csv":
        assert_csv_inert(result.stdout)
    else:
        assert_terminal_inert(result.stdout)
    assert not RAW_CONTROLS.search(result.stderr)


def test_report_html_and_its_csv_downloads_are_inert(db: Path, tmp_path: Path) -> None:
    from test_report_command import csv_links

    out = tmp_path / "r.html"
    result = invoke("report", "--db", str(db), "--month", "2026-10", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert not RAW_CONTROLS.search(html)  # names shown with their control characters escaped
    payload = re.search(r'<script type="application/json" id="costctl-data">(.*?)</script>', html, re.S)
    assert payload is not None
    assert set(HOSTILE) <= {r["name"] for r in json.loads(payload.group(1))["by_feature"]}
    links = csv_links(html)
    assert links
    for text in links.values():
        assert_csv_inert(text)


def test_every_text_renderer_makes_a_hostile_report_inert() -> None:
    rows = [{"name": n, "usd": Decimal("-1.5"), "n": 3} for n in HOSTILE]
    report = Report(
        command="test",
        data={"rows": rows},
        tables=[
            Table([Column("name", "\x1bName"), Column("usd", "USD", "usd"), Column("n", "N", "int")], rows)
        ],
        notes=["note \x1b[2J"],
        title="\x1b]0;title\x07",
    )
    for fmt in (Format.TABLE, Format.MARKDOWN):
        assert_terminal_inert(render(report, fmt))
    assert_csv_inert(render(report, Format.CSV))
    text = render(report, Format.JSON)
    assert not RAW_CONTROLS.search(text)
    assert [r["name"] for r in json.loads(text)["rows"]] == HOSTILE


def test_inert_escapes_visibly_and_leaves_plain_text_alone() -> None:
    from costctl.render.text import inert

    assert inert("plain – ünïcode 漢字") == "plain – ünïcode 漢字"
    assert inert("a\x1b[31mb") == "a\\x1b[31mb"
    assert inert("x\u202ey") == "x\\u202ey"
    assert inert("a\r\nb\tc") == "a  b c"
    assert inert("a\rb", keep="\r") == "a\rb"


def test_ci_outputs_are_inert() -> None:
    import xml.etree.ElementTree as ET

    from costctl.render.ci import github_annotations, junit_xml

    rules = [
        {
            "name": "\x1b]0;x\x07cap",
            "metric": "monthly_cost",
            "scope": "total",
            "status": "fail",
            "message": "over\x1b[2J\nby $1",
        }
    ]
    report = Report("estimate", {"gate": {"rules": rules}})
    lines = github_annotations(report, file="w\x1b.yaml")
    assert not RAW_CONTROLS.search("".join(lines)) and lines[0].endswith("over\\x1b[2J%0Aby $1")
    xml = junit_xml(report)
    assert not RAW_CONTROLS.search(xml)
    assert ET.fromstring(xml).find("testcase/failure") is not None  # well-formed XML 1.0
