"""A gate report in the shapes CI systems read: GitHub workflow commands, JUnit XML, a PR-comment body.

Each works from the report's `gate.rules` data (name, metric, scope, status, message), so it needs nothing
but the `Report` the gate command returned. Limits are GitHub's own: at most 10 annotations of each level
per step (the REST "update a check run" API), and PR comments of at most 65,536 characters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from costctl.render.text import inert
from costctl.report import Report

GITHUB_ANNOTATION_LIMIT = 10
COMMENT_MARKER = "<!-- costctl:gate -->"
COMMENT_LIMIT = 65_000
_LINES = "\r\n"


def _rules(report: Report) -> Sequence[Mapping[str, Any]]:
    gate = report.data.get("gate")
    return list(gate.get("rules", [])) if isinstance(gate, Mapping) else []


def escape_data(text: str) -> str:
    """GitHub workflow-command data escaping: % first, then CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotations(report: Report, *, file: str | None = None) -> list[str]:
    """`::error`/`::warning` lines, at most 10 of each per step; the rest summed up in one `::notice`."""
    lines: list[str] = []
    counts = {"error": 0, "warning": 0}
    skipped = 0
    for rule in _rules(report):
        kind = {"fail": "error", "warn": "warning", "incomplete": "warning"}.get(str(rule["status"]))
        if kind is None:
            continue
        if counts[kind] >= GITHUB_ANNOTATION_LIMIT:
            skipped += 1
            continue
        counts[kind] += 1
        # control characters shown as escapes; CR and LF kept for GitHub's own %0D/%0A escaping
        title = escape_property("costctl: " + inert(str(rule["name"]), keep=_LINES))
        props = f"title={title}"
        if file:
            props = f"file={escape_property(inert(file, keep=_LINES))},{props}"
        lines.append(f"::{kind} {props}::{escape_data(inert(str(rule['message']), keep=_LINES))}")
    if skipped:
        lines.append(f"::notice title=costctl::{skipped} more gate findings; see the step summary")
    return lines


def junit_xml(report: Report) -> str:
    """One testcase per rule: <failure> for a fail breach, <skipped> when undecidable."""
    from xml.sax.saxutils import escape, quoteattr

    rules = _rules(report)
    failures = sum(r["status"] == "fail" for r in rules)
    skipped = sum(r["status"] == "incomplete" for r in rules)
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuite name="costctl-gate" tests="{len(rules)}" failures="{failures}" errors="0" '
        f'skipped="{skipped}">',
    ]
    for r in rules:
        # control characters are not allowed in XML 1.0: shown as escapes, like every text output
        name = quoteattr(inert(f"{r['name']} [{r['scope']}]"))
        message = inert(str(r["message"]), keep="\t\r\n")
        out.append(f'  <testcase classname="costctl.gate.{escape(inert(str(r["metric"])))}" name={name}>')
        if r["status"] == "fail":
            out.append(
                f'    <failure message={quoteattr(message)} type="threshold">{escape(message)}</failure>'
            )
        elif r["status"] == "incomplete":
            out.append(f"    <skipped message={quoteattr(message)}/>")
        elif r["status"] == "warn":
            out.append(f"    <system-out>{escape('warning: ' + message)}</system-out>")
        out.append("  </testcase>")
    out.append("</testsuite>")
    return "\n".join(out) + "\n"


def comment_body(markdown: str) -> str:
    """PR-comment body: a hidden marker (so a sticky-comment action updates it) and GitHub's size cap."""
    body = f"{COMMENT_MARKER}\n{markdown}"
    if len(body) > COMMENT_LIMIT:
        body = body[: COMMENT_LIMIT - 40] + "\n\n…(truncated by costctl)\n"
    return body
