"""Ingest log files into the store: every row read is loaded, rejected (with a reason) or a duplicate.

Two paths lead to the same validation SQL:
- canonical/generic JSONL, CSV and Parquet are read by DuckDB itself (fast path, no Python per row);
- vendor formats come from `costctl.logs.adapters.read_log` as Python rows, staged in bounded batches into a
  temp table of text columns.
One SELECT into a staging table types every column and computes a reject reason per row, so the rules
(negative tokens, cached > input, unknown timestamp formats, ...) live in one place.

Dedupe: on `request_id` (a blank id is no id); a row without one on its content (an md5 of every canonical
column, with its occurrence number among identical rows of the file), kept in the `row_keys` table. So an
unchanged file adds nothing, a rotated or rewritten file at the same path adds its new rows, and the same
log copied elsewhere adds nothing.
One ingest = one transaction: an error, Ctrl-C or a crash leaves the database as it was; a Ctrl-C that lands
once the commit has started is held until the summary is out (`InterruptGate`), so what is printed is what
happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from costctl.errors import InputError, StoreWriteError, UnknownFormatError
from costctl.logs.generic import (
    GENERIC_FORMATS,
    INPUT_COLUMNS,
    ColumnMapping,
    available_columns,
    base_suffix,
    check_mapping,
    csv_header,
    first_record,
    infer_columns,
    missing_required,
    open_text,
    read_generic_rows,
    sample_json_keys,
    sniff_generic,
)
from costctl.logs.schema import CANONICAL_COLUMNS, TOKEN_COLUMNS, Reject
from costctl.logs.store import content_key_sql

if TYPE_CHECKING:
    from costctl.logs.rules import TagRules


class VendorLog(Protocol):
    """One vendor file being read (`costctl.logs.adapters.LogRead`): its format, its lazy rows, and the
    records it skipped by reason (complete once `rows` is exhausted)."""

    @property
    def format(self) -> str: ...

    @property
    def rows(self) -> Iterator[tuple[int, dict[str, Any] | Reject]]: ...

    @property
    def skipped(self) -> Mapping[str, int]: ...


class ReadLog(Protocol):
    """The vendor-format reader (`costctl.logs.adapters.read_log`). It raises `UnknownFormatError` when no
    vendor format fits the file, and `InputError` for other problems with it."""

    def __call__(
        self,
        path: Path,
        fmt: str | None = None,
        *,
        batch_input: Path | None = None,
        rules: TagRules | None = None,
    ) -> VendorLog: ...


ROW_BATCH = 20_000  # python-row adapters are staged this many rows at a time (bounded memory)
SNIPPETS_PER_FILE = 200  # raw text kept for the first rejects of each file
SNIPPET_CHARS = 300
_TYPES = {name: typ for name, typ, _ in CANONICAL_COLUMNS}
_BOOL_COLUMNS = ("gateway_cache_hit", "is_batch")
_OPTIONAL_TOKENS = tuple(c for c in TOKEN_COLUMNS if c not in ("input_tokens", "output_tokens"))


@dataclass
class FileStats:
    file: str
    format: str
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicate: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # canonical -> source column, for generic files
    inferred: dict[str, str] = field(default_factory=dict)  # the part of `columns` taken from common names
    first_rejects: list[tuple[int | None, str, str | None]] = field(default_factory=list)  # line, reason, raw


@dataclass
class IngestSummary:
    ingest_id: int
    files: list[FileStats]
    dry_run: bool = False
    notes: list[str] = field(default_factory=list)  # things the caller must say on stderr

    def total(self, key: str) -> int:
        return sum(int(getattr(f, key)) for f in self.files)

    @property
    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for reason, n in f.reasons.items():
                out[reason] = out.get(reason, 0) + n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def vendor_reader() -> ReadLog:
    """The vendor-format reader (`costctl.logs.adapters.read_log`), imported only when an ingest runs."""
    from costctl.logs.adapters import read_log

    reader: ReadLog = read_log
    return reader


# ---------------------------------------------------------------- SQL pieces (identifiers are ours only)


def _q(name: str) -> str:
    """Quote an identifier already restricted to a safe alphabet (see generic._SOURCE_NAME)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ts_expr(raw: str) -> str:
    """ISO with or without offset (naive = UTC), or epoch seconds/ms/us/ns by magnitude (docs/log-formats.md#traps-handled).

    The time-zone-aware cast reads `Z`, `+02:00`, `-0800`, `-08` and zone names (`... Europe/Paris`) and takes a
    naive text as UTC (the store's session time zone); `epoch_us` + `make_timestamp` turn the instant into a
    UTC TIMESTAMP without a time-zone lookup (3x cheaper than casting TIMESTAMPTZ to TIMESTAMP)."""
    num = f"TRY_CAST({raw} AS DOUBLE)"
    scale = f"CASE WHEN abs({num}) < 1e11 THEN 1e6 WHEN abs({num}) < 1e14 THEN 1e3 WHEN abs({num}) < 1e17 THEN 1 ELSE 1e-3 END"
    iso = f"make_timestamp(epoch_us(TRY_CAST({raw} AS TIMESTAMPTZ)))"
    return f"COALESCE({iso}, CASE WHEN {num} IS NOT NULL THEN make_timestamp(CAST({num} * {scale} AS BIGINT)) END)"


