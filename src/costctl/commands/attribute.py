"""`costctl attribute`: price the engine's grouped token sums and derive every attribution figure.

The engine (DuckDB, later Spark) only aggregates; this module prices each small group with the one formula
(`price_tier_group`, at the price in force on the group's day, batch and long-context tier as the engine
grouped them) and derives shares, allocations, month-over-month splits, anomalies and budgets in Python.

Cost semantics (README `## costctl attribute`):
- a row whose model is unknown, or a known model without a needed price (e.g. no batch rate), is unpriced:
  its requests and tokens are counted in `unpriced_*`, never as $0;
- a gateway response-cache hit (`gateway_cache_hit`) made no provider call and costs $0 from the provider
  (docs/log-formats.md#traps-handled); its tokens are still counted;
- a row tagged `aggregated_requests=N` (usage exports) counts as N requests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.cost.price import price_tier_group
from costctl.errors import InputError, MissingPriceError
from costctl.models import CostBreakdown, ModelPrice, Usage
from costctl.pricing.catalog import Catalog
from costctl.report import DETAIL, ESSENTIAL, Column, Report, Table
from costctl.rollup import analysis
from costctl.rollup.engine import Engine
from costctl.rollup.spec import GroupRow, ModelWindow, RollupSpec, bucket_start

ZERO = Decimal(0)
FAR_PAST = dt.date(1970, 1, 1)
FAR_FUTURE = dt.date(9999, 12, 31)


# ---------------------------------------------------------------- pricing the groups


def resolve_models(
    catalog: Catalog, raw_names: Iterable[str]
) -> tuple[dict[str, ModelPrice | None], list[ModelWindow]]:
    """Raw model names -> catalog models (None = unknown), and the long-context windows the engine needs
    to decide per request whether the tier was crossed."""
    resolved: dict[str, ModelPrice | None] = {}
    windows: list[ModelWindow] = []
    for raw in raw_names:
        model = catalog.find(raw)
        resolved[raw] = model
        if model is None:
            continue
        for period in model.periods:
            if period.long_context is not None:
                windows.append(
                    ModelWindow(
                        raw,
                        period.start or FAR_PAST,
                        period.end or FAR_FUTURE,
                        period.long_context.threshold_tokens,
                    )
                )
    return resolved, windows


@dataclass(frozen=True)
class PricedGroup:
    group: GroupRow
    model_id: str  # catalog id, or the raw name when unknown
    provider: str | None
    cost: CostBreakdown | None  # None = unpriced
    unpriced_reason: str | None = None

    @property
    def cost_usd(self) -> Decimal | None:
        return self.cost.total_usd if self.cost is not None else None

    def dim(self, name: str) -> str | None:
        if name == "model":
            return self.model_id
        if name == "provider":
            return self.group.dims.get("provider") or self.provider
        return self.group.dims.get(name)


def usage_of(g: GroupRow) -> Usage:
    return Usage(
        input_tokens=g.input_tokens,
        output_tokens=g.output_tokens,
        cached_input_tokens=g.cached_input_tokens,
        cache_write_5m_tokens=g.cache_write_5m_tokens,
        cache_write_1h_tokens=g.cache_write_1h_tokens,
        reasoning_tokens=g.reasoning_tokens,
    )


def price_group(model: ModelPrice | None, g: GroupRow) -> PricedGroup:
    if model is None:
        return PricedGroup(g, g.raw_model, None, None, f"unknown model {g.raw_model!r}")
    if g.gateway_cache_hit:
        zero = CostBreakdown(model.id, ZERO, ZERO, ZERO, ZERO, batch=g.is_batch, priced_on=g.day)
        return PricedGroup(g, model.id, model.provider, zero)
    try:
        cost = price_tier_group(model, usage_of(g), crossed_tier=g.tier_crossed, on=g.day, batch=g.is_batch)
    except MissingPriceError as exc:
        return PricedGroup(g, model.id, model.provider, None, exc.message)
    return PricedGroup(g, model.id, model.provider, cost)


@dataclass
class Totals:
    requests: int = 0
    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: Decimal = ZERO
    unpriced_requests: int = 0
    unpriced_input_tokens: int = 0
    unpriced_output_tokens: int = 0
    reported_cost_usd: Decimal = ZERO
    reported_requests: int = 0
    priced_requests: int = 0

    def add(self, p: PricedGroup) -> None:
        g = p.group
        self.requests += g.requests
        self.input_tokens += g.input_tokens
        self.cached_input_tokens += g.cached_input_tokens
        self.cache_write_tokens += g.cache_write_5m_tokens + g.cache_write_1h_tokens
        self.output_tokens += g.output_tokens
        self.reasoning_tokens += g.reasoning_tokens
        if g.reported_cost_usd is not None:
            self.reported_cost_usd += g.reported_cost_usd
        self.reported_requests += g.reported_requests
        if p.cost is None:
            self.unpriced_requests += g.requests
            self.unpriced_input_tokens += g.input_tokens
            self.unpriced_output_tokens += g.output_tokens
        else:
            self.cost_usd += p.cost.total_usd
            self.priced_requests += g.requests

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def fields(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "input_tokens": self.input_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "output_tokens": self.output_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            # a group with nothing priced has no cost (None), never a silent $0
            "cost_usd": self.cost_usd if self.priced_requests or not self.unpriced_requests else None,
            "unpriced_requests": self.unpriced_requests,
            "unpriced_input_tokens": self.unpriced_input_tokens,
            "unpriced_output_tokens": self.unpriced_output_tokens,
            "cost_per_request_usd": analysis.per(self.cost_usd, self.priced_requests),
        }


_DAY_IN_REASON = re.compile(r"no price on \d{4}-\d{2}-\d{2}")


@dataclass
class RollupResult:
    spec: RollupSpec
    groups: list[PricedGroup]
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: Totals = field(default_factory=Totals)

    @property
    def unpriced(self) -> list[dict[str, Any]]:
        """Unpriced volume by raw model and reason (never hidden, never $0)."""
        acc: dict[tuple[str, str], Totals] = defaultdict(Totals)
        for p in self.groups:
            if p.cost is None:
                # "no price on 2026-02-01", "...02-02", ...: one line per model and cause, not per day
                reason = _DAY_IN_REASON.sub("no price on those days", p.unpriced_reason or "")
                acc[(p.group.raw_model, reason)].add(p)
        return [
            {
                "model": model,
                "reason": reason,
                "requests": t.requests,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
            }
            for (model, reason), t in sorted(acc.items())
        ]


def key_of(p: PricedGroup, spec: RollupSpec) -> tuple[Any, ...]:
    period = bucket_start(p.group.day, spec.grain)
    return (period, *(p.dim(d) for d in spec.dimensions))


def build_rows(groups: list[PricedGroup], spec: RollupSpec) -> tuple[list[dict[str, Any]], Totals]:
    acc: dict[tuple[Any, ...], Totals] = defaultdict(Totals)
    total = Totals()
    for p in groups:
        acc[key_of(p, spec)].add(p)
        total.add(p)
    rows = []
    for key, t in acc.items():
        row: dict[str, Any] = {}
        if spec.grain != "all":
            row["period"] = key[0]
        row.update(dict(zip(spec.dimensions, key[1:], strict=False)))
        row.update(t.fields())
        row["share"] = analysis.share(t.cost_usd, total.cost_usd) if row["cost_usd"] is not None else None
        rows.append(row)
    rows.sort(
        key=lambda r: (
            str(r.get("period") or ""),
            -(r["cost_usd"] or ZERO),
            [str(r.get(d)) for d in spec.dimensions],
        )
    )
    return rows, total


def rollup(catalog: Catalog, engine: Engine, spec: RollupSpec) -> RollupResult:
    """Run `spec` on `engine`, price each group with the one formula, and aggregate to the requested keys."""
    resolved, windows = resolve_models(catalog, engine.distinct_models(spec))
    groups = [price_group(resolved.get(g.raw_model), g) for g in engine.grouped(spec, windows)]
    rows, total = build_rows(groups, spec)
    return RollupResult(spec, groups, rows, total)


# ---------------------------------------------------------------- helpers for reports (pure over groups)


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_totals(result: RollupResult) -> dict[dt.date, Totals]:
    out: dict[dt.date, Totals] = defaultdict(Totals)
    for p in result.groups:
        out[month_of(p.group.day)].add(p)
    return dict(sorted(out.items()))


def daily_series(result: RollupResult, dim: str = "feature") -> dict[str, dict[dt.date, Decimal]]:
    """Priced cost per day for each value of `dim` (which must be among the spec's dimensions or model)."""
    out: dict[str, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for p in result.groups:
        if p.cost is not None:
            out[str(p.dim(dim))][p.group.day] += p.cost.total_usd
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def segments(result: RollupResult, month: dt.date, dim: str) -> dict[str, analysis.Segment]:
    acc: dict[str, Totals] = defaultdict(Totals)
    for p in result.groups:
        if month_of(p.group.day) == month and p.cost is not None:
            acc[str(p.dim(dim))].add(p)
    return {k: analysis.Segment(t.priced_requests, t.cost_usd) for k, t in acc.items()}


def mom(result: RollupResult, month: dt.date, dim: str = "feature") -> analysis.MomSplit:
    """Change from the previous month to `month`, split into volume, rate and mix over `dim`."""
    previous = month_of(month - dt.timedelta(days=1))
    return analysis.mom_split(segments(result, previous, dim), segments(result, month, dim))


def find_anomalies(
    result: RollupResult, dim: str = "feature", factor: Decimal = Decimal(2)
) -> list[analysis.Anomaly]:
    return analysis.anomalies(daily_series(result, dim), factor=factor)


def budgets_burn(
    result: RollupResult, budgets: dict[str, Decimal], dim: str = "feature"
) -> list[analysis.BudgetBurn]:
    spent: dict[tuple[str, dt.date], Decimal] = defaultdict(lambda: ZERO)
    last_day: dict[dt.date, dt.date] = {}
    for p in result.groups:
        m = month_of(p.group.day)
        last_day[m] = max(last_day.get(m, p.group.day), p.group.day)
        if p.cost is not None:
            spent[(str(p.dim(dim)), m)] += p.cost.total_usd
    return analysis.budget_burn(budgets, spent, last_day)


# ---------------------------------------------------------------- the report


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
    catalog: Catalog, engine: Engine, spec: RollupSpec, opts: ReportOptions
) -> list[dict[str, Any]]:
    by_user = rollup(catalog, engine, spec.with_dims("user", grain="month"))
    active = engine.active_users(spec.with_dims())
    out = []
    for month, t in month_totals(by_user).items():
        users = active.get((month, ()), 0)
        row: dict[str, Any] = {
            "month": month,
            "active_users": users,
            "cost_usd": t.cost_usd,
            "cost_per_active_user_usd": analysis.per(t.cost_usd, users),
        }
        if opts.revenue_per_user_usd is not None:
            rev = opts.revenue_per_user_usd
            losers = [
                r
                for r in by_user.rows
                if r["period"] == month and r.get("user") is not None and (r["cost_usd"] or ZERO) > rev
            ]
            per_user = row["cost_per_active_user_usd"]
            row.update(
                {
                    "revenue_per_user_usd": rev,
                    "margin_per_user_usd": rev - per_user if per_user is not None else None,
                    "users_costing_more_than_revenue": len(losers),
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


def estimate_vs_actual(
    catalog: Catalog, workload: Path, month: dt.date, by_feature: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, str | None]:
    """Each workload component (its name is the feature tag) projected for the month, beside the logs."""
    from costctl.commands.workload import load_workload, project_workload

    projection = project_workload(catalog, load_workload(workload), on=month, strict=False)
    actual = {r["name"]: r for r in by_feature}
    rows: list[dict[str, Any]] = []
    for comp in projection.components:
        seen = actual.get(comp.name)
        est = comp.monthly_cost_usd
        act = (seen["cost_usd"] or ZERO) if seen else ZERO
        rows.append(
            {
                "component": comp.name,
                "model": comp.model,
                "estimated_requests": comp.requests_per_month,
                "actual_requests": seen["requests"] if seen else 0,
                "estimated_usd": est,
                "actual_usd": act,
                "difference_usd": act - est,
                "actual_over_estimate": analysis.share(act, est),
            }
        )
    est_total = sum((r["estimated_usd"] for r in rows), ZERO)
    act_total = sum((r["actual_usd"] for r in rows), ZERO)
    return {
        "workload": str(workload),
        "rows": rows,
        "estimated_usd": est_total,
        "actual_usd": act_total,
        "difference_usd": act_total - est_total,
    }, None


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
    _extra_sections(catalog, engine, spec, opts, data, tables, notes)
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
) -> None:
    daily = rollup(catalog, engine, spec.with_dims("feature", grain="day"))
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
    econ = _unit_economics(catalog, engine, spec, opts)
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


# ---------------------------------------------------------------- reconcile


def likely_cause(p: Totals, ours: Decimal, reported: Decimal, batch: bool) -> str:
    if reported == 0 and ours > 0:
        return "the log reports $0: a gateway cache hit, or a model the gateway could not price"
    ratio = ours / reported if reported else Decimal(0)
    if batch and Decimal("1.8") < ratio < Decimal("2.2"):
        return "batch discount not applied by one side (check the batch flag)"
    if not batch and Decimal("0.45") < ratio < Decimal("0.55"):
        return "the log applies batch rates; the row is not flagged is_batch"
    if ours > reported and p.reasoning_tokens > 0:
        return "reasoning tokens: the source may drop them from its cost"
    if p.cached_input_tokens or p.cache_write_tokens:
        return "cache tokens priced differently (cache reads/writes at another rate, or not at all)"
    return "price table differs (date of the price change, a negotiated discount, or a stale gateway table)"


def reconcile_report(catalog: Catalog, engine: Engine, spec: RollupSpec, tolerance_pct: Decimal) -> Report:
    dims = tuple(dict.fromkeys(("model", *spec.dimensions)))
    rspec = RollupSpec(dims, "day", spec.since, spec.until, spec.where, split_reported=True)
    result = rollup(catalog, engine, rspec)
    acc: dict[tuple[Any, ...], tuple[Totals, bool]] = {}
    for p in result.groups:
        if not p.group.has_reported or p.cost is None:
            continue
        key = key_of(p, rspec) + (p.group.is_batch,)
        t, _ = acc.get(key, (Totals(), p.group.is_batch))
        t.add(p)
        acc[key] = (t, p.group.is_batch)
    rows = []
    checked = 0
    for key, (t, batch) in sorted(acc.items(), key=lambda kv: str(kv[0])):
        checked += 1
        ours, reported = t.cost_usd, t.reported_cost_usd
        diff = ours - reported
        base = abs(reported) if reported else abs(ours)
        pct = diff / base * 100 if base else ZERO
        if abs(pct) <= tolerance_pct:
            continue
        row = {
            "day": key[0],
            **dict(zip(dims, key[1:-1], strict=False)),
            "batch": batch,
            "requests": t.requests,
        }
        row.update(
            {
                "ours_usd": ours,
                "reported_usd": reported,
                "difference_usd": diff,
                "difference_pct": pct.quantize(Decimal("0.01")),
                "likely_cause": likely_cause(t, ours, reported, batch),
            }
        )
        rows.append(row)
    cols = (
        [Column("day", "Day")]
        + [Column(d, d.title()) for d in dims]
        + [
            Column("requests", "Requests", "int"),
            Column("ours_usd", "Ours", "usd"),
            Column("reported_usd", "Reported", "usd"),
            Column("difference_usd", "Diff", "usd"),
            Column("difference_pct", "Diff %"),
            Column("likely_cause", "Likely cause"),
        ]
    )
    data = {"tolerance_pct": tolerance_pct, "groups_checked": checked, "mismatches": rows}
    notes = [] if checked else ["no rows carry a reported cost; nothing to reconcile"]
    return Report(
        "attribute reconcile", data, [Table(cols, rows, title="Reported vs recomputed cost")], notes
    )


# ---------------------------------------------------------------- ingest summary, rejects, exports


def ingest_report(summary: Any, db: str) -> Report:
    """The summary of an ingest (a `costctl.logs.ingest.IngestSummary`); for a dry run, also how each file's
    columns map and its first rejects."""
    dry = bool(getattr(summary, "dry_run", False))
    files = [
        {
            "file": f.file,
            "format": f.format,
            "read": f.read,
            "loaded": f.loaded,
            "rejected": f.rejected,
            "duplicate": f.duplicate,
            "rejects_by_reason": f.reasons,
            **({"columns": f.columns, "inferred": f.inferred} if f.columns else {}),
            **(
                {"first_rejects": [{"line": ln, "reason": r, "raw": raw} for ln, r, raw in f.first_rejects]}
                if dry
                else {}
            ),
        }
        for f in summary.files
    ]
    total = {k: summary.total(k) for k in ("read", "loaded", "rejected", "duplicate")}
    data = {
        "db": db,
        "dry_run": dry,
        "ingest_id": None if dry else summary.ingest_id,
        "files": files,
        "total": total,
        "rejects_by_reason": summary.reasons,
    }
    loaded_header = "Would load" if dry else "Loaded"
    cols = [
        Column("file", "File"),
        Column("format", "Format"),
        Column("read", "Read", "int"),
        Column("loaded", loaded_header, "int"),
        Column("rejected", "Rejected", "int"),
        Column("duplicate", "Duplicate", "int"),
    ]
    title = f"Dry run: nothing written to {db}" if dry else f"Ingest into {db}"
    tables = [Table(cols, files, title=title, footer={"file": "TOTAL", "format": "", **total})]
    if dry:
        for f in summary.files:
            if f.columns:
                tables.append(
                    Table(
                        [Column("column", "Column"), Column("source", "From"), Column("how", "How")],
                        [
                            {
                                "column": c,
                                "source": src,
                                "how": "by its name"
                                if c in f.inferred
                                else "as named"
                                if c == src
                                else "mapping",
                            }
                            for c, src in f.columns.items()
                        ],
                        title=f"Columns of {f.file}",
                    )
                )
            if f.first_rejects:
                tables.append(
                    Table(
                        [Column("line", "Line", "int"), Column("reason", "Reason"), Column("raw", "Raw")],
                        [{"line": ln, "reason": r, "raw": raw} for ln, r, raw in f.first_rejects],
                        title=f"First rejects of {f.file}",
                    )
                )
    if summary.reasons:
        tables.append(
            Table(
                [Column("reason", "Reject reason"), Column("rows", "Rows", "int")],
                [{"reason": r, "rows": n} for r, n in summary.reasons.items()],
                title="Rejects by reason" if dry else "Rejects by reason (see `costctl attribute rejects`)",
            )
        )
    return Report("attribute ingest", data, tables)


def rejects_report(con: Any, limit: int) -> Report:
    rows = [
        {"source_file": r[0], "source_line": r[1], "reason": r[2], "raw": r[3]}
        for r in con.execute(
            "SELECT source_file, source_line, reason, raw FROM rejects ORDER BY source_file, source_line LIMIT ?",
            [limit],
        ).fetchall()
    ]
    by_reason = {
        r[0]: int(r[1])
        for r in con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    }
    cols = [
        Column("source_file", "File"),
        Column("source_line", "Line", "int"),
        Column("reason", "Reason"),
        Column("raw", "Raw"),
    ]
    return Report(
        "attribute rejects",
        {"rejects": rows, "by_reason": by_reason},
        [Table(cols, rows, title="Rejected rows")],
    )


def export_parquet(con: Any, directory: Path) -> Report:
    """The canonical table as Parquet, hive-partitioned by month=YYYY-MM (for Spark or a data lake)."""
    target = directory.expanduser()
    if target.exists() and any(target.iterdir()):
        raise InputError("directory is not empty, expected a new or empty directory", where=str(directory))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    con.execute(
        "COPY (SELECT *, strftime(ts, '%Y-%m') AS month FROM requests) TO ? (FORMAT parquet, PARTITION_BY (month))",
        [str(tmp)],
    )
    if target.exists():
        target.rmdir()
    tmp.rename(target)
    counts = [
        {"month": r[0], "rows": int(r[1])}
        for r in con.execute(
            "SELECT strftime(ts, '%Y-%m'), count(*) FROM requests GROUP BY 1 ORDER BY 1"
        ).fetchall()
    ]
    return Report(
        "attribute export",
        {"to": "parquet", "directory": str(target), "partitions": counts},
        [Table([Column("month", "month="), Column("rows", "Rows", "int")], counts, title=f"Wrote {target}")],
    )


FOCUS_COLUMNS = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "BillingAccountId",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeDescription",
    "ServiceCategory",
    "ServiceSubcategory",
    "ServiceName",
    "ProviderName",
    "PublisherName",
    "ServiceProviderName",
    "ResourceId",
    "SkuId",
    "SkuPriceId",
    "SkuMeter",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingUnit",
    "Tags",
    "x_CostSource",
    "x_UnknownPrice",
    "x_Batch",
    "x_LongContext",
]
_METERS = (
    ("input", "Input Tokens"),
    ("cached_input", "Cache Read Tokens"),
    ("cache_write", "Cache Write Tokens"),
    ("output", "Output Tokens"),
)


def focus_report(
    catalog: Catalog, engine: Engine, spec: RollupSpec, billing_account: str = "costctl-local"
) -> Report:
    """FOCUS-style rows (docs/report.md#focus-export): one per day x model x tags x token meter.
    Costs are costctl's recomputation at list price (x_CostSource=observed-recomputed), never $0 for an
    unknown price (x_UnknownPrice=true, costs empty)."""
    dims = ("model", "provider", "feature", "team", "environment")
    result = rollup(catalog, engine, RollupSpec(dims, "day", spec.since, spec.until, spec.where))
    rows = []
    for p in sorted(result.groups, key=lambda p: (p.group.day, p.model_id, str(p.group.dims))):
        g = p.group
        day = g.day
        start = dt.datetime.combine(day, dt.time()).isoformat() + "Z"
        end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).isoformat() + "Z"
        month = month_of(day)
        month_end = month_of(month + dt.timedelta(days=32))
        provider = p.dim("provider") or "unknown"
        tags = {
            k: v
            for k, v in (
                ("feature", p.dim("feature")),
                ("team", p.dim("team")),
                ("environment", p.dim("environment")),
            )
            if v
        }
        quantities = {
            "input": g.input_tokens
            - g.cached_input_tokens
            - g.cache_write_5m_tokens
            - g.cache_write_1h_tokens,
            "cached_input": g.cached_input_tokens,
            "cache_write": g.cache_write_5m_tokens + g.cache_write_1h_tokens,
            "output": g.output_tokens,
        }
        for meter, label in _METERS:
            qty = quantities[meter]
            if qty == 0:
                continue
            cost = getattr(p.cost, f"{meter}_usd") if p.cost is not None else None
            rows.append(
                {
                    "BilledCost": cost,
                    "EffectiveCost": cost,
                    "ListCost": cost,
                    "ContractedCost": cost,
                    "BillingCurrency": "USD",
                    "BillingAccountId": billing_account,
                    "BillingPeriodStart": f"{month.isoformat()}T00:00:00Z",
                    "BillingPeriodEnd": f"{month_end.isoformat()}T00:00:00Z",
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": end,
                    "ChargeCategory": "Usage",
                    "ChargeDescription": f"{p.model_id} {label.lower()}",
                    "ServiceCategory": "AI and Machine Learning",
                    "ServiceSubcategory": "Generative AI",
                    "ServiceName": f"{provider} API",
                    "ProviderName": provider,
                    "PublisherName": provider,
                    "ServiceProviderName": provider,
                    "ResourceId": p.model_id,
                    "SkuId": p.model_id,
                    "SkuPriceId": f"{p.model_id}:{meter}"
                    + (":long_context" if g.tier_crossed else "")
                    + (":batch" if g.is_batch else ""),
                    "SkuMeter": label,
                    "ConsumedQuantity": qty,
                    "ConsumedUnit": "Tokens",
                    "PricingUnit": "1000000 Tokens",
                    "Tags": json.dumps(tags, sort_keys=True, ensure_ascii=False),
                    "x_CostSource": "observed-recomputed",
                    "x_UnknownPrice": p.cost is None,
                    "x_Batch": g.is_batch,
                    "x_LongContext": g.tier_crossed,
                }
            )
    kinds = {
        "BilledCost": "usd",
        "EffectiveCost": "usd",
        "ListCost": "usd",
        "ContractedCost": "usd",
        "ConsumedQuantity": "int",
    }
    cols = [Column(c, c, kinds.get(c, "text")) for c in FOCUS_COLUMNS]
    return Report(
        "attribute export", {"to": "focus", "focus_version": "1.2", "rows": rows}, [Table(cols, rows)]
    )
