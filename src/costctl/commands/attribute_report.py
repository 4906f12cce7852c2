"""`costctl attribute report`: the cost table by the requested keys and every default section (unpriced
volume, shared-cost allocation, month-over-month, anomalies, budgets, unit economics, chargeback, estimate vs
actual), assembled into one `Report`. Figures come from `priced_rollup` and `attribute_analytics`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.commands.attribute_analytics import (
    budgets_burn,
    estimate_vs_actual,
    find_anomalies,
    mom,
    month_of,
    month_totals,
)
from costctl.commands.priced_rollup import (
    RollupResult,
    Totals,
    build_rows,
    costly_users,
    rollup,
)
from costctl.errors import InputError
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table
from costctl.rollup import analysis
from costctl.rollup.engine import Engine
from costctl.rollup.spec import RollupSpec


@dataclass
class ReportOptions:
    top: int | None = None
    revenue_per_user_usd: Decimal | None = None
    shared_costs: dict[str, Decimal] = field(default_factory=dict)
    overhead_pct: Decimal | None = None
    allocate_by: str = "requests"  # requests | tokens
    budgets: dict[str, Decimal] = field(default_factory=dict)
    anomaly_factor: Decimal = Decimal(2)
    workload: Path | None = None


def _key_label(row: dict[str, Any], dims: tuple[str, ...]) -> str:
    return " / ".join(str(row.get(d)) for d in dims) or "all"


def allocate_shared(
    rows: list[dict[str, Any]], dims: tuple[str, ...], total: Totals, opts: ReportOptions
) -> dict[str, Any] | None:
    """Shared costs (+ overhead % of direct cost) allocated over `rows`; parts sum exactly to the pool."""
    pool = sum(opts.shared_costs.values(), ZERO)
    overhead = ZERO
    if opts.overhead_pct:
        overhead = total.cost_usd * opts.overhead_pct / 100  # exact: rounded only when displayed
    pool = pool + overhead
    if pool == 0 or not rows:
        return None
    keys = [f"{i}" for i in range(len(rows))]
    if opts.allocate_by == "tokens":
        weights = {k: r["input_tokens"] + r["output_tokens"] for k, r in zip(keys, rows, strict=False)}
    else:
        weights = {k: r["requests"] for k, r in zip(keys, rows, strict=False)}
    parts = analysis.allocate(pool, weights)
    out = []
    for k, r in zip(keys, rows, strict=False):
        r["shared_usd"] = parts[k]
        r["loaded_cost_usd"] = (r["cost_usd"] or ZERO) + parts[k]
        out.append(
            {"key": _key_label(r, dims), "shared_usd": parts[k], "loaded_cost_usd": r["loaded_cost_usd"]}
        )
    return {
        "pool_usd": pool,
        "shared_costs_usd": dict(opts.shared_costs),
        "overhead_usd": overhead,
        "allocate_by": opts.allocate_by,
        "allocations": out,
    }


def _unit_economics(
    catalog: Catalog, engine: Engine, spec: RollupSpec, opts: ReportOptions, daily: RollupResult
) -> list[dict[str, Any]]:
    """Cost per active user by month. The month's cost is the daily rollup's (same rows, same filters); the
    users costing more than the revenue are counted in the engine, so the time does not grow with users."""
    active = engine.active_users(spec.with_dims())
    costly: dict[dt.date, int] = {}
    if opts.revenue_per_user_usd is not None:
        costly = costly_users(catalog, engine, spec, opts.revenue_per_user_usd)
    out = []
    for month, t in month_totals(daily).items():
        users = active.get((month, ()), 0)
        row: dict[str, Any] = {
            "month": month,
            "active_users": users,
            "cost_usd": t.cost_usd,
            "cost_per_active_user_usd": analysis.per(t.cost_usd, users),
        }
        if opts.revenue_per_user_usd is not None:
            rev = opts.revenue_per_user_usd
            per_user = row["cost_per_active_user_usd"]
            row.update(
                {
                    "revenue_per_user_usd": rev,
                    "margin_per_user_usd": rev - per_user if per_user is not None else None,
                    "users_costing_more_than_revenue": costly.get(month, 0),
                    "viable": per_user is not None and per_user <= rev,
                }
            )
        out.append(row)
    return out


def _chargeback(
    catalog: Catalog, engine: Engine, spec: RollupSpec, opts: ReportOptions
) -> list[dict[str, Any]]:
    teams = rollup(catalog, engine, spec.with_dims("team", grain="all"))
    alloc = allocate_shared(teams.rows, ("team",), teams.total, opts)
    rows = []
    for r in teams.rows:
        rows.append(
            {
                "team": r.get("team"),
                "requests": r["requests"],
                "direct_cost_usd": r["cost_usd"],
                "shared_usd": r.get("shared_usd", ZERO),
                "chargeback_usd": (r["cost_usd"] or ZERO) + r.get("shared_usd", ZERO),
                "unpriced_requests": r["unpriced_requests"],
            }
        )
    del alloc
    return rows


def _estimate_vs_actual(workload: Path, daily: RollupResult, catalog: Catalog) -> tuple[Any, str | None]:
    """The workload projected for the latest month in the logs, beside that month's actual cost by feature."""
    months: dict[dt.date, dict[str, Totals]] = defaultdict(lambda: defaultdict(Totals))
    for p in daily.groups:
        months[month_of(p.group.day)][str(p.dim("feature"))].add(p)
    if not months:
        return None, "estimate vs actual skipped: no requests in the logs"
    month = max(months)
    by_feature = [
        {"name": name, "requests": t.requests, "cost_usd": t.cost_usd}
        for name, t in sorted(months[month].items())
    ]
    eva, note = estimate_vs_actual(catalog, workload, month, by_feature)
    if eva is not None:
        eva["month"] = month.strftime("%Y-%m")
    return eva, note


