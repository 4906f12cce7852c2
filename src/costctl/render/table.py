"""Terminal tables with rich."""

from __future__ import annotations

import io
import os

from costctl.render.values import format_cell
from costctl.report import Report

_RIGHT = {"usd", "int", "pct"}


def render_table(report: Report) -> str:
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    width = int(os.environ.get("COLUMNS", "0") or 0) or 140
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=False, color_system=None, highlight=False)
    if report.title:
        console.print(Text(report.title))
    for table in report.tables:
        rich_table = RichTable(
            title=Text(table.title) if table.title else None, title_justify="left", show_footer=False
        )
        for col in table.columns:
            rich_table.add_column(
                col.header, justify="right" if col.kind in _RIGHT else "left", overflow="fold"
            )
        for row in table.rows:
            rich_table.add_row(*[Text(format_cell(row.get(c.key), c.kind)) for c in table.columns])
        if table.footer:
            rich_table.add_section()
            rich_table.add_row(*[Text(format_cell(table.footer.get(c.key), c.kind)) for c in table.columns])
        console.print(rich_table)
    return buf.getvalue()
