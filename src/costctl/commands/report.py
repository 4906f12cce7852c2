"""`costctl report`: the figures of the monthly cost report, taken from the attribute rollups.

Every dollar here comes from `costctl.commands.attribute` (its `rollup` prices the engine's grouped sums with
the one formula) and `costctl.rollup.analysis` (MoM split, anomalies, budgets, allocation). This module only
picks the month, ranks top-N (+ an "other" bucket aggregated with the same `Totals`), lines up day and month
series, and gathers optional inputs (an audit's JSON, a workload projection). Renderers draw it; nothing here
prints or formats.

The rollups run once per report (`run_rollups`), so the bench can time them apart from the layout work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.commands.attribute import (
    CHARGEBACK_COLUMNS,
    UNPRICED_COLUMNS,
    ReportOptions,
    RollupResult,
    Totals,
    allocate_shared,
    budgets_burn,
    build_rows,
    daily_series,
    estimate_vs_actual,
    find_anomalies,
    mom,
    month_of,
    month_totals,
    rollup,
)
from costctl.errors import ExitCode, InputError
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table
from costctl.rollup import analysis
from costctl.rollup.engine import Engine
from costctl.rollup.spec import RollupSpec

ZERO = Decimal(0)
TREND_MONTHS = 12
DAILY_STACK_SERIES = 7  # features drawn in the daily stack; the rest is one "other" band
OTHER = "(other)"


@dataclass
class MonthlyOptions:
    month: dt.date  # first day of the reported month
    top: int = 10
    budgets: dict[str, Decimal] = field(default_factory=dict)  # per feature, monthly USD
    total_budget_usd: Decimal | None = None
    shared_costs: dict[str, Decimal] = field(default_factory=dict)
    overhead_pct: Decimal | None = None
    allocate_by: str = "requests"
    anomaly_factor: Decimal = Decimal(2)
    audit: dict[str, Any] | None = None  # the JSON payload of `costctl audit ... --format json`
    audit_source: str | None = None
    workload: Path | None = None
    generated_at: str | None = None  # injected clock; never read from the wall clock here


@dataclass
class Rollups:
    """The rollup queries a report runs, and nothing else (timed on their own by bench/bench_report.py)."""

    history: RollupResult  # by feature, day groups, the 12 months ending with the reported month
    teams: RollupResult  # by team, the reported month
    users: RollupResult  # by user, the reported month
    active_users: dict[tuple[dt.date, tuple[str | None, ...]], int]


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def month_days(month: dt.date) -> list[dt.date]:
    return [month + dt.timedelta(days=i) for i in range((month_end(month) - month).days + 1)]


def run_rollups(catalog: Catalog, engine: Engine, month: dt.date) -> Rollups:
    first = add_months(month, 1 - TREND_MONTHS)
    last = month_end(month)
    return Rollups(
        history=rollup(catalog, engine, RollupSpec(("feature",), "month", first, last)),
        teams=rollup(catalog, engine, RollupSpec(("team",), "all", month, last)),
        users=rollup(catalog, engine, RollupSpec(("user",), "all", month, last)),
        active_users=engine.active_users(RollupSpec((), "month", add_months(month, -1), last)),
    )


def _in_month(result: RollupResult, month: dt.date) -> RollupResult:
    """The same rollup restricted to one month's groups (no query: a filter over priced groups)."""
    groups = [p for p in result.groups if month_of(p.group.day) == month]
    rows, total = build_rows(groups, RollupSpec(result.spec.dimensions, "all"))
    return RollupResult(result.spec, groups, rows, total)


