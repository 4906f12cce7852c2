"""The attribute store: one DuckDB file holding canonical request rows, rejects and the ingest history.

Tables:
- `requests`: `CANONICAL_COLUMNS` exactly, in that order (the contract in `costctl.logs.schema`);
- `rejects`: rows that could not be loaded (source_file, source_line, reason, raw snippet);
- `ingests`: one row per ingest (files, read, loaded, rejected, duplicate, at);
- `row_keys`: the content key (and occurrence number) of every loaded row that has no request id, the dedupe
  key of such rows (see `content_key_sql`); added to an older database when it is next written;
- `meta`: key/value, `schema_version` among them. A database from another schema version is refused.

A store that does not exist yet is built in a temporary file beside its path and moved into place only when
the first ingest has committed (`writable`), so a failed first ingest (disk full, Ctrl-C, kill) leaves no
half-made file that would block the next run.

duckdb is imported inside functions only: the CLI must stay light for `--help`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from costctl.errors import InputError, StoreWriteError
from costctl.logs.schema import CANONICAL_COLUMNS, COLUMN_NAMES, SCHEMA_VERSION

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
ROW_KEYS_DDL = "CREATE TABLE IF NOT EXISTS row_keys (content UHUGEINT, occurrence BIGINT)"
OTHER_DDL = (
    "CREATE TABLE IF NOT EXISTS rejects (source_file VARCHAR, source_line BIGINT, reason VARCHAR, raw VARCHAR,"
    " ingest_id BIGINT)",
    'CREATE TABLE IF NOT EXISTS ingests (ingest_id BIGINT, "at" TIMESTAMP, files VARCHAR, "read" BIGINT, loaded BIGINT,'
    " rejected BIGINT, duplicate BIGINT)",
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    ROW_KEYS_DDL,
    FILES_DDL,
)


def content_key_sql(alias: str) -> str:
    """SQL for the content key of a canonical row: md5 over the text of every column a log provides (the
    source_* columns excepted, so the same record read from a copy or a rotated file has the same key).
    md5 rather than DuckDB's `hash()`: keys are stored, and must not change with the DuckDB version."""
    prefix = f"{alias}." if alias else ""
    parts = ", ".join(
        f"coalesce(CAST({prefix}{c} AS VARCHAR), chr(30))"
        for c in COLUMN_NAMES
        if not c.startswith("source_")
    )
    return f"md5_number(concat_ws(chr(31), {parts}))"


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
    except duckdb.Error as exc:
        # a reader meeting a writer's lock gets a ConnectionException, a writer an IOException: both say "lock"
        text = str(exc)
        if "lock" in text.lower():
            raise InputError(busy_message(db)) from None
        hint = (
            "; if an ingest failed while creating it, delete the file and ingest again"
            if "not a valid duckdb database" in text.lower()
            else ""
        )
        raise InputError(
            f"cannot open as a DuckDB database ({text.splitlines()[0]}){hint}", where=str(db)
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
        if write and "row_keys" not in tables:
            _add_row_keys(con)
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


def _add_row_keys(con: Any) -> None:
    """Give a store written before `row_keys` existed the content keys of its rows without a request id."""
    con.execute("BEGIN")
    con.execute(ROW_KEYS_DDL)
    con.execute(
        "INSERT INTO row_keys SELECT content, row_number() OVER (PARTITION BY content ORDER BY source_file, "  # noqa: S608 (ours)
        f"source_line) FROM (SELECT {content_key_sql('')} AS content, source_file, source_line FROM requests "
        "WHERE request_id IS NULL)"
    )
    con.execute("COMMIT")


@contextlib.contextmanager
def writable(path: Path | str) -> Iterator[Any]:
    """A write connection for one ingest. A store that does not exist yet is created as a temporary file in
    the same folder and linked into place only when the block ends without an error; on any error it is
    removed, so a failed first ingest never leaves an invalid database behind."""
    import duckdb

    db = Path(path)
    if db.exists() or str(db) == ":memory:":
        con = connect(db, write=True)
        try:
            yield con
        finally:
            # Closing checkpoints the WAL into the file; if that write fails (disk full) the committed
            # ingest is still whole in the WAL, and the next open replays it.
            with contextlib.suppress(duckdb.Error):
                con.close()
        return
    if not db.parent.is_dir():
        raise InputError("directory does not exist", where=str(db))
    tmp = db.with_name(f".{db.name}.{os.getpid()}.creating")
    _remove(tmp)
    done = False
    try:
        try:
            con = connect(tmp, write=True)
        except duckdb.Error as exc:  # the schema could not be written (disk full, ...)
            raise StoreWriteError(
                f"cannot create the database ({str(exc).splitlines()[0]}); no database was created",
                where=str(db),
            ) from None
        try:
            yield con
            con.execute("CHECKPOINT")  # everything into the one file, no WAL beside it
            done = True
        except StoreWriteError as exc:
            raise StoreWriteError(
                exc.message.replace("the database is as it was", "no database was created"), where=str(db)
            ) from None
        except duckdb.Error as exc:
            raise StoreWriteError(
                f"cannot write the database ({str(exc).splitlines()[0]}); no database was created",
                where=str(db),
            ) from None
        finally:
            con.close()
        if done:
            try:
                os.link(tmp, db)  # fails if another process created the store meanwhile: never overwrite it
            except FileExistsError:
                raise InputError(
                    "another process created this database meanwhile; nothing was written, run the ingest again",
                    where=str(db),
                ) from None
            except OSError:  # a file system without hard links
                os.replace(tmp, db)
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
