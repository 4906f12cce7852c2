"""Log audit over the DuckDB store or a Spark DataFrame (table `requests`, canonical columns).

Aggregation happens in SQL; every dollar comes from `price_step_group` on the grouped sums (grouped by model,
day, batch and long-context step, so aggregating first is exact). Whether a request crossed a tier is
decided by the rates table the rollups use (`costctl.cost.rates`: the price in force on the request's day),
never by the model's current price. Log model names are resolved with
`catalog.find`; a model the tables do not know is reported as unpriced, never as $0.

Rules and thresholds: docs/audit.md#log-rules (output length, duplicates, retry storms, CI traffic, prompt
caching). Billed waste (duplicates, truncation retries, empty reasoning
truncations, test traffic) is kept apart from capacity waste (429 loops, max_tokens headroom), which costs
rate-limit room, not dollars (docs/audit.md#output-length-what-is-and-is-not-billed).

The same queries run on Spark through `SparkSql` (a small DB-API-like face on a session): where the two
dialects differ (seconds between timestamps, integer division, regex match, exact percentiles, range windows,
temp tables) the SQL takes a per-dialect fragment, so both engines compute the same rows and sums and the
pricing below is shared. duckdb and pyspark are imported inside functions only.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.cost.price import price_step_group
from costctl.cost.rates import RATE_COLUMNS, RateTable, match_sql, service_tier_sql
from costctl.errors import CostctlError, InputError
from costctl.logs.schema import COLUMN_NAMES
from costctl.models import ZERO, Usage
from costctl.pricing.catalog import Catalog

DUPLICATE_WINDOW_S = 60  # docs/audit.md#log-rules (CL231)
RETRY_WINDOW_S = 600  # docs/audit.md#log-rules (CL212): a same-prompt retry within 10 minutes
STORM_WINDOW_S = 60  # docs/audit.md#log-rules (CL232): >= k rate-limited responses within 60 s
STORM_MIN = 5  # CL232: k = 5
# 5-minute TTL (OpenAI evicts after 5-10 min idle); docs/audit.md#prompt-caching-rules-by-provider
CACHE_TTL_S = 300
EMPTY_VISIBLE_TOKENS = 5  # docs/audit.md#log-rules (CL213): completion - reasoning <= 5
CAP_MARGIN = Decimal(
    "1.2"
)  # docs/audit.md#log-rules (CL211): cap = round_up_nice(max(p99 x 1.2, max non-truncated))
CAP_MIN_SAMPLES = 200  # CL211: fewer samples make the cap indicative
REASONING_SHARE_FLAG = Decimal("0.8")  # docs/audit.md#log-rules (CL221)
OPENAI_CACHE_STEP = 128  # OpenAI caches in 128-token steps (docs/audit.md#prompt-caching-rules-by-provider)
TEST_SIGNAL = r"(^|[^a-z0-9])(ci|test|tests|testing|pytest|github-actions|gitlab-ci|jenkins|e2e)([^a-z0-9]|$)"

# The usages that can be priced: actual logged tokens, or the prompt-cache simulation (CL241, docs/audit.md#log-rules).
_USAGE_COLUMNS = {
    "actual": ("input_tokens", "cached_input_tokens", "cache_write_5m_tokens", "cache_write_1h_tokens"),
    "cache_sim": ("input_tokens", "sim_cached", "sim_write_5m", "cache_write_1h_tokens"),
}
# Row filters and group keys, all constant SQL fragments (never user text).
_FILTERS = {
    "all": "TRUE",
    "truncation_retried": "truncation_retried",
    "empty_truncation": "empty_truncation",
    "duplicate_extra": "duplicate_extra",
    "storm": "storm",
    "test_like": "test_like",
    "cache_eligible": "cache_eligible",
}
_KEYS = {
    "none": "''",
    "system_prompt_hash": "coalesce(system_prompt_hash, '(none)')",
    "feature_model": "coalesce(feature, '(none)') || ' | ' || coalesce(model, '(none)')",
    "model": "coalesce(model, '(none)')",
}


@dataclass
class Priced:
    usd: Decimal = ZERO
    input_usd: Decimal = ZERO
    requests: int = 0
    unpriced_requests: int = 0
    unpriced_models: set[str] = field(default_factory=set)


def open_store(path: Path) -> Any:
    """A read-only connection to a costctl store, or one clear InputError."""
    import duckdb

    where = str(path)
    if not path.is_file():
        raise InputError("database file not found", where=where)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():  # an ingest is writing it: say so, not DuckDB's PID and lock text
            from costctl.logs.store import busy_message

            raise InputError(busy_message(path)) from None
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot open as a DuckDB database ({first})", where=where) from None
    tables = {row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "requests" not in tables:
        con.close()
        raise InputError(
            "database has no `requests` table, expected a costctl store (built by `costctl attribute`)",
            where=where,
        )
    columns = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", ["requests"]
        ).fetchall()
    }
    missing = [c for c in COLUMN_NAMES if c not in columns]
    if missing:
        con.close()
        raise InputError(
            f"table `requests` lacks column(s) {', '.join(missing)}, expected the canonical schema "
            "(costctl.logs.schema)",
            where=where,
        )
    return con


def prepare(con: Any, catalog: Catalog) -> dict[str, Any]:
    """Resolve models and build the per-row view every check reads. Returns {log model name: ModelPrice|None}."""
    names = [
        r[0] for r in con.execute("SELECT DISTINCT model FROM requests WHERE model IS NOT NULL").fetchall()
    ]
    resolved = {name: catalog.find(name) for name in names}
    rates = RateTable.build(resolved.items())
    rows = []
    for name, model in resolved.items():
        if model is None:
            continue
        rows.append(
            (
                name,
                model.min_cacheable_tokens,
                OPENAI_CACHE_STEP if model.provider == "openai" else 1,
                model.current.standard.cache_write_5m is not None,
            )
        )
    params = [DUPLICATE_WINDOW_S, RETRY_WINDOW_S, CACHE_TTL_S, EMPTY_VISIBLE_TOKENS, TEST_SIGNAL]
    if dialect(con) == "spark":
        con.prepare_rows(rows, rates, _rows_sql(_SPARK), params)
        return resolved
    con.execute(
        "CREATE TEMP TABLE audit_models (model VARCHAR, min_cacheable BIGINT, cache_step BIGINT, write_priced BOOLEAN)"
    )
    if rows:
        con.executemany("INSERT INTO audit_models VALUES (?, ?, ?, ?)", rows)
    columns = ", ".join(f"rt_{name} {sql_type}" for name, sql_type in RATE_COLUMNS)
    con.execute(f"CREATE TEMP TABLE audit_rates ({columns})")
    if rates.rows:
        marks = ", ".join("?" for _ in RATE_COLUMNS)
        con.executemany(f"INSERT INTO audit_rates VALUES ({marks})", rates.values())  # noqa: S608 (constant)
    con.execute("CREATE TEMP TABLE audit_rows AS " + _rows_sql(_DUCKDB), params)
    con.execute(_STORM_SQL, [STORM_WINDOW_S, STORM_WINDOW_S])
    con.execute("ALTER TABLE audit_rows ADD COLUMN storm BOOLEAN DEFAULT FALSE")
    con.execute(_STORM_MARK_SQL, [STORM_MIN])
    return resolved


def _rows_sql(fragments: dict[str, str]) -> str:
    """The per-row query in one dialect, joined to the rates table the rollups use (one tier decision)."""
    # the tier each request was billed at (Claude Code `speed: fast`, a logged `service_tier`), as the rollups
    tier = service_tier_sql(
        fragments["tag"].format(col="r.tags", path="$.speed"),
        fragments["tag"].format(col="r.tags", path="$.service_tier"),
    )
    row_expr = {
        "raw_model": "r.model",
        "is_batch": "coalesce(r.is_batch, FALSE)",
        "day": "CAST(r.ts AS DATE)",
        "prompt_tokens": "coalesce(r.input_tokens, 0)",
        "service_tier": tier,
    }
    return _ROWS_SQL.format(
        **fragments, service_tier=tier, rate_match=match_sql(lambda c: f"t.rt_{c}", row_expr.__getitem__)
    )


def dialect(con: Any) -> str:
    return getattr(con, "dialect", "duckdb")


# The fragments where DuckDB's SQL and Spark's differ (constants, never user text). Seconds between two
# timestamps: DuckDB's epoch(interval) is exact to the microsecond, as unix_micros differences are.
_DUCKDB = {
    "secs_a": "epoch(",
    "secs_b": " - ",
    "secs_c": ")",
    "idiv": "//",
    "regex": "regexp_matches",
    "tag": "json_extract_string({col}, '{path}')",
}
_SPARK = {
    "secs_a": "(unix_micros(",
    "secs_b": ") - unix_micros(",
    "secs_c": ")) / 1000000.0",
    "idiv": "div",
    "regex": "regexp_like",
    "tag": "get_json_object({col}, '{path}')",
}
# Exact linear-interpolation percentiles in both: DuckDB quantile_cont and Spark percentile (not
# percentile_approx) both take the value at (n - 1) x p between the two nearest order statistics.
_QUANTILE = {"duckdb": "quantile_cont", "spark": "percentile"}


# One row per billed request (gateway cache hits are not billed by the provider) with every flag a check needs.
_ROWS_SQL = """
WITH base AS (
    SELECT r.*,
        coalesce(r.input_tokens, 0) AS i_tok, coalesce(r.output_tokens, 0) AS o_tok,
        coalesce(r.cached_input_tokens, 0) AS c_tok, coalesce(r.cache_write_5m_tokens, 0) AS w5_tok,
        coalesce(r.cache_write_1h_tokens, 0) AS w1_tok, coalesce(r.reasoning_tokens, 0) AS r_tok,
        CAST(r.ts AS DATE) AS day, coalesce(r.is_batch, FALSE) AS batch,
        m.min_cacheable, m.cache_step, m.write_priced,
        -- the long-context step of the price in force on the request's day (costctl.cost.rates)
        coalesce(t.rt_prompt_above, -1) AS tier_above,
        {service_tier} AS service_tier,
        lower(coalesce(r.finish_reason, '')) = 'length' AS truncated,
        coalesce(r.status, 'ok') IN ('ok', '200', 'success') AS ok,
        {secs_a}r.ts{secs_b}lag(r.ts) OVER (PARTITION BY r.model, r.prompt_hash ORDER BY r.ts){secs_c} AS gap_prompt,
        coalesce(lag(lower(coalesce(r.finish_reason, '')) = 'length')
            OVER (PARTITION BY r.model, r.prompt_hash ORDER BY r.ts), FALSE) AS prev_truncated,
        {secs_a}lead(r.ts) OVER (PARTITION BY r.model, r.prompt_hash ORDER BY r.ts){secs_b}r.ts{secs_c} AS next_prompt,
        {secs_a}r.ts{secs_b}lag(r.ts) OVER (PARTITION BY r.model, r.system_prompt_hash ORDER BY r.ts){secs_c} AS gap_system,
        min(coalesce(r.input_tokens, 0)) OVER (PARTITION BY r.model, r.system_prompt_hash) AS group_min_input,
        count(*) OVER (PARTITION BY r.model, r.prompt_hash) AS prompt_repeats
    FROM requests r LEFT JOIN audit_models m ON m.model = r.model LEFT JOIN audit_rates t ON {rate_match}
    WHERE NOT coalesce(r.gateway_cache_hit, FALSE)
), flagged AS (
    SELECT *,
        -- a resend after a truncation is counted as a truncation retry (CL212), not a duplicate
        prompt_hash IS NOT NULL AND ok AND NOT prev_truncated AND gap_prompt IS NOT NULL AND gap_prompt <= ?
            AS duplicate_extra,
        truncated AND prompt_hash IS NOT NULL AND next_prompt IS NOT NULL AND next_prompt <= ?
            AS truncation_retried,
        system_prompt_hash IS NOT NULL AND min_cacheable IS NOT NULL AND group_min_input >= min_cacheable
            AS cache_eligible,
        gap_system IS NOT NULL AND gap_system <= ? AS cache_warm,
        truncated AND r_tok > 0 AND o_tok - r_tok <= ? AS empty_truncation,
        {regex}(lower(concat_ws(' ', environment, user_id, feature, tags)), ?) AND prompt_repeats >= 2
            AS test_like
    FROM base
), sim AS (
    SELECT *,
        CASE WHEN cache_eligible
             THEN min_cacheable + (group_min_input - min_cacheable) {idiv} cache_step * cache_step ELSE 0 END
            AS prefix_cacheable
    FROM flagged
)
SELECT *,
    CASE WHEN cache_eligible AND cache_warm THEN least(greatest(c_tok, prefix_cacheable), i_tok - w1_tok)
         ELSE c_tok END AS sim_cached,
    CASE WHEN cache_eligible AND cache_warm
             THEN least(w5_tok, i_tok - w1_tok - least(greatest(c_tok, prefix_cacheable), i_tok - w1_tok))
         WHEN cache_eligible AND write_priced AND c_tok = 0 AND w5_tok = 0 AND w1_tok = 0
             THEN least(prefix_cacheable, i_tok)
         ELSE w5_tok END AS sim_write_5m
