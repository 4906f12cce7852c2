"""The Spark engine: the same `RollupSpec` as DuckDB, run by Apache Spark over canonical Parquet or JSONL.

Contract (issue "attribute at any scale"):
- Spark groups canonical rows by what decides the price (raw model, day, batch flag, gateway cache hit, the
  rate row the request matched) plus the spec's dimensions and sums tokens and requests, exactly like
  `costctl.rollup.engine.RollupSql`, and prices each group where it is: the rates table of
  `costctl.cost.rates` arrives as a small broadcast DataFrame, and the component amounts are the same
  generated SQL expressions DuckDB runs, in exact DECIMAL arithmetic (precision 37, scale 15: no Spark
  scale reduction), so DuckDB, Spark and the Python formula agree to the last Decimal digit.
- Built with the DataFrame API: column names come from the whitelist in `costctl.rollup.spec`, user values
  (`--where` values, tag keys) are literals, never SQL text.
- Bad input is one `InputError` line (exit 2): a missing path, a non-canonical schema, no Java runtime,
  pyspark not installed.

pyspark is imported inside functions only: `costctl --help` and the DuckDB engine never load it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.cost.rates import (
    COMPONENTS,
    RATE_COLUMNS,
    RATE_SCALE,
    RATE_SQL_TYPE,
    RateTable,
    complete_sql,
    component_sql,
    match_sql,
)
from costctl.errors import InputError
from costctl.inputs import JsonTooDeep, loads
from costctl.logs.schema import CANONICAL_COLUMNS
from costctl.rollup.spec import (
    AGGREGATED_REQUESTS_TAG,
    DIMENSIONS,
    TOKEN_SUMS,
    GroupRow,
    RollupSpec,
)

DEFAULT_MASTER = "local[2]"
WHERE = "--engine spark"
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
# Lines peeked at to check a JSONL source's columns before Spark reads it whole.
JSONL_SAMPLE_LINES = 200

# Settings costctl needs (UTC days, like the DuckDB store's `SET TimeZone = 'UTC'`) or that keep a
# command-line run quiet; `--spark-conf` overrides any of them except the session time zone.
BASE_CONF: dict[str, str] = {
    "spark.app.name": "costctl",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
}
LOCAL_CONF: dict[str, str] = {
    # a laptop run binds to loopback only and opens no web UI (offline-first)
    "spark.ui.enabled": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "4",  # grouped results are small; fewer tasks on a laptop
}


# ---------------------------------------------------------------- preconditions


def require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise InputError(
            "pyspark is not installed, expected the spark extra: pip install '.[spark]' in a checkout, or pip install pyspark",
            where=WHERE,
        ) from None


def find_java(env: Mapping[str, str] | None = None) -> str:
    """The java executable Spark will start, by Spark's own rule: $JAVA_HOME/bin/java, else `java` on PATH.

    Checked before Spark starts so a machine without Java gets one line instead of a gateway traceback.
    """
    env = os.environ if env is None else env
    home = env.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if java.is_file() and os.access(java, os.X_OK):
            return str(java)
        raise InputError(
            f"JAVA_HOME={home!r} has no bin/java, expected a Java runtime (17 or newer) there", where=WHERE
        )
    found = shutil.which("java", path=env.get("PATH", ""))
    if found is None:
        raise InputError(
            "no Java runtime (JAVA_HOME is not set and `java` is not on PATH), expected Java 17 or newer: "
            "install one (e.g. apt-get install default-jre-headless) or set JAVA_HOME",
            where=WHERE,
        )
    return found


def has_scheme(path: str) -> bool:
    """`s3a://bucket/x`, `hdfs://...`, `gs://...` (not a Windows drive letter)."""
    head, sep, _ = path.partition("://")
    return bool(sep) and len(head) > 1 and head.replace("+", "").isalnum()


def local_path(path: str) -> Path | None:
    """The local file a source names, or None when Spark alone can tell (remote URI, glob)."""
    if path.startswith("file://"):
        path = path[len("file://") :]
    elif has_scheme(path):
        return None
    if any(ch in path for ch in "*?[{"):
        return None
    return Path(path)


def check_source_exists(source: str) -> None:
    local = local_path(source)
    if local is not None and not local.exists():
        raise InputError(
            "no such file or directory, expected canonical-schema Parquet or JSONL", where=source
        )
    if local is not None and local.suffix.lower() == ".duckdb":
        raise InputError(
            "a DuckDB store, expected Parquet or JSONL: read it with --db (the duckdb engine), or "
            "`costctl attribute export --db FILE --to parquet DIR` and give DIR to --source",
            where=source,
        )


def source_format(source: str) -> str:
    """`json` for .json/.jsonl/.ndjson (optionally .gz) files or a local folder of them, else `parquet`."""
    name = source.rstrip("/").lower().removesuffix(".gz")
    if name.endswith(JSON_SUFFIXES):
        return "json"
    local = local_path(source)
    if local is not None and local.is_dir():
        names = [p.name.lower().removesuffix(".gz") for p in local.rglob("*") if p.is_file()]
        data = [n for n in names if not n.startswith(("_", "."))]
        if data and all(n.endswith(JSON_SUFFIXES) for n in data):
            return "json"
    return "parquet"


# ---------------------------------------------------------------- session


def parse_conf(values: list[str] | None) -> dict[str, str]:
    """`--spark-conf key=value` (repeatable), as spark-submit's `--conf`."""
    conf: dict[str, str] = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise InputError(
                f"--spark-conf {value!r}: expected KEY=VALUE, e.g. --spark-conf spark.executor.memory=4g"
            )
        conf[key.strip()] = val
    return conf


