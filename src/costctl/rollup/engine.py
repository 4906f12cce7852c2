"""The engine interface, and the SQL every SQL engine shares.

An `Engine` runs a `RollupSpec` and returns small grouped token sums, each priced where the rows are: the
caller passes the rates table (`costctl.cost.rates.RateTable`, built from the catalog once per rollup), every
row is joined to its rate row, and the component amounts are the SQL that `costctl.cost.rates` generates from
the same definitions the Python formula evaluates. `RollupSql` builds the queries from whitelisted identifiers
and bound parameters, with a `Dialect` for the few functions that differ between engines.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from costctl.cost.rates import COMPONENTS, RATE_COLUMNS, RateTable, complete_sql, component_sql, match_sql
from costctl.rollup.spec import (
    AGGREGATED_REQUESTS_TAG,
    DIMENSIONS,
    TOKEN_SUMS,
    GroupRow,
    RollupSpec,
)


class Engine(Protocol):
    name: str

    def distinct_models(self, spec: RollupSpec) -> list[str]:
        """Raw model names in the rows the spec selects."""
        ...

    def grouped(self, spec: RollupSpec, rates: RateTable) -> list[GroupRow]:
        """Token sums grouped by price keys + spec dimensions (day grain; bucketing is done in Python), each
        group priced in the engine from `rates` (component amounts, exact decimals)."""
        ...

    def active_users(self, spec: RollupSpec) -> dict[tuple[dt.date, tuple[str | None, ...]], int]:
        """Distinct non-null user_id per month and the spec's dimensions (except user)."""
        ...

    def costly_users(self, spec: RollupSpec, rates: RateTable, above: Decimal) -> dict[dt.date, int]:
        """Per month, how many users' priced cost exceeds `above` (priced in the engine, as `grouped`)."""
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

    def rates(self, rates: RateTable) -> tuple[str, list[Any]]:
        """The rates table as a typed inline relation `rt` (values bound, identifiers ours)."""
        names = [f"rt_{name}" for name, _ in RATE_COLUMNS]
        casts = ", ".join(
            f"CAST(v.c{i} AS {sql_type}) AS {name}"
            for i, (name, (_, sql_type)) in enumerate(zip(names, RATE_COLUMNS, strict=True))
        )
        if not rates.rows:
            nulls = ", ".join(
                f"CAST(NULL AS {t}) AS {n}" for n, (_, t) in zip(names, RATE_COLUMNS, strict=True)
            )
            return f"SELECT {nulls} WHERE FALSE", []
        row = "(" + ", ".join("?" for _ in RATE_COLUMNS) + ")"
        values = ", ".join(row for _ in rates.rows)
        cols = ", ".join(f"c{i}" for i in range(len(RATE_COLUMNS)))
        params = [v for r in rates.values() for v in r]
        return f"SELECT {casts} FROM (VALUES {values}) v({cols})", params  # noqa: S608 (identifiers are ours, values bound)

    def grouped(self, spec: RollupSpec, rates: RateTable) -> tuple[str, list[Any]]:
        """Token sums grouped by the price keys (raw model, day, batch, gateway hit, rate row) and the spec's
        dimensions, each group priced by joining its rate row: see `costctl.cost.rates` (layout: `group_rows`)."""
        day = self.dialect.day("r.ts")
        dims = [d for d in spec.dimensions if d != "model"]
        keys = [
            "r.model AS raw_model",
            f"{day} AS day",
            "coalesce(r.is_batch, FALSE) AS is_batch",
            "coalesce(r.gateway_cache_hit, FALSE) AS gateway_cache_hit",
            "rt.rt_rate_id AS rate_id",
            *[f"r.{DIMENSIONS[d]} AS dim_{d}" for d in dims],
        ]
        if spec.split_reported:
            keys.append("(r.reported_cost_usd IS NOT NULL) AS has_reported")
        sums = [f"sum({self.dialect.requests_expr()}) AS requests"]
        sums += [f"sum(r.{c}) AS {c}" for c in TOKEN_SUMS]
        sums += [
            "sum(r.reported_cost_usd) AS reported_cost_usd",
            "count(r.reported_cost_usd) AS reported_requests",
        ]
        rates_sql, params = self.rates(rates)
        where, wparams = self.where(spec)
        group_by = ", ".join(str(i + 1) for i in range(len(keys)))
        sql = (
            f"WITH rt AS ({rates_sql}), g AS ("  # noqa: S608 (identifiers are ours, values bound)
            f"SELECT {', '.join(keys)}, {', '.join(sums)} FROM {self.source} r LEFT JOIN rt ON {self.match()}"
            f"{where} GROUP BY {group_by}) "
            "SELECT g.*, coalesce(rt.rt_long_context, FALSE), coalesce(rt.rt_card_missing, TRUE), "
            f"{', '.join(self.money())} FROM g LEFT JOIN rt ON g.rate_id = rt.rt_rate_id"
        )
        return sql, params + wparams

    def match(self) -> str:
        """A canonical row `r` -> its rate row `rt` (`costctl.cost.rates.RATE_MATCH`)."""
        row_expr = {
            "raw_model": "r.model",
            "is_batch": "coalesce(r.is_batch, FALSE)",
            "day": self.dialect.day("r.ts"),
            "prompt_tokens": "coalesce(r.input_tokens, 0)",
        }
        return match_sql(lambda c: f"rt.rt_{c}", row_expr.__getitem__)

    @staticmethod
    def money() -> list[str]:
        """Each component's USD for a group `g` of token sums priced by its rate row `rt`."""
        return [
            component_sql(c, lambda col: f"coalesce(g.{col}, 0)", lambda col: f"rt.rt_{col}")
            for c in COMPONENTS
        ]

    def costly_users(self, spec: RollupSpec, rates: RateTable, above: Decimal) -> tuple[str, list[Any]]:
        """Per month, users whose priced cost exceeds `above`, priced as the user rollup prices its day groups:
        tokens summed by (user, rate row) over the month when the rate row prices every component (exact, the
        pricing is linear), else per day (a day that needs a missing rate is unpriced, the others are not);
        a gateway cache hit costs $0 and an unpriced group adds nothing."""
        rates_sql, params = self.rates(rates)
        where, wparams = self.where(spec)
        where = (where + " AND " if where else " WHERE ") + "r.user_id IS NOT NULL"
        sums = ", ".join(f"sum(r.{c}) AS {c}" for c in TOKEN_SUMS)
        cost = " + ".join(f"({m})" for m in self.money())
        sql = (
            f"WITH rt AS ({rates_sql}), g AS ("  # noqa: S608 (identifiers are ours, values bound)
            f"SELECT CASE WHEN {complete_sql(lambda c: f'rt.rt_{c}')} THEN {self.dialect.month('r.ts')} "
            f"ELSE {self.dialect.day('r.ts')} END AS bucket, r.user_id, rt.rt_rate_id AS rate_id, "
            f"coalesce(r.gateway_cache_hit, FALSE) AS gateway_cache_hit, {sums} "
            f"FROM {self.source} r LEFT JOIN rt ON {self.match()}{where} GROUP BY 1, 2, 3, 4), "
            f"u AS (SELECT {self.dialect.month('g.bucket')} AS month, g.user_id, "
            f"sum(CASE WHEN g.gateway_cache_hit THEN 0 ELSE {cost} END) AS cost "
            "FROM g JOIN rt ON g.rate_id = rt.rt_rate_id WHERE NOT rt.rt_card_missing GROUP BY 1, 2) "
            "SELECT month, count(*) FILTER (WHERE cost > ?) FROM u GROUP BY 1"
        )
        return sql, [*params, *wparams, above]

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

    dims = [d for d in spec.dimensions if d != "model"]
    n_dims = len(dims)
    n_tok = len(TOKEN_SUMS)
    out: list[GroupRow] = []
    for rec in records:
        raw_model, day, is_batch, gw, rate_id = rec[:5]
        pos = 5 + n_dims
        dim_values = dict(zip(dims, rec[5:pos], strict=True))
        has_reported = None
        if spec.split_reported:
            has_reported = bool(rec[pos])
            pos += 1
        requests = rec[pos]
        sums = [int(v or 0) for v in rec[pos + 1 : pos + 1 + n_tok]]
        pos += 1 + n_tok
        reported, reported_n, long_context, card_missing = rec[pos : pos + 4]
        usd = tuple(rec[pos + 4 : pos + 4 + len(COMPONENTS)])
        out.append(
            GroupRow(
                raw_model=str(raw_model),
                day=day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)),
                is_batch=bool(is_batch),
                gateway_cache_hit=bool(gw),
                tier_crossed=bool(long_context),
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
                rate_id=None if rate_id is None else int(rate_id),
                component_usd=None if card_missing or any(v is None for v in usd) else usd,
            )
        )
    return out