def _typed(col: str, raw: str | None = None) -> str:
    raw = raw or f"r.{col}"
    if col == "ts":
        return _ts_expr(raw)
    if col in ("input_tokens", "output_tokens"):
        return f"TRY_CAST({raw} AS BIGINT)"
    if col in _OPTIONAL_TOKENS:
        return f"CASE WHEN {raw} IS NULL THEN 0 ELSE TRY_CAST({raw} AS BIGINT) END"
    if col in _BOOL_COLUMNS:
        return f"CASE WHEN {raw} IS NULL THEN FALSE ELSE TRY_CAST({raw} AS BOOLEAN) END"
    if col == "finish_reason":
        return f"lower({raw})"
    if col == "request_id":  # a blank id is no id (it would merge every such row into one)
        return f"CASE WHEN trim({raw}) = '' THEN NULL ELSE {raw} END"
    if _TYPES[col] != "VARCHAR":
        return f"TRY_CAST({raw} AS {_TYPES[col]})"
    return raw


def _reason_expr(*, check_unparsed: bool) -> str:
    """The first rule a row breaks, or NULL. Reasons are categories; the raw snippet shows the value."""
    branches: list[tuple[str, str]] = []
    if check_unparsed:
        all_null = " AND ".join(f"raw_{c} IS NULL" for c in INPUT_COLUMNS)
        branches.append((all_null, "not valid JSON (truncated or malformed line) or no known columns"))
    branches += [
        ("raw_ts IS NULL", "missing timestamp"),
        ("ts IS NULL", "unrecognised timestamp format"),
        (
            "ts < TIMESTAMP '2000-01-01' OR ts >= TIMESTAMP '2100-01-01'",
            "timestamp out of range (check its unit)",
        ),
        ("model IS NULL", "missing model"),
        ("raw_input_tokens IS NULL", "missing input_tokens"),
        ("raw_output_tokens IS NULL", "missing output_tokens"),
    ]
    for col in TOKEN_COLUMNS:
        # a whole number too large for 64 bits fails the cast like a fraction would; say which it is
        branches.append(
            (
                f"{col} IS NULL AND regexp_full_match(trim(raw_{col}), '[+-]?[0-9]+')",
                f"{col} is out of range (more than 64 bits)",
            )
        )
    for col in TOKEN_COLUMNS:
        # TRY_CAST('1.5' AS BIGINT) rounds; texts with a point or exponent are compared with their DOUBLE value
        branches.append(
            (
                f"{col} IS NULL OR ((contains(raw_{col}, '.') OR contains(raw_{col}, 'e') OR contains(raw_{col}, 'E'))"
                f" AND TRY_CAST(raw_{col} AS DOUBLE) <> {col})",
                f"{col} is not a whole number",
            )
        )
    for col in TOKEN_COLUMNS:
        branches.append((f"{col} < 0", f"negative {col}"))
    branches += [
        (
            # HUGEINT: three counts near 2^63 must not overflow the sum and abort the whole file
            "cached_input_tokens::HUGEINT + cache_write_5m_tokens + cache_write_1h_tokens > input_tokens",
            "cached and cache-write tokens exceed input_tokens",
        ),
        ("reasoning_tokens > output_tokens", "reasoning_tokens exceed output_tokens"),
    ]
    for col in _BOOL_COLUMNS:
        branches.append((f"{col} IS NULL", f"{col} is not true/false"))
    for col in ("reported_cost_usd", "max_tokens", "latency_ms"):
        branches.append((f"raw_{col} IS NOT NULL AND {col} IS NULL", f"{col} is not a number"))
    whens = " ".join(f"WHEN {cond} THEN {_lit(reason)}" for cond, reason in branches)
    return f"CASE {whens} END"


def staging_sql(source_sql: str, *, check_unparsed: bool, absent: frozenset[str] = frozenset()) -> str:
    """`source_sql` yields (line, <INPUT_COLUMNS as text>); the result adds typed columns and `reason`.

    Columns in `absent` are constant NULL in the source: they take part in the reason but are left out of the
    result (see `absent_columns_sql`), so the staging table does not store millions of constants."""
    raw_cols = ", ".join(f"r.{c} AS raw_{c}" for c in INPUT_COLUMNS)
    typed_cols = ", ".join(f"{_typed(c)} AS {c}" for c in INPUT_COLUMNS)
    kept = [c for c in INPUT_COLUMNS if c not in absent]
    return (
        f"SELECT line, {', '.join(kept)}, {_reason_expr(check_unparsed=check_unparsed)} AS reason "  # noqa: S608 (identifiers are ours, values bound)
        f"FROM (SELECT r.line, {raw_cols}, {typed_cols} FROM ({source_sql}) r) t"
    )


def absent_columns_sql(absent: frozenset[str]) -> str:
    """The typed value of each absent (all-NULL) column, as extra SELECT items (`, x AS col, ...`)."""
    return "".join(f", {_typed(c, 'CAST(NULL AS VARCHAR)')} AS {c}" for c in INPUT_COLUMNS if c in absent)