CHARGEBACK_COLUMNS = [
    Column("team", "Team"),
    Column("requests", "Requests", "int"),
    Column("direct_cost_usd", "Direct", "usd"),
    Column("shared_usd", "Shared", "usd"),
    Column("chargeback_usd", "Chargeback", "usd"),
    Column("unpriced_requests", "Unpriced req", "int"),
]


UNPRICED_COLUMNS = [
    Column("model", "Model"),
    Column("reason", "Why unpriced"),
    Column("requests", "Requests", "int"),
    Column("input_tokens", "Input tok", "int"),
    Column("output_tokens", "Output tok", "int"),
]


REPORT_COLUMNS_TAIL = [
    Column("requests", "Requests", "int"),
    Column("input_tokens", "Input tok", "int", priority=DETAIL),
    Column("cached_input_tokens", "Cached", "int", priority=DETAIL),
    Column("cache_write_tokens", "Cache wr", "int", priority=DETAIL),
    Column("output_tokens", "Output tok", "int", priority=DETAIL),
    Column("reasoning_tokens", "Reasoning", "int", priority=DETAIL),
    Column("cost_usd", "Cost", "usd", priority=ESSENTIAL),
    Column("unpriced_requests", "Unpriced req", "int"),
    Column("cost_per_request_usd", "Per request", "usd", priority=DETAIL),
    Column("share", "Share", "pct"),
]


def attribute_report(catalog: Catalog, engine: Engine, spec: RollupSpec, opts: ReportOptions) -> Report:
    result = rollup(catalog, engine, spec)
    if not result.groups:
        raise InputError("no requests match (check --since/--until/--where, or ingest logs first)")
    rows = analysis.top_n(result.rows, opts.top) if spec.grain == "all" else result.rows
    if opts.top and spec.grain != "all":
        keep = {tuple(r.get(d) for d in spec.dimensions) for r in analysis.top_n(_by_dims(result), opts.top)}
        rows = [r for r in rows if tuple(r.get(d) for d in spec.dimensions) in keep]
    shared = allocate_shared(rows, spec.dimensions, result.total, opts)
    data: dict[str, Any] = {
        "by": list(spec.dimensions),
        "grain": spec.grain,
        "since": spec.since,
        "until": spec.until,
        "where": {f.key: f.value for f in spec.where},
        "rows": rows,
        "total": result.total.fields(),
        "unpriced": result.unpriced,
    }
    notes: list[str] = []
    tables: list[Table] = []
    cols = ([Column("period", "Period", priority=ESSENTIAL)] if spec.grain != "all" else []) + [
        Column(d, d.replace("_", " ").title(), priority=ESSENTIAL) for d in spec.dimensions
    ]
    cols += REPORT_COLUMNS_TAIL
    if shared is not None:
        cols += [
            Column("shared_usd", "Shared", "usd"),
            Column("loaded_cost_usd", "Loaded cost", "usd", priority=ESSENTIAL),
        ]
        data["shared"] = shared
    footer = {**result.total.fields(), "share": Decimal(1) if result.total.cost_usd else None}
    label_key = "period" if spec.grain != "all" else (spec.dimensions[0] if spec.dimensions else None)
    if label_key:
        footer[label_key] = "TOTAL"
    if shared is not None:
        footer["shared_usd"] = shared["pool_usd"]
        footer["loaded_cost_usd"] = result.total.cost_usd + shared["pool_usd"]
    tables.append(
        Table(cols, rows, title="Cost by " + (", ".join(spec.dimensions) or "total"), footer=footer)
    )

    if result.unpriced:
        t = result.total
        notes.append(
            f"{t.unpriced_requests} requests ({t.unpriced_input_tokens} input, {t.unpriced_output_tokens} output "
            "tokens) are unpriced and not in cost_usd: "
            + "; ".join(f"{u['model']}: {u['reason']}" for u in result.unpriced)
        )
        tables.append(
            Table(
                UNPRICED_COLUMNS,
                result.unpriced,
                title="Unpriced volume",
            )
        )
    _extra_sections(catalog, engine, spec, opts, data, tables, notes, result)
    title = "LLM cost attribution"
    return Report("attribute report", data, tables, notes, title)


