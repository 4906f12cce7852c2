"""What an ingest did and what it rejected, read from the store: `attribute ingest` and `attribute rejects`."""

from __future__ import annotations

from typing import Any

from costctl.report import Column, Report, Table


def ingest_report(summary: Any, db: str) -> Report:
    """The summary of an ingest (a `costctl.logs.ingest.IngestSummary`); for a dry run, also how each file's
    columns map and its first rejects."""
    dry = bool(getattr(summary, "dry_run", False))
    files = [
        {
            "file": f.file,
            "format": f.format,
            "read": f.read,
            "loaded": f.loaded,
            "rejected": f.rejected,
            "duplicate": f.duplicate,
            "rejects_by_reason": f.reasons,
            **({"columns": f.columns, "inferred": f.inferred} if f.columns else {}),
            **(
                {"first_rejects": [{"line": ln, "reason": r, "raw": raw} for ln, r, raw in f.first_rejects]}
                if dry
                else {}
            ),
        }
        for f in summary.files
    ]
    total = {k: summary.total(k) for k in ("read", "loaded", "rejected", "duplicate")}
    data = {
        "db": db,
        "dry_run": dry,
        "ingest_id": None if dry else summary.ingest_id,
        "files": files,
        "total": total,
        "rejects_by_reason": summary.reasons,
        "unchanged_skipped": list(getattr(summary, "unchanged", [])),
    }
    loaded_header = "Would load" if dry else "Loaded"
    cols = [
        Column("file", "File"),
        Column("format", "Format"),
        Column("read", "Read", "int"),
        Column("loaded", loaded_header, "int"),
        Column("rejected", "Rejected", "int"),
        Column("duplicate", "Duplicate", "int"),
    ]
    title = f"Dry run: nothing written to {db}" if dry else f"Ingest into {db}"
    tables = [Table(cols, files, title=title, footer={"file": "TOTAL", "format": "", **total})]
    if dry:
        for f in summary.files:
            if f.columns:
                tables.append(
                    Table(
                        [Column("column", "Column"), Column("source", "From"), Column("how", "How")],
                        [
                            {
                                "column": c,
                                "source": src,
                                "how": "by its name"
                                if c in f.inferred
                                else "as named"
                                if c == src
                                else "mapping",
                            }
                            for c, src in f.columns.items()
                        ],
                        title=f"Columns of {f.file}",
                    )
                )
            if f.first_rejects:
                tables.append(
                    Table(
                        [Column("line", "Line", "int"), Column("reason", "Reason"), Column("raw", "Raw")],
                        [{"line": ln, "reason": r, "raw": raw} for ln, r, raw in f.first_rejects],
                        title=f"First rejects of {f.file}",
                    )
                )
    if summary.reasons:
        tables.append(
            Table(
                [Column("reason", "Reject reason"), Column("rows", "Rows", "int")],
                [{"reason": r, "rows": n} for r, n in summary.reasons.items()],
                title="Rejects by reason" if dry else "Rejects by reason (see `costctl attribute rejects`)",
            )
        )
    return Report("attribute ingest", data, tables)


def rejects_report(con: Any, limit: int) -> Report:
    rows = [
        {"source_file": r[0], "source_line": r[1], "reason": r[2], "raw": r[3]}
        for r in con.execute(
            "SELECT source_file, source_line, reason, raw FROM rejects ORDER BY source_file, source_line LIMIT ?",
            [limit],
        ).fetchall()
    ]
    by_reason = {
        r[0]: int(r[1])
        for r in con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1 ORDER BY 2 DESC, 1").fetchall()
    }
    cols = [
        Column("source_file", "File"),
        Column("source_line", "Line", "int"),
        Column("reason", "Reason"),
        Column("raw", "Raw"),
    ]
    return Report(
        "attribute rejects",
        {"rejects": rows, "by_reason": by_reason},
        [Table(cols, rows, title="Rejected rows")],
    )
