"""One Report, every format: golden files for awkward values (unicode, pipes, quotes, formulas, tiny and
huge amounts), so any change of output is read in a diff. Regenerate with `pytest --update-golden`."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import check_golden

from costctl.render import render
from costctl.render.values import format_usd
from costctl.report import Column, Format, Report, Table

GOLDEN = Path(__file__).parent / "golden"


def awkward_report() -> Report:
    rows = [
        {
            "feature": "résumé ✓ 日本語",
            "note": 'says "hi" | pipes',
            "requests": 1_234_567,
            "cost_usd": Decimal("123456789.987654321"),
            "exact": True,
        },
        {
            "feature": '=HYPERLINK("http://x")',
            "note": "+1 -1 @sum",
            "requests": 0,
            "cost_usd": Decimal("0.0000001"),
            "exact": False,
        },
        {
            "feature": "<script>alert(1)</script>",
            "note": "[bold]not markup[/bold]",
            "requests": 7,
            "cost_usd": Decimal("-0.5"),
            "exact": True,
        },
    ]
    columns = [
        Column("feature", "Feature"),
        Column("note", "Note"),
        Column("requests", "Requests", "int"),
        Column("cost_usd", "Cost", "usd"),
        Column("exact", "Count", "exact"),
    ]
    footer = {
        "feature": "total",
        "requests": 1_234_574,
        "cost_usd": sum((r["cost_usd"] for r in rows), Decimal(0)),
    }
    return Report(
        command="golden",
        data={"rows": rows, "total_usd": footer["cost_usd"]},
        tables=[Table(columns, rows, title="Awkward | values", footer=footer)],
        notes=["a note with | pipe"],
        title="Golden report",
    )


@pytest.mark.parametrize("fmt", [Format.TABLE, Format.JSON, Format.CSV, Format.MARKDOWN])
def test_golden(fmt, update_golden):
    check_golden(GOLDEN / f"awkward.{fmt.value}", render(awkward_report(), fmt), update_golden)


def test_json_money_is_decimal_strings():
    data = json.loads(render(awkward_report(), Format.JSON))
    assert data["total_usd"] == "123456789.487654421"
    assert data["rows"][0]["cost_usd"] == "123456789.987654321"


def test_csv_neutralises_formula_cells_but_not_negative_numbers():
    rows = list(csv.reader(io.StringIO(render(awkward_report(), Format.CSV))))
    assert rows[2][0].startswith("'=")
    assert rows[2][1].startswith("'+")
    assert rows[3][3] == "-0.5"


def test_markdown_escapes_pipes_and_html():
    text = render(awkward_report(), Format.MARKDOWN)
    assert "\\|" in text and "<script>" not in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0", "$0.00"),
        ("0.0065", "$0.0065"),
        ("1.382505", "$1.38"),
        ("11500", "$11,500.00"),
        ("0.00000001", "<$0.000001"),
        ("0.5", "$0.50"),
    ],
)
def test_format_usd(value, shown):
    assert format_usd(Decimal(value)) == shown
