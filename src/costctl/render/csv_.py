"""CSV of the report's main table. Cells that a spreadsheet would run as a formula are neutralised."""

from __future__ import annotations

import csv
import io
from typing import Any

from costctl.render.values import plain_cell
from costctl.report import Report

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMERIC = ("usd", "int", "pct", "percent")


def neutralise(cell: str, *, numeric: bool = False) -> str:
    """OWASP CSV injection: prefix a quote to text starting with = + - @ (a negative number is data)."""
    if cell and not numeric and cell.startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def csv_rows(columns: list[Any], rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([neutralise(c.header) for c in columns])
    for row in rows:
        writer.writerow(
            [
                neutralise(plain_cell(row.get(c.key), c.kind_of(row)), numeric=c.kind_of(row) in NUMERIC)
                for c in columns
            ]
        )
    return buf.getvalue()


def render_csv(report: Report) -> str:
    if not report.tables:
        return ""
    table = report.tables[0]
    rows = list(table.rows) + ([table.footer] if table.footer else [])
    return csv_rows(table.columns, rows)
