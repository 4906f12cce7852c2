"""`costctl attribute ingest|report|reconcile|rejects|export`: thin argv layer over costctl.commands.attribute."""

from __future__ import annotations

import contextlib
import sys
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    handle_errors,
    note,
)
from costctl.cli.engines import EngineOpt, SourceOpt, SparkConfOpt, SparkMasterOpt, open_engine
from costctl.errors import ExitCode, InputError
from costctl.report import Format
from costctl.values import parse_number, parse_percent, parse_usd

app = typer.Typer(
    help="Load request logs into DuckDB and see which features, users, teams and models drive the bill.",
    no_args_is_help=True,
)

DbOpt = Annotated[Path, typer.Option("--db", help="The attribute database (a DuckDB file).")]
DEFAULT_DB = Path("costctl.duckdb")
PROGRESS_MIN_BYTES = 20_000_000


def parse_named_usd(values: list[str] | None, flag: str) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for value in values or []:
        name, sep, amount = value.rpartition("=")
        if not sep or not name.strip():
            raise InputError(f"{flag} {value!r}: expected NAME=USD, e.g. {flag} chat=500")
        out[name.strip()] = parse_usd(amount, flag)
    return out


def load_budgets_file(path: Path) -> dict[str, Decimal]:
    from costctl.inputs import read_yaml

    doc = read_yaml(path, "budgets file")
    if isinstance(doc, dict) and isinstance(doc.get("budgets"), dict):
        doc = doc["budgets"]
    if not isinstance(doc, dict):
        raise InputError("expected `budgets: {feature: monthly_usd, ...}`", where=str(path))
    return {str(k): parse_usd(v, f"budget {k!r}", where=str(path)) for k, v in doc.items()}


def _day(value: str | None, flag: str) -> Any:
    if value is None:
        return None
    from costctl.cli.options import parse_day

    return parse_day(value, flag=flag)


def _check_new_directory(directory: Path) -> None:
    """`--to parquet DIR` writes a new (or empty) directory; a file on the way is a usage error."""
    path = directory.expanduser()
    if path.exists() and not path.is_dir():
        raise InputError("is a file; --to parquet writes a new or empty directory", where=str(directory))
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(f"{parent} is a file, so this directory cannot be created", where=str(directory))


def _spec(
    by: list[str] | None, grain: str, since: str | None, until: str | None, where: list[str] | None
) -> Any:
    from costctl.rollup.spec import RollupSpec, dimension, parse_where

    dims = [dimension(p) for v in by or [] for p in v.split(",") if p.strip()]
    first, last = _day(since, "--since"), _day(until, "--until")
    if first is not None and last is not None and first > last:
        raise InputError(f"--since {first} is after --until {last}; expected --since on or before --until")
    return RollupSpec(tuple(dict.fromkeys(dims)), grain.lower(), first, last, parse_where(where))


class _Progress:
    """A rich progress bar on stderr over the files' bytes, advancing within each file as DuckDB (or the vendor
    reader) gets through it. Shown for large inputs on a terminal, or always with `--progress`."""

    def __init__(self, paths: list[Path], *, force: bool | None = None) -> None:
        self.sizes = [p.stat().st_size if p.is_file() else 0 for p in paths]
        self.index = 0
        self.bar: Any = None
        show = force if force is not None else sum(self.sizes) >= PROGRESS_MIN_BYTES and sys.stderr.isatty()
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                DownloadColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True, force_terminal=bool(force) or None),
                transient=True,
            )
            self.task = self.bar.add_task("ingest", total=max(sum(self.sizes), 1))
            self.bar.start()

    def start(self, path: Path, index: int) -> None:
        self.index = index
        if self.bar is not None:
            self.bar.update(self.task, description=f"reading {path.name}", completed=sum(self.sizes[:index]))

    def within(self, fraction: float) -> None:
        if self.bar is not None:
            done = sum(self.sizes[: self.index]) + int(fraction * self.sizes[self.index])
            self.bar.update(self.task, completed=done)

    def done(self, stats: Any) -> None:
        if self.bar is not None:
            self.bar.update(self.task, completed=sum(self.sizes[: self.index + 1]))

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()


