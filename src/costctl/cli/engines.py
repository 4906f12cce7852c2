"""`--engine duckdb|spark` and its options, shared by the commands that run rollups.

`open_engine` hands a command the engine the flags ask for: DuckDB on the `--db` store (the default), or
Spark over `--source PATH` (canonical Parquet or JSONL anywhere Spark reads: local, HDFS, S3, GCS). Checks
that need no JVM (a missing local path, pyspark not installed, no Java runtime) run before Spark starts, so
each is one line and exit 2. pyspark and duckdb are imported inside functions only (`costctl --help` stays light).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from costctl.errors import InputError

ENGINES = ("duckdb", "spark")

EngineOpt = Annotated[
    str,
    typer.Option(
        "--engine",
        help="Rollup engine: duckdb (the --db store, default) or spark (--source PATH; the spark extra, pip install '.[spark]', "
        "and a Java runtime).",
    ),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="With --engine spark: canonical-schema Parquet (file or folder, e.g. from `attribute export --to "
        "parquet`) or JSONL, any path Spark reads (s3a://, hdfs://, gs://, globs).",
    ),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL (local[2] by default; spark://host:7077, yarn, k8s://...). Under spark-submit, "
        "its --master is used.",
    ),
]
SparkConfOpt = Annotated[
    list[str] | None,
    typer.Option("--spark-conf", help="Spark setting KEY=VALUE, as spark-submit --conf; repeatable."),
]


def engine_name(value: str) -> str:
    name = value.strip().lower()
    if name not in ENGINES:
        raise InputError(f"--engine {value!r}: expected one of {', '.join(ENGINES)}")
    return name


@contextmanager
def open_engine(
    engine: str,
    db: Path,
    source: str | None = None,
    spark_master: str | None = None,
    spark_conf: list[str] | None = None,
) -> Iterator[Any]:
    """The rollup engine the flags select, closed (or its Spark session stopped) afterwards."""
    name = engine_name(engine)
    if name == "duckdb":
        if source is not None or spark_master is not None or spark_conf:
            flag = "--source" if source is not None else "--spark-master" if spark_master else "--spark-conf"
            raise InputError(f"{flag} applies to --engine spark, expected --engine spark (DuckDB reads --db)")
        from costctl.logs.store import connect
        from costctl.rollup.duckdb_engine import DuckDbEngine

        con = connect(db, write=False)
        try:
            yield DuckDbEngine(con)
        finally:
            con.close()
        return

    from costctl.rollup import spark

    if not source:
        raise InputError(
            "--engine spark needs --source PATH, expected canonical Parquet or JSONL "
            "(`costctl attribute export --to parquet DIR` writes it from a --db store)"
        )
    conf = spark.parse_conf(spark_conf)
    spark.check_source_exists(source)
    handle = spark.start_session(spark_master, conf)
    try:
        yield spark.SparkEngine.from_source(handle.session, source)
    finally:
        handle.stop()
