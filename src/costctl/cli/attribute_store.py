"""`costctl attribute rejects|export`: what the store refused, and the store as Parquet or FOCUS rows."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from costctl.cli.attribute import DEFAULT_DB, DbOpt, _spec, app
from costctl.cli.common import (
    FormatOpt,
    OutputOpt,
    OverlayOpt,
    PricingDirOpt,
    catalog,
    emit,
    handle_errors,
)
from costctl.errors import InputError
from costctl.report import Format


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