def _label(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _days_series(series: dict[dt.date, Decimal], days: list[dt.date]) -> list[Decimal]:
    return [series.get(d, ZERO) for d in days]


def ranked(
    result: RollupResult, dim: str, top: int, days: list[dt.date], previous: RollupResult | None = None
) -> list[dict[str, Any]]:
    """Top `top` values of `dim` by cost, then one "(other)" row aggregated from the remaining groups with
    `Totals` (so the rows sum exactly to the month). Each row carries its daily cost for a sparkline and,
    when `previous` is given, last month's cost."""
    rows, total = build_rows(result.groups, RollupSpec((dim,), "all"))
    ordered = analysis.top_n(rows, None)
    keep = ordered[:top]
    kept = {r[dim] for r in keep}
    daily = daily_series(result, dim)
    before: dict[str, Decimal] = {}
    if previous is not None:
        prev_rows, _ = build_rows(previous.groups, RollupSpec((dim,), "all"))
        before = {_label(r[dim]): r["cost_usd"] for r in prev_rows}
    out = []
    for r in keep:
        name = _label(r[dim])
        out.append(
            _row(name, r, daily.get(str(r[dim]), {}), days, before.get(name) if previous else None, previous)
        )
    if len(ordered) > top:
        other = Totals()
        other_daily: dict[dt.date, Decimal] = {}
        for p in result.groups:
            if p.dim(dim) not in kept:
                other.add(p)
        for key, series in daily.items():
            if key not in {str(k) for k in kept}:
                for d, v in series.items():
                    other_daily[d] = other_daily.get(d, ZERO) + v
        row = {**other.fields(), "share": analysis.share(other.cost_usd, total.cost_usd)}
        prev_other = sum((v or ZERO for k, v in before.items() if k not in {_label(x) for x in kept}), ZERO)
        out.append(_row(f"{OTHER} {len(ordered) - top}", row, other_daily, days, prev_other, previous))
        out[-1]["is_other"] = True
    return out


def _row(
    name: str,
    r: dict[str, Any],
    daily: dict[dt.date, Decimal],
    days: list[dt.date],
    before: Decimal | None,
    previous: RollupResult | None,
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": name,
        "requests": r["requests"],
        "input_tokens": r["input_tokens"],
        "output_tokens": r["output_tokens"],
        "cost_usd": r["cost_usd"],
        "share": r["share"],
        "cost_per_request_usd": r["cost_per_request_usd"],
        "unpriced_requests": r["unpriced_requests"],
        "daily_usd": _days_series(daily, days),
        "is_other": False,
    }
    if previous is not None:
        row["previous_usd"] = before
        cost = r["cost_usd"]  # None when nothing in the row could be priced (never a silent $0)
        row["change_usd"] = cost - before if before is not None and cost is not None else None
    return row


def daily_stack(result: RollupResult, days: list[dt.date]) -> dict[str, Any]:
    """Daily cost by feature for the month: the costliest features, then one "other" band."""
    daily = daily_series(result, "feature")
    totals = sorted(daily.items(), key=lambda kv: (-sum(kv[1].values(), ZERO), kv[0]))
    series = [{"key": key, "cost_usd": _days_series(s, days)} for key, s in totals[:DAILY_STACK_SERIES]]
    rest = totals[DAILY_STACK_SERIES:]
    if rest:
        summed = [sum((s.get(d, ZERO) for _, s in rest), ZERO) for d in days]
        series.append({"key": f"{OTHER} {len(rest)}", "cost_usd": summed})
    return {"days": days, "series": series}


def trend(history: RollupResult, month: dt.date) -> list[dict[str, Any]]:
    by_month = month_totals(history)
    out = []
    for i in range(TREND_MONTHS):
        m = add_months(month, i + 1 - TREND_MONTHS)
        t = by_month.get(m, Totals())
        out.append(
            {
                "month": f"{m:%Y-%m}",
                "cost_usd": t.cost_usd,
                "requests": t.requests,
                "unpriced_requests": t.unpriced_requests,
            }
        )
    return out


def _split(split: analysis.MomSplit, by: str) -> dict[str, Any]:
    return {
        "by": by,
        "previous_usd": split.previous_usd,
        "current_usd": split.current_usd,
        "change_usd": split.change_usd,
        "volume_usd": split.volume_usd,
        "rate_usd": split.rate_usd,
        "mix_usd": split.mix_usd,
    }


def budget_status(burn: analysis.BudgetBurn | None) -> dict[str, Any]:
    if burn is None:
        return {"status": "no budget set"}
    if 100 in burn.alerts:
        status = "over budget"
    elif burn.projected_usd > burn.budget_usd:
        status = "on track to exceed"
    else:
        status = "within budget"
    return {
        "status": status,
        "budget_usd": burn.budget_usd,
        "spent_usd": burn.spent_usd,
        "burn": burn.pct,
        "projected_usd": burn.projected_usd,
        "alerts": list(burn.alerts),
    }


def chargeback(
    teams: RollupResult, opts: MonthlyOptions
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """Team showback plus the shared pool allocated with the attribute branch's `allocate_shared`."""
    rows: list[dict[str, Any]] = [dict(r) for r in analysis.top_n(teams.rows, None)]
    shared_opts = ReportOptions(
        shared_costs=opts.shared_costs, overhead_pct=opts.overhead_pct, allocate_by=opts.allocate_by
    )
    shared = allocate_shared(rows, ("team",), teams.total, shared_opts)
    out = [
        {
            "team": _label(r.get("team")),
            "requests": r["requests"],
            "direct_cost_usd": r["cost_usd"],
            "shared_usd": r.get("shared_usd", ZERO),
            "chargeback_usd": (r["cost_usd"] or ZERO) + r.get("shared_usd", ZERO),
            "unpriced_requests": r["unpriced_requests"],
        }
        for r in rows
    ]
    return out, shared


def audit_highlights(payload: dict[str, Any] | None, source: str | None) -> dict[str, Any] | None:
    """Pick the highlights out of an audit's JSON: its totals, the costliest findings, and any output-cap
    recommendations (log audit). Lenient by design: the audit's payload grows on its own branch."""
    if payload is None:
        return None
    raw_totals = payload.get("totals")
    totals: dict[str, Any] = raw_totals if isinstance(raw_totals, dict) else {}
    scalars = {
        k: v for k, v in totals.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)
    }
    findings = [f for f in payload.get("findings", []) if isinstance(f, dict)]
    findings.sort(key=lambda f: -_money(_first_usd(f)))
    caps = [r for r in _dict_rows(payload) if "recommended_cap" in r]
    return {
        "source": source,
        "command": payload.get("command"),
        "totals": scalars,
        "findings": findings[:10],
        "findings_total": len(findings),
        "caps": caps[:20],
    }


def _first_usd(row: dict[str, Any]) -> Any:
    return next((v for k, v in row.items() if "usd" in k and v is not None), None)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except Exception:  # noqa: BLE001 - any non-number sorts last
        return ZERO


def _dict_rows(value: Any) -> list[dict[str, Any]]:
    """Every dict inside lists anywhere in `value` (depth-first, document order)."""
    found: list[dict[str, Any]] = []
    if isinstance(value, dict):
        for v in value.values():
            found.extend(_dict_rows(v))
    elif isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                found.append(v)
                found.extend(_dict_rows(v))
    return found


def load_audit(path: Path) -> dict[str, Any]:
    """The JSON written by `costctl audit ... --format json`."""
    from costctl.inputs import read_json

    payload = read_json(path, "audit file")
    if not isinstance(payload, dict) or not str(payload.get("command", "")).startswith("audit"):
        raise InputError("expected the JSON of `costctl audit ... --format json`", where=str(path))
    return payload


def monthly_report(catalog: Catalog, engine: Engine, opts: MonthlyOptions) -> Report:
    """Run the rollups and lay out the month's report."""
    return build_report(catalog, run_rollups(catalog, engine, opts.month), opts)


def build_report(catalog: Catalog, rolls: Rollups, opts: MonthlyOptions) -> Report:
    month = opts.month
    prev = add_months(month, -1)
    days = month_days(month)
    cur = _in_month(rolls.history, month)
    before = _in_month(rolls.history, prev)
    if not cur.groups:
        found = [m for m, t in month_totals(rolls.history).items() if t.requests]
        hint = f"; the latest month with requests is {max(found):%Y-%m}" if found else ""
        raise InputError(f"no requests logged in {month:%Y-%m}{hint}", where="--month")
    total, previous = cur.total, before.total
    logged_days = sorted({p.group.day for p in cur.groups})
    users = rolls.active_users.get((month, ()), 0)
    notes: list[str] = []

    budget = None
    if opts.total_budget_usd is not None:
        burns = analysis.budget_burn(
            {"total": opts.total_budget_usd}, {("total", month): total.cost_usd}, {month: logged_days[-1]}
        )
        budget = burns[0] if burns else None
    feature_burn = [b for b in budgets_burn(cur, opts.budgets, "feature") if b.month == month]
    anomalies = [
        a for a in find_anomalies(rolls.history, "feature", opts.anomaly_factor) if month_of(a.day) == month
    ]
    by_feature = ranked(cur, "feature", opts.top, days, before)
    by_model = ranked(cur, "model", opts.top, days, before)
    by_team = ranked(rolls.teams, "team", opts.top, days)
    by_user = ranked(rolls.users, "user", opts.top, days)
    charge, shared = chargeback(rolls.teams, opts)
    unpriced = cur.unpriced

    headline = {
        "total_usd": total.cost_usd,
        "previous_usd": previous.cost_usd,
        "change_usd": total.cost_usd - previous.cost_usd,
        "change_pct": (total.cost_usd - previous.cost_usd) / previous.cost_usd if previous.cost_usd else None,
        "requests": total.requests,
        "previous_requests": previous.requests,
        "cost_per_request_usd": analysis.per(total.cost_usd, total.priced_requests),
        "active_users": users,
        "cost_per_active_user_usd": analysis.per(total.cost_usd, users),
        "unpriced_requests": total.unpriced_requests,
        "unpriced_input_tokens": total.unpriced_input_tokens,
        "unpriced_output_tokens": total.unpriced_output_tokens,
        "unpriced_share_of_requests": analysis.share(
            Decimal(total.unpriced_requests), Decimal(total.requests)
        ),
        "budget": budget_status(budget),
    }
    if total.unpriced_requests:
        notes.append(
            f"{total.unpriced_requests} requests are unpriced and not in the totals: "
            + "; ".join(f"{u['model']}: {u['reason']}" for u in unpriced)
        )
    data: dict[str, Any] = {
        "month": f"{month:%Y-%m}",
        "previous_month": f"{prev:%Y-%m}",
        "generated_at": opts.generated_at,
        "data_from": logged_days[0],
        "data_through": logged_days[-1],
        "headline": headline,
        "unpriced": unpriced,
        "daily_by_feature": daily_stack(cur, days),
        "trend": trend(rolls.history, month),
        "month_over_month": {
            "feature": _split(mom(rolls.history, month, "feature"), "feature"),
            "model": _split(mom(rolls.history, month, "model"), "model"),
        },
        "by_feature": by_feature,
        "by_model": by_model,
        "by_team": by_team,
        "by_user": by_user,
        "top": opts.top,
        "chargeback": charge,
        "shared": shared,
        "anomalies": [{**a.__dict__} for a in anomalies],
        "anomaly_factor": opts.anomaly_factor,
        "budgets": [{**b.__dict__, "alerts": list(b.alerts)} for b in feature_burn],
        "audit": audit_highlights(opts.audit, opts.audit_source),
        "estimate_vs_actual": None,
    }
    if opts.workload is not None:
        eva, note = estimate_vs_actual(catalog, opts.workload, month, by_feature)
        data["estimate_vs_actual"] = eva
        if note:
            notes.append(note)
            data["estimate_vs_actual_note"] = note
    report = Report("report", data, summary_tables(data), notes, title=f"LLM cost report {month:%Y-%m}")
    # the same rule as `attribute report --budget`: a budget exceeded is a failed check (exit 1)
    over = [str(b["key"]) for b in data.get("budgets", []) if 100 in b["alerts"]]
    if data["headline"]["budget"].get("status") == "over budget":
        over.insert(0, "total")
    if over:
        report.notes.append(f"over budget: {', '.join(over)} (exit 1)")
        report.exit_code = int(ExitCode.CHECK_FAILED)
    return report


_RANK_COLUMNS = [
    Column("requests", "Requests", "int"),
    Column("cost_usd", "Cost", "usd"),
    Column("share", "Share", "pct"),
    Column("cost_per_request_usd", "Per request", "usd"),
    Column("unpriced_requests", "Unpriced req", "int"),
]


def summary_tables(data: dict[str, Any]) -> list[Table]:
    """What `--format table|csv` show (the HTML and markdown renderers read `data`)."""
    h = data["headline"]
    tables = [
        Table(
            [Column("name", "Feature"), *_RANK_COLUMNS, Column("change_usd", "Change", "usd")],
            data["by_feature"],
            title=f"Cost by feature, {data['month']}",
            footer={
                "name": "TOTAL",
                "requests": h["requests"],
                "cost_usd": h["total_usd"],
                "share": Decimal(1) if h["total_usd"] else None,
                "cost_per_request_usd": h["cost_per_request_usd"],
                "unpriced_requests": h["unpriced_requests"],
                "change_usd": h["change_usd"],
            },
        ),
        Table([Column("name", "Model"), *_RANK_COLUMNS], data["by_model"], title="Cost by model"),
        Table([Column("name", "Team"), *_RANK_COLUMNS], data["by_team"], title="Cost by team"),
        Table([Column("name", "User"), *_RANK_COLUMNS], data["by_user"], title=f"Top {data['top']} users"),
    ]
    split = data["month_over_month"]["feature"]
    tables.append(
        Table(
            [Column("part", "Month-over-month"), Column("usd", "USD", "usd")],
            [
                {"part": f"{data['previous_month']}", "usd": split["previous_usd"]},
                {"part": "volume (more or fewer requests)", "usd": split["volume_usd"]},
                {"part": "rate (cost per request within features)", "usd": split["rate_usd"]},
                {"part": "mix (shift between features)", "usd": split["mix_usd"]},
                {"part": f"{data['month']}", "usd": split["current_usd"]},
            ],
            title="Change against last month",
        )
    )
    tables.append(Table(CHARGEBACK_COLUMNS, data["chargeback"], title="Team chargeback"))
    if data["anomalies"]:
        tables.append(Table(ANOMALY_COLUMNS, data["anomalies"], title="Anomalies"))
    if data["budgets"]:
        tables.append(Table(BUDGET_COLUMNS, data["budgets"], title="Budgets"))
    if data["unpriced"]:
        tables.append(Table(UNPRICED_COLUMNS, data["unpriced"], title="Unpriced volume (not in the totals)"))
    return tables


ANOMALY_COLUMNS = [
    Column("key", "Feature"),
    Column("day", "Day"),
    Column("cost_usd", "Cost", "usd"),
    Column("baseline_usd", "Trailing 7-day mean", "usd"),
    Column("factor", "Factor"),
]
BUDGET_COLUMNS = [
    Column("key", "Feature"),
    Column("budget_usd", "Budget", "usd"),
    Column("spent_usd", "Spent", "usd"),
    Column("pct", "Burn", "pct"),
    Column("projected_usd", "Projected", "usd"),
]
