"""`costctl budget check | record | status`: the shared-ledger guard as commands returning Reports.

check  — one `BudgetGuard.check` (the reservation is real: record it, or it expires);
record — settle a reservation with the provider's usage (a JSON file);
status — every cap bucket of the current day and month: spent, reserved, remaining, projected period end,
         and the guard's accuracy (worst case reserved vs actual cost of settled requests).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costctl.budget.guard import (
    BudgetGuard,
    CapStatus,
    Decision,
    GuardRequest,
    Recorded,
    cap_status,
    period_of,
)
from costctl.budget.ledger import BucketState, Ledger, epoch_us, from_epoch_us, from_pusd
from costctl.budget.policy import Cap, GuardPolicy
from costctl.commands.budget import candidate_rows
from costctl.errors import ExitCode
from costctl.models import ZERO
from costctl.pricing.catalog import Catalog
from costctl.report import Column, Report, Table

_CAP_COLUMNS = [
    Column("cap", "Cap"),
    Column("key", "Key"),
    Column("key_value", "Value"),
    Column("period", "Period"),
    Column("hard_usd", "Hard", "usd"),
    Column("spent_usd", "Spent", "usd"),
    Column("reserved_usd", "Reserved", "usd"),
    Column("remaining_usd", "Remaining", "usd"),
    Column("used_pct", "Used", "pct"),
]


def _cap_row(s: CapStatus) -> dict[str, Any]:
    return {
        "cap": s.cap,
        "key": s.key,
        "key_value": s.key_value,
        "period": s.period,
        "hard_usd": s.hard_usd,
        "soft_usd": s.soft_usd,
        "spent_usd": s.spent_usd,
        "reserved_usd": s.reserved_usd,
        "remaining_usd": s.remaining_usd,
        "used_pct": (s.used_usd / s.hard_usd) if s.hard_usd else None,
        "requests": s.requests,
        "warn_level_pct": s.warn_level_pct,
        "soft_exceeded": s.soft_exceeded,
    }


def check_report(decision: Decision) -> Report:
    """JSON: decision, model_used (the fallback on a downgrade), request_id, reserved worst case, every
    model tried with its worst case and violations, and each cap as the decision left it."""
    candidates = candidate_rows(decision.candidates)
    caps = [_cap_row(s) for s in decision.caps]
    data = {
        "decision": decision.decision,
        "request_id": decision.request_id,
        "model_requested": decision.model_requested,
        "model_used": decision.model_used,
        "reserved_usd": decision.reserved_usd,
        "estimated_cost_usd": decision.estimated_cost_usd,
        "priced_on": decision.priced_on,
        "expires_at": decision.expires_at.isoformat() if decision.expires_at else None,
        "candidates": candidates,
        "caps": caps,
        "warnings": list(decision.warnings),
    }
    verdict = {
        "allow": f"allow: {decision.model_used}",
        "fallback": f"fallback to {decision.model_used}",
        "reject": "reject: no model fits the budget",
    }[decision.decision]
    tables = [
        # first, so CSV (which carries a report's first table) says what to do with the request
        Table(
            title="Decision",
            columns=[
                Column("decision", "Decision"),
                Column("model_used", "Model to call"),
                Column("request_id", "Request"),
                Column("reserved_usd", "Reserved", "usd"),
            ],
            rows=[data],
        ),
        Table(
            title="Models tried",
            columns=[
                Column("model", "Model"),
                Column("input_tokens", "Input tok", "int"),
                Column("output_tokens", "Max output", "int"),
                Column("estimated_cost_usd", "Worst case", "usd"),
                Column("within_budget", "Fits"),
            ],
            rows=candidates,
        ),
    ]
    if caps:
        tables.append(Table(title="Caps", columns=_CAP_COLUMNS, rows=caps))
    notes = decision.reasons() + [f"warning: {w}" for w in decision.warnings]
    if decision.allowed:
        notes.append(
            f"request {decision.request_id} reserved until {decision.expires_at:%Y-%m-%d %H:%M:%S} UTC; "
            "settle it with `costctl budget record` or it expires"
        )
    return Report(
        command="budget",
        data=data,
        title=f"Budget check: {verdict}",
        tables=tables,
        notes=notes,
        exit_code=0 if decision.allowed else int(ExitCode.CHECK_FAILED),
    )


def run_check(guard: BudgetGuard, request: GuardRequest) -> Report:
    """One check; the report's verdict is exit 1 when the request is rejected."""
    return check_report(guard.check(request))


