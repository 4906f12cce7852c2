"""The engine interface, and the SQL every SQL engine shares.

An `Engine` runs a `RollupSpec` and returns small grouped token sums; it never prices. `RollupSql` builds
the one aggregation query from whitelisted identifiers and bound parameters, with a `Dialect` for the few
functions that differ between engines (DuckDB here; a Spark dialect plugs in the same way).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from costctl.rollup.spec import (
    AGGREGATED_REQUESTS_TAG,
    DIMENSIONS,
    TOKEN_SUMS,
    GroupRow,
    ModelWindow,
    RollupSpec,
)


class Engine(Protocol):
    name: str

    def distinct_models(self, spec: RollupSpec) -> list[str]:
        """Raw model names in the rows the spec selects."""
        ...

    def grouped(self, spec: RollupSpec, windows: list[ModelWindow]) -> list[GroupRow]:
        """Token sums grouped by price keys + spec dimensions (day grain; bucketing is done in Python)."""
        ...

    def active_users(self, spec: RollupSpec) -> dict[tuple[dt.date, tuple[str | None, ...]], int]:
        """Distinct non-null user_id per month and the spec's dimensions (except user)."""
        ...


class Dialect:
    """DuckDB flavour; override for another engine."""

    def day(self, ts: str) -> str:
        return f"CAST({ts} AS DATE)"

    def month(self, ts: str) -> str:
        return f"CAST(date_trunc('month', {ts}) AS DATE)"

    def json_tag(self, column: str) -> str:
        """A tag value by bound JSON path parameter."""
        return f"json_extract_string({column}, ?)"

    def service_tier(self) -> str:
        """The price tier a row asks for, from its tags: Claude `speed: fast` is the `fast` tier, else the
        logged `service_tier` (OpenAI flex/priority/default, Anthropic standard/priority)."""
        speed = "lower(json_extract_string(r.tags, '$.speed'))"
        tier = "lower(json_extract_string(r.tags, '$.service_tier'))"
        return f"CASE WHEN {speed} = 'fast' THEN 'fast' ELSE {tier} END"

    def requests_expr(self) -> str:
        """How many requests a row stands for: 1, or the usage-export aggregate count."""
        path = f"'$.{AGGREGATED_REQUESTS_TAG}'"
        return f"coalesce(TRY_CAST(json_extract_string(r.tags, {path}) AS BIGINT), 1)"