def _by_dims(result: RollupResult) -> list[dict[str, Any]]:
    rows, _ = build_rows(result.groups, result.spec.with_dims(*result.spec.dimensions, grain="all"))
    return rows


def _extra_sections(
    catalog: Catalog,
    engine: Engine,
    spec: RollupSpec,
    opts: ReportOptions,
    data: dict[str, Any],
    tables: list[Table],
    notes: list[str],
    result: RollupResult,
) -> None:
    daily_spec = spec.with_dims("feature", grain="day")
    # the engine's groups are day groups; when they carry the feature already, they are the daily rollup
    daily = (
        RollupResult(daily_spec, result.groups)
        if "feature" in spec.dimensions
        else rollup(catalog, engine, daily_spec)
    )
    months = list(month_totals(daily))
    # month-over-month for the latest month that has a previous month
    if len(months) >= 2:
        split = mom(daily, months[-1], "feature")
        data["month_over_month"] = {"month": months[-1], "by": "feature", **split.__dict__}
        tables.append(
            Table(
                [Column("part", "Month-over-month"), Column("usd", "USD", "usd")],
                [
                    {"part": "previous", "usd": split.previous_usd},
                    {"part": "current", "usd": split.current_usd},
                    {"part": "volume (more/fewer requests)", "usd": split.volume_usd},
                    {"part": "rate (cost per request)", "usd": split.rate_usd},
                    {"part": "mix (features)", "usd": split.mix_usd},
                    {"part": "change", "usd": split.change_usd},
                ],
                title=f"Change {months[-2]:%Y-%m} -> {months[-1]:%Y-%m}",
            )
        )
    found = find_anomalies(daily, "feature", opts.anomaly_factor)
    data["anomalies"] = [a.__dict__ for a in found]
    if found:
        tables.append(
            Table(
                [
                    Column("key", "Feature"),
                    Column("day", "Day"),
                    Column("cost_usd", "Cost", "usd"),
                    Column("baseline_usd", "Baseline", "usd"),
                ],
                [a.__dict__ for a in found],
                title=f"Anomalies (daily cost > {opts.anomaly_factor}x trailing 7-day mean)",
            )
        )
    if opts.budgets:
        burn = budgets_burn(daily, opts.budgets)
        data["budgets"] = [{**b.__dict__, "alerts": list(b.alerts)} for b in burn]
        tables.append(
            Table(
                [
                    Column("key", "Feature"),
                    Column("month", "Month"),
                    Column("budget_usd", "Budget", "usd"),
                    Column("spent_usd", "Spent", "usd"),
                    Column("pct", "Burn", "pct"),
                    Column("projected_usd", "Projected", "usd"),
                    Column("alert", "Alert"),
                ],
                [{**b.__dict__, "alert": f"{max(b.alerts)}%" if b.alerts else ""} for b in burn],
                title="Budget burn",
            )
        )
        for b in burn:
            if b.alerts:
                notes.append(
                    f"budget {b.key} {b.month:%Y-%m}: {b.pct * 100:.1f}% spent (alert {max(b.alerts)}%)"
                )
    econ = _unit_economics(catalog, engine, spec, opts, daily)
    data["per_user_month"] = econ
    if econ:
        cols = [
            Column("month", "Month"),
            Column("active_users", "Active users", "int"),
            Column("cost_usd", "Cost", "usd"),
            Column("cost_per_active_user_usd", "Per active user", "usd"),
        ]
        if opts.revenue_per_user_usd is not None:
            cols += [
                Column("margin_per_user_usd", "Margin/user", "usd"),
                Column("users_costing_more_than_revenue", "Users over revenue", "int"),
                Column("viable", "Viable"),
            ]
        tables.append(Table(cols, econ, title="Unit economics"))
    charge = _chargeback(catalog, engine, spec, opts)
    data["chargeback"] = charge
    tables.append(
        Table(
            CHARGEBACK_COLUMNS,
            charge,
            title="Team showback / chargeback",
        )
    )
    if opts.workload is not None:
        eva, note = _estimate_vs_actual(opts.workload, daily, catalog)
        if note:
            notes.append(note)
        else:
            data["estimate_vs_actual"] = eva
            tables.append(
                Table(
                    [
                        Column("component", "Component"),
                        Column("model", "Model"),
                        Column("estimated_requests", "Est. requests", "int"),
                        Column("actual_requests", "Actual requests", "int"),
                        Column("estimated_usd", "Estimated", "usd"),
                        Column("actual_usd", "Actual", "usd"),
                        Column("difference_usd", "Difference", "usd"),
                        Column("actual_over_estimate", "Actual/est.", "pct"),
                    ],
                    eva["rows"],
                    title=f"Estimate vs actual, {eva['month']} ({eva['workload']})",
                    footer={
                        "component": "total",
                        "estimated_usd": eva["estimated_usd"],
                        "actual_usd": eva["actual_usd"],
                        "difference_usd": eva["difference_usd"],
                    },
                )
            )
