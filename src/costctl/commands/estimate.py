"""`costctl estimate` for a known usage or a prompt text, on one or several models (cheapest first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costctl.cost.context import context_overflow
from costctl.cost.price import price_usage
from costctl.models import CostBreakdown, ModelPrice, TokenCount, Usage
from costctl.pricing.catalog import Catalog
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table

NO_OUTPUT_NOTE = "no output token count given (--output-tokens or --max-tokens): output priced as 0 tokens"


@dataclass(frozen=True)
class PricedModel:
    model: ModelPrice
    usage: Usage
    input_count: TokenCount
    cost: CostBreakdown


def breakdown_fields(cost: CostBreakdown) -> dict[str, Any]:
    return {
        "input_usd": cost.input_usd,
        "cached_input_usd": cost.cached_input_usd,
        "cache_write_usd": cost.cache_write_usd,
        "output_usd": cost.output_usd,
        "total_usd": cost.total_usd,
        "long_context_applied": cost.long_context_applied,
        "batch": cost.batch,
    }


def usage_fields(usage: Usage, count: TokenCount) -> dict[str, Any]:
    return {
        "input_tokens": usage.input_tokens,
        "input_tokens_exact": count.exact,
        "input_tokens_method": count.method,
        "cached_input_tokens": usage.cached_input_tokens,
        "cache_write_tokens": usage.cache_write_tokens,
        "output_tokens": usage.output_tokens,
        "reasoning_tokens": usage.reasoning_tokens,
    }


def priced_row(p: PricedModel) -> dict[str, Any]:
    return {
        "model": p.model.id,
        "provider": p.model.provider,
        **usage_fields(p.usage, p.input_count),
        **breakdown_fields(p.cost),
    }


ESTIMATE_COLUMNS = [
    Column("model", "Model", priority=ESSENTIAL),
    Column("provider", "Provider", priority=DETAIL),
    Column("input_tokens", "Input tok", "int"),
    Column("input_tokens_exact", "Count", "exact"),
    Column("cached_input_tokens", "Cached", "int", priority=DETAIL),
    Column("output_tokens", "Output tok", "int"),
    Column("input_usd", "Input", "usd", priority=DETAIL),
    Column("cached_input_usd", "Cached in", "usd", priority=DETAIL),
    Column("cache_write_usd", "Cache write", "usd", priority=DETAIL),
    Column("output_usd", "Output", "usd", priority=DETAIL),
    Column("total_usd", "Total", "usd", priority=ESSENTIAL),
]


def comparison_report(priced: Sequence[PricedModel], *, on: dt.date, title: str | None = None) -> Report:
    ordered = sorted(priced, key=lambda p: (p.cost.total_usd, p.model.id))
    rows = [priced_row(p) for p in ordered]
    data: dict[str, Any] = {"priced_on": on, "results": rows}
    if len(rows) == 1:
        data.update(rows[0])
    notes = []
    if any(not p.input_count.exact for p in ordered):
        notes.append("approximate token counts are marked 'approximate'; see README 'Token counts'")
    for p in ordered:
        overflow = context_overflow(p.model, p.usage)
        if overflow:
            notes.append(f"warning: {overflow} (if these tokens are a sum of many requests, ignore this)")
        if p.cost.long_context_applied:
            notes.append(
                f"{p.model.id}: prompt exceeds the long-context threshold; every token at the tier rate"
            )
    return Report(
        command="estimate",
        data=data,
        tables=[Table(columns=ESTIMATE_COLUMNS, rows=rows, title=title)],
        notes=notes,
    )


def estimate_usage(
    catalog: Catalog,
    model_names: Sequence[str],
    usage: Usage,
    *,
    on: dt.date,
    batch: bool = False,
    output_given: bool = True,
) -> Report:
    """Price a known usage on each model."""
    priced = []
    for name in model_names:
        model = catalog.get(name)
        count = TokenCount(usage.input_tokens, True, "given")
        priced.append(PricedModel(model, usage, count, price_usage(model, usage, on=on, batch=batch)))
    report = comparison_report(priced, on=on)
    if not output_given and any(p.model.kind != "embedding" for p in priced):  # embeddings have no output
        report.notes.append(NO_OUTPUT_NOTE)
    return report


def estimate_text(
    catalog: Catalog,
    model_names: Sequence[str],
    text: str,
    *,
    output_tokens: int | None,
    on: dt.date,
    system: str | None = None,
    batch: bool = False,
) -> Report:
    """Count a prompt with each model's tokenizer and price it. A chat model bills the text framed as a user
    message after an optional system message; an embedding model bills the raw text, no framing."""
    from costctl.errors import InputError
    from costctl.tokens.counting import count_chat_tokens, count_text_tokens

    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": text}
    ]
    priced = []
    embedding = []
    for name in model_names:
        model = catalog.get(name)
        if model.kind == "embedding":
            if system:
                raise InputError(f"--system does not apply to the embedding model {model.id!r}")
            count = count_text_tokens(text, model.tokenizer)
            embedding.append(model.id)
        else:
            count = count_chat_tokens(messages, model.tokenizer)
        usage = Usage(input_tokens=count.tokens, output_tokens=output_tokens or 0)
        priced.append(PricedModel(model, usage, count, price_usage(model, usage, on=on, batch=batch)))
    report = comparison_report(priced, on=on)
    if embedding:
        report.notes.append(
            f"{', '.join(embedding)}: embedding model, the raw text is counted (no chat framing)"
        )
    if not text.strip():
        report.notes.append("the prompt is empty: only the chat framing is counted")
    if output_tokens is None and len(embedding) < len(priced):
        report.notes.append(NO_OUTPUT_NOTE)
    return report


def estimate_request(
    catalog: Catalog,
    body: Any,
    *,
    on: dt.date,
    model_names: Sequence[str] = (),
    output_tokens: int | None = None,
    where: str = "request",
    batch: bool = False,
) -> Report:
    """Price an OpenAI chat-completions request body: its messages and tools counted as the API bills
    `usage.prompt_tokens`, output at `output_tokens` or the body's max tokens (worst case)."""
    from costctl.tokens.request import parse_chat_request

    request = parse_chat_request(body, where=where)
    names = list(model_names) or ([request.model] if request.model else [])
    if not names:
        from costctl.errors import InputError

        raise InputError("the request has no `model`; give --model", where=where)
    out = output_tokens if output_tokens is not None else (request.max_output_tokens or 0)
    priced = []
    for name in names:
        model = catalog.get(name, where=where)
        count = request.count(model.tokenizer)
        usage = Usage(input_tokens=count.tokens, output_tokens=out)
        priced.append(PricedModel(model, usage, count, price_usage(model, usage, on=on, batch=batch)))
    report = comparison_report(priced, on=on)
    if request.max_output_tokens is None and output_tokens is None:
        report.notes.append(
            "the request sets no max_tokens / max_completion_tokens; output priced at 0 tokens"
        )
    return report


