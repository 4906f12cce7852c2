"""Pure arithmetic over priced rollups: allocation, month-over-month decomposition, anomalies, budgets.

No engine, no prices: inputs are Decimals and counts already computed by the one formula. Parts always sum
exactly to their total.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

MICRO_CENT = Decimal("0.00000001")  # 1e-6 cent, the allocation unit
PICO = Decimal("1e-12")  # resolution of the month-over-month parts
ALERT_LEVELS = (50, 75, 90, 100)
ZERO = Decimal(0)


def allocate(total: Decimal, weights: Mapping[str, int | Decimal]) -> dict[str, Decimal]:
    """Split `total` in proportion to `weights`, largest remainder on micro-cents: the parts sum exactly to
    `total`, unrounded (what is below a micro-cent goes to the part first in the largest-remainder order, so
    money is never rounded before it is displayed). Zero total weight -> equal weights."""
    keys = list(weights)
    if not keys:
        return {}
    units = int((total / MICRO_CENT).to_integral_value(rounding=ROUND_DOWN))
    w = {k: Decimal(weights[k]) for k in keys}
    wsum = sum(w.values(), ZERO)
    if wsum <= 0:
        w = {k: Decimal(1) for k in keys}
        wsum = Decimal(len(keys))
    exact = {k: Decimal(units) * w[k] / wsum for k in keys}
    floors = {k: int(exact[k].to_integral_value(rounding=ROUND_DOWN)) for k in keys}
    left = units - sum(floors.values())
    # largest fractional part first; ties broken by key so the result is deterministic
    order = sorted(keys, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[:left]:
        floors[k] += 1
    parts = {k: Decimal(floors[k]) * MICRO_CENT for k in keys}
    parts[order[0]] += total - Decimal(units) * MICRO_CENT
    return parts


@dataclass(frozen=True)
class Segment:
    requests: int
    cost_usd: Decimal


@dataclass(frozen=True)
class MomSplit:
    """change = volume + rate + mix, exactly.

    With R = requests, C = cost, c = C/R (overall), c_i = C_i/R_i per segment i (feature or model):
    - volume = (R_b - R_a) * c_a: the change had every request cost last month's average;
    - mix    = sum_i R_b,i * c_a,i - R_b * c_a: the shift of requests between cheaper and dearer segments,
               at last month's per-segment rates (a new segment uses last month's average c_a);
    - rate   = change - volume - mix = sum_i R_b,i * (c_b,i - c_a,i): cost per request within segments.
    volume and mix are rounded to 1e-12 USD (`PICO`) and `rate` is the remainder, so the three parts sum to
    the change exactly.
    """

    previous_usd: Decimal
    current_usd: Decimal
    change_usd: Decimal
    volume_usd: Decimal
    rate_usd: Decimal
    mix_usd: Decimal


def mom_split(previous: Mapping[str, Segment], current: Mapping[str, Segment]) -> MomSplit:
    ra = sum(s.requests for s in previous.values())
    rb = sum(s.requests for s in current.values())
    ca = sum((s.cost_usd for s in previous.values()), ZERO)
    cb = sum((s.cost_usd for s in current.values()), ZERO)
    change = cb - ca
    if ra == 0:
        return MomSplit(ca, cb, change, change, ZERO, ZERO)
    avg_a = ca / ra
    volume = ((rb - ra) * avg_a).quantize(PICO)
    at_old_rates = ZERO
    for key, seg in current.items():
        old = previous.get(key)
        rate_a = old.cost_usd / old.requests if old and old.requests else avg_a
        at_old_rates += seg.requests * rate_a
    mix = (at_old_rates - rb * avg_a).quantize(PICO)
    rate = change - volume - mix
    return MomSplit(ca, cb, change, volume, rate, mix)


@dataclass(frozen=True)
class Anomaly:
    key: str
    day: dt.date
    cost_usd: Decimal
    baseline_usd: Decimal
    factor: Decimal


def anomalies(
    daily: Mapping[str, Mapping[dt.date, Decimal]],
    *,
    factor: Decimal = Decimal(2),
    window: int = 7,
    min_history: int = 3,
    min_usd: Decimal = Decimal("0.01"),
) -> list[Anomaly]:
    """Days where a series' cost exceeds `factor` x the mean of its trailing `window` days (missing = 0),
    once it has `min_history` days of history; tiny amounts below `min_usd` are ignored."""
    found: list[Anomaly] = []
    for key, series in daily.items():
        if not series:
            continue
        first = min(series)
        for day in sorted(series):
            if (day - first).days < min_history:
                continue
            start = max(first, day - dt.timedelta(days=window))
            days = (day - start).days
            past = sum((series.get(start + dt.timedelta(days=i), ZERO) for i in range(days)), ZERO)
            baseline = past / days if days else ZERO
            cost = series[day]
            if cost >= min_usd and cost > factor * baseline:
                ratio = cost / baseline if baseline > 0 else Decimal("Infinity")
                found.append(Anomaly(key, day, cost, baseline, ratio))
    return sorted(found, key=lambda a: (a.day, a.key))


@dataclass(frozen=True)
class BudgetBurn:
    key: str
    month: dt.date
    budget_usd: Decimal
    spent_usd: Decimal
    pct: Decimal  # fraction, 0.5 = 50 %
    projected_usd: Decimal
    alerts: tuple[int, ...]  # levels crossed (50, 75, 90, 100)


def _days_in_month(month: dt.date) -> int:
    nxt = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return (nxt - month).days


def budget_burn(
    budgets: Mapping[str, Decimal],
    spent: Mapping[tuple[str, dt.date], Decimal],
    last_day: Mapping[dt.date, dt.date],
) -> list[BudgetBurn]:
    """Per (key, month): spent vs monthly budget, alert levels crossed, and a straight-line month-end
    projection from the days elapsed (last day with data in that month)."""
    out = []
    months = sorted({m for _, m in spent} | set(last_day))
    for key, budget in sorted(budgets.items()):
        for month in months:
            used = spent.get((key, month), ZERO)
            pct = used / budget if budget > 0 else ZERO
            elapsed = (last_day.get(month, month)).day
            projected = used * _days_in_month(month) / elapsed if elapsed else used
            alerts = tuple(level for level in ALERT_LEVELS if pct * 100 >= level)
            out.append(BudgetBurn(key, month, budget, used, pct, projected, alerts))
    return out


def share(part: Decimal, total: Decimal) -> Decimal | None:
    return part / total if total else None


def per(value: Decimal, count: int) -> Decimal | None:
    return value / count if count else None


def top_n(rows: Sequence[dict[str, object]], n: int | None, key: str = "cost_usd") -> list[dict[str, object]]:
    ordered = sorted(rows, key=lambda r: (-(r.get(key) or ZERO), str(r)))  # type: ignore[operator]
    return ordered[:n] if n else ordered