@dataclass
class SparkHandle:
    """A session and whether costctl started it (then costctl stops it; a spark-submit session it keeps)."""

    session: Any
    owned: bool
    log_file: str | None

    def stop(self) -> None:
        if self.owned:
            self.session.stop()
            if self.log_file:  # kept only while the run lasts or when the JVM failed to start
                Path(self.log_file).unlink(missing_ok=True)


def session_conf(
    master: str | None, user_conf: Mapping[str, str], *, under_submit: bool = False
) -> dict[str, str]:
    """The settings of a session costctl starts. Under spark-submit, its --master and --conf stand unless
    the user names them again; the laptop defaults (loopback, no UI) apply to local masters costctl picks."""
    conf = dict(BASE_CONF)
    chosen = master or (None if under_submit else DEFAULT_MASTER)
    if chosen is not None and chosen.startswith("local") and not under_submit:
        conf.update(LOCAL_CONF)
    conf.update(user_conf)
    if chosen is not None:
        conf["spark.master"] = chosen
    conf["spark.sql.session.timeZone"] = "UTC"  # days are UTC days in both engines
    return conf


def start_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkHandle:
    """A SparkSession for costctl: reuse the active one (spark-submit, tests), else start one.

    A session started here sends the JVM's console output to a log file in the temp directory, so stdout
    keeps carrying data only and stderr only costctl's own lines.
    """
    require_pyspark()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyspark warns about pandas versions on import
        from pyspark import SparkConf, SparkContext
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            if master and active.sparkContext.master != master:
                raise InputError(
                    f"--spark-master {master!r}: a Spark session on {active.sparkContext.master!r} is already "
                    "running in this process, expected the same master"
                )
            # only SQL settings can change on a running session; the time zone must be UTC for UTC days
            for key, value in (conf or {}).items():
                if key.startswith("spark.sql."):
                    active.conf.set(key, value)
            active.conf.set("spark.sql.session.timeZone", "UTC")
            return SparkHandle(active, owned=False, log_file=None)

        under_submit = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit started the JVM already
        if not under_submit:
            find_java()
        settings = session_conf(master, conf or {}, under_submit=under_submit)
        spark_conf = SparkConf()
        for key, value in settings.items():
            spark_conf.set(key, value)
        log_file = None
        try:
            if under_submit:
                context = SparkContext.getOrCreate(spark_conf)
            else:
                log_file = _log_path()
                context = _start_context(spark_conf, log_file)
        except InputError:
            raise
        except (
            Exception
        ) as exc:  # the JVM did not come up: Java too old, bad --spark-conf, unreachable master
            hint = f" (JVM log: {log_file})" if log_file else ""
            raise InputError(f"Spark did not start: {_first_line(exc)}{hint}", where=WHERE) from None
        context.setLogLevel("ERROR")
        return SparkHandle(SparkSession(context), owned=True, log_file=log_file)


def _log_path() -> str:
    fd, name = tempfile.mkstemp(prefix="costctl-spark-", suffix=".log")
    os.close(fd)
    return name