WORKLOAD_COLUMNS = [
    Column("name", "Component", priority=ESSENTIAL),
    Column("model", "Model"),
    Column("requests_per_month", "Requests/mo", "int"),
    Column("input_tokens", "Input tok/mo", "int", priority=DETAIL),
    Column("cached_input_tokens", "Cached tok/mo", "int", priority=DETAIL),
    Column("output_tokens", "Output tok/mo", "int", priority=DETAIL),
    Column("input_tokens_exact", "Count", "exact", priority=DETAIL),
    Column("monthly_cost_usd", "Monthly", "usd", priority=ESSENTIAL),
]


def projection_rows(projection: Any) -> list[dict[str, Any]]:
    """One JSON/table row per component of a `WorkloadProjection` (also the baseline schema of the gate)."""
    rows = []
    for c in projection.components:
        rows.append(
            {
                "name": c.name,
                "model": c.model,
                "tags": dict(c.tags),
                "requests_per_month": c.requests_per_month,
                "calls_per_month": c.calls_per_month,
                "requests_per_day": Decimal(c.requests_per_month) / projection.days_per_month,
                "input_tokens_per_request": c.usage.input_tokens,
                "output_tokens_per_request": c.usage.output_tokens,
                "input_tokens": c.monthly_usage.input_tokens,
                "cached_input_tokens": c.monthly_usage.cached_input_tokens,
                "cache_write_tokens": c.monthly_usage.cache_write_tokens,
                "output_tokens": c.monthly_usage.output_tokens,
                "input_tokens_exact": c.input_tokens_exact,
                **breakdown_fields(c.cost),
                "monthly_cost_usd": c.monthly_cost_usd,
                "complete": c.complete,
                "unpriced": list(c.unpriced),
            }
        )
    return rows


