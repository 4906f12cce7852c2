"""Terminal tables, drawn with box characters by hand.

rich is not used here on purpose: importing and laying out a rich table cost ~180 ms per command, more than
everything else `costctl estimate` does (bench/bench_estimate.py). Cells are plain text: nothing in a cell is
interpreted as markup, and control characters are shown as escapes (render/text.py).
"""

from __future__ import annotations

import unicodedata

from costctl.render.text import inert
from costctl.render.values import format_cell
from costctl.report import Report, Table

_RIGHT = {"usd", "int", "pct", "percent"}


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (East Asian wide characters take two)."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * (width - display_width(text))
    return gap + text if right else text + gap


def _clean(text: str) -> str:
    """One line of inert text: control and bidi characters escaped, CR/LF/tab as spaces (render/text.py)."""
    return inert(text)


def table_text(table: Table) -> str:
    headers = [_clean(c.header) for c in table.columns]
    body = [
        [_clean(format_cell(row.get(c.key), c.kind_of(row))) for c in table.columns] for row in table.rows
    ]
    footer = (
        [_clean(format_cell(table.footer.get(c.key), c.kind_of(table.footer))) for c in table.columns]
        if table.footer
        else None
    )
    widths = [display_width(h) for h in headers]
    for line in body + ([footer] if footer else []):
        widths = [max(w, display_width(cell)) for w, cell in zip(widths, line, strict=True)]
    right = [c.kind in _RIGHT for c in table.columns]

    def rule(left: str, mid: str, end: str, fill: str) -> str:
        return left + mid.join(fill * (w + 2) for w in widths) + end

    def row(cells: list[str]) -> str:
        return (
            "│" + "│".join(f" {_pad(c, w, r)} " for c, w, r in zip(cells, widths, right, strict=True)) + "│"
        )

    lines = []
    if table.title:
        lines.append(_clean(table.title))
    lines.append(rule("┌", "┬", "┐", "─"))
    lines.append(row(headers))
    lines.append(rule("├", "┼", "┤", "─"))
    lines.extend(row(cells) for cells in body)
    if footer:
        lines.append(rule("├", "┼", "┤", "─"))
        lines.append(row(footer))
    lines.append(rule("└", "┴", "┘", "─"))
    return "\n".join(lines)


def render_table(report: Report) -> str:
    head = _clean(report.title) + "\n" if report.title else ""
    return head + "\n\n".join(table_text(t) for t in report.tables) + "\n"
