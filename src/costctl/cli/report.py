"""`costctl report`: the monthly cost report (HTML by default; json, markdown, table, csv)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.common import (
    TEXT_FORMATS,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    format_option,
    handle_errors,
)
from costctl.cli.engines import EngineOpt, SourceOpt, SparkConfOpt, SparkMasterOpt, open_engine
from costctl.errors import InputError
from costctl.report import Format

GENERATED_AT_ENV = "COSTCTL_GENERATED_AT"


def generated_at(flag: str | None) -> str | None:
    """The report's clock is injected, never read: --generated-at, $COSTCTL_GENERATED_AT, or
    $SOURCE_DATE_EPOCH (reproducible-builds.org); otherwise the report shows only the data's own dates."""
    import datetime as dt

    value = flag or os.environ.get(GENERATED_AT_ENV)
    if value:
        text = value.strip()
        try:
            stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"--generated-at: expected an ISO time such as 2026-11-01T08:00:00Z, got {value!r}"
            ) from None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return stamp.isoformat(timespec="seconds") + "Z"
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        except (ValueError, OverflowError, OSError):
            raise InputError(f"SOURCE_DATE_EPOCH: expected seconds since 1970, got {epoch!r}") from None
    return None


@handle_errors
def report(
    db: Annotated[Path, typer.Option("--db", help="The attribute database (a DuckDB file).")] = Path(
        "costctl.duckdb"
    ),
    month: Annotated[str, typer.Option("--month", help="The month to report, YYYY-MM.")] = "",
    fmt: Annotated[Format, format_option(Format.HTML, *TEXT_FORMATS)] = Format.HTML,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE (atomically, once built).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=100, help="Rows per top-N table and chart.")] = 10,
    total_budget: Annotated[
        str | None, typer.Option("--total-budget", help="Monthly budget for all spend, USD.")
    ] = None,
    budget: Annotated[
        list[str] | None, typer.Option("--budget", help="Monthly budget FEATURE=USD; repeatable.")
    ] = None,
    budgets: Annotated[Path | None, typer.Option("--budgets", help="YAML `budgets: {feature: usd}`.")] = None,
    shared_cost: Annotated[
        list[str] | None,
        typer.Option("--shared-cost", help="Shared monthly cost NAME=USD to allocate; repeatable."),
    ] = None,
    overhead_pct: Annotated[
        str | None, typer.Option("--overhead-pct", help="Overhead, percent of direct cost.")
    ] = None,
    allocate_by: Annotated[
        str, typer.Option("--allocate-by", help="Allocate shared costs by requests or tokens.")
    ] = "requests",
    anomaly_factor: Annotated[
        str,
        typer.Option("--anomaly-factor", help="Flag a feature's day above this x its trailing 7-day mean."),
    ] = "2",
    audit: Annotated[
        Path | None, typer.Option("--audit", help="JSON of `costctl audit ... --format json` to highlight.")
    ] = None,
    workload: Annotated[
        Path | None, typer.Option("--workload", help="Workload YAML to compare with the logs.")
    ] = None,
    generated: Annotated[
        str | None,
        typer.Option(
            "--generated-at",
            help=f"Time printed as generated (ISO) [env: {GENERATED_AT_ENV}, SOURCE_DATE_EPOCH].",
        ),
    ] = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
    engine: EngineOpt = "duckdb",
    source: SourceOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
) -> None:
    """The monthly LLM cost report: one self-contained HTML file that opens anywhere, offline.

    Headline figures (total, change vs last month, cost per request and per active user, unpriced volume,
    budget status), charts drawn as inline SVG (daily spend by feature, 12-month trend, top features, models,
    teams and users, the month-over-month change split into volume, rate and mix), tables with sparklines,
    shared-cost chargeback, anomalies and budget alerts, and the data of every chart as CSV links. The same
    input gives the same bytes: the clock is injected with --generated-at (or $COSTCTL_GENERATED_AT).
    Exit 1 when the month is over --total-budget or a feature over its --budget (the report is still written).

    Examples:

      costctl report --db costctl.duckdb --month 2026-10 -o report.html

      costctl report --db costctl.duckdb --month 2026-10 --total-budget 5000 --shared-cost vectordb=1200

      costctl report --db costctl.duckdb --month 2026-10 -f markdown

      costctl report --engine spark --source s3a://lake/llm-requests/ --month 2026-10 -o report.html
    """
    from costctl.cli.attribute import load_budgets_file, parse_named_usd
    from costctl.commands.report import MonthlyOptions, load_audit, monthly_report
    from costctl.values import parse_month, parse_number, parse_percent, parse_usd

    if not month:
        raise InputError("--month is required, e.g. --month 2026-10")
    if allocate_by not in ("requests", "tokens"):
        raise InputError(f"--allocate-by {allocate_by!r}: expected requests or tokens")
    feature_budgets = load_budgets_file(budgets) if budgets is not None else {}
    feature_budgets.update(parse_named_usd(budget, "--budget"))
    opts = MonthlyOptions(
        month=parse_month(month, "--month"),
        top=top,
        budgets=feature_budgets,
        total_budget_usd=parse_usd(total_budget, "--total-budget") if total_budget else None,
        shared_costs=parse_named_usd(shared_cost, "--shared-cost"),
        overhead_pct=parse_percent(overhead_pct, "--overhead-pct") if overhead_pct else None,
        allocate_by=allocate_by,
        anomaly_factor=parse_number(anomaly_factor, "--anomaly-factor"),
        audit=load_audit(audit) if audit is not None else None,
        audit_source=str(audit) if audit is not None else None,
        workload=workload,
        generated_at=generated_at(generated),
    )
    cat = catalog(pricing, pricing_overlay)
    with open_engine(engine, db, source, spark_master, spark_conf) as rollup_engine:
        result = monthly_report(cat, rollup_engine, opts)
    emit(result, fmt, output)
