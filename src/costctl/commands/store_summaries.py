"""What an ingest did and what it rejected, read from the store: `attribute ingest` and `attribute rejects`."""

from __future__ import annotations

from typing import Any

from costctl.report import Column, Report, Table


def ingest_report(summary: Any, db: str) -> Report:
    files = [
        {
            "file": f.file,
            "format": f.format,
            "read": f.read,
            "loaded": f.loaded,
            "rejected": f.rejected,
            "duplicate": f.duplicate,
            "rejects_by_reason": f.reasons,
        }
        for f in summary.files
    ]
    total = {k: summary.total(k) for k in ("read", "loaded", "rejected", "duplicate")}
    data = {
        "db": db,
        "ingest_id": summary.ingest_id,
        "files": files,
        "total": total,
        "rejects_by_reason": summary.reasons,
    }
    cols = [
        Column("file", "File"),
        Column("format", "Format"),
        Column("read", "Read", "int"),
        Column("loaded", "Loaded", "int"),
        Column("rejected", "Rejected", "int"),
        Column("duplicate", "Duplicate", "int"),
    ]
    tables = [Table(cols, files, title=f"Ingest into {db}", footer={"file": "TOTAL", "format": "", **total})]
    if summary.reasons:
        tables.append(
            Table(
                [Column("reason", "Reject reason"), Column("rows", "Rows", "int")],
                [{"reason": r, "rows": n} for r, n in summary.reasons.items()],
                title="Rejects by reason (see `costctl attribute rejects`)",
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
