"""`costctl audit prompt` and `costctl audit logs`: findings with file:line, tokens and $/month.

Commands return a `Report`; they never print. Waste totals: for prompts, the monthly cost now minus the cost
with every finding fixed (overlaps counted once); for logs, the sum of billed-waste findings. `--fail-over`
compares that figure with the user's limit (the CLI decides the exit code).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.audit.findings import Finding, sort_findings
from costctl.audit.prompt import PromptAudit, Traffic, audit_prompt_text
from costctl.errors import InputError
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table

FINDING_COLUMNS = [
    Column("severity", "Severity"),
    Column("rule", "Rule"),
    Column("location", "Location"),
    Column("tokens", "Tokens", "int"),
    Column("usd_per_month", "$/month", "usd"),
    Column("message", "Finding"),
    Column("fix", "Fix"),
]


@dataclass(frozen=True)
class PromptInput:
    where: str  # file path shown in findings (or workload#component)
    text: str
    model: str
    traffic: Traffic


def prompt_inputs_from_files(
    files: Sequence[Path], model: str, requests_per_day: int, days: int, **traffic: Any
) -> list[PromptInput]:
    from costctl.audit.segment import read_prompt_file

    if requests_per_day < 0:
        raise InputError(f"--requests-per-day must not be negative, got {requests_per_day}")
    if days < 1:
        raise InputError(f"--days must be at least 1, got {days}")
    return [
        PromptInput(
            str(path),
            read_prompt_file(path),
            model,
            Traffic(requests_per_month=requests_per_day * days, days=days, **traffic),
        )
        for path in files
    ]


def prompt_inputs_from_workload(workload: Any, **traffic: Any) -> list[PromptInput]:
    """Components of a workload (costctl.commands.workload) that carry a system prompt text."""
    from decimal import ROUND_HALF_EVEN

    days = int(getattr(workload, "days_per_month", 30))
    inputs: list[PromptInput] = []
    for comp in workload.components:
        text = getattr(comp, "system_prompt_text", None) or getattr(comp, "prompt_text", None)
        if not text:
            continue
        requests = int(Decimal(comp.requests_per_month).to_integral_value(rounding=ROUND_HALF_EVEN))
        where = str(getattr(comp, "system_prompt_path", None) or f"{workload.source}#{comp.name}")
        hit = getattr(comp, "cache_hit_rate", None)
        options = dict(traffic)
        if hit and options.get("cache_hit_rate") is None:
            options["cache_hit_rate"] = Decimal(hit)
        if not options.get("extra_input_tokens"):
            options["extra_input_tokens"] = int(getattr(comp, "input_tokens", 0) or 0)
        inputs.append(
            PromptInput(where, text, comp.model, Traffic(requests_per_month=requests, days=days, **options))
        )
    if not inputs:
        raise InputError(
            "no component has a system_prompt_file or prompt_file to audit", where=str(workload.source)
        )
    return inputs


def audit_prompts(catalog: Catalog, inputs: Sequence[PromptInput]) -> Report:
    audits: list[PromptAudit] = []
    for item in inputs:
        model = catalog.get(item.model, where="--model")
        audits.append(audit_prompt_text(item.text, item.where, model, item.traffic))
    findings = sort_findings([f for a in audits for f in a.findings])
    now = sum((a.now_usd_per_month for a in audits), ZERO)
    fixed = sum((a.fixed_usd_per_month for a in audits), ZERO)
    listed = sum((a.list_usd_per_month for a in audits), ZERO)
    waste = now - fixed
    totals = {
        "system_prompt_usd_per_month": listed,
        "cost_now_usd_per_month": now,
        "cost_fixed_usd_per_month": fixed,
        "waste_usd_per_month": waste,
        "findings": len(findings),
    }
    data: dict[str, Any] = {
        "kind": "prompt",
        "prompts": [_prompt_data(a) for a in audits],
        "findings": [f.as_dict() for f in findings],
        "totals": totals,
    }
    notes = [n for a in audits for n in a.notes]
    if any(not a.tokens_exact for a in audits):
        notes.append(
            "approximate token counts (no public tokenizer for the model); see README 'Token counts'"
        )
    notes.append(
        "redundancy is found lexically (char n-gram TF-IDF + negation/number guard); heavily reworded "
        "duplicates are not detected (reference/audit.md §7.5)"
    )
    tables = [_sections_table(audits), _findings_table(findings), _totals_table(audits, totals)]
    return Report("audit prompt", data, tables, notes, title="costctl audit prompt")


def _prompt_data(a: PromptAudit) -> dict[str, Any]:
    return {
        "file": a.file,
        "model": a.model.id,
        "tokens": a.tokens,
        "tokens_exact": a.tokens_exact,
        "tokens_method": a.tokens_method,
        "requests_per_month": a.traffic.requests_per_month,
        "requests_per_day": a.traffic.requests_per_day,
        "days": a.traffic.days,
        "system_prompt_usd_per_month": a.list_usd_per_month,
        "cost_now_usd_per_month": a.now_usd_per_month,
        "cost_fixed_usd_per_month": a.fixed_usd_per_month,
        "sections": [
            {
                "title": s.section.title,
                "kind": s.section.kind,
                "role": s.section.role,
                "line": s.section.start_line,
                "end_line": s.section.end_line,
                "tokens": s.tokens,
                "share": s.share,
                "usd_per_month": s.usd_per_month,
            }
            for s in a.sections
        ],
        "cacheability": a.cacheability,
    }


def _sections_table(audits: list[PromptAudit]) -> Table:
    rows = []
    for a in audits:
        for s in a.sections:
            rows.append(
                {
                    "location": f"{a.file}:{s.section.start_line}",
                    "section": s.section.title,
                    "role": s.section.role,
                    "tokens": s.tokens,
                    "share": s.share,
                    "usd_per_month": s.usd_per_month,
                }
            )
    columns = [
        Column("location", "Location"),
        Column("section", "Section"),
        Column("role", "Role"),
        Column("tokens", "Tokens", "int"),
        Column("share", "Share", "pct"),
        Column("usd_per_month", "$/month (list)", "usd"),
    ]
    footer = {
        "location": "total",
        "tokens": sum(a.tokens for a in audits),
        "usd_per_month": sum((a.list_usd_per_month for a in audits), ZERO),
    }
    return Table(
        columns, rows, title="System prompt by section (tokens x requests x input price)", footer=footer
    )


def _findings_table(findings: list[Finding]) -> Table:
    return Table(FINDING_COLUMNS, [f.as_dict() for f in findings], title="Findings")


def _totals_table(audits: list[PromptAudit], totals: dict[str, Any]) -> Table:
    rows = []
    for a in audits:
        c = a.cacheability
        rows.append(
            {
                "file": a.file,
                "model": a.model.id,
                "tokens": a.tokens,
                "count": a.tokens_exact,
                "requests_per_month": a.traffic.requests_per_month,
                "static_prefix": c.get("static_prefix_tokens"),
                "min_cacheable": c.get("min_cacheable_tokens"),
                "hit_rate": c.get("hit_rate_assumed"),
                "list_usd": a.list_usd_per_month,
                "now_usd": a.now_usd_per_month,
                "fixed_usd": a.fixed_usd_per_month,
            }
        )
    columns = [
        Column("file", "File"),
        Column("model", "Model"),
        Column("tokens", "Tokens", "int"),
        Column("count", "Count", "exact"),
        Column("requests_per_month", "Requests/month", "int"),
        Column("static_prefix", "Static prefix", "int"),
        Column("min_cacheable", "Cache min", "int"),
        Column("hit_rate", "Cache hits", "pct"),
        Column("list_usd", "System prompt $/mo", "usd"),
        Column("now_usd", "Now (cached) $/mo", "usd"),
        Column("fixed_usd", "Fixed $/mo", "usd"),
    ]
    footer = {
        "file": "total",
        "list_usd": totals["system_prompt_usd_per_month"],
        "now_usd": totals["cost_now_usd_per_month"],
        "fixed_usd": totals["cost_fixed_usd_per_month"],
    }
    return Table(
        columns,
        rows,
        title="Monthly cost: list price, now (with caching), with findings fixed",
        footer=footer,
    )


def waste_usd(report: Report) -> Decimal:
    value = report.data.get("totals", {}).get("waste_usd_per_month", ZERO)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def today() -> dt.date:
    return dt.datetime.now(dt.timezone.utc).date()
