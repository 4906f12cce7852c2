"""The one shape every command hands every renderer.

A `Report` carries `data` (the JSON payload: plain dicts, lists, Decimals, ints, strings, bools) and
`tables` (what table, csv and markdown show). Commands build a Report; renderers never compute.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

SCHEMA_VERSION = 1


class Format(str, Enum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    MARKDOWN = "markdown"
    HTML = "html"
    SARIF = "sarif"  # audit findings for code scanning (render/sarif.py)


# Column priority: which columns a terminal table keeps when it must fit a narrow terminal (render/table.py).
ESSENTIAL = 1  # never hidden (the row's label, the total)
NORMAL = 2  # hidden only when the details are gone and long labels are already cut
DETAIL = 3  # hidden first


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | usd | int | pct (a fraction) | percent (already x100) | bool | exact | row
    priority: int = NORMAL  # ESSENTIAL | NORMAL | DETAIL; only the terminal table reads it
    wrap: bool = False  # prose (a finding, a reason): folded onto more lines in a narrow terminal, not cut

    def kind_of(self, row: Mapping[str, Any]) -> str:
        """The kind of this column's cell in `row`: the column's own, or, for kind `row` (key/value tables
        whose values differ in kind), the row's `kind` entry."""
        return str(row.get("kind", "text")) if self.kind == "row" else self.kind


@dataclass
class Table:
    columns: list[Column]
    rows: list[dict[str, Any]]
    title: str | None = None
    footer: dict[str, Any] | None = None  # a totals row, shown last


@dataclass
class Report:
    command: str
    data: dict[str, Any]
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # printed on stderr, and in markdown as a list
    title: str | None = None
    exit_code: int = 0  # the command's verdict (errors.ExitCode): 1 a check failed, 3 incomplete
