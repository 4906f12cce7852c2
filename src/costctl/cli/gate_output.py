"""Delivering a gate report where CI looks for it: stdout (or `-o`), the GitHub step summary, workflow
annotations on stderr, and a JUnit file. The exit code is the gate's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from costctl.cli.common import emit, note, write_atomic
from costctl.report import Format, Report


def deliver_gate(
    report: Report, fmt: Format, output: Path | None, *, junit: Path | None, workload: Path
) -> None:
    from costctl.render import render
    from costctl.render.ci import comment_body, github_annotations, junit_xml

    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as handle:
                handle.write(render(report, Format.MARKDOWN) + "\n")
        except OSError as exc:
            note(f"note: cannot append to GITHUB_STEP_SUMMARY ({exc.strerror})")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stdout.flush()
        for line in github_annotations(report, file=str(workload)):
            print(line, file=sys.stderr)
    if junit is not None:
        write_atomic(junit, junit_xml(report))
        note(f"wrote {junit}")
    emit(
        report, fmt, output, transform=comment_body if fmt is Format.MARKDOWN else None, exit_on_verdict=False
    )
    note(f"gate: {report.data['gate']['status']} (exit {report.exit_code})")
    raise typer.Exit(report.exit_code)