def record_report(recorded: Recorded) -> Report:
    u = recorded.usage
    row = {
        "request_id": recorded.request_id,
        "model": recorded.model,
        "input_tokens": u.input_tokens,
        "cached_input_tokens": u.cached_input_tokens,
        "output_tokens": u.output_tokens,
        "reasoning_tokens": u.reasoning_tokens,
        "reserved_usd": recorded.reserved_usd,
        "actual_usd": recorded.actual_usd,
        "actual_vs_reserved": (recorded.actual_usd / recorded.reserved_usd)
        if recorded.reserved_usd
        else None,
        "late": recorded.late,
    }
    notes = (
        ["the reservation had expired; its charge is now replaced by the actual cost"]
        if recorded.late
        else []
    )
    return Report(
        command="budget",
        data=row,
        title=f"Recorded {recorded.request_id}",
        tables=[
            Table(
                columns=[
                    Column("request_id", "Request"),
                    Column("model", "Model"),
                    Column("input_tokens", "Input tok", "int"),
                    Column("output_tokens", "Output tok", "int"),
                    Column("reserved_usd", "Reserved", "usd"),
                    Column("actual_usd", "Actual", "usd"),
                    Column("actual_vs_reserved", "Actual/reserved", "pct"),
                ],
                rows=[row],
            )
        ],
        notes=notes,
    )


# ---------------------------------------------------------------- status


def _period_bounds(period: str) -> tuple[dt.datetime, dt.datetime]:
    utc = dt.timezone.utc
    if len(period) == 7:  # YYYY-MM
        year, month = int(period[:4]), int(period[5:])
        start = dt.datetime(year, month, 1, tzinfo=utc)
        return start, start + dt.timedelta(days=calendar.monthrange(year, month)[1])
    day = dt.date.fromisoformat(period)
    start = dt.datetime(day.year, day.month, day.day, tzinfo=utc)
    return start, start + dt.timedelta(days=1)


def projected_usd(spent: Decimal, period: str, now: dt.datetime) -> Decimal:
    """Spend at the period's end if it goes on at the pace so far (linear); the spend itself once over."""
    start, end = _period_bounds(period)
    if now >= end:
        return spent
    elapsed = Decimal(epoch_us(now) - epoch_us(start))
    if elapsed <= 0:
        return spent
    return spent * Decimal(epoch_us(end) - epoch_us(start)) / elapsed


def _status_of(state: BucketState, cap: Cap | None) -> CapStatus:
    if cap is None:  # a bucket of a cap no longer in the policy: its stored hard limit only
        hard = None if state.hard_pusd is None else from_pusd(state.hard_pusd)
        cap = Cap(state.cap, "?", "day" if len(state.period) == 10 else "month", hard_usd=hard)
    return cap_status(cap, state)


@dataclass(frozen=True)
class StatusRequest:
    policy: GuardPolicy | None
    now: dt.datetime
    recent_requests: int = 0  # also list the N latest settled requests: estimate vs actual, one by one


def status_report(ledger: Ledger, request: StatusRequest) -> Report:
    """Each cap bucket of the current day and month, and the guard's accuracy on settled requests."""
    now = request.now
    if request.policy is not None:  # the policy says what expiry does; without it, reservations stay as found
        ledger.expire(now_us=epoch_us(now), charge=request.policy.on_expiry == "charge")
    periods = [now.date().isoformat(), f"{now.year:04d}-{now.month:02d}"]
    caps = {c.name: c for c in request.policy.caps} if request.policy else {}
    states = ledger.buckets(periods)
    seen = {s.cap for s in states}
    rows = []
    for state in states:
        status = _status_of(state, caps.get(state.cap))
        row = _cap_row(status)
        if status.key == "?":
            row["key"] = None
        row["projected_usd"] = projected_usd(status.spent_usd, state.period, now)
        row["status"] = _level(status)
        rows.append(row)
    for cap in caps.values():  # caps with no spending yet in this period
        if cap.name not in seen and (cap.key == "global" or cap.value is not None):
            empty = BucketState("", cap.name, period_of(cap, now), cap.value or "*", None, 0, 0, 0)
            row = _cap_row(cap_status(cap, empty))
            row.update(projected_usd=ZERO, status="ok")
            rows.append(row)
    rows.sort(key=lambda r: (r["cap"], r["period"], str(r["key_value"])))
    accuracy, counts, recent = _accuracy(
        ledger,
        since=dt.datetime(now.year, now.month, 1, tzinfo=dt.timezone.utc),
        keep=request.recent_requests,
    )
    data = {
        "ledger": ledger.location,
        "at": now.isoformat(),
        "caps": rows,
        "requests_this_month": counts,
        "accuracy": accuracy,
    }
    extra = []
    if request.recent_requests:
        data["recent_requests"] = recent
        extra.append(
            Table(
                title=f"Latest settled requests (at most {request.recent_requests}): estimate vs actual",
                columns=[
                    Column("request_id", "Request"),
                    Column("at", "At (UTC)"),
                    Column("decision", "Decision"),
                    Column("model", "Model"),
                    Column("key", "User / feature / team"),
                    Column("reserved_usd", "Reserved", "usd"),
                    Column("actual_usd", "Actual", "usd"),
                    Column("actual_vs_reserved", "Actual/reserved", "pct"),
                ],
                rows=recent,
            )
        )
    columns = [*_CAP_COLUMNS, Column("projected_usd", "Projected end", "usd"), Column("status", "Status")]
    notes = []
    if not rows:
        notes.append("no cap has been used in the current day or month")
    return Report(
        command="budget",
        data=data,
        title=f"Budget status at {now:%Y-%m-%d %H:%M} UTC",
        tables=[
            Table(title="Caps (current day and month)", columns=columns, rows=rows),
            Table(
                title="Guard accuracy this month (settled requests: worst case reserved vs actual)",
                columns=[
                    Column("model", "Model"),
                    Column("requests", "Requests", "int"),
                    Column("reserved_usd", "Reserved", "usd"),
                    Column("actual_usd", "Actual", "usd"),
                    Column("actual_vs_reserved", "Actual/reserved", "pct"),
                    Column("max_actual_vs_reserved", "Max per request", "pct"),
                ],
                rows=accuracy,
            ),
            *extra,
        ],
        notes=notes,
    )


