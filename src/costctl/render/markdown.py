"""GitHub-flavoured markdown: for PR comments, step summaries and chat."""

from __future__ import annotations

from costctl.render.text import inert
from costctl.render.values import format_cell
from costctl.report import Report, Table

_RIGHT = {"usd", "int", "pct"}


def escape_md(text: str) -> str:
    """Inert text (control characters escaped, CR/LF/tab as spaces) with markdown and HTML syntax escaped."""
    return (
        inert(text)
        .replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\n", " ")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def markdown_table(table: Table) -> str:
    head = "| " + " | ".join(escape_md(c.header) for c in table.columns) + " |"
    align = "|" + "|".join("---:" if c.kind in _RIGHT else "---" for c in table.columns) + "|"
    lines = [head, align]
    rows = list(table.rows) + ([table.footer] if table.footer else [])
    for i, row in enumerate(rows):
        cells = [escape_md(format_cell(row.get(c.key), c.kind_of(row))) for c in table.columns]
        if table.footer is not None and i == len(rows) - 1:
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    parts: list[str] = []
    if report.title:
        parts.append(f"### {escape_md(report.title)}")
    for table in report.tables:
        if table.title:
            parts.append(f"**{escape_md(table.title)}**")
        parts.append(markdown_table(table))
    if report.notes:
        parts.append("\n".join(f"- {escape_md(n)}" for n in report.notes))
    return "\n\n".join(parts) + "\n"
