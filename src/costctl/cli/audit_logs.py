"""`costctl audit logs`: audit logged requests (prompt variants, output caps, retries, caching), priced per month."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.audit import AuditFormatOpt, FailOverOpt, _deliver, app
from costctl.cli.common import (
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    handle_errors,
)
from costctl.cli.engines import (
    EngineOpt,
    SourceOpt,
    SparkConfOpt,
    SparkMasterOpt,
    engine_name,
    open_engine,
)
from costctl.errors import InputError
from costctl.report import Format
from costctl.values import parse_usd


@app.command("logs")
@handle_errors
def logs(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Log files to ingest first (needs costctl.logs.ingest).")
    ] = None,
    db: Annotated[Path | None, typer.Option("--db", help="DuckDB store with a `requests` table.")] = None,
    days: Annotated[int, typer.Option("--days", help="Days in a month (for monthly projections).")] = 30,
    fmt: AuditFormatOpt = Format.TABLE,
    output: OutputOpt = None,
    fail_over: FailOverOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
    engine: EngineOpt = "duckdb",
    source: SourceOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """Audit logged requests: prompt variants, output caps, truncation, reasoning, duplicates, retries, caching.

    Examples:

      costctl audit logs --db costctl.duckdb

      costctl audit logs --db costctl.duckdb --format json --fail-over 250

      costctl audit logs --engine spark --source s3a://lake/llm-requests/ --format json
    """
    from costctl.commands import audit as cmd

    limit = parse_usd(fail_over, "--fail-over") if fail_over is not None else None
    if days < 1:
        raise InputError(f"--days must be at least 1, got {days}")
    if engine_name(engine) == "spark":
        if files or db is not None:
            what = "log FILES" if files else "--db"
            raise InputError(
                f"{what} with --engine spark, expected --source PATH only (Spark reads --source)"
            )
        cat = catalog(pricing, pricing_overlay)
        with open_engine(engine, Path(), source, spark_master, spark_conf) as spark_engine:
            report = cmd.audit_log_spark(cat, spark_engine, days=days)
        return _deliver(report, fmt, output, limit)
    if source is not None or spark_master is not None or spark_conf:
        flag = "--source" if source is not None else "--spark-master" if spark_master else "--spark-conf"
        raise InputError(f"{flag} applies to --engine spark, expected --engine spark (DuckDB reads --db)")
    cat = catalog(pricing, pricing_overlay)
    if files and db is not None:
        raise InputError("give --db PATH or log FILES, not both")
    if files:
        from costctl.inputs import check_files

        check_files(files, "log file")
        report = cmd.audit_log_files(cat, files, days=days)
    elif db is not None:
        report = cmd.audit_log_db(cat, db, days=days)
    else:
        raise InputError("give --db PATH (a costctl DuckDB store) or log FILES")
    _deliver(report, fmt, output, limit)