def _level(s: CapStatus) -> str:
    if s.hard_usd is not None and s.used_usd >= s.hard_usd:
        return "full"
    if s.soft_exceeded:
        return "over soft limit"
    if s.warn_level_pct is not None:
        return f"warn {s.warn_level_pct} %"
    return "ok"


def _accuracy(
    ledger: Ledger, *, since: dt.datetime, keep: int
) -> tuple[list[dict[str, Any]], dict[str, int], list[dict[str, Any]]]:
    """Per model: settled requests, reserved vs actual; the counts by state; the `keep` latest settled."""
    import collections

    per_model: dict[str, dict[str, Any]] = {}
    counts = {"reserved": 0, "settled": 0, "expired": 0, "rejected": 0}
    latest: collections.deque[dict[str, Any]] = collections.deque(maxlen=max(keep, 0))
    for row in ledger.rows(since_us=epoch_us(since)):
        counts[row["state"]] = counts.get(row["state"], 0) + 1
        if row["state"] != "settled":
            continue
        reserved, actual = Decimal(row["reserved_usd"]), Decimal(row["actual_usd"])
        entry = per_model.setdefault(
            row["model"],
            {"model": row["model"], "requests": 0, "reserved_usd": ZERO, "actual_usd": ZERO, "max": None},
        )
        entry["requests"] += 1
        entry["reserved_usd"] += reserved
        entry["actual_usd"] += actual
        ratio = actual / reserved if reserved else None
        if ratio is not None:
            entry["max"] = ratio if entry["max"] is None else max(entry["max"], ratio)
        if keep:
            latest.append(
                {
                    "request_id": row["request_id"],
                    "at": f"{from_epoch_us(int(row['ts_us'])):%Y-%m-%d %H:%M:%S}",
                    "decision": row["decision"],
                    "model": row["model"],
                    "key": " / ".join(str(row[k] or "-") for k in ("user_id", "feature", "team")),
                    "reserved_usd": reserved,
                    "actual_usd": actual,
                    "actual_vs_reserved": ratio,
                }
            )
    out = []
    for model in sorted(per_model):
        e = per_model[model]
        out.append(
            {
                "model": model,
                "requests": e["requests"],
                "reserved_usd": e["reserved_usd"],
                "actual_usd": e["actual_usd"],
                "actual_vs_reserved": e["actual_usd"] / e["reserved_usd"] if e["reserved_usd"] else None,
                "max_actual_vs_reserved": e["max"],
            }
        )
    return out, counts, list(latest)


def open_guard(policy: GuardPolicy, ledger: Ledger, catalog: Catalog) -> BudgetGuard:
    return BudgetGuard(policy, ledger, catalog=catalog)


def parse_tags(values: Sequence[str] | None) -> dict[str, str]:
    """`--tag env=prod --tag tenant=acme` -> {"env": "prod", "tenant": "acme"}."""
    from costctl.errors import InputError

    tags: dict[str, str] = {}
    for value in values or []:
        key, sep, text = value.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--tag: expected KEY=VALUE, got {value!r}")
        tags[key.strip()] = text.strip()
    return tags