FROM sim
"""

# A rate-limited response in a burst of >= k for the same caller (user, else prompt) within the window.
_STORM_SQL = """
CREATE TEMP TABLE audit_storm AS
SELECT request_id, ts, model, prompt_hash, user_id,
    count(*) OVER (
        PARTITION BY coalesce(user_id, prompt_hash, model) ORDER BY ts
        RANGE BETWEEN to_seconds(?) PRECEDING AND to_seconds(?) FOLLOWING
    ) AS burst
FROM audit_rows WHERE status IN ('429', '529', '503')
"""
_STORM_MARK_SQL = """
UPDATE audit_rows SET storm = TRUE FROM audit_storm s
    WHERE s.ts = audit_rows.ts AND s.model IS NOT DISTINCT FROM audit_rows.model
      AND s.request_id IS NOT DISTINCT FROM audit_rows.request_id AND s.burst >= ?
"""


def priced(
    con: Any, resolved: dict[str, Any], *, filter_name: str = "all", key: str = "none", usage: str = "actual"
) -> dict[str, Priced]:
    """Price the rows passing a named filter, grouped by a named key, through the one formula."""
    i, c, w5, w1 = _USAGE_COLUMNS[usage]
    sql = (
        f"SELECT {_KEYS[key]} AS k, model, day, batch, tier_above, service_tier, count(*), "  # noqa: S608 (constant fragments)
        f"sum(coalesce({i}, 0)), sum(coalesce({c}, 0)), sum(coalesce({w5}, 0)), sum(coalesce({w1}, 0)), "
        "sum(o_tok), sum(r_tok) "
        f"FROM audit_rows WHERE {_FILTERS[filter_name]} GROUP BY ALL "
        # a fixed order (NULLS LAST in both dialects), so findings with equal amounts list alike on every engine
        "ORDER BY 1 NULLS LAST, 2 NULLS LAST, 3 NULLS LAST, 4 NULLS LAST, 5 NULLS LAST, 6 NULLS LAST"
    )
    out: dict[str, Priced] = {}
    for k, name, day, batch, above, tier, n, inp, cached, w5s, w1s, out_tok, reas in con.execute(
        sql
    ).fetchall():
        bucket = out.setdefault(k, Priced())
        bucket.requests += int(n)
        model = resolved.get(name) if name is not None else None
        if model is None:
            bucket.unpriced_requests += int(n)
            bucket.unpriced_models.add(name or "(no model)")
            continue
        try:
            cost = price_step_group(
                model,
                Usage(
                    input_tokens=int(inp),
                    output_tokens=int(out_tok),
                    cached_input_tokens=int(cached),
                    cache_write_5m_tokens=int(w5s),
                    cache_write_1h_tokens=int(w1s),
                    reasoning_tokens=int(reas),
                ),
                prompt_above=int(above),
                on=day,
                batch=bool(batch),
                service_tier=tier or None,
            )
        except CostctlError:  # a missing price or inconsistent logged usage: unpriced, never $0
            bucket.unpriced_requests += int(n)
            bucket.unpriced_models.add(name)
            continue
        bucket.usd += cost.total_usd
        bucket.input_usd += cost.input_usd + cost.cached_input_usd + cost.cache_write_usd
    return out


def observed_days(con: Any) -> tuple[int, dt.datetime | None, dt.datetime | None]:
    if dialect(con) == "spark":
        # microseconds since the epoch, as naive UTC datetimes like DuckDB's TIMESTAMP (not the JVM's zone)
        row = con.execute("SELECT unix_micros(min(ts)), unix_micros(max(ts)) FROM requests").fetchone()
        first, last = (None if v is None else _EPOCH + dt.timedelta(microseconds=int(v)) for v in row)
    else:
        first, last = con.execute("SELECT min(ts), max(ts) FROM requests").fetchone()
    if first is None or last is None:
        return 1, None, None
    seconds = (last - first).total_seconds()
    return max(1, math.ceil(seconds / 86400)), first, last


def output_stats(con: Any) -> list[dict[str, Any]]:
    q = _QUANTILE[dialect(con)]
    rows = con.execute(
        """
        SELECT coalesce(feature, '(none)'), coalesce(model, '(none)'), count(*),
            quantile_cont(o_tok, 0.5), quantile_cont(o_tok, 0.95), quantile_cont(o_tok, 0.99), max(o_tok),
            max(max_tokens), count(*) FILTER (WHERE truncated),
            quantile_cont(o_tok, 0.99) FILTER (WHERE NOT truncated), max(o_tok) FILTER (WHERE NOT truncated),
            sum(greatest(coalesce(max_tokens, 0) - o_tok, 0)), sum(r_tok), sum(o_tok),
            quantile_cont(r_tok, 0.99) FILTER (WHERE NOT truncated),
            quantile_cont(o_tok - r_tok, 0.99) FILTER (WHERE NOT truncated)
        FROM audit_rows WHERE ok OR truncated
        GROUP BY 1, 2 ORDER BY 1, 2
        """.replace("quantile_cont", q)
    ).fetchall()
    stats = []
    for r in rows:
        p99_nt = r[9]
        max_nt = r[10]
        cap = None
        if p99_nt is not None:
            floor = (r[14] or 0) + (r[15] or 0)  # never below reasoning p99 + visible p99 (CL211)
            cap = round_up_nice(
                max(Decimal(str(_settled(p99_nt))) * CAP_MARGIN, Decimal(max_nt or 0), Decimal(str(floor)))
            )
        stats.append(
            {
                "feature": r[0],
                "model": r[1],
                "requests": int(r[2]),
                "p50": _num(r[3]),
                "p95": _num(r[4]),
                "p99": _num(r[5]),
                "max": int(r[6] or 0),
                "max_tokens_cap": None if r[7] is None else int(r[7]),
                "truncated": int(r[8]),
                "truncation_rate": Decimal(int(r[8])) / Decimal(int(r[2])) if r[2] else ZERO,
                "recommended_cap": cap,
                "unused_headroom_tokens": int(r[11] or 0),
                "reasoning_tokens": int(r[12] or 0),
                "output_tokens": int(r[13] or 0),
            }
        )
    return stats


_EPOCH = dt.datetime(1970, 1, 1)


def _num(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(round(_settled(value), 1)))


def _settled(value: Any) -> float:
    """A percentile with the last bits of float noise removed: DuckDB and Spark interpolate in a different
    order (results differ by ~1e-12), so rounding x.x5 or taking a ceiling must start from the same float."""
    return round(float(value), 6)


def round_up_nice(value: Decimal) -> int:
    """Round up to a step that reads well: 10 below 100, 50 below 1,000, 500 below 10,000, then 5,000."""
    number = max(1, math.ceil(value))
    step = 10 if number < 100 else 50 if number < 1000 else 500 if number < 10000 else 5000
    return int(math.ceil(number / step) * step)


def counts(con: Any) -> dict[str, int]:
    row = con.execute(
        """
        SELECT count(*), count(*) FILTER (WHERE storm), count(*) FILTER (WHERE status IN ('429', '529', '503')),
            count(*) FILTER (WHERE duplicate_extra), count(*) FILTER (WHERE test_like),
            sum(c_tok), sum(i_tok), count(*) FILTER (WHERE cache_eligible),
            (SELECT count(*) FROM requests WHERE coalesce(gateway_cache_hit, FALSE))
        FROM audit_rows
        """
    ).fetchone()
    keys = (
        "requests",
        "storm_requests",
        "rate_limited",
        "duplicates",
        "test_like",
        "cached_tokens",
        "input_tokens",
        "cache_eligible",
        "gateway_cache_hits",
    )
    return {k: int(v or 0) for k, v in zip(keys, row, strict=True)}


# ------------------------------------------------------------------------------------------------ Spark

_SPARK_STORM_SQL = """
SELECT b.*, s.ts IS NOT NULL AS storm
FROM audit_rows_pre b LEFT JOIN (
    SELECT DISTINCT ts, model, request_id FROM (
        SELECT request_id, ts, model,
            count(*) OVER (
                PARTITION BY coalesce(user_id, prompt_hash, model) ORDER BY unix_micros(ts)
                RANGE BETWEEN {window}L PRECEDING AND {window}L FOLLOWING
            ) AS burst
        FROM audit_rows_pre WHERE status IN ('429', '529', '503')
    ) WHERE burst >= ?
) s ON s.ts = b.ts AND s.model <=> b.model AND s.request_id <=> b.request_id
"""
_SPARK_VIEWS = ("requests", "audit_models", "audit_rates", "audit_rows_pre", "audit_rows")


class SparkSql:
    """The slice of a DuckDB connection the audit uses (execute / fetchone / fetchall / close), on a Spark
    session whose `requests` view is the canonical DataFrame. `audit_rows` is cached: every check reads it.
    Views are session-scoped temp views, dropped on close (a spark-submit session outlives the audit)."""

    dialect = "spark"

    def __init__(self, spark: Any, frame: Any, *, source: str = "<dataframe>") -> None:
        self.spark = spark
        self.source = source
        self._rows: list[tuple[Any, ...]] = []
        self._cached: list[Any] = []
        frame.createOrReplaceTempView("requests")

    def execute(self, sql: str, params: list[Any] | None = None) -> SparkSql:
        frame = self.spark.sql(sql, args=list(params)) if params else self.spark.sql(sql)
        self._rows = [tuple(r) for r in self._guard(frame.collect)]
        return self

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    def fetchone(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def prepare_rows(
        self, models: list[tuple[Any, ...]], rates: RateTable, rows_sql: str, params: list[Any]
    ) -> None:
        """audit_models and audit_rates from the catalog, then audit_rows (with the storm flag) as a cached view."""
        from pyspark.sql.types import BooleanType, LongType, StringType, StructField, StructType

        from costctl.rollup.spark import rates_frame

        rates_frame(self.spark, rates).createOrReplaceTempView("audit_rates")
        schema = StructType(
            [
                StructField("model", StringType()),
                StructField("min_cacheable", LongType()),
                StructField("cache_step", LongType()),
                StructField("write_priced", BooleanType()),
            ]
        )
        self.spark.createDataFrame(models, schema).createOrReplaceTempView("audit_models")
        # read twice by the storm join below, but only while audit_rows is materialised once
        self.spark.sql(rows_sql, args=params).createOrReplaceTempView("audit_rows_pre")
        window = int(STORM_WINDOW_S) * 1_000_000
        rows = self.spark.sql(_SPARK_STORM_SQL.format(window=window), args=[STORM_MIN])
        self._cache(rows, "audit_rows")

    def _cache(self, frame: Any, name: str) -> None:
        frame = frame.cache()
        self._cached.append(frame)
        frame.createOrReplaceTempView(name)

    def _guard(self, action: Any) -> Any:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        from costctl.rollup.spark import _first_line

        try:
            return action()
        except (PySparkException, Py4JJavaError) as exc:
            # FAILFAST JSON, a cast that fails, a file that vanished: the data, not costctl
            raise InputError(
                f"Spark could not read the rows: {_first_line(exc)}", where=self.source
            ) from None

    def close(self) -> None:
        for frame in self._cached:
            frame.unpersist()
        for name in _SPARK_VIEWS:
            self.spark.catalog.dropTempView(name)
