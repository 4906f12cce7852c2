"""Figures derived from priced rollups, pure over their groups: month totals, daily series, month-over-month
split, anomalies, budget burn, and the workload estimate beside the actual cost."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.commands.priced_rollup import (
    RollupResult,
    Totals,
)
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.rollup import analysis


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