def workload_report(projection: Any, *, compare: Sequence[tuple[str, Decimal]] = ()) -> Report:
    """The monthly projection per component and in total (JSON: `monthly_cost_usd` at both levels)."""
    workload = projection.workload
    rows = projection_rows(projection)
    total = projection.monthly_cost_usd
    data: dict[str, Any] = {
        "workload": workload.source,
        "priced_on": projection.on,
        "days_per_month": projection.days_per_month,
        "monthly_cost_usd": total,
        "complete": projection.complete,
        "components": rows,
    }
    tables = [
        Table(
            columns=WORKLOAD_COLUMNS,
            rows=rows,
            title=f"Monthly projection ({projection.days_per_month}-day month, prices of {projection.on.isoformat()})",
            footer={
                "name": "Total",
                "requests_per_month": sum(r["requests_per_month"] for r in rows),
                "input_tokens": sum(r["input_tokens"] for r in rows),
                "cached_input_tokens": sum(r["cached_input_tokens"] for r in rows),
                "output_tokens": sum(r["output_tokens"] for r in rows),
                "monthly_cost_usd": total,
            },
        )
    ]
    if len(projection.monthly_by_month) > 1:
        months = [{"month": i + 1, "monthly_cost_usd": v} for i, v in enumerate(projection.monthly_by_month)]
        data["months"] = months
        data["period_cost_usd"] = sum(projection.monthly_by_month, Decimal(0))
        tables.append(
            Table(
                columns=[Column("month", "Month", "int"), Column("monthly_cost_usd", "Cost", "usd")],
                rows=months,
                title="Month by month",
                footer={"month": None, "monthly_cost_usd": data["period_cost_usd"]},
            )
        )
    if compare:
        cmp_rows = sorted(
            ({"model": m, "monthly_cost_usd": v, "difference_usd": v - total} for m, v in compare),
            key=lambda r: (r["monthly_cost_usd"], r["model"]),
        )
        data["compare"] = cmp_rows
        tables.append(
            Table(
                columns=[
                    Column("model", "Whole workload on"),
                    Column("monthly_cost_usd", "Monthly", "usd"),
                    Column("difference_usd", "vs current", "usd"),
                ],
                rows=cmp_rows,
                title="Compare",
            )
        )
    if workload.users:
        per_user = total / workload.users
        unit: dict[str, Any] = {"users": workload.users, "cost_per_user_usd": per_user}
        if workload.revenue_per_user_usd is not None:
            unit["revenue_per_user_usd"] = workload.revenue_per_user_usd
            if workload.revenue_per_user_usd > 0:
                unit["gross_margin_pct"] = (
                    (workload.revenue_per_user_usd - per_user) / workload.revenue_per_user_usd * 100
                )
        data["unit_economics"] = unit
    notes = [n for c in projection.components for n in c.notes]
    if any(not r["input_tokens_exact"] for r in rows):
        notes.append(
            "some prompt files were counted approximately (no public tokenizer); see README 'Token counts'"
        )
    for c in projection.components:
        for u in c.unpriced:
            notes.append(f"not priced: {u}")
    return Report(command="estimate", data=data, tables=tables, notes=notes)


def estimate_workload(
    catalog: Catalog,
    workload: Any,
    *,
    on: dt.date,
    months: int | None = None,
    compare: Sequence[str] = (),
) -> Report:
    """Project a workload (see costctl.commands.workload) and optionally reprice it on other models."""
    from costctl.commands.workload import project_workload, with_components

    projection = project_workload(catalog, workload, on=on, months=months or workload.months)
    repriced = []
    for name in compare:
        model = catalog.get(name, where="--compare")
        other = project_workload(catalog, with_components(workload, model=model.id), on=on)
        repriced.append((model.id, other.monthly_cost_usd))
    return workload_report(projection, compare=repriced)