def _projection(
    mapping: ColumnMapping, available: set[str] | None, fmt: str
) -> tuple[str, list[Any], frozenset[str]]:
    """SELECT list turning source columns into text columns named canonically; params for JSON paths; the
    columns that are not in the source (constant NULL)."""
    parts: list[str] = []
    params: list[Any] = []
    absent: set[str] = set()
    for col in INPUT_COLUMNS:
        src = mapping.source_for(col)
        dotted = fmt == "jsonl" and "." in src
        top = src.split(".", 1)[0] if dotted else src
        if available is not None and top not in available:
            parts.append(f"CAST(NULL AS VARCHAR) AS {col}")
            absent.add(col)
        elif dotted:
            path = "$." + ".".join(json.dumps(p) for p in src.split(".", 1)[1].split("."))
            parts.append(f"json_extract_string({_q(top)}, ?) AS {col}")
            params.append(path)
        else:
            parts.append(f"CAST({_q(src)} AS VARCHAR) AS {col}")
    return ", ".join(parts), params, frozenset(absent)


# Native sources leave `line` NULL: the staging table keeps file order (DuckDB preserves insertion order), so
# its rowid is the record index. A row_number() window would serialise the scan and cost ~30 % of an ingest.
_NO_LINE = "CAST(NULL AS BIGINT) AS line"
CSV_ERRORS, CSV_SCANS = "costctl_csv_errors", "costctl_csv_scans"  # temp tables of records read_csv dropped
LINE_OFFSET = {"jsonl": 1, "parquet": 1, "csv": 2}  # rowid 0 = line 1 (csv: the header is line 1)


def native_source(
    path: Path, fmt: str, mapping: ColumnMapping, con: Any
) -> tuple[str, list[Any], frozenset[str]]:
    """SQL (and params) reading a canonical/generic file with DuckDB, yielding (line, text columns), and the
    columns the file does not have (constant NULL)."""
    file = str(path)
    if fmt == "jsonl":
        check_mapping(path, fmt, mapping, sample_json_keys(path)) if mapping else None
        # Every key a column can come from is read, wherever in the file it first appears (a key that starts
        # mid-month is not lost; an absent key only costs a NULL column, ~5 % of an ingest at 10M rows).
        # Each is read as text so a wrong type is a reject reason, not a silent NULL.
        tops = sorted({mapping.source_for(c).split(".", 1)[0] for c in INPUT_COLUMNS})
        spec = "{" + ", ".join(f"{_lit(t)}: 'VARCHAR'" for t in tops) + "}"
        proj, params, absent = _projection(mapping, set(tops), fmt)
        src = (
            f"read_json(?, format='newline_delimited', columns={spec}, ignore_errors=true, "
            "maximum_object_size=67108864)"
        )
        # the JSON-path parameters come first: they sit in the SELECT list, before read_json(?)
        return f"SELECT {_NO_LINE}, {proj} FROM {src}", [*params, file], absent  # noqa: S608 (identifiers are ours, values bound)
    if fmt == "csv":
        header = set(csv_header(path))
        check_mapping(path, fmt, mapping, header)
        proj, params, absent = _projection(mapping, header, fmt)
        # line = record number + 1 for the header (multi-line quoted cells make it approximate)
        # ignore_errors drops records DuckDB cannot decode (invalid UTF-8); store_rejects lists them, and
        # `load_file` then reads the file in Python so each is counted as a reject at its own line
        src = (
            "read_csv(?, header=true, all_varchar=true, null_padding=true, ignore_errors=true, "
            f"store_rejects=true, rejects_table={_lit(CSV_ERRORS)}, rejects_scan={_lit(CSV_SCANS)})"
        )
        return f"SELECT {_NO_LINE}, {proj} FROM {src}", [file, *params], absent  # noqa: S608 (identifiers are ours, values bound)
    if fmt == "parquet":
        try:
            desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [file]).fetchall()
        except Exception as exc:  # duckdb.Error, imported lazily
            raise InputError(f"cannot read as Parquet ({str(exc).splitlines()[0]})", where=file) from None
        available = {r[0] for r in desc}
        check_mapping(path, fmt, mapping, available)
        proj, params, absent = _projection(mapping, available, fmt)
        return f"SELECT {_NO_LINE}, {proj} FROM read_parquet(?)", [*params, file], absent  # noqa: S608 (identifiers are ours, values bound)
    raise InputError(f"unknown generic format {fmt!r}, expected one of {', '.join(GENERIC_FORMATS)}")


