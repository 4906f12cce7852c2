"""The attribute store: one DuckDB file holding canonical request rows, rejects and the ingest history.

Tables:
- `requests`: `CANONICAL_COLUMNS` exactly, in that order (the contract in `costctl.logs.schema`);
- `rejects`: rows that could not be loaded (source_file, source_line, reason, raw snippet);
- `ingests`: one row per ingest (files, read, loaded, rejected, duplicate, at);
- `meta`: key/value, `schema_version` among them. A database from another schema version is refused.

duckdb is imported inside functions only: the CLI must stay light for `--help`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from costctl.errors import InputError
from costctl.logs.schema import CANONICAL_COLUMNS, SCHEMA_VERSION

STORE_SCHEMA_VERSION = SCHEMA_VERSION
DEFAULT_DB = "costctl.duckdb"

# Memory cap for DuckDB: large ingests spill to disk rather than grow past it (the bench asks < 2 GiB).
MEMORY_LIMIT = "1GB"

REQUESTS_DDL = (
    "CREATE TABLE IF NOT EXISTS requests (" + ", ".join(f"{n} {t}" for n, t, _ in CANONICAL_COLUMNS) + ")"
)
# Size and SHA-256 of every file loaded, so that an unchanged file is skipped by the next ingest.
FILES_DDL = (
    "CREATE TABLE IF NOT EXISTS ingested_files (source_file VARCHAR, size BIGINT, sha256 VARCHAR, options VARCHAR,"
    " ingest_id BIGINT)"
)
OTHER_DDL = (
    "CREATE TABLE IF NOT EXISTS rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR, raw VARCHAR,"
    " ingest_id BIGINT)",
    'CREATE TABLE IF NOT EXISTS ingests (ingest_id BIGINT, "at" TIMESTAMP, files VARCHAR, "read" BIGINT, loaded BIGINT,'
    " rejected BIGINT, duplicate BIGINT)",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    FILES_DDL,
)


def busy_message(path: Path) -> str:
    return f"database {str(path)!r} is being written by another process; retry when it finishes"


def connect(path: Path | str, *, write: bool) -> Any:
    """Open the store. `write=True` creates it when absent; reading a missing store is an error.

    DuckDB takes an exclusive file lock for a writer; a second process gets one clear line and exit 2.
    """
    import duckdb

    db = Path(path)
    if not write and not db.exists():
        raise InputError(
            "no attribute database here; run `costctl attribute ingest FILES --db PATH` first", where=str(db)
        )
    if write and not db.parent.is_dir():
        raise InputError("directory does not exist", where=str(db))
    try:
        con = duckdb.connect(str(db), read_only=not write)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise InputError(busy_message(db)) from None
        raise InputError(
            f"cannot open as a DuckDB database ({text.splitlines()[0]})", where=str(db)
        ) from None
    except duckdb.Error as exc:
        raise InputError(
            f"cannot open as a DuckDB database ({str(exc).splitlines()[0]})", where=str(db)
        ) from None
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET enable_progress_bar = false")
    try:
        _check_or_create(con, db, write=write)
    except BaseException:
        con.close()
        raise
    return con


def _tables(con: Any) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return {r[0] for r in rows}


def _check_or_create(con: Any, db: Path, *, write: bool) -> None:
    tables = _tables(con)
    if "meta" in tables:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        found = row[0] if row else None
        if found != str(STORE_SCHEMA_VERSION):
            raise InputError(
                f"database has schema version {found}, this costctl reads version {STORE_SCHEMA_VERSION}; "
                "ingest the logs into a new database",
                where=str(db),
            )
        if write and "ingested_files" not in tables:  # a store written before files were remembered
            con.execute(FILES_DDL)
        return
    if tables:
        raise InputError("not a costctl attribute database (no meta table)", where=str(db))
    if not write:
        raise InputError("empty database; run `costctl attribute ingest` first", where=str(db))
    con.execute("BEGIN")
    con.execute(REQUESTS_DDL)
    for ddl in OTHER_DDL:
        con.execute(ddl)
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(STORE_SCHEMA_VERSION)])
    con.execute("COMMIT")
