"""Spend limits: what to set where, from a workload projection or a top-down estimate.

Top-down estimate: MAU x queries per user per day x cost per query x 30 days.
Two published rules, both offered:
- `multiplier`: soft alert at 3x the estimate (a safety multiplier for estimates that run low), hard
  limit at 5x the baseline;
- `percent`: soft alert at 80 % and hard limit at 120 % of expected spend.
Alert thresholds at 50, 75 and 90 % of the hard limit; per-user caps = hard limit / users.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from costctl.errors import InputError
from costctl.report import Column, Report, Table

DAYS = 30
RULES = {
    "multiplier": (Decimal(3), Decimal(5)),
    "percent": (Decimal("0.8"), Decimal("1.2")),
}
ALERT_PCTS = (50, 75, 90)


def top_down_monthly(mau: int, queries_per_user_per_day: Decimal, cost_per_query_usd: Decimal) -> Decimal:
    """MAU x queries per user per day x cost per query x 30."""
    return Decimal(mau) * queries_per_user_per_day * cost_per_query_usd * DAYS


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)


def spend_limits(baseline_usd: Decimal, *, users: int | None, source: str) -> Report:
    """Both rules side by side, with the place each number goes."""
    if baseline_usd < 0:
        raise InputError(f"baseline spend must not be negative, got {baseline_usd}")
    rules: dict[str, Any] = {}
    rows = []
    for rule, (soft_x, hard_x) in RULES.items():
        soft = baseline_usd * soft_x
        hard = baseline_usd * hard_x
        entry: dict[str, Any] = {
            "soft_alert_usd": soft,
            "hard_limit_usd": hard,
            "alert_thresholds_usd": {f"{p}%": hard * p / 100 for p in ALERT_PCTS},
        }
        if users:
            entry["per_user_monthly_cap_usd"] = hard / users
            entry["per_user_daily_cap_usd"] = hard / users / DAYS
        rules[rule] = entry
        where = [
            ("billing alert (provider console)", "soft alert", soft),
            ("API key spend limit", "hard limit", hard),
            ("workspace / project monthly cap", "hard limit", hard),
        ]
        where += [("billing alert", f"{p} % of hard limit", hard * p / 100) for p in ALERT_PCTS]
        if users:
            where.append(("application per-user budget", "per user per month", hard / users))
        rows += [{"rule": rule, "where": w, "what": what, "amount_usd": _cents(v)} for w, what, v in where]
    return Report(
        command="estimate",
        title=f"Spend limits for a baseline of ${baseline_usd:,.2f}/month ({source})",
        data={"baseline_monthly_usd": baseline_usd, "source": source, "users": users, "rules": rules},
        tables=[
            Table(
                columns=[
                    Column("rule", "Rule"),
                    Column("where", "Set it in"),
                    Column("what", "What"),
                    Column("amount_usd", "Amount", "usd"),
                ],
                rows=rows,
            )
        ],
        notes=[
            "multiplier rule: soft alert at 3x the top-down estimate, hard limit at 5x the baseline; "
            "percent rule: soft at 80 %, hard at 120 % of expected spend",
        ],
    )


def mau_limits(
    mau: int | None, queries_per_user_per_day: Decimal | None, cost_per_query_usd: Decimal | None
) -> Report:
    """`estimate --limits --mau N --queries-per-user-per-day Q --cost-per-query C` (all three needed)."""
    if mau is None or queries_per_user_per_day is None or cost_per_query_usd is None:
        raise InputError(
            "--limits needs --workload FILE, or --mau, --queries-per-user-per-day and --cost-per-query"
        )
    baseline = top_down_monthly(mau, queries_per_user_per_day, cost_per_query_usd)
    return spend_limits(baseline, users=mau, source="MAU x queries/day x cost/query x 30")


def workload_limits(catalog: Any, workload: Any, *, on: Any) -> Report:
    """`estimate --workload FILE --limits`: limits around the workload's projected monthly spend."""
    from costctl.commands.workload import project_workload

    projection = project_workload(catalog, workload, on=on)
    return spend_limits(projection.monthly_cost_usd, users=workload.users, source=str(workload.source))