def _start_context(spark_conf: Any, log_file: str) -> Any:
    from pyspark import SparkContext
    from pyspark.java_gateway import launch_gateway

    # Typed as Any: pyspark's function is unannotated when the extra is installed and unknown when it is
    # not, and a `type: ignore` would be "unused" in one of the two, so `make lint` is green in both.
    launch: Any = launch_gateway
    local = str(spark_conf.get("spark.master", "")).startswith("local")
    previous = os.environ.get("SPARK_LOCAL_IP")
    if local and previous is None:
        os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # a laptop run listens on loopback only
    try:
        with open(log_file, "ab") as log:
            gateway = launch(spark_conf, popen_kwargs={"stdout": log, "stderr": log})
    finally:
        if local and previous is None:
            os.environ.pop("SPARK_LOCAL_IP", None)
    return SparkContext(conf=spark_conf, gateway=gateway)


@contextmanager
def spark_session(master: str | None = None, conf: Mapping[str, str] | None = None) -> Iterator[Any]:
    handle = start_session(master, conf)
    try:
        yield handle.session
    finally:
        handle.stop()


def _java_reason(exc: BaseException) -> str:
    """The Java exception's own message rather than py4j's 'An error occurred while calling o42.parquet'."""
    java = getattr(exc, "java_exception", None)
    if java is not None:
        try:
            return _first_line(Exception(str(java.toString())))
        except Exception:  # noqa: BLE001 - the JVM may be gone; the Python text still says something
            pass
    return _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line[:300]
    return type(exc).__name__


# ---------------------------------------------------------------- reading and validating the source


def spark_type_accepts(duck_type: str, spark_type: Any) -> bool:
    """Whether a Spark column type can stand for a canonical DuckDB type without losing anything."""
    from pyspark.sql import types as T

    integral = (T.ByteType, T.ShortType, T.IntegerType, T.LongType)
    if duck_type == "BIGINT":
        return isinstance(spark_type, integral)
    if duck_type == "VARCHAR":
        return isinstance(spark_type, T.StringType)
    if duck_type == "BOOLEAN":
        return isinstance(spark_type, T.BooleanType)
    if duck_type == "DOUBLE":
        return isinstance(spark_type, (*integral, T.FloatType, T.DoubleType, T.DecimalType))
    if duck_type == "TIMESTAMP":
        return isinstance(spark_type, (T.TimestampType, T.TimestampNTZType))
    if duck_type.startswith("DECIMAL"):
        # money stays exact: a float cost column is refused rather than silently rounded
        return isinstance(spark_type, (*integral, T.DecimalType))
    return False


def canonical_spark_type(duck_type: str) -> Any:
    from pyspark.sql import types as T

    if duck_type.startswith("DECIMAL"):
        return T.DecimalType(38, 12)
    return {
        "BIGINT": T.LongType(),
        "VARCHAR": T.StringType(),
        "BOOLEAN": T.BooleanType(),
        "DOUBLE": T.DoubleType(),
        "TIMESTAMP": T.TimestampType(),
    }[duck_type]