# ---------------------------------------------------------------- python-row adapters


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return str(value.isoformat())
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def stage_rows(
    con: Any,
    rows: Iterator[tuple[int, dict[str, Any] | Reject]],
    *,
    on_progress: Callable[[float], None] | None = None,
    path: Path | None = None,
) -> list[tuple[int, str]]:
    """Stage adapter rows into temp table `raw_rows` in bounded batches; return the adapter's rejects.

    With `on_progress`, each batch reports the share of the file's lines read so far."""
    import pandas as pd

    con.execute(
        "CREATE OR REPLACE TEMP TABLE raw_rows (line BIGINT, "
        + ", ".join(f"{c} VARCHAR" for c in INPUT_COLUMNS)
        + ")"
    )
    rejects: list[tuple[int, str]] = []
    batch: list[list[Any]] = []
    total_lines = count_lines(path) if on_progress is not None and path is not None else 0

    def flush() -> None:
        if batch:
            frame = pd.DataFrame(batch, columns=["line", *INPUT_COLUMNS], dtype=object)
            frame["line"] = frame["line"].astype("int64")
            con.register("costctl_batch", frame)
            con.execute("INSERT INTO raw_rows SELECT * FROM costctl_batch")
            con.unregister("costctl_batch")
            if on_progress is not None and total_lines:
                on_progress(min(int(batch[-1][0]) / total_lines, 1.0))
            batch.clear()

    for line, item in rows:
        if isinstance(item, Reject):
            rejects.append((int(line), item.reason))
            continue
        batch.append([int(line), *(_text(item.get(c)) for c in INPUT_COLUMNS)])
        if len(batch) >= ROW_BATCH:
            flush()
    flush()
    return rejects


def count_lines(path: Path) -> int:
    """Newlines in a (possibly gzipped) file, read in 1 MiB blocks: the denominator of a progress bar."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    count = 0
    with opener(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


# ---------------------------------------------------------------- one file


@dataclass(frozen=True)
class FilePlan:
    path: Path
    format: str
    native: bool
    mapping: ColumnMapping = field(default_factory=ColumnMapping)  # the columns in effect (generic files)
    inferred: dict[str, str] = field(default_factory=dict)  # the part of `mapping` taken from common names
    # A source that is not a log file (a budget ledger): its name in the store, and its reader (a LogRead)
    source: str | None = None
    read: Callable[[], Any] | None = None


def _is_repeat(reason: str) -> bool:
    """An adapter's skip reason that means "this request was already counted"."""
    return any(word in reason for word in ("streamed", "counted once", "printed again"))


def plan_file(
    path: Path,
    fmt: str | None,
    mapping: ColumnMapping,
    read_log: ReadLog | None,
    *,
    unmatched_glob: str | None = None,
) -> FilePlan:
    """Decide how to read a file: canonical and mapped files natively, vendor formats through the vendor
    reader, and any other JSONL/CSV/Parquet natively with the columns its names make obvious.

    `unmatched_glob`: a mapping file's `files:` glob that this file does not match (named in the error)."""
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if not path.is_file():
        raise InputError("not a file, expected a log file", where=str(path))
    if path.stat().st_size == 0 or (
        not path.name.lower().endswith(".parquet") and first_record(path) is None
    ):
        raise InputError("file is empty, expected log records", where=str(path))
    if fmt in GENERIC_FORMATS:
        return _generic_plan(path, fmt, mapping)
    if fmt is None:
        sniffed = sniff_generic(path, mapping)
        if sniffed is not None:
            return _generic_plan(path, sniffed, mapping)
    if fmt is not None and read_log is None:
        raise InputError(
            f"--format {fmt}: vendor formats are not installed in this build, expected one of "
            f"{', '.join(GENERIC_FORMATS)}",
            where=str(path),
        )
    suffix = base_suffix(path)
    if read_log is not None and (fmt is not None or suffix not in (".csv", ".tsv")):
        try:
            return FilePlan(path, str(read_log(path, fmt).format), False)
        except UnknownFormatError:
            if fmt is not None:
                raise
    # neither canonical nor a vendor format: a generic file whose column names say what they hold?
    guess = "csv" if suffix in (".csv", ".tsv") else "jsonl"
    available = available_columns(path, guess)
    inferred = infer_columns(available, mapping)
    missing = missing_required(available | set(inferred), mapping)
    if not missing:
        return _generic_plan(path, guess, mapping)
    hint = (
        f"; the mapping's `files: {unmatched_glob}` does not match this file's name, so it was not applied"
        if unmatched_glob
        else ""
    )
    if {"custom_id", "body"} <= available or {"custom_id", "params"} <= available:
        hint += "; it looks like a batch input file: pass it with --batch-input beside its results file"
    shown = ", ".join(sorted(available)[:12]) + (", ..." if len(available) > 12 else "")
    raise UnknownFormatError(
        f"no known log format{hint}: not a vendor format, and no column for {', '.join(missing)} among "
        f"its columns ({shown or 'none'}); expected canonical JSONL (keys ts, model, input_tokens, ...), "
        "or CSV/JSONL/Parquet with a column mapping (--map / --mapping)",
        where=str(path),
    )


def _generic_plan(path: Path, fmt: str, mapping: ColumnMapping) -> FilePlan:
    """A native plan whose mapping also names the columns found under their common names."""
    inferred = infer_columns(available_columns(path, fmt), mapping)
    columns = {**inferred, **mapping.columns}
    return FilePlan(path, fmt, True, ColumnMapping(columns), inferred)


def _snippets(path: Path, lines: list[int], *, physical: bool) -> dict[int, str]:
    """Raw text of some lines. JSONL native lines count records (blank lines skipped), others physical."""
    wanted = set(lines)
    found: dict[int, str] = {}
    if not wanted or path.name.lower().endswith(".parquet"):
        return found
    count = 0
    with open_text(path) as handle:
        for number, text in enumerate(handle, start=1):
            if not physical:
                if not text.strip():
                    continue
                count += 1
                key = count
            else:
                key = number
            if key in wanted:
                found[key] = text.rstrip("\n")[:SNIPPET_CHARS]
                if len(found) == len(wanted):
                    break
    return found


