"""Report -> text, one module per format, chosen through `render`."""

from __future__ import annotations

from costctl.errors import InputError
from costctl.report import Format, Report


def render(report: Report, fmt: Format, width: int | None = None) -> str:
    """`report` as text in `fmt`; `width` is the terminal's, which only the table format fits."""
    if fmt is Format.JSON:
        from costctl.render.json_ import render_json

        return render_json(report)
    if fmt is Format.CSV:
        from costctl.render.csv_ import render_csv

        return render_csv(report)
    if fmt is Format.MARKDOWN:
        from costctl.render.markdown import render_markdown

        return render_markdown(report)
    if fmt is Format.TABLE:
        from costctl.render.table import render_table

        return render_table(report, width)
    raise InputError(f"--format {fmt.value} is not available for `costctl {report.command}`")