@dataclass
class RollupSql:
    source: str  # a table name or table function owned by the engine (never user text)
    dialect: Dialect

    def where(self, spec: RollupSpec) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if spec.since is not None:
            clauses.append("r.ts >= ?")
            params.append(dt.datetime.combine(spec.since, dt.time()))
        if spec.until is not None:
            clauses.append("r.ts < ?")
            params.append(dt.datetime.combine(spec.until + dt.timedelta(days=1), dt.time()))
        for f in spec.where:
            if f.is_dimension:
                clauses.append(f"r.{DIMENSIONS[f.key]} = ?")
                params.append(f.value)
            else:
                clauses.append(f"{self.dialect.json_tag('r.tags')} = ?")
                params.extend([f'$."{f.key}"', f.value])
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def distinct_models(self, spec: RollupSpec) -> tuple[str, list[Any]]:
        where, params = self.where(spec)
        return f"SELECT DISTINCT r.model FROM {self.source} r{where}", params  # noqa: S608 (identifiers are ours, values bound)

    def grouped(self, spec: RollupSpec, windows: list[ModelWindow]) -> tuple[str, list[Any]]:
        day = self.dialect.day("r.ts")
        dims = [d for d in spec.dimensions if d != "model"]
        dim_cols = [f"r.{DIMENSIONS[d]} AS dim_{d}" for d in dims]
        params: list[Any] = []
        if windows:
            values = ", ".join("(?, ?, ?, ?)" for _ in windows)
            for w in windows:
                params.extend([w.raw_model, w.valid_from, w.valid_to, w.threshold_tokens])
            join = (
                f" LEFT JOIN (VALUES {values}) m(raw_model, valid_from, valid_to, threshold)"
                f" ON r.model = m.raw_model AND {day} >= m.valid_from AND {day} < m.valid_to"
            )
            crossed = "coalesce(r.input_tokens > m.threshold, FALSE)"
        else:
            join, crossed = "", "FALSE"
        keys = [
            "r.model AS raw_model",
            f"{day} AS day",
            "coalesce(r.is_batch, FALSE) AS is_batch",
            "coalesce(r.gateway_cache_hit, FALSE) AS gateway_cache_hit",
            f"{crossed} AS tier_crossed",
            f"{self.dialect.service_tier()} AS service_tier",
            *dim_cols,
        ]
        if spec.split_reported:
            keys.append("(r.reported_cost_usd IS NOT NULL) AS has_reported")
        sums = [f"sum({self.dialect.requests_expr()}) AS requests"]
        sums += [f"sum(r.{c}) AS {c}" for c in TOKEN_SUMS]
        sums += [
            "sum(r.reported_cost_usd) AS reported_cost_usd",
            "count(r.reported_cost_usd) AS reported_requests",
        ]
        where, wparams = self.where(spec)
        group_by = ", ".join(str(i + 1) for i in range(len(keys)))
        sql = f"SELECT {', '.join(keys)}, {', '.join(sums)} FROM {self.source} r{join}{where} GROUP BY {group_by}"  # noqa: S608 (identifiers are ours, values bound)
        return sql, params + wparams

    def active_users(self, spec: RollupSpec) -> tuple[str, list[Any]]:
        dims = [d for d in spec.dimensions if d not in ("user", "model")]
        cols = [self.dialect.month("r.ts") + " AS month"] + [f"r.{DIMENSIONS[d]} AS dim_{d}" for d in dims]
        where, params = self.where(spec)
        where = (where + " AND " if where else " WHERE ") + "r.user_id IS NOT NULL"
        group_by = ", ".join(str(i + 1) for i in range(len(cols)))
        sql = f"SELECT {', '.join(cols)}, count(DISTINCT r.user_id) FROM {self.source} r{where} GROUP BY {group_by}"  # noqa: S608 (identifiers are ours, values bound)
        return sql, params


def group_rows(records: list[tuple[Any, ...]], spec: RollupSpec) -> list[GroupRow]:
    """Turn the grouped query's records (column order of `RollupSql.grouped`) into GroupRows."""
    from decimal import Decimal

    from costctl.models import normalise_service_tier

    dims = [d for d in spec.dimensions if d != "model"]
    out: list[GroupRow] = []
    for rec in records:
        raw_model, day, is_batch, gw, crossed, tier = rec[:6]
        pos = 6
        dim_values = dict(zip(dims, rec[pos : pos + len(dims)], strict=False))
        pos += len(dims)
        has_reported = None
        if spec.split_reported:
            has_reported = bool(rec[pos])
            pos += 1
        requests, *tokens = rec[pos : pos + 1 + len(TOKEN_SUMS)]
        pos += 1 + len(TOKEN_SUMS)
        reported, reported_n = rec[pos], rec[pos + 1]
        sums = [int(v or 0) for v in tokens]
        out.append(
            GroupRow(
                raw_model=str(raw_model),
                day=day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)),
                is_batch=bool(is_batch),
                gateway_cache_hit=bool(gw),
                tier_crossed=bool(crossed),
                service_tier=normalise_service_tier(str(tier)) if tier is not None else None,
                dims=dim_values,
                requests=int(requests),
                input_tokens=sums[0],
                cached_input_tokens=sums[1],
                cache_write_5m_tokens=sums[2],
                cache_write_1h_tokens=sums[3],
                output_tokens=sums[4],
                reasoning_tokens=sums[5],
                reported_cost_usd=Decimal(str(reported)) if reported is not None else None,
                reported_requests=int(reported_n or 0),
                has_reported=has_reported,
            )
        )
    return out
