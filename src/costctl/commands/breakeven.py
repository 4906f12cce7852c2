"""`costctl breakeven`: rule of thumb, self-host vs API, RAG vs fine-tune vs long context -> Report.

The models live in costctl.breakeven (formulas from docs/breakeven.md); this module
shapes their results into the JSON payload and tables. It never prints.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from costctl.breakeven.gpus import GpuTable
from costctl.breakeven.rag import Assumption, build_options, crossing, volume_grid
from costctl.breakeven.scenario import RagScenario, SelfHostScenario
from costctl.errors import InputError
from costctl.pricing.catalog import Catalog
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table

ASSUMPTION_COLUMNS = [
    Column("name", "Assumption"),
    Column("value", "Value", priority=ESSENTIAL, wrap=True),
    Column("source", "Source", priority=DETAIL, wrap=True),
]


def _assumptions(items: list[Assumption]) -> tuple[list[dict[str, str]], Table]:
    rows = [{"name": a.name, "value": a.value, "source": a.source} for a in items]
    return rows, Table(ASSUMPTION_COLUMNS, rows, title="Assumptions")


def rule_of_thumb(
    training_cost: Decimal, per_query_savings: Decimal, retrains_per_month: Decimal | None
) -> Report:
    """Break-even queries = training cost ÷ saving per query; per month when retraining recurs."""
    if training_cost <= 0:
        raise InputError(f"--training-cost: must be positive, got {training_cost}")
    if per_query_savings <= 0:
        raise InputError(
            f"--per-query-savings: must be positive, got {per_query_savings} "
            "(fine-tuning never pays back without a per-query saving)"
        )
    if retrains_per_month is not None and retrains_per_month < 0:
        raise InputError(f"--retrains-per-month: must not be negative, got {retrains_per_month}")
    data: dict[str, Any] = {"training_cost_usd": training_cost, "per_query_savings_usd": per_query_savings}
    if retrains_per_month:
        monthly = training_cost * retrains_per_month
        data.update(
            {
                "retrains_per_month": retrains_per_month,
                "retraining_monthly_usd": monthly,
                "retraining_yearly_usd": monthly * 12,
                "break_even_queries": monthly / per_query_savings,
                "break_even_per": "month",
            }
        )
    else:
        data.update({"break_even_queries": training_cost / per_query_savings, "break_even_per": "one-time"})
    cols = [Column("key", "Quantity"), Column("value", "Value")]
    rows = [{"key": k, "value": v} for k, v in data.items()]
    return Report("breakeven", data, [Table(cols, rows, title="Fine-tune rule of thumb")], title="breakeven")


def rag_report(s: RagScenario, catalog: Catalog, on: dt.date | None) -> tuple[Report, dict[str, Any]]:
    assumptions: list[Assumption] = []
    options, notes = build_options(s, catalog, on, assumptions)
    no_labour, _ = build_options(s, catalog, on, [], labour_rate=Decimal(0), record=False)
    rag = options[0]
    q = s.queries_per_month
    opt_rows = []
    for o in options:
        opt_rows.append(
            {
                "option": o.name,
                "kind": o.kind,
                "model": o.model,
                "per_query_usd": o.per_query_usd,
                **{f"per_query_{k}": v for k, v in o.per_query_parts.items()},
                "fixed_monthly_usd": sum(o.fixed_parts.values(), Decimal(0)),
                **{f"fixed_{k}": v for k, v in o.fixed_parts.items()},
                "monthly_usd": o.total(q),
                "quality_adjusted_monthly_usd": o.total(q, quality=True) if s.quality else None,
                **{k: v for k, v in o.extra.items()},
            }
        )
    crossings = []
    for o, nl in zip(options[1:], no_labour[1:], strict=True):
        c = crossing(o, rag)
        row: dict[str, Any] = {
            "option": o.name,
            "against": "rag",
            "break_even_queries_per_month": c.queries_per_month,
            "direction": c.direction,
            "reason": c.reason,
            "saving_per_query_usd": rag.per_query_usd - o.per_query_usd,
        }
        cn = crossing(nl, no_labour[0])
        row["break_even_without_labour"] = cn.queries_per_month
        row["without_labour_reason"] = cn.reason
        if s.quality:
            cq = crossing(o, rag, quality=True)
            row["quality_adjusted_break_even"] = cq.queries_per_month
            row["quality_adjusted_reason"] = cq.reason
        crossings.append(row)
    vr = s.volume_range
    grid = volume_grid(vr.start, vr.stop, vr.points) if vr else volume_grid(q / 100, q * 100, 9)
    range_rows = []
    for n in grid:
        costs = {o.name: o.total(n, quality=bool(s.quality)) for o in options}
        range_rows.append(
            {
                "queries_per_month": n,
                **{f"{k}_usd": v for k, v in costs.items()},
                "cheapest": min(costs, key=lambda k: costs[k]),
            }
        )
    chart_grid = volume_grid(grid[0], grid[-1], 60)
    chart = {
        "x_label": "queries per month",
        "y_label": "USD per month",
        "series": [
            {"label": o.name, "points": [[n, o.total(n, quality=bool(s.quality))] for n in chart_grid]}
            for o in options
        ],
    }
    assumption_rows, assumption_table = _assumptions(assumptions)
    assumption_rows.insert(
        0, {"name": "labour rate", "value": f"${s.labour_usd_per_hour}/h", "source": "scenario"}
    )
    assumption_rows.insert(
        1,
        {
            "name": "amortisation",
            "value": f"{s.amortisation_months} months",
            "source": "docs/breakeven.md#defaults (12 months)",
        },
    )
    first = crossings[0] if crossings else {}
    data = {
        "kind": "rag-vs-finetune",
        "title": s.title,
        "queries_per_month": q,
        "options": opt_rows,
        "break_even": crossings,
        "break_even_queries": first.get("break_even_queries_per_month"),
        "volume_range": range_rows,
        "assumptions": assumption_rows,
        "chart": chart,
    }
    tables = [
        Table(
            [
                Column("option", "Option"),
                Column("model", "Model", priority=DETAIL),
                Column("per_query_usd", "Per query", "usd"),
                Column("fixed_monthly_usd", "Fixed/month", "usd"),
                Column("monthly_usd", f"Month @ {q:,}", "usd"),
            ],
            opt_rows,
            title="Options",
        ),
        Table(
            [
                Column("option", "Option"),
                Column("against", "vs"),
                Column("break_even_queries_per_month", "Break-even queries/month"),
                Column("reason", "Why", priority=DETAIL, wrap=True),
                Column("break_even_without_labour", "Without labour"),
            ],
            crossings,
            title="Break-even",
        ),
        Table(
            [
                Column("queries_per_month", "Queries/month"),
                *[Column(f"{o.name}_usd", o.name, "usd") for o in options],
                Column("cheapest", "Cheapest", priority=ESSENTIAL),
            ],
            range_rows,
            title="Cost over volume",
        ),
        Table(ASSUMPTION_COLUMNS, assumption_rows, title="Assumptions"),
    ]
    del assumption_table
    return Report("breakeven", data, tables, notes, title=s.title or "breakeven rag-vs-finetune"), chart


def self_host_report(
    s: SelfHostScenario, catalog: Catalog, table: GpuTable, on: dt.date | None
) -> tuple[Report, dict[str, Any] | None]:
    from costctl.breakeven.selfhost_analysis import analyse

    r = analyse(s, catalog, table, on)
    assumption_rows, assumption_table = _assumptions(r.assumptions)
    data = dict(r.data)
    data.update(
        {
            "kind": "self-host",
            "title": s.title,
            "api": r.apis,
            "variants": r.variants,
            "sensitivity": r.sensitivity,
            "assumptions": assumption_rows,
        }
    )
    if r.chart:
        data["chart"] = r.chart
    summary_keys = [
        "gpu",
        "gpus_per_replica",
        "throughput_tokens_per_s",
        "roofline_tokens_per_s",
        "batch",
        "batch_limited_by",
        "decode_bound",
        "requests_per_s_per_replica",
        "capacity_tokens_per_month_per_replica",
        "usd_per_mtok_at_max_utilisation_gpu_only",
        "requests_per_month",
        "tokens_per_month",
        "replicas",
        "gpus_billed",
        "utilisation",
        "self_host_monthly_usd",
        "api_model",
        "api_monthly_usd",
        "break_even_tokens_per_month",
    ]
    kinds = {"utilisation": "pct"}
    summary = [
        {"key": k, "value": data[k], "kind": "usd" if k.endswith("_usd") else kinds.get(k, "text")}
        for k in summary_keys
        if k in data
    ]
    tables = [Table([Column("key", "Quantity"), Column("value", "Value", "row")], summary, title="Self-host")]
    if r.apis:
        tables.append(
            Table(
                [
                    Column("model", "API model"),
                    Column("api_usd_per_request", "Per request", "usd"),
                    Column("api_monthly_usd", "Month", "usd"),
                    Column("break_even_requests_per_month", "Break-even req/month"),
                    Column("break_even_tokens_per_month", "Break-even tok/month", priority=DETAIL),
                    Column("break_even_utilisation_gpu_only", "u* (GPU only)", "pct", priority=DETAIL),
                    Column("naive_break_even_requests_per_month", "Naive break-even", priority=DETAIL),
                    Column("reason", "Why", priority=DETAIL, wrap=True),
                ],
                r.apis,
                title="Against APIs",
            )
        )
    if r.variants:
        tables.append(
            Table(
                [
                    Column("variant", "Variant"),
                    Column("api_model", "API"),
                    Column("self_host_monthly_usd", "Self-host/month", "usd"),
                    Column("break_even_tokens_per_month", "Break-even tok/month"),
                ],
                r.variants,
                title="Variants",
            )
        )
    if r.sensitivity:
        tables.append(
            Table(
                [
                    Column("factor", "Factor"),
                    Column("case", "Case"),
                    Column("self_host_monthly_usd", "Self-host/month", "usd"),
                    Column("break_even_requests_per_month", "Break-even req/month"),
                ],
                r.sensitivity,
                title="Sensitivity",
            )
        )
    tables.append(assumption_table)
    return Report("breakeven", data, tables, r.notes, title=s.title or "breakeven self-host"), r.chart
