"""The DuckDB engine: runs the shared rollup SQL on the attribute store (or any canonical table)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from costctl.cost.rates import RateTable
from costctl.rollup.engine import Dialect, RollupSql, group_rows
from costctl.rollup.spec import GroupRow, RollupSpec


class DuckDbEngine:
    name = "duckdb"

    def __init__(self, con: Any, table: str = "requests") -> None:
        if table not in ("requests",):  # the source is ours, never user text
            raise ValueError(f"unsupported source table {table!r}")
        self.con = con
        self.sql = RollupSql(table, Dialect())

    def distinct_models(self, spec: RollupSpec) -> list[str]:
        sql, params = self.sql.distinct_models(spec)
        return sorted(str(r[0]) for r in self.con.execute(sql, params).fetchall() if r[0] is not None)

    def grouped(self, spec: RollupSpec, rates: RateTable) -> list[GroupRow]:
        sql, params = self.sql.grouped(spec, rates)
        return group_rows(self.con.execute(sql, params).fetchall(), spec)

    def active_users(self, spec: RollupSpec) -> dict[tuple[dt.date, tuple[str | None, ...]], int]:
        sql, params = self.sql.active_users(spec)
        return {(r[0], tuple(r[1:-1])): int(r[-1]) for r in self.con.execute(sql, params).fetchall()}

    def costly_users(self, spec: RollupSpec, rates: RateTable, above: Decimal) -> dict[dt.date, int]:
        sql, params = self.sql.costly_users(spec, rates, above)
        return {r[0]: int(r[1]) for r in self.con.execute(sql, params).fetchall()}