@app.command("ingest")
@handle_errors
def ingest(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Log files (JSONL, CSV, Parquet, vendor formats; .gz works).")
    ] = None,
    db: DbOpt = DEFAULT_DB,
    ledger: Annotated[
        list[str] | None,
        typer.Option(
            "--ledger",
            help="Also load the settled requests of a budget ledger (SQLite file or postgresql:// URL); repeatable.",
        ),
    ] = None,
    input_format: Annotated[
        str | None,
        typer.Option(
            "--input-format",
            "--log-format",
            help="Log format (default: detected): jsonl, csv, parquet, or a vendor format.",
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column mapping CANONICAL=SOURCE, e.g. --map feature=route; repeatable."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML mapping file `columns: {canonical: source}`.")
    ] = None,
    batch_input: Annotated[
        Path | None, typer.Option("--batch-input", help="OpenAI batch input file to join on custom_id.")
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Attribution rule file (feature from metadata, regex on ids)."),
    ] = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    reread: Annotated[
        bool,
        typer.Option(
            "--reread",
            help="Read every file, also those unchanged (same size and SHA-256) since an earlier ingest.",
        ),
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="Progress bar on stderr (default: for inputs over 20 MB when stderr is a terminal).",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Show how each file maps, what would load and the first rejects; write nothing.",
        ),
    ] = False,
) -> None:
    """Load log files into the attribute database; every row is loaded, rejected (with a reason) or a duplicate.

    One ingest is one transaction: an error or Ctrl-C leaves the database unchanged. Re-ingesting a file adds
    nothing. The summary (read = loaded + rejected + duplicate, per file) goes to stderr in table format.
    Columns named the usual way (timestamp, user, prompt_tokens, usage.prompt_tokens, ...) are recognised;
    the mapping taken is printed on stderr, and `--dry-run` shows it with the first rejects.

    Examples:

      costctl attribute ingest sample_logs/*.jsonl --db costctl.duckdb

      costctl attribute ingest sample_logs/search_service.csv --mapping sample_logs/search_service.mapping.yaml

      costctl attribute ingest export.csv --map feature=route --map input_tokens=prompt_tokens -f json

      costctl attribute ingest --ledger costctl-budget.sqlite --db costctl.duckdb
    """
    from costctl.budget.rows import ledger_source
    from costctl.commands.attribute import ingest_report
    from costctl.inputs import check_files
    from costctl.logs.generic import build_mapping
    from costctl.logs.ingest import InterruptGate, ingest_files, vendor_reader
    from costctl.logs.rules import TagRules
    from costctl.logs.store import connect, writable

    files = files or []
    check_files(files, "log file")
    if batch_input is not None:
        check_files([batch_input], "--batch-input file")
    column_map = build_mapping(map_, mapping)
    tag_rules = TagRules.load(rules) if rules is not None else None
    sources = [ledger_source(spec) for spec in ledger or []]
    bar = _Progress(files + [s.path for s in sources], force=progress)
    # A dry run reads the store (for duplicates) when it exists, and never creates or writes it.
    store = (
        contextlib.closing(connect(db if db.exists() else Path(":memory:"), write=not db.exists()))
        if dry_run
        else writable(db)
    )
    # Ctrl-C cancels the ingest until its commit starts; from then on the summary is what happened.
    with InterruptGate() as gate:
        try:
            with store as con:
                summary = ingest_files(
                    con,
                    files,
                    sources=sources,
                    fmt=input_format.lower() if input_format else None,
                    mapping=column_map,
                    read_log=vendor_reader(),
                    batch_input=batch_input,
                    rules=tag_rules,
                    on_file_start=bar.start,
                    on_file_done=bar.done,
                    on_progress=bar.within if bar.bar is not None else None,
                    gate=gate,
                    dry_run=dry_run,
                    skip_unchanged=not reread,
                )
        finally:
            bar.stop()
        for text in summary.notes:
            note(f"note: {text}")
        report = ingest_report(summary, str(db))
        if fmt is Format.TABLE and output is None:
            from costctl.render import render

            sys.stdout.flush()
            sys.stderr.write(render(report, fmt))  # the summary is not data: stdout stays clean
        else:
            emit(report, fmt, output)
        if gate.late:
            note("note: Ctrl-C came after the ingest was committed: the rows above are loaded")


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


@app.command("rejects")
@handle_errors
def rejects(
    db: DbOpt = DEFAULT_DB,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most N rows.")] = 100,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
) -> None:
    """Rows that could not be loaded: file, line, reason and the raw text.

    Example:

      costctl attribute rejects --db costctl.duckdb --limit 20
    """
    from costctl.commands.attribute import rejects_report
    from costctl.logs.store import connect

    con = connect(db, write=False)
    try:
        result = rejects_report(con, limit)
    finally:
        con.close()
    emit(result, fmt, output)


@app.command("export")
@handle_errors
def export(
    directory: Annotated[Path | None, typer.Argument(help="Target directory for --to parquet.")] = None,
    db: DbOpt = DEFAULT_DB,
    to: Annotated[
        str,
        typer.Option(
            "--to", help="parquet (canonical table, partitioned month=YYYY-MM) or focus (FinOps FOCUS CSV)."
        ),
    ] = "parquet",
    since: Annotated[str | None, typer.Option("--since")] = None,
    until: Annotated[str | None, typer.Option("--until")] = None,
    fmt: FormatOpt = Format.TABLE,
    output: OutputOpt = None,
    pricing: PricingDirOpt = None,
    pricing_overlay: OverlayOpt = None,
) -> None:
    """Export the canonical table as Parquet partitioned by month, or FOCUS-style cost rows as CSV.

    Examples:

      costctl attribute export --db costctl.duckdb --to parquet lake/requests

      costctl attribute export --db costctl.duckdb --to focus -o focus.csv
    """
    from costctl.commands.attribute import export_parquet, focus_report
    from costctl.logs.store import connect
    from costctl.rollup.duckdb_engine import DuckDbEngine

    target = to.lower()
    if target not in ("parquet", "focus"):
        raise InputError(f"--to {to!r}: expected parquet or focus")
    if target == "parquet" and directory is None:
        raise InputError("--to parquet needs a target DIRECTORY argument")
    if target == "parquet" and directory is not None:
        _check_new_directory(directory)
    con = connect(db, write=False)
    try:
        if target == "parquet":
            assert directory is not None
            result = export_parquet(con, directory)
        else:
            cat = catalog(pricing, pricing_overlay)
            result = focus_report(cat, DuckDbEngine(con), _spec(None, "all", since, until, None))
    finally:
        con.close()
    emit(result, Format.CSV if target == "focus" and fmt is Format.TABLE else fmt, output)
