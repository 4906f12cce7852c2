"""`costctl estimate` for a known usage or a prompt text, on one or several models (cheapest first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from costctl.cost.price import price_usage
from costctl.models import CostBreakdown, ModelPrice, TokenCount, Usage
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table


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
    Column("model", "Model"),
    Column("provider", "Provider"),
    Column("input_tokens", "Input tok", "int"),
    Column("input_tokens_exact", "Count", "exact"),
    Column("cached_input_tokens", "Cached", "int"),
    Column("output_tokens", "Output tok", "int"),
    Column("input_usd", "Input", "usd"),
    Column("cached_input_usd", "Cached in", "usd"),
    Column("cache_write_usd", "Cache write", "usd"),
    Column("output_usd", "Output", "usd"),
    Column("total_usd", "Total", "usd"),
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
) -> Report:
    """Price a known usage on each model."""
    priced = []
    for name in model_names:
        model = catalog.get(name)
        count = TokenCount(usage.input_tokens, True, "given")
        priced.append(PricedModel(model, usage, count, price_usage(model, usage, on=on, batch=batch)))
    return comparison_report(priced, on=on)


def estimate_text(
    catalog: Catalog,
    model_names: Sequence[str],
    text: str,
    *,
    output_tokens: int,
    on: dt.date,
    system: str | None = None,
    batch: bool = False,
) -> Report:
    """Count a prompt with each model's tokenizer (chat-framed as a user message after an optional system
    message) and price it."""
    from costctl.tokens.counting import count_chat_tokens

    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": text}
    ]
    priced = []
    for name in model_names:
        model = catalog.get(name)
        count = count_chat_tokens(messages, model.tokenizer)
        usage = Usage(input_tokens=count.tokens, output_tokens=output_tokens)
        priced.append(PricedModel(model, usage, count, price_usage(model, usage, on=on, batch=batch)))
    return comparison_report(priced, on=on)