_INSERT_COLS = ", ".join(c for c, _, _ in CANONICAL_COLUMNS)


_Progress = Callable[[float], None]
STAGE_SHARE = 0.6  # of a file's progress: reading and staging it; the insert into requests is the rest


def _scaled(on_progress: _Progress | None, lo: float, hi: float) -> _Progress | None:
    """A progress callback mapping a step's 0..1 onto lo..hi of the file's."""
    if on_progress is None:
        return None
    report = on_progress
    return lambda fraction: report(lo + (hi - lo) * fraction)


def load_file(
    con: Any,
    plan: FilePlan,
    *,
    ingest_id: int,
    read_log: ReadLog | None,
    batch_input: Path | None = None,
    rules: TagRules | None = None,
    on_progress: _Progress | None = None,
    dry_run: bool = False,
) -> FileStats:
    """Stage, validate, dedupe and insert one file (inside the caller's transaction).

    The staged rows are typed once, with a reject reason each, in a temp table whose rowid is the record's
    place in the file (DuckDB has no row number for JSON/CSV scans, and a `row_number()` window serialises the
    read). Only kept rows are then inserted into `requests`: rows written to the table are never updated or
    deleted in the same transaction (DuckDB would rewrite the whole insert through its WAL at COMMIT; measured
    at 50 s for one reject in 10M rows).

    Generic files are read by DuckDB unless tag rules must see each record, or DuckDB's CSV reader dropped
    records it could not decode: then they are read in Python, so every record is a row or a reject.
    `dry_run` computes the same counts and first rejects but writes no table of the store."""
    import duckdb

    source_file = plan.source or str(plan.path.resolve())
    adapter_rejects: list[tuple[int, str]] = []
    skipped: dict[str, int] = {}
    fmt = plan.format
    try:
        absent: frozenset[str] = frozenset()
        rows: Iterator[tuple[int, dict[str, Any] | Reject]] | None = None
        log: VendorLog | None = None
        if plan.native and rules is None:
            source_sql, params, absent = native_source(plan.path, plan.format, plan.mapping, con)
            _stage(
                con,
                source_sql,
                params,
                absent,
                plan.format == "jsonl",
                _scaled(on_progress, 0.0, STAGE_SHARE),
            )
            if plan.format == "csv" and _csv_dropped(con):
                rows = read_generic_rows(plan.path, "csv", plan.mapping)
        elif plan.native:
            assert rules is not None
            check_mapping(plan.path, fmt, plan.mapping, available_columns(plan.path, fmt))
            rows = read_generic_rows(plan.path, fmt, plan.mapping, rules.apply)
        else:
            if plan.read is not None:
                log = plan.read()
            else:
                assert read_log is not None
                log = read_log(plan.path, fmt, batch_input=batch_input, rules=rules)
            fmt = str(log.format)
            rows = iter(log.rows)
        if rows is not None:
            absent = frozenset()
            adapter_rejects = stage_rows(
                con,
                rows,
                on_progress=_scaled(on_progress, 0.0, STAGE_SHARE),
                path=plan.path if plan.source is None else None,
            )
            if log is not None:
                skipped = dict(log.skipped)
            _stage(con, "SELECT * FROM raw_rows", [], absent, False, None)  # vendor: reported per batch
        # rowids inside a transaction start at an internal base; subtract the first one
        first = con.execute("SELECT min(rowid) FROM stage_rows").fetchone()[0] or 0
        offset = int(LINE_OFFSET.get(plan.format, 1)) - int(first)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW stage AS SELECT * REPLACE (coalesce(line, rowid + "  # noqa: S608 (identifiers are ours, values bound)
            f"{offset}) AS line), rowid AS rid{absent_columns_sql(absent)} FROM stage_rows"
        )
    except duckdb.Error as exc:
        if _write_failure(exc):
            raise
        raise InputError(f"cannot read as {fmt} ({str(exc).splitlines()[0]})", where=str(plan.path)) from None

    stats = FileStats(file=str(plan.path), format=fmt)
    if plan.native:
        found = available_columns(plan.path, plan.format)
        stats.columns = {
            c: src
            for c in INPUT_COLUMNS
            if (src := plan.mapping.source_for(c)) in found or src.split(".", 1)[0] in found
        }
        stats.inferred = dict(plan.inferred)
    stats.read = int(con.execute("SELECT count(*) FROM stage").fetchone()[0]) + len(adapter_rejects)
    for reason, n in con.execute(
        "SELECT reason, count(*) FROM stage WHERE reason IS NOT NULL GROUP BY 1"
    ).fetchall():
        stats.reasons[reason] = int(n)
    for _, reason in adapter_rejects:
        stats.reasons[reason] = stats.reasons.get(reason, 0) + 1
    # Records an adapter read but did not turn into rows: repeats of a request (streamed copies, the same
    # usage on a parent span) are duplicates; the rest (user lines, spans without usage) are rejected as
    # "not a request", so read = loaded + rejected + duplicate still holds for every file.
    skipped_duplicates = sum(n for reason, n in skipped.items() if _is_repeat(reason))
    for reason, n in skipped.items():
        if not _is_repeat(reason):
            stats.reasons[f"not a request: {reason}"] = stats.reasons.get(f"not a request: {reason}", 0) + n
    stats.read += sum(skipped.values())
    stats.rejected = sum(stats.reasons.values())

    con.execute("CREATE OR REPLACE TEMP TABLE file_rejects (line BIGINT, reason VARCHAR)")
    con.execute("INSERT INTO file_rejects SELECT line, reason FROM stage WHERE reason IS NOT NULL")
    if adapter_rejects:
        con.executemany("INSERT INTO file_rejects VALUES (?, ?)", [list(r) for r in adapter_rejects])
    if dry_run:
        stats.first_rejects = _first_rejects(con, plan)
    else:
        _record_rejects(con, plan, source_file, ingest_id, skipped)

    con.execute("SET preserve_insertion_order = false")  # lines are already fixed by the stage rowids
    try:
        stats.loaded = _insert_new(
            con, fmt, source_file, _scaled(on_progress, STAGE_SHARE, 1.0), dry_run=dry_run
        )
    finally:
        _reset_settings(con)
    stats.duplicate = stats.read - stats.rejected - stats.loaded
    assert stats.duplicate >= skipped_duplicates, "ingest counts out of balance"
    for name in (
        "VIEW stage",
        "TABLE stage_rows",
        "TABLE raw_rows",
        "TABLE file_rejects",
        "TABLE fresh_keys",
    ):
        con.execute(f"DROP {name.split()[0]} IF EXISTS {name.split()[1]}")
    if on_progress is not None:
        on_progress(1.0)
    return stats


def _stage(
    con: Any,
    source_sql: str,
    params: list[Any],
    absent: frozenset[str],
    check_unparsed: bool,
    on_progress: _Progress | None,
) -> None:
    """Type and check the source's rows into temp table `stage_rows`."""
    con.execute("SET preserve_insertion_order = true")
    staged = staging_sql(source_sql, check_unparsed=check_unparsed, absent=absent)
    # DuckDB's common-subexpression pass hoists the epoch fallback of the timestamp parse (and other
    # repeated pieces inside CASE branches) out of the CASE, so they run on every row; without it the
    # staging query is ~30 % faster (measured with bench/bench_attribute.py).
    con.execute("SET disabled_optimizers = 'common_subexpressions'")
    try:
        _run(con, f"CREATE OR REPLACE TEMP TABLE stage_rows AS {staged}", params, on_progress)
    finally:
        _reset_settings(con)


def _csv_dropped(con: Any) -> bool:
    """Whether the last read_csv dropped records (store_rejects lists them in a temp table)."""
    return bool(con.execute(f"SELECT EXISTS (SELECT 1 FROM {CSV_ERRORS})").fetchone()[0])  # noqa: S608 (our name)


def _record_rejects(
    con: Any, plan: FilePlan, source_file: str, ingest_id: int, skipped: Mapping[str, int]
) -> None:
    """Add this file's rejects to the store; a re-ingest of the same file records each reject once."""
    con.execute(
        """INSERT INTO rejects SELECT DISTINCT ?, f.line, f.reason, NULL, ? FROM file_rejects f
        WHERE NOT EXISTS (SELECT 1 FROM rejects j WHERE j.source_file = ? AND j.source_line = f.line
        AND j.reason = f.reason)""",
        [source_file, ingest_id, source_file],
    )
    for reason, n in skipped.items():
        if not _is_repeat(reason):
            # adapters count these by reason, not by line: one rejects row per reason, line NULL
            con.execute(
                "INSERT INTO rejects SELECT ?, NULL, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM rejects "
                "WHERE source_file = ? AND source_line IS NULL AND reason = ?)",
                [
                    source_file,
                    f"not a request: {reason}",
                    f"{n} records",
                    ingest_id,
                    source_file,
                    f"not a request: {reason}",
                ],
            )
    if plan.source is None:  # raw snippets come from a text file
        _fill_snippets(con, plan, source_file, ingest_id)


FIRST_REJECTS = 5  # shown per file by a dry run


def _first_rejects(con: Any, plan: FilePlan) -> list[tuple[int | None, str, str | None]]:
    found = con.execute(
        "SELECT line, reason FROM file_rejects ORDER BY line LIMIT ?", [FIRST_REJECTS]
    ).fetchall()
    snippets = _snippets(
        plan.path, [int(r[0]) for r in found if r[0] is not None], physical=_physical_lines(plan)
    )
    return [(r[0], str(r[1]), snippets.get(r[0]) if r[0] is not None else None) for r in found]


def _physical_lines(plan: FilePlan) -> bool:
    """Whether a file's line numbers count physical lines (native JSONL counts records)."""
    return not (plan.native and plan.format == "jsonl")


def _insert_new(
    con: Any, fmt: str, source_file: str, on_progress: _Progress | None = None, *, dry_run: bool = False
) -> int:
    """Insert staged valid rows that are not duplicates; return how many were (or, dry, would be) inserted.

    Rows with a request id: a plain anti-join on the id (an OR around a subquery would make DuckDB fall back
    to a slow per-row plan). Rows without: their content key (see `store.content_key_sql`) with its
    occurrence number among identical rows of the file, against `row_keys`."""
    select_cols = ", ".join(
        "?" if c in ("source_format", "source_file") else "s.line" if c == "source_line" else f"s.{c}"
        for c, _, _ in CANONICAL_COLUMNS
    )
    has_rows = bool(con.execute("SELECT EXISTS (SELECT 1 FROM requests)").fetchone()[0])
    # hash collisions can only over-report repeats (costing the exact filter below), never hide one
    repeats = int(
        con.execute(
            "SELECT count(*) - count(DISTINCT hash(request_id)) FROM stage"
            " WHERE reason IS NULL AND request_id IS NOT NULL"
        ).fetchone()[0]
    )
    with_id = f"SELECT {select_cols} FROM stage s"  # noqa: S608 (identifiers are ours, values bound)
    if has_rows:
        with_id += " ANTI JOIN requests r ON r.request_id = s.request_id"
    with_id += " WHERE s.reason IS NULL AND s.request_id IS NOT NULL"
    if repeats:  # the first occurrence in the file wins
        with_id += (
            " AND s.rid IN (SELECT arg_min(rid, line) FROM stage WHERE reason IS NULL AND request_id IS NOT NULL"
            " GROUP BY request_id)"
        )
    if dry_run:
        inserted = int(con.execute(f"SELECT count(*) FROM ({with_id})", [fmt, source_file]).fetchone()[0])  # noqa: S608 (ours)
    else:
        inserted = _run(
            con, f"INSERT INTO requests ({_INSERT_COLS}) {with_id}", [fmt, source_file], on_progress
        )  # noqa: S608 (ours)

    if not con.execute(
        "SELECT EXISTS (SELECT 1 FROM stage WHERE reason IS NULL AND request_id IS NULL)"
    ).fetchone()[0]:
        return inserted
    known = "row_keys"
    if not con.execute(
        "SELECT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'row_keys')"
    ).fetchone()[0]:
        known = "(SELECT NULL::UHUGEINT AS content, NULL::BIGINT AS occurrence WHERE false)"  # an older store, read-only
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fresh_keys AS SELECT k.rid, k.content, k.occurrence FROM ("  # noqa: S608 (ours)
        " SELECT rid, content, row_number() OVER (PARTITION BY content ORDER BY line, rid) AS occurrence"
        f" FROM (SELECT rid, line, {content_key_sql('')} AS content FROM stage"
        " WHERE reason IS NULL AND request_id IS NULL)) k"
        f" ANTI JOIN {known} r ON r.content = k.content AND r.occurrence = k.occurrence"
    )
    fresh = int(con.execute("SELECT count(*) FROM fresh_keys").fetchone()[0])
    if not dry_run and fresh:
        con.execute(
            f"INSERT INTO requests ({_INSERT_COLS}) SELECT {select_cols} FROM stage s"  # noqa: S608 (ours)
            " SEMI JOIN fresh_keys f ON f.rid = s.rid",
            [fmt, source_file],
        )
        con.execute("INSERT INTO row_keys SELECT content, occurrence FROM fresh_keys")
    return inserted + fresh


def _run(con: Any, sql: str, params: list[Any], on_progress: _Progress | None) -> int:
    """Execute a statement and return its row count; report DuckDB's query progress meanwhile when asked."""
    if on_progress is None:
        return int(con.execute(sql, params).fetchone()[0])

    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            value = con.query_progress()
            if value >= 0:
                on_progress(min(float(value), 100.0) / 100.0)

    con.execute("SET enable_progress_bar = true")  # DuckDB tracks progress only with it on; it prints nothing
    con.execute("SET enable_progress_bar_print = false")
    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        return int(con.execute(sql, params).fetchone()[0])
    finally:
        done.set()
        watcher.join()
        with contextlib.suppress(Exception):  # refused inside an aborted transaction; the error matters more
            con.execute("SET enable_progress_bar = false")


def _fill_snippets(con: Any, plan: FilePlan, source_file: str, ingest_id: int) -> None:
    lines = [
        int(r[0])
        for r in con.execute(
            "SELECT source_line FROM rejects WHERE ingest_id = ? AND source_file = ? AND source_line IS NOT NULL"
            " ORDER BY source_line LIMIT ?",
            [ingest_id, source_file, SNIPPETS_PER_FILE],
        ).fetchall()
    ]
    if not lines:
        return
    found = _snippets(plan.path, lines, physical=_physical_lines(plan))
    if found:
        con.executemany(
            "UPDATE rejects SET raw = ? WHERE ingest_id = ? AND source_file = ? AND source_line = ?",
            [[text, ingest_id, source_file, line] for line, text in found.items()],
        )


# ---------------------------------------------------------------- the transaction


class InterruptGate:
    """Ctrl-C as usual (KeyboardInterrupt) until `hold()`; from then on it is only recorded in `late`.

    An ingest holds the gate just before COMMIT, so a Ctrl-C that lands during or after the commit cannot
    make a loaded ingest look interrupted; the caller keeps the gate closed until it has printed the summary,
    then says that the Ctrl-C came too late. Outside the main thread (where Python delivers signals) it
    changes nothing."""

    def __init__(self) -> None:
        self.held = False
        self.late = False
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> InterruptGate:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.held:
            self.late = True
            return
        raise KeyboardInterrupt

    def hold(self) -> None:
        self.held = True

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._installed:
            # None: the previous handler was not set from Python; Python's own is the sensible fallback
            previous = self._previous if self._previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, previous)
            self._installed = False


