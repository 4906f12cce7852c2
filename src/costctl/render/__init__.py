"""Report -> text, one module per format, chosen through `render`.

Every `Format` member has a renderer. table, json, csv and markdown fit every report; a command may have
its own renderer for a format (the monthly report's HTML page and its markdown summary, audit findings as
SARIF). A format a command has no renderer for is a usage error naming the formats it does have.
"""

from __future__ import annotations

from collections.abc import Callable

from costctl.errors import InputError
from costctl.report import Format, Report

Renderer = Callable[[Report], str]


def _json(report: Report) -> str:
    from costctl.render.json_ import render_json

    return render_json(report)


def _csv(report: Report) -> str:
    from costctl.render.csv_ import render_csv

    return render_csv(report)


def _markdown(report: Report) -> str:
    from costctl.render.markdown import render_markdown

    return render_markdown(report)


def _table(report: Report) -> str:
    from costctl.render.table import render_table

    return render_table(report)


def _monthly_html(report: Report) -> str:
    from costctl.render.html import render_report_html

    return render_report_html(report)


def _monthly_markdown(report: Report) -> str:
    from costctl.render.html import render_report_markdown

    return render_report_markdown(report)


def _sarif(report: Report) -> str:
    from costctl.render.sarif import render_sarif

    return render_sarif(report)


GENERAL: dict[Format, Renderer] = {
    Format.TABLE: _table,
    Format.JSON: _json,
    Format.CSV: _csv,
    Format.MARKDOWN: _markdown,
}
# (command, format) -> renderer: a command's own view, taking precedence over the general one
SPECIFIC: dict[tuple[str, Format], Renderer] = {
    ("report", Format.HTML): _monthly_html,
    ("report", Format.MARKDOWN): _monthly_markdown,
    ("audit prompt", Format.SARIF): _sarif,
    ("audit logs", Format.SARIF): _sarif,
}


def formats_for(command: str) -> list[Format]:
    """The formats `command` can be rendered in, in `Format` order."""
    return [f for f in Format if f in GENERAL or (command, f) in SPECIFIC]


def render(report: Report, fmt: Format, width: int | None = None) -> str:
    """`report` as text in `fmt`; `width` is the terminal's, which only the terminal table fits."""
    renderer = SPECIFIC.get((report.command, fmt)) or GENERAL.get(fmt)
    if renderer is _table and width is not None:
        from costctl.render.table import render_table

        return render_table(report, width)
    if renderer is None:
        names = ", ".join(f.value for f in formats_for(report.command))
        raise InputError(
            f"--format {fmt.value} is not available for `costctl {report.command}` (use {names})"
        )
    return renderer(report)
