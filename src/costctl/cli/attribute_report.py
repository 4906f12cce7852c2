"""`costctl attribute report|reconcile`: priced rollups of the store, and a check against invoices."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.attribute import DEFAULT_DB, DbOpt, _spec, app, load_budgets_file, parse_named_usd
from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    handle_errors,
)
from costctl.cli.engines import EngineOpt, SourceOpt, SparkConfOpt, SparkMasterOpt, open_engine
from costctl.errors import ExitCode, InputError
from costctl.report import Format
from costctl.values import parse_number, parse_percent, parse_usd


@app.command("report")
@handle_errors
def report(
    db: DbOpt = DEFAULT_DB,
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Group by: feature, user, model, provider, team, environment, prompt_version (comma-separate).",
        ),
    ] = None,
    grain: Annotated[str, typer.Option("--grain", help="Period: day, week, month, or all.")] = "all",
    since: Annotated[str | None, typer.Option("--since", help="First day (YYYY-MM-DD, inclusive).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Last day (YYYY-MM-DD, inclusive).")] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Keep the N most expensive groups.")] = None,
    where: Annotated[
        list[str] | None,
        typer.Option("--where", help="Filter KEY=VALUE on a dimension or a tag; repeatable."),
    ] = None,
    revenue_per_user: Annotated[
        str | None,
        typer.Option("--revenue-per-user", help="Monthly revenue per user (USD) for unit economics."),
    ] = None,
    shared_cost: Annotated[
        list[str] | None,
        typer.Option("--shared-cost", help="Shared monthly cost NAME=USD to allocate; repeatable."),
    ] = None,
    overhead_pct: Annotated[
        str | None,
        typer.Option("--overhead-pct", help="Overhead as a percent of direct cost, allocated too."),
    ] = None,
    allocate_by: Annotated[
        str, typer.Option("--allocate-by", help="Allocate shared costs by requests or tokens.")
    ] = "requests",
    budget: Annotated[
        list[str] | None, typer.Option("--budget", help="Monthly budget FEATURE=USD; repeatable.")
    ] = None,
    budgets: Annotated[Path | None, typer.Option("--budgets", help="YAML `budgets: {feature: usd}`.")] = None,
    anomaly_factor: Annotated[
        str,
        typer.Option("--anomaly-factor", help="Flag a feature's day above this x its trailing 7-day mean."),
    ] = "2",
    workload: Annotated[
        Path | None, typer.Option("--workload", help="Workload file to compare its projection with the logs.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 3 when any request is unpriced.")] = False,
    engine: EngineOpt = "duckdb",
    source: SourceOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Cost, requests and tokens by feature, user, model, team and period, priced with the one formula.

    Also: cost per active user and unit economics, shared-cost allocation and team chargeback, the
    month-over-month change split into volume / rate / mix, anomalies and budget burn. Unpriced volume (unknown
    models, missing prices) is reported, never counted as $0. Exit 1 when a budget is exceeded; with --strict,
    exit 3 when anything is unpriced.

    Examples:

      costctl attribute report --db costctl.duckdb --by feature,model

      costctl attribute report --by team --grain month --shared-cost vectordb=1200 --overhead-pct 10

      costctl attribute report --by feature --budget chat=400 --revenue-per-user 20 -f json
    """
    from costctl.commands.attribute import ReportOptions, attribute_report

    if allocate_by not in ("requests", "tokens"):
        raise InputError(f"--allocate-by {allocate_by!r}: expected requests or tokens")
    spec = _spec(by, grain, since, until, where)
    all_budgets = load_budgets_file(budgets) if budgets is not None else {}
    all_budgets.update(parse_named_usd(budget, "--budget"))
    opts = ReportOptions(
        top=top,
        revenue_per_user_usd=parse_usd(revenue_per_user, "--revenue-per-user") if revenue_per_user else None,
        shared_costs=parse_named_usd(shared_cost, "--shared-cost"),
        overhead_pct=parse_percent(overhead_pct, "--overhead-pct") if overhead_pct else None,
        allocate_by=allocate_by,
        budgets=all_budgets,
        anomaly_factor=parse_number(anomaly_factor, "--anomaly-factor"),
        workload=workload,
    )
    cat = catalog(pricing, pricing_overlay)
    with open_engine(engine, db, source, spark_master, spark_conf) as rollup_engine:
        result = attribute_report(cat, rollup_engine, spec, opts)
    emit(result, fmt, output)
    if strict and result.data["total"]["unpriced_requests"]:
        raise typer.Exit(int(ExitCode.INCOMPLETE))
    if any(100 in b["alerts"] for b in result.data.get("budgets", [])):
        raise typer.Exit(int(ExitCode.CHECK_FAILED))


@app.command("reconcile")
@handle_errors
def reconcile(
    db: DbOpt = DEFAULT_DB,
    tolerance_pct: Annotated[
        str, typer.Option("--tolerance-pct", help="Allowed difference, percent of the reported cost.")
    ] = "1",
    by: Annotated[
        list[str] | None, typer.Option("--by", help="Extra grouping besides day and model, e.g. feature.")
    ] = None,
    since: Annotated[str | None, typer.Option("--since")] = None,
    until: Annotated[str | None, typer.Option("--until")] = None,
    engine: EngineOpt = "duckdb",
    source: SourceOpt = None,
    spark_master: SparkMasterOpt = None,
    spark_conf: SparkConfOpt = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """List day x model groups where the cost the log reports differs from ours beyond a tolerance, with a
    likely cause. Exit 1 when any group differs.

    Example:

      costctl attribute reconcile --db costctl.duckdb --tolerance-pct 1
    """
    from costctl.commands.attribute import reconcile_report

    spec = _spec(by, "day", since, until, None)
    tol = parse_usd(tolerance_pct, "--tolerance-pct")
    cat = catalog(pricing, pricing_overlay)
    with open_engine(engine, db, source, spark_master, spark_conf) as rollup_engine:
        result = reconcile_report(cat, rollup_engine, spec, tol)
    emit(result, fmt, output)
    if result.data["mismatches"]:
        raise typer.Exit(int(ExitCode.CHECK_FAILED))
