"""What a rollup asks for, independent of the engine that runs it.

An engine (DuckDB, Spark) groups canonical rows by what decides the price (raw model name, day, batch flag,
gateway cache hit, the rate row of `costctl.cost.rates` the request matched) plus the requested dimensions,
sums token columns and requests, and prices each group with the SQL generated from the one formula's
definitions. Sharing and every derived figure happen in engine-independent Python
(`costctl.commands.priced_rollup` and the modules beside it), so the engines cannot disagree on cost.

Dimension names are whitelisted here and mapped to canonical columns; user strings never reach SQL except
as bound parameters (filter values, tag keys as JSON paths).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from costctl.errors import InputError
from costctl.models import TOKEN_FIELDS

# dimension name (CLI) -> canonical column
DIMENSIONS: dict[str, str] = {
    "feature": "feature",
    "user": "user_id",
    "model": "model",
    "provider": "provider",
    "team": "team",
    "environment": "environment",
    "prompt_version": "prompt_version",
    "status": "status",
    "finish_reason": "finish_reason",
}
DIMENSION_ALIASES = {"prompt-version": "prompt_version", "env": "environment", "user_id": "user_id"}
GRAINS = ("day", "week", "month", "all")
# Usage exports are aggregates: an adapter sets this tag to the number of requests a row stands for.
# The one place that says how a row counts as requests (engines render it in their dialect).
AGGREGATED_REQUESTS_TAG = "aggregated_requests"
TOKEN_SUMS = TOKEN_FIELDS  # summed per group, in this order
_TAG_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")


def dimension(name: str) -> str:
    key = name.strip().lower().replace("-", "_")
    key = {"env": "environment", "user_id": "user"}.get(key, key)
    if key not in DIMENSIONS:
        raise InputError(f"--by {name!r}: unknown dimension, expected one of {', '.join(DIMENSIONS)}")
    return key


@dataclass(frozen=True)
class Filter:
    """`--where key=value`: a dimension, or else a key of the row's `tags` JSON object."""

    key: str
    value: str

    @property
    def is_dimension(self) -> bool:
        return self.key in DIMENSIONS


def parse_where(values: list[str] | None) -> tuple[Filter, ...]:
    out = []
    for value in values or []:
        key, sep, val = value.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(f"--where {value!r}: expected KEY=VALUE, e.g. --where team=search")
        norm = key.lower().replace("-", "_")
        if norm in DIMENSIONS or norm in ("env", "user_id"):
            key = dimension(norm)
        elif not _TAG_KEY.match(key):
            raise InputError(f"--where {value!r}: tag key must be letters, digits, _ - .")
        out.append(Filter(key, val))
    return tuple(out)


@dataclass(frozen=True)
class RollupSpec:
    dimensions: tuple[str, ...] = ()
    grain: str = "all"
    since: dt.date | None = None  # inclusive
    until: dt.date | None = None  # inclusive
    where: tuple[Filter, ...] = ()
    split_reported: bool = False  # group also by "has a reported cost" (reconcile)

    def __post_init__(self) -> None:
        for d in self.dimensions:
            if d not in DIMENSIONS:
                raise InputError(f"unknown dimension {d!r}, expected one of {', '.join(DIMENSIONS)}")
        if self.grain not in GRAINS:
            raise InputError(f"--grain {self.grain!r}: expected one of {', '.join(GRAINS)}")

    def with_dims(self, *dims: str, grain: str | None = None) -> RollupSpec:
        return RollupSpec(
            tuple(dict.fromkeys(dims)),
            grain or self.grain,
            self.since,
            self.until,
            self.where,
            self.split_reported,
        )


@dataclass(frozen=True)
class GroupRow:
    """One engine group: price keys, requested dimension values, sums, and the engine's price of them."""

    raw_model: str
    day: dt.date
    is_batch: bool
    gateway_cache_hit: bool
    tier_crossed: bool
    dims: dict[str, str | None]
    requests: int
    input_tokens: int
    cached_input_tokens: int
    cache_write_5m_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int
    reported_cost_usd: Decimal | None = None
    reported_requests: int = 0
    has_reported: bool | None = None
    # priced in the engine: the rate row the group's requests matched (None = none usable) and the USD of
    # each `costctl.cost.rates.COMPONENTS` entry, exact (None = the engine could not price it)
    rate_id: int | None = None
    component_usd: tuple[Decimal, ...] | None = None
    extra: dict[str, object] = field(default_factory=dict)


def bucket_start(day: dt.date, grain: str) -> dt.date | None:
    if grain == "day":
        return day
    if grain == "week":
        return day - dt.timedelta(days=day.weekday())  # ISO week, Monday
    if grain == "month":
        return day.replace(day=1)
    return None