def schema_problems(fields: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(missing columns, 'column (type, expected TYPE)' for mistyped ones) against CANONICAL_COLUMNS."""
    lowered = {name.lower(): t for name, t in fields.items()}
    missing, mistyped = [], []
    for name, duck_type, _ in CANONICAL_COLUMNS:
        if name not in lowered:
            missing.append(name)
        elif not spark_type_accepts(duck_type, lowered[name]):
            mistyped.append(f"{name} ({lowered[name].simpleString()}, expected {duck_type.lower()})")
    return missing, mistyped


def raise_if_not_canonical(source: str, missing: list[str], mistyped: list[str]) -> None:
    if not missing and not mistyped:
        return
    parts = []
    if missing:
        parts.append("missing column" + ("s " if len(missing) > 1 else " ") + ", ".join(missing))
    if mistyped:
        parts.append("mistyped " + ", ".join(mistyped))
    raise InputError(
        "not the canonical request schema: "
        + "; ".join(parts)
        + ", expected the columns of `costctl attribute export --to parquet`",
        where=source,
    )


def _json_type_of(value: Any) -> Any:
    from pyspark.sql import types as T

    if isinstance(value, bool):
        return T.BooleanType()
    if isinstance(value, int):
        return T.LongType()
    if isinstance(value, float):
        return T.DoubleType()
    if isinstance(value, str):
        return T.StringType()
    return None


def _json_accepts(duck_type: str, value: Any) -> bool:
    """JSON carries timestamps as strings and decimals as numbers or strings."""
    if value is None:
        return True
    if duck_type == "TIMESTAMP":
        return isinstance(value, str)
    if duck_type.startswith("DECIMAL"):
        return isinstance(value, (int, float, str)) and not isinstance(value, bool)
    kind = _json_type_of(value)
    return kind is not None and spark_type_accepts(duck_type, kind)


def check_jsonl_sample(source: str, lines: list[str]) -> None:
    """Validate the first lines of a JSONL source: every canonical key present, values of the right kind."""
    seen: dict[str, Any] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = loads(line)
        except JsonTooDeep:
            raise InputError(f"line {number} is JSON nested too deeply to read", where=source) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"line {number} is not JSON ({exc.msg}), expected one object per line", where=source
            ) from None
        if not isinstance(record, dict):
            raise InputError(
                f"line {number} is not a JSON object, expected one object per line", where=source
            )
        for key, value in record.items():
            if value is not None or key not in seen:
                seen.setdefault(key.lower(), value)
                if value is not None and seen[key.lower()] is None:
                    seen[key.lower()] = value
    missing, mistyped = [], []
    for name, duck_type, _ in CANONICAL_COLUMNS:
        if name not in seen:
            missing.append(name)
        elif not _json_accepts(duck_type, seen[name]):
            mistyped.append(f"{name} ({type(seen[name]).__name__}, expected {duck_type.lower()})")
    raise_if_not_canonical(source, missing, mistyped)


def _canonical_select(frame: Any) -> Any:
    """Project to CANONICAL_COLUMNS with canonical types (integral widening, NTZ -> UTC timestamp)."""
    from pyspark.sql import functions as F

    by_lower = {f.name.lower(): f.name for f in frame.schema.fields}
    return frame.select(
        *[F.col(by_lower[name]).cast(canonical_spark_type(t)).alias(name) for name, t, _ in CANONICAL_COLUMNS]
    )


def _strict_ts(frame: Any) -> Any:
    """JSON timestamps are text: ISO with `T` or a space, an offset or none (= UTC, the session zone). A value
    that is not a timestamp stops the read with its text, on any Spark version (ANSI mode or not)."""
    from pyspark.sql import functions as F

    parsed = F.expr("try_cast(ts AS TIMESTAMP)")
    bad = F.raise_error(F.concat(F.lit("ts is not a timestamp: "), F.col("ts")))
    return frame.withColumn("ts", F.when(F.col("ts").isNull() | parsed.isNotNull(), parsed).otherwise(bad))


def read_source(spark: Any, source: str) -> Any:
    """The canonical rows of `source` as a DataFrame, or one InputError line saying what is wrong."""
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException
    from pyspark.sql import types as T

    check_source_exists(source)
    fmt = source_format(source)
    try:
        if fmt == "json":
            sample = [r[0] for r in spark.read.text(source).limit(JSONL_SAMPLE_LINES).collect()]
            check_jsonl_sample(source, sample)
            # timestamps arrive as text and are cast in the UTC session; a bad value fails the read (FAILFAST)
            schema = T.StructType(
                [
                    T.StructField(n, T.StringType() if t == "TIMESTAMP" else canonical_spark_type(t))
                    for n, t, _ in CANONICAL_COLUMNS
                ]
            )
            frame = _strict_ts(spark.read.schema(schema).option("mode", "FAILFAST").json(source))
        else:
            frame = spark.read.parquet(source)
            missing, mistyped = schema_problems({f.name: f.dataType for f in frame.schema.fields})
            raise_if_not_canonical(source, missing, mistyped)
    except (PySparkException, Py4JJavaError) as exc:
        # no such path or glob match, a scheme without its filesystem (s3a:// without hadoop-aws), not Parquet
        raise InputError(f"Spark cannot read it: {_java_reason(exc)}", where=source) from None
    return _canonical_select(frame)


# ---------------------------------------------------------------- the engine


class SparkEngine:
    """`costctl.rollup.engine.Engine` on a canonical DataFrame. Same groups, same sums as `DuckDbEngine`."""

    name = "spark"

    def __init__(self, spark: Any, frame: Any, *, source: str = "<dataframe>") -> None:
        self.spark = spark
        self.frame = frame
        self.source = source
        # a report runs several rollups over the same selection; on a cluster each distinct is a full scan
        self._models: dict[tuple[Any, ...], list[str]] = {}

    @classmethod
    def from_source(cls, spark: Any, source: str) -> SparkEngine:
        return cls(spark, read_source(spark, source), source=source)

    # -- shared pieces

    def _selected(self, spec: RollupSpec) -> Any:
        """The spec's WHERE, as `RollupSql.where` has it: [since, until] in UTC days, dimension and tag equality."""
        from pyspark.sql import functions as F

        frame = self.frame
        if spec.since is not None:
            frame = frame.where(F.col("ts") >= _utc_midnight(spec.since))
        if spec.until is not None:
            frame = frame.where(F.col("ts") < _utc_midnight(spec.until + dt.timedelta(days=1)))
        for f in spec.where:
            if f.is_dimension:
                frame = frame.where(F.col(DIMENSIONS[f.key]) == F.lit(f.value))
            else:
                # bracket notation: tag keys may contain dots, which `$.a.b` would read as a path
                frame = frame.where(F.get_json_object(F.col("tags"), f"$['{f.key}']") == F.lit(f.value))
        return frame

    def _collect(self, frame: Any) -> list[Any]:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        try:
            return list(frame.collect())
        except (PySparkException, Py4JJavaError) as exc:
            # FAILFAST JSON, a cast that fails, a file that vanished: the data, not costctl
            raise InputError(
                f"Spark could not read the rows: {_first_line(exc)}", where=self.source
            ) from None

    # -- the Engine protocol

    def distinct_models(self, spec: RollupSpec) -> list[str]:
        key = (spec.since, spec.until, spec.where)
        if key not in self._models:
            rows = self._collect(self._selected(spec).select("model").distinct())
            self._models[key] = sorted(str(r[0]) for r in rows if r[0] is not None)
        return list(self._models[key])

    def grouped(self, spec: RollupSpec, rates: RateTable) -> list[GroupRow]:
        """`RollupSql.grouped` with the DataFrame API: the same rate match and component SQL, from
        `costctl.cost.rates`, so each group's price is the same exact decimal."""
        from pyspark.sql import functions as F

        from costctl.rollup.engine import group_rows

        frame = self._selected(spec).withColumn("_day", F.to_date(F.col("ts")))
        rt = F.broadcast(rates_frame(self.spark, rates))
        frame = frame.join(rt, F.expr(match_sql(lambda c: f"rt_{c}", _ROW_EXPR.__getitem__)), "left")
        dims = [d for d in spec.dimensions if d != "model"]
        keys = [
            F.col("model").alias("raw_model"),
            F.col("_day").alias("day"),
            F.coalesce(F.col("is_batch"), F.lit(False)).alias("is_batch"),
            F.coalesce(F.col("gateway_cache_hit"), F.lit(False)).alias("gateway_cache_hit"),
            F.col("rt_rate_id").alias("rate_id"),
            *[F.col(DIMENSIONS[d]).alias(f"dim_{d}") for d in dims],
        ]
        if spec.split_reported:
            keys.append(F.col("reported_cost_usd").isNotNull().alias("has_reported"))
        sums = [F.sum(_requests_expr()).alias("requests")]
        sums += [F.sum(F.col(c)).alias(c) for c in TOKEN_SUMS]
        sums += [
            F.sum(F.col("reported_cost_usd")).alias("reported_cost_usd"),
            F.count(F.col("reported_cost_usd")).alias("reported_requests"),
        ]
        groups = frame.groupBy(*keys).agg(*sums)
        priced = groups.join(rt, F.col("rate_id") == F.col("rt_rate_id"), "left").select(
            *[F.col(c) for c in groups.columns],
            F.coalesce(F.col("rt_long_context"), F.lit(False)),
            F.coalesce(F.col("rt_card_missing"), F.lit(True)),
            *[
                F.expr(component_sql(c, lambda col: f"coalesce({col}, 0)", lambda col: f"rt_{col}"))
                for c in COMPONENTS
            ],
        )
        records = self._collect(priced)
        if any(r["day"] is None for r in records):
            raise InputError(
                "rows without a timestamp (ts is null), expected every row to have one", where=self.source
            )
        # the same record layout as RollupSql.grouped, so one function turns both engines' records into rows
        return group_rows([tuple(r) for r in records], spec)

    def costly_users(self, spec: RollupSpec, rates: RateTable, above: Decimal) -> dict[dt.date, int]:
        """`RollupSql.costly_users` with the DataFrame API. The components are summed with Spark's decimal
        precision loss switched off for this query, so scale 15 is kept (as in DuckDB) instead of rounded."""
        from pyspark.sql import functions as F

        rt = F.broadcast(rates_frame(self.spark, rates))
        frame = self._selected(spec).where(F.col("user_id").isNotNull())
        frame = frame.withColumn("_day", F.to_date(F.col("ts")))
        frame = frame.join(rt, F.expr(match_sql(lambda c: f"rt_{c}", _ROW_EXPR.__getitem__)), "left")
        complete = F.expr(complete_sql(lambda c: f"rt_{c}"))
        groups = frame.groupBy(
            F.when(complete, F.trunc(F.col("_day"), "month")).otherwise(F.col("_day")).alias("bucket"),
            F.col("user_id"),
            F.col("rt_rate_id").alias("rate_id"),
            F.coalesce(F.col("gateway_cache_hit"), F.lit(False)).alias("gw"),
        ).agg(*[F.sum(F.col(c)).alias(c) for c in TOKEN_SUMS])
        cost = " + ".join(
            f"CAST(({component_sql(c, lambda col: f'coalesce({col}, 0)', lambda col: f'rt_{col}')}) "
            f"AS DECIMAL(38, {RATE_SCALE}))"
            for c in COMPONENTS
        )
        users = (
            groups.join(rt, F.col("rate_id") == F.col("rt_rate_id"))
            .where(~F.col("rt_card_missing"))
            .groupBy(F.trunc(F.col("bucket"), "month").alias("month"), "user_id")
            .agg(F.sum(F.expr(f"CASE WHEN gw THEN 0 ELSE {cost} END")).alias("cost"))
        )
        counted = users.groupBy("month").agg(
            F.sum(F.when(F.col("cost") > F.lit(above), 1).otherwise(0)).alias("n")
        )
        key = "spark.sql.decimalOperations.allowPrecisionLoss"
        previous = self.spark.conf.get(key, "true")
        self.spark.conf.set(key, "false")
        try:
            rows = self._collect(counted)
        finally:
            self.spark.conf.set(key, previous)
        return {r[0]: int(r[1]) for r in rows}

    def active_users(self, spec: RollupSpec) -> dict[tuple[dt.date, tuple[str | None, ...]], int]:
        from pyspark.sql import functions as F

        dims = [d for d in spec.dimensions if d not in ("user", "model")]
        frame = self._selected(spec).where(F.col("user_id").isNotNull())
        cols = [F.trunc(F.to_date(F.col("ts")), "month").alias("month")]
        cols += [F.col(DIMENSIONS[d]).alias(f"dim_{d}") for d in dims]
        rows = self._collect(frame.groupBy(*cols).agg(F.countDistinct(F.col("user_id")).alias("users")))
        return {(r[0], tuple(r[1:-1])): int(r[-1]) for r in rows}


# A canonical row's columns as `costctl.cost.rates.RATE_MATCH` names them (`_day`: the UTC day of ts).
_ROW_EXPR = {
    "raw_model": "model",
    "is_batch": "coalesce(is_batch, false)",
    "day": "_day",
    "prompt_tokens": "coalesce(input_tokens, 0)",
}


def rates_frame(spark: Any, rates: RateTable) -> Any:
    """The rates table (`costctl.cost.rates.RATE_COLUMNS`, prefixed `rt_`) as a small DataFrame."""
    from pyspark.sql import types as T

    spark_types = {
        "BIGINT": T.LongType(),
        "VARCHAR": T.StringType(),
        "BOOLEAN": T.BooleanType(),
        "DATE": T.DateType(),
        RATE_SQL_TYPE: T.DecimalType(17, RATE_SCALE),
    }
    schema = T.StructType([T.StructField(f"rt_{n}", spark_types[t], True) for n, t in RATE_COLUMNS])
    return spark.createDataFrame(rates.values(), schema)


def _utc_midnight(day: dt.date) -> Any:
    """A timestamp literal for 00:00 UTC of `day`, built from text in the UTC session (a Python datetime
    literal would be read in the machine's local time zone)."""
    from pyspark.sql import functions as F

    return F.to_timestamp(F.lit(day.isoformat() + " 00:00:00"), "yyyy-MM-dd HH:mm:ss")


def _requests_expr() -> Any:
    """How many requests a row stands for: 1, or the usage-export count tag (`Dialect.requests_expr`).

    Matches DuckDB's lenient `TRY_CAST(text AS BIGINT)`: surrounding spaces, a sign, an exponent, and a
    fraction rounded half away from zero ('2.5' -> 3); anything else, or out of range, counts the row once.
    The tag name is our constant (checked to be an identifier), never user text.
    """
    from pyspark.sql import functions as F

    assert AGGREGATED_REQUESTS_TAG.isidentifier()
    tag = f"get_json_object(tags, '$.{AGGREGATED_REQUESTS_TAG}')"
    return F.coalesce(F.expr(f"try_cast(round(try_cast({tag} AS DECIMAL(38, 10)), 0) AS BIGINT)"), F.lit(1))
