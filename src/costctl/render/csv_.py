"""CSV of the report's main table, and the one CSV writer every CSV output uses (the HTML report's
downloads too).

A spreadsheet opening the file must never run a cell: every text cell that starts with = + - @ or a tab
gets a leading quote (OWASP "CSV injection"), and every cell holding a CR, LF, comma or quote is quoted.
Python's csv module with `lineterminator="\\n"` leaves a cell with a bare CR unquoted, so `"\\r=1+1"`
would start a new spreadsheet row with a live formula; cells are therefore quoted here, not by the csv
module. Other control characters are shown as escapes (render/text.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from costctl.render.text import inert
from costctl.render.values import plain_cell
from costctl.report import Report

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
_NEEDS_QUOTES = (",", '"', "\r", "\n")
NUMERIC = ("usd", "int", "pct", "percent")


def neutralise(cell: str, *, numeric: bool = False) -> str:
    """OWASP CSV injection: prefix a quote to text starting with = + - @ tab CR LF (a negative number is
    data, kept as it is)."""
    if cell and not numeric and cell.lstrip(" ").startswith(FORMULA_PREFIXES):
        return "'" + cell
    return cell


def csv_cell(cell: str) -> str:
    """One field, quoted when it holds a delimiter, a quote, CR or LF (RFC 4180)."""
    if any(ch in cell for ch in _NEEDS_QUOTES):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def csv_text(header: Iterable[str], rows: Iterable[Iterable[tuple[Any, bool]]]) -> str:
    """CSV from a header and rows of (value as text, is_numeric) cells; every cell made inert."""
    lines = [",".join(csv_cell(neutralise(inert(h, keep="\t\r\n"))) for h in header)]
    for row in rows:
        lines.append(
            ",".join(
                csv_cell(neutralise(inert(text, keep="\t\r\n"), numeric=numeric)) for text, numeric in row
            )
        )
    return "\n".join(lines) + "\n"


def csv_rows(columns: list[Any], rows: list[dict[str, Any]]) -> str:
    return csv_text(
        [c.header for c in columns],
        (
            [
                (
                    plain_cell(row.get(c.key), c.kind_of(row)),
                    c.kind_of(row) in NUMERIC and is_number(row.get(c.key)),
                )
                for c in columns
            ]
            for row in rows
        ),
    )


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def render_csv(report: Report) -> str:
    if not report.tables:
        return ""
    table = report.tables[0]
    rows = list(table.rows) + ([table.footer] if table.footer else [])
    return csv_rows(table.columns, rows)