def ingest_files(
    con: Any,
    paths: list[Path],
    *,
    fmt: str | None = None,
    mapping: ColumnMapping | None = None,
    read_log: ReadLog | None = None,
    batch_input: Path | None = None,
    rules: TagRules | None = None,
    on_file_start: Callable[[Path, int], None] | None = None,
    on_file_done: Callable[[FileStats], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
    now: dt.datetime | None = None,
    gate: InterruptGate | None = None,
    dry_run: bool = False,
    sources: Sequence[FilePlan] = (),
) -> IngestSummary:
    """Load files (and `sources` that are not files, e.g. a budget ledger) in ONE transaction; any exception
    (Ctrl-C included) rolls everything back.

    `on_progress(fraction)` reports how far the current file is (0..1, ending at 1.0 for each file).
    `gate`: held from the commit on (see `InterruptGate`); without one, Ctrl-C is held during the commit only.
    `dry_run`: read, check and count as usual, but write nothing (`con` may be read-only)."""
    mapping = mapping if mapping is not None else ColumnMapping()
    if not paths and not sources:
        raise InputError("no files to ingest, expected one or more log files")
    notes: list[str] = []
    if mapping.file_columns and mapping.files_glob is not None:
        if not any(mapping.applies_to(Path(p)) for p in paths):
            notes.append(
                f"the mapping's `files: {mapping.files_glob}` matches none of the files given, "
                "so its columns were not used"
            )
    # fail early, before any write
    plans = [
        plan_file(
            Path(p),
            fmt,
            mapping.for_file(Path(p)),
            read_log,
            unmatched_glob=None if mapping.applies_to(Path(p)) else mapping.files_glob,
        )
        for p in paths
    ] + list(sources)
    for plan in plans:
        if plan.inferred:
            pairs = ", ".join(f"{c} <- {src}" for c, src in plan.inferred.items())
            notes.append(f"{plan.path}: columns taken by their names: {pairs}")
    own_gate = gate is None
    gate = gate if gate is not None else InterruptGate()
    if not dry_run:
        con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = int(con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchone()[0])
        files: list[FileStats] = []
        for index, plan in enumerate(plans):
            if on_file_start is not None:
                on_file_start(plan.path, index)
            stats = load_file(
                con,
                plan,
                ingest_id=ingest_id,
                read_log=read_log,
                batch_input=batch_input,
                rules=rules,
                on_progress=on_progress,
                dry_run=dry_run,
            )
            files.append(stats)
            if on_file_done is not None:
                on_file_done(stats)
        summary = IngestSummary(ingest_id, files, dry_run=dry_run, notes=notes)
        if dry_run:
            return summary
        at = (now or dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None)
        con.execute(
            "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                ingest_id,
                at,
                json.dumps([f.file for f in files]),
                summary.total("read"),
                summary.total("loaded"),
                summary.total("rejected"),
                summary.total("duplicate"),
            ],
        )
        if own_gate:
            with gate:
                gate.hold()
                con.execute("COMMIT")
        else:
            gate.hold()
            con.execute("COMMIT")
    except BaseException as exc:
        if not dry_run:
            with contextlib.suppress(Exception):  # refused after a failed commit or a fatal write error
                con.execute("ROLLBACK")
        _reset_settings(con)  # not possible inside an aborted transaction; settings outlive the rollback
        if _interrupted(exc):  # DuckDB turns Ctrl-C during a query into its own error
            raise KeyboardInterrupt from None
        if _write_failure(exc):
            raise StoreWriteError(
                f"cannot write the database ({_first_line(exc)}); the ingest was rolled back, the database "
                "is as it was",
                where=_database_path(con),
            ) from None
        raise
    if own_gate and gate.late:
        summary.notes.append("Ctrl-C came after the ingest was committed: the rows above are loaded")
    return summary


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _write_failure(exc: BaseException) -> bool:
    """A failure to write the database file (disk full, file size limit, permissions), not a data problem."""
    import errno

    import duckdb

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS):
        return True
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc).lower()
    return any(
        needle in text
        for needle in (
            "no space left",
            "file too large",
            "disk quota",
            "could not write",
            "read-only file system",
        )
    )


def _database_path(con: Any) -> str | None:
    with contextlib.suppress(Exception):
        row = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()
        if row and row[0]:
            return str(row[0])
    return None


def _reset_settings(con: Any) -> None:
    """Undo the ingest's query settings; an aborted transaction refuses them (retried after ROLLBACK)."""
    import duckdb

    with contextlib.suppress(duckdb.Error):
        con.execute("RESET disabled_optimizers")
        con.execute("SET preserve_insertion_order = true")


def _interrupted(exc: BaseException) -> bool:
    import duckdb

    interrupt = getattr(duckdb, "InterruptException", ())
    return (isinstance(interrupt, type) and isinstance(exc, interrupt)) or (
        isinstance(exc, RuntimeError) and "interrupted" in str(exc).lower()
    )
