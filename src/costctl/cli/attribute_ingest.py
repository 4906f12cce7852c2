"""`costctl attribute ingest`: load log files (and budget ledgers) into the attribute store."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.attribute import DEFAULT_DB, DbOpt, app
from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    emit,
    handle_errors,
    note,
)
from costctl.cli.progress import Progress
from costctl.report import Format


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
    bar = Progress(files + [s.path for s in sources], force=progress)
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
