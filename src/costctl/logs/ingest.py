"""Ingest log files into the store: every row read is loaded, rejected (with a reason) or a duplicate.

Two paths lead to the same validation SQL:
- canonical/generic JSONL, CSV and Parquet are read by DuckDB itself (fast path, no Python per row);
- vendor formats come from `costctl.logs.adapters.read_log` as Python rows, staged in bounded batches into a
  temp table of text columns; Claude Code transcripts are read by DuckDB into the same table
  (`costctl.logs.claude_code_sql`). The vendor files of an ingest are staged and validated together.
One SELECT into a staging table types every column and computes a reject reason per row, so the rules
(negative tokens, cached > input, unknown timestamp formats, ...) live in one place.

Dedupe: on `request_id` (a blank id is no id); a row without one on its content (an md5 of every canonical
column, with its occurrence number among identical rows of the file), kept in the `row_keys` table. So an
unchanged file adds nothing, a rotated or rewritten file at the same path adds its new rows, and the same
log copied elsewhere adds nothing.
A file whose path, size, SHA-256, format and mapping match an earlier ingest can be skipped (`skip_unchanged`).
One ingest = one transaction: an error, Ctrl-C or a crash leaves the database as it was; a Ctrl-C that lands
once the commit has started is held until the summary is out (`InterruptGate`), so what is printed is what
happened.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import sys
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
SMALL_BATCH = 2_000
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
    unchanged: list[str] = field(default_factory=list)  # skipped: same size and content as when last ingested

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
    """`source_sql` yields (file_no, line, <INPUT_COLUMNS as text>); the result adds typed columns and `reason`.

    Columns in `absent` are constant NULL in the source: they take part in the reason but are left out of the
    result (see `absent_columns_sql`), so the staging table does not store millions of constants."""
    raw_cols = ", ".join(f"r.{c} AS raw_{c}" for c in INPUT_COLUMNS)
    typed_cols = ", ".join(f"{_typed(c)} AS {c}" for c in INPUT_COLUMNS)
    kept = [c for c in INPUT_COLUMNS if c not in absent]
    return (
        f"SELECT file_no, line, {', '.join(kept)}, {_reason_expr(check_unparsed=check_unparsed)} AS reason "  # noqa: S608 (identifiers are ours, values bound)
        f"FROM (SELECT r.file_no, r.line, {raw_cols}, {typed_cols} FROM ({source_sql}) r) t"
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
_NO_LINE = "0 AS file_no, CAST(NULL AS BIGINT) AS line"
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
        # `load_batch` then reads the file in Python so each is counted as a reject at its own line
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


class RowStager:
    """Adapter rows -> temp table `raw_rows` (file_no, line, text columns), in bounded batches across files."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.batch: list[list[Any]] = []
        con.execute(
            "CREATE OR REPLACE TEMP TABLE raw_rows (file_no INTEGER, line BIGINT, "
            + ", ".join(f"{c} VARCHAR" for c in INPUT_COLUMNS)
            + ")"
        )

    def add(self, file_no: int, line: int, row: Mapping[str, Any]) -> bool:
        """Queue a row; True when that filled a batch and it was written."""
        values: list[Any] = [file_no, int(line)]
        for column in INPUT_COLUMNS:
            value = row.get(column)
            kind = type(value)
            # most values are None, text or a count: skip _text's checks for them (bool is not `int` here)
            values.append(
                value if value is None or kind is str else str(value) if kind is int else _text(value)
            )
        self.batch.append(values)
        if len(self.batch) >= ROW_BATCH:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        if not self.batch:
            return
        if len(self.batch) < SMALL_BATCH and "pandas" not in sys.modules:
            # a few rows (the odd messages of a Claude Code scan): binding columns as lists beats importing pandas
            columns = list(zip(*self.batch, strict=True))
            names = ["file_no", "line", *INPUT_COLUMNS]
            types = ["INTEGER", "BIGINT", *(["VARCHAR"] * len(INPUT_COLUMNS))]
            self.con.execute(
                "INSERT INTO raw_rows SELECT "
                + ", ".join(f"unnest(${n}::{t}[])" for n, t in zip(names, types, strict=True)),
                {n: list(c) for n, c in zip(names, columns, strict=True)},
            )
            self.batch.clear()
            return
        import pandas as pd

        frame = pd.DataFrame(self.batch, columns=["file_no", "line", *INPUT_COLUMNS], dtype=object)
        frame["file_no"] = frame["file_no"].astype("int32")
        frame["line"] = frame["line"].astype("int64")
        self.con.register("costctl_batch", frame)
        self.con.execute("INSERT INTO raw_rows SELECT * FROM costctl_batch")
        self.con.unregister("costctl_batch")
        self.batch.clear()


def stage_rows(
    stager: RowStager,
    file_no: int,
    rows: Iterator[tuple[int, dict[str, Any] | Reject]],
    *,
    on_progress: Callable[[float], None] | None = None,
    path: Path | None = None,
) -> list[tuple[int, str]]:
    """Stage one file's adapter rows; return the adapter's rejects (line, reason).

    With `on_progress`, each staged batch reports the share of the file's lines read so far."""
    rejects: list[tuple[int, str]] = []
    total_lines = count_lines(path) if on_progress is not None and path is not None else 0
    for line, item in rows:
        if isinstance(item, Reject):
            rejects.append((int(line), item.reason))
            continue
        if stager.add(file_no, line, item) and on_progress is not None and total_lines:
            on_progress(min(int(line) / total_lines, 1.0))
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


@dataclass
class _Staged:
    """What reading a batch's files left outside the staging table: per file number, the adapter's format,
    rejects and skip counts."""

    formats: dict[int, str] = field(default_factory=dict)
    rejects: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    skipped: dict[int, dict[str, int]] = field(default_factory=dict)


def _read_vendor(
    con: Any,
    plans: list[FilePlan],
    *,
    read_log: ReadLog | None,
    batch_input: Path | None,
    rules: TagRules | None,
    on_progress: _Progress | None = None,
) -> _Staged:
    """Stage every file of a vendor batch into `raw_rows`. Claude Code transcripts with plain lines are read
    by DuckDB in one scan (`costctl.logs.claude_code_sql`); every other file, and every record that scan hands
    back, goes through the Python adapter."""
    from costctl.logs import claude_code_sql
    from costctl.logs.adapters import claude_code as cc_adapter
    from costctl.logs.adapters._common import ReadContext

    staged = _Staged()
    stager = RowStager(con)
    fast: list[tuple[int, Path]] = []
    if rules is None and batch_input is None:
        fast = [
            (no, plan.path)
            for no, plan in enumerate(plans)
            if plan.format == cc_adapter.NAME and plan.source is None and file_facts(plan.path).plain_lines
        ]
    found = claude_code_sql.scan(con, fast)
    for no, _path in fast:
        if no not in found.odd_files:
            staged.formats[no] = cc_adapter.NAME
            staged.skipped[no] = dict(found.skipped.get(no, {}))
            staged.rejects[no] = []
    contexts: dict[int, ReadContext] = {}
    for no, line, raw, max_output in found.fallback:
        ctx = contexts.setdefault(no, ReadContext(path=plans[no].path, fmt=cc_adapter.NAME))
        item = cc_adapter._convert(ctx, cc_adapter._Pending(line, json.loads(raw), max_output, line))
        if isinstance(item, Reject):
            staged.rejects[no].append((line, item.reason))
        else:
            stager.add(no, line, item)
    for no, plan in enumerate(plans):
        if no in staged.formats:
            continue
        if plan.read is not None:
            log: VendorLog = plan.read()
        else:
            assert read_log is not None
            log = read_log(plan.path, plan.format, batch_input=batch_input, rules=rules)
        staged.formats[no] = str(log.format)
        staged.rejects[no] = stage_rows(
            stager,
            no,
            iter(log.rows),
            on_progress=on_progress,
            path=plan.path if plan.source is None else None,
        )
        staged.skipped[no] = dict(log.skipped)
    stager.flush()
    return staged


@dataclass(frozen=True)
class FileFacts:
    """What one streaming read of a file's bytes tells: its size and SHA-256 (to skip an unchanged file), and
    whether its lines are plain (not gzipped, no blank lines or lone carriage returns)."""

    size: int
    sha256: str
    plain_lines: bool


_facts: dict[str, FileFacts] = {}
_hashes: dict[str, tuple[int, str]] = {}
HASH_BLOCK = 8 << 20


def file_facts(path: Path) -> FileFacts:
    """Read a file once in blocks: hash it and check its line framing (cached for the ingest's duration)."""
    import hashlib
    import re

    key = str(path)
    if key in _facts:
        return _facts[key]
    digest = hashlib.sha256()
    size = 0
    plain = True
    carry = b""
    lone_cr = re.compile(rb"\r(?!\n)")
    with path.open("rb") as handle:
        first = True
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
            if plain:
                if first and (block[:2] == b"\x1f\x8b" or block[:1] in b"\r\n \t"):
                    plain = False
                data = carry + block
                # a carriage return at the very end may be followed by a newline in the next block
                body = data[:-1] if data.endswith(b"\r") else data
                if (
                    b"\n\n" in data
                    or b"\n\r\n" in data
                    or b"\n " in data
                    or b"\n\t" in data
                    or (b"\r" in body and lone_cr.search(body))
                ):
                    plain = False
                carry = data[-2:]
            first = False
    if carry.endswith(b"\r"):
        plain = False
    facts = FileFacts(size, digest.hexdigest(), plain)
    _facts[key] = facts
    return facts


def file_hash(path: Path) -> tuple[int, str]:
    """Size and SHA-256 of a file (from `file_facts` when it was read already), in 8 MiB blocks."""
    import hashlib

    key = str(path)
    if key in _facts:
        return _facts[key].size, _facts[key].sha256
    if key in _hashes:
        return _hashes[key]
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(HASH_BLOCK):
            digest.update(block)
            size += len(block)
    _hashes[key] = (size, digest.hexdigest())
    return _hashes[key]


def load_batch(
    con: Any,
    plans: list[FilePlan],
    *,
    ingest_id: int,
    read_log: ReadLog | None,
    batch_input: Path | None = None,
    rules: TagRules | None = None,
    on_progress: _Progress | None = None,
    dry_run: bool = False,
) -> list[FileStats]:
    """Stage, validate, dedupe and insert one native file, or several vendor files together (inside the
    caller's transaction); one FileStats per file, in order.

    The staged rows are typed once, with a reject reason each, in a temp table whose rowid is the record's
    place in the file (DuckDB has no row number for JSON/CSV scans, and a `row_number()` window serialises the
    read). Only kept rows are then inserted into `requests`: rows written to the table are never updated or
    deleted in the same transaction (DuckDB would rewrite the whole insert through its WAL at COMMIT; measured
    at 50 s for one reject in 10M rows). Vendor files are staged together so that a folder of a thousand small
    session files costs a few statements, not a few thousand.

    Generic files are read by DuckDB unless tag rules must see each record, or DuckDB's CSV reader dropped
    records it could not decode: then they are read in Python, so every record is a row or a reject.
    `dry_run` computes the same counts and first rejects but writes no table of the store."""
    import duckdb

    plan = plans[0]
    native = plan.native
    assert not native or len(plans) == 1, "native files are loaded one at a time"
    sources = [p.source or str(p.path.resolve()) for p in plans]
    staged = _Staged()
    fmt = plan.format
    try:
        absent: frozenset[str] = frozenset()
        if native:
            staged.formats[0] = fmt
            rows: Iterator[tuple[int, dict[str, Any] | Reject]] | None = None
            if rules is None:
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
            else:
                check_mapping(plan.path, fmt, plan.mapping, available_columns(plan.path, fmt))
                rows = read_generic_rows(plan.path, fmt, plan.mapping, rules.apply)
            if rows is not None:
                absent = frozenset()
                stager = RowStager(con)
                staged.rejects[0] = stage_rows(
                    stager, 0, rows, on_progress=_scaled(on_progress, 0.0, STAGE_SHARE), path=plan.path
                )
                stager.flush()
                _stage(con, "SELECT * FROM raw_rows", [], absent, False, None)
        else:
            staged = _read_vendor(
                con,
                plans,
                read_log=read_log,
                batch_input=batch_input,
                rules=rules,
                on_progress=_scaled(on_progress, 0.0, STAGE_SHARE) if len(plans) == 1 else None,
            )
            fmt = staged.formats[0]
            _stage(con, "SELECT * FROM raw_rows", [], absent, False, None)  # vendor: reported per batch
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch_files AS SELECT unnest($n) AS file_no, unnest($f) AS source_file,"
            " unnest($t) AS source_format",
            {
                "n": list(range(len(plans))),
                "f": sources,
                "t": [staged.formats[no] for no in range(len(plans))],
            },
        )
        # rowids inside a transaction start at an internal base; subtract the first one
        first = con.execute("SELECT min(rowid) FROM stage_rows").fetchone()[0] or 0
        offset = int(LINE_OFFSET.get(plan.format, 1)) - int(first)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW stage AS SELECT s.* REPLACE (coalesce(s.line, s.rowid + "  # noqa: S608 (identifiers are ours, values bound)
            f"{offset}) AS line), s.rowid AS rid{absent_columns_sql(absent)}, b.source_file, b.source_format,"
            " s.file_no * 4294967296 + coalesce(s.line, s.rowid) AS ord"
            " FROM stage_rows s JOIN batch_files b USING (file_no)"
        )
    except duckdb.Error as exc:
        if _write_failure(exc):
            raise
        where = str(plan.path) if len(plans) == 1 else f"{plan.path} (and {len(plans) - 1} more)"
        raise InputError(f"cannot read as {fmt} ({str(exc).splitlines()[0]})", where=where) from None

    stats = [FileStats(file=str(p.path), format=staged.formats[no]) for no, p in enumerate(plans)]
    if native:
        found = available_columns(plan.path, plan.format)
        stats[0].columns = {
            c: src
            for c in INPUT_COLUMNS
            if (src := plan.mapping.source_for(c)) in found or src.split(".", 1)[0] in found
        }
        stats[0].inferred = dict(plan.inferred)
    for no, n in con.execute("SELECT file_no, count(*) FROM stage GROUP BY 1").fetchall():
        stats[no].read = int(n)
    for no, reason, n in con.execute(
        "SELECT file_no, reason, count(*) FROM stage WHERE reason IS NOT NULL GROUP BY 1, 2"
    ).fetchall():
        stats[no].reasons[reason] = int(n)
    skipped_duplicates = [0] * len(plans)
    for no, st in enumerate(stats):
        adapter_rejects = staged.rejects.get(no, [])
        st.read += len(adapter_rejects)
        for _, reason in adapter_rejects:
            st.reasons[reason] = st.reasons.get(reason, 0) + 1
        # Records an adapter read but did not turn into rows: repeats of a request (streamed copies, the same
        # usage on a parent span) are duplicates; the rest (user lines, spans without usage) are rejected as
        # "not a request", so read = loaded + rejected + duplicate still holds for every file.
        skipped = staged.skipped.get(no, {})
        skipped_duplicates[no] = sum(n for reason, n in skipped.items() if _is_repeat(reason))
        for reason, n in skipped.items():
            if not _is_repeat(reason):
                st.reasons[f"not a request: {reason}"] = st.reasons.get(f"not a request: {reason}", 0) + n
        st.read += sum(skipped.values())
        st.rejected = sum(st.reasons.values())

    con.execute("CREATE OR REPLACE TEMP TABLE file_rejects (file_no INTEGER, line BIGINT, reason VARCHAR)")
    con.execute("INSERT INTO file_rejects SELECT file_no, line, reason FROM stage WHERE reason IS NOT NULL")
    adapter_rows = [
        (no, line, reason) for no in range(len(plans)) for line, reason in staged.rejects.get(no, [])
    ]
    if adapter_rows:
        numbers, lines, reasons = (list(c) for c in zip(*adapter_rows, strict=True))
        con.execute(
            "INSERT INTO file_rejects SELECT unnest($n), unnest($l), unnest($r)",
            {"n": numbers, "l": lines, "r": reasons},
        )
    if dry_run:
        for no, one in enumerate(plans):
            stats[no].first_rejects = _first_rejects(con, one, no)
    else:
        _record_rejects(con, plans, sources, ingest_id, staged.skipped)

    con.execute("SET preserve_insertion_order = false")  # lines are already fixed by the stage rowids
    try:
        loaded = _insert_new(con, sources, _scaled(on_progress, STAGE_SHARE, 1.0), dry_run=dry_run)
    finally:
        _reset_settings(con)
    for no, st in enumerate(stats):
        st.loaded = loaded[no]
        st.duplicate = st.read - st.rejected - st.loaded
        assert st.duplicate >= skipped_duplicates[no], "ingest counts out of balance"
    for name in (
        "VIEW stage",
        "TABLE stage_rows",
        "TABLE raw_rows",
        "TABLE file_rejects",
        "TABLE fresh_keys",
        "TABLE batch_files",
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
    con: Any,
    plans: list[FilePlan],
    sources: list[str],
    ingest_id: int,
    skipped: Mapping[int, Mapping[str, int]],
) -> None:
    """Add the batch's rejects to the store; a re-ingest of the same file records each reject once."""
    con.execute(
        """INSERT INTO rejects SELECT DISTINCT b.source_file, f.line, f.reason, NULL, ?
        FROM file_rejects f JOIN batch_files b USING (file_no)
        WHERE NOT EXISTS (SELECT 1 FROM rejects j WHERE j.source_file = b.source_file AND j.source_line = f.line
        AND j.reason = f.reason)""",
        [ingest_id],
    )
    not_requests = [
        (source_file, f"not a request: {reason}", f"{n} records")
        for no, source_file in enumerate(sources)
        for reason, n in skipped.get(no, {}).items()
        if not _is_repeat(reason)
    ]
    if not_requests:
        # adapters count these by reason, not by line: one rejects row per reason, line NULL
        files, reasons, raws = (list(c) for c in zip(*not_requests, strict=True))
        con.execute(
            "INSERT INTO rejects SELECT n.f, NULL, n.r, n.raw, $i FROM"
            " (SELECT unnest($f) AS f, unnest($r) AS r, unnest($raw) AS raw) n WHERE NOT EXISTS"
            " (SELECT 1 FROM rejects j WHERE j.source_file = n.f AND j.source_line IS NULL AND j.reason = n.r)",
            {"f": files, "r": reasons, "raw": raws, "i": ingest_id},
        )
    files_with_text = [(p, src) for p, src in zip(plans, sources, strict=True) if p.source is None]
    if files_with_text:  # raw snippets come from a text file
        _fill_snippets(con, [p for p, _ in files_with_text], [src for _, src in files_with_text], ingest_id)


FIRST_REJECTS = 5  # shown per file by a dry run


def _first_rejects(con: Any, plan: FilePlan, file_no: int = 0) -> list[tuple[int | None, str, str | None]]:
    found = con.execute(
        "SELECT line, reason FROM file_rejects WHERE file_no = ? ORDER BY line LIMIT ?",
        [file_no, FIRST_REJECTS],
    ).fetchall()
    snippets = _snippets(
        plan.path, [int(r[0]) for r in found if r[0] is not None], physical=_physical_lines(plan)
    )
    return [(r[0], str(r[1]), snippets.get(r[0]) if r[0] is not None else None) for r in found]


def _physical_lines(plan: FilePlan) -> bool:
    """Whether a file's line numbers count physical lines (native JSONL counts records)."""
    return not (plan.native and plan.format == "jsonl")


def _insert_new(
    con: Any, sources: list[str], on_progress: _Progress | None = None, *, dry_run: bool = False
) -> list[int]:
    """Insert staged valid rows that are not duplicates; return how many were (or, dry, would be) inserted,
    per file of the batch.

    Rows with a request id: a plain anti-join on the id (an OR around a subquery would make DuckDB fall back
    to a slow per-row plan); within the batch the first occurrence (file order, then line) wins. Rows without:
    their content key (see `store.content_key_sql`) with its occurrence number among identical rows of the
    file, against `row_keys` (and, within the batch, the first file that holds it)."""
    select_cols = ", ".join("s.line" if c == "source_line" else f"s.{c}" for c, _, _ in CANONICAL_COLUMNS)
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
    if repeats:  # the first occurrence in the batch wins
        with_id += (
            " AND s.rid IN (SELECT arg_min(rid, ord) FROM stage WHERE reason IS NULL AND request_id IS NOT NULL"
            " GROUP BY request_id)"
        )
    counts = dict.fromkeys(sources, 0)
    if dry_run:
        counting = f"SELECT source_file, count(*) FROM ({with_id}) GROUP BY 1"  # noqa: S608 (ours)
        for source_file, n in con.execute(counting).fetchall():
            counts[source_file] += int(n)
    elif len(sources) == 1:
        counts[sources[0]] += _run(con, f"INSERT INTO requests ({_INSERT_COLS}) {with_id}", [], on_progress)  # noqa: S608 (ours)
    else:
        for (source_file,) in con.execute(
            f"INSERT INTO requests ({_INSERT_COLS}) {with_id} RETURNING source_file"  # noqa: S608 (ours)
        ).fetchall():
            counts[source_file] += 1

    if not con.execute(
        "SELECT EXISTS (SELECT 1 FROM stage WHERE reason IS NULL AND request_id IS NULL)"
    ).fetchone()[0]:
        return [counts[s] for s in sources]
    known = "row_keys"
    if not con.execute(
        "SELECT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'row_keys')"
    ).fetchone()[0]:
        known = "(SELECT NULL::UHUGEINT AS content, NULL::BIGINT AS occurrence WHERE false)"  # an older store, read-only
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fresh_keys AS SELECT * FROM (SELECT k.rid, k.file_no, k.content, k.occurrence"  # noqa: S608 (ours)
        " FROM (SELECT rid, file_no, content, row_number() OVER (PARTITION BY file_no, content ORDER BY line, rid)"
        f" AS occurrence FROM (SELECT rid, file_no, line, {content_key_sql('')} AS content FROM stage"
        " WHERE reason IS NULL AND request_id IS NULL)) k"
        f" ANTI JOIN {known} r ON r.content = k.content AND r.occurrence = k.occurrence)"
        " QUALIFY row_number() OVER (PARTITION BY content, occurrence ORDER BY file_no) = 1"
    )
    for source_file, n in con.execute(
        "SELECT b.source_file, count(*) FROM fresh_keys f JOIN batch_files b USING (file_no) GROUP BY 1"
    ).fetchall():
        counts[source_file] += int(n)
    if not dry_run:
        con.execute(
            f"INSERT INTO requests ({_INSERT_COLS}) SELECT {select_cols} FROM stage s"  # noqa: S608 (ours)
            " SEMI JOIN fresh_keys f ON f.rid = s.rid"
        )
        con.execute("INSERT INTO row_keys SELECT content, occurrence FROM fresh_keys")
    return [counts[s] for s in sources]


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


def _fill_snippets(con: Any, plans: list[FilePlan], sources: list[str], ingest_id: int) -> None:
    """Keep the raw text of the first SNIPPETS_PER_FILE line rejects of each file."""
    wanted: dict[str, list[int]] = {}
    for source_file, line in con.execute(
        "SELECT source_file, source_line FROM (SELECT source_file, source_line, row_number() OVER"
        " (PARTITION BY source_file ORDER BY source_line) AS n FROM rejects WHERE ingest_id = ?"
        " AND source_line IS NOT NULL AND source_file IN (SELECT unnest(?))) WHERE n <= ?",
        [ingest_id, sources, SNIPPETS_PER_FILE],
    ).fetchall():
        wanted.setdefault(source_file, []).append(int(line))
    texts: list[tuple[str, int, str]] = []
    for plan, source_file in zip(plans, sources, strict=True):
        if source_file in wanted:
            found = _snippets(plan.path, wanted[source_file], physical=_physical_lines(plan))
            texts.extend((source_file, line, text) for line, text in found.items())
    if texts:
        files, lines, raws = (list(c) for c in zip(*texts, strict=True))
        con.execute(
            "UPDATE rejects SET raw = s.raw FROM (SELECT unnest($f) AS f, unnest($l) AS l, unnest($r) AS raw) s"
            " WHERE rejects.ingest_id = $i AND rejects.source_file = s.f AND rejects.source_line = s.l",
            {"f": files, "l": lines, "r": raws, "i": ingest_id},
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
    skip_unchanged: bool = False,
) -> IngestSummary:
    """Load files (and `sources` that are not files, e.g. a budget ledger) in ONE transaction; any exception
    (Ctrl-C included) rolls everything back.

    `on_progress(fraction)` reports how far the current file is (0..1, ending at 1.0 for each file).
    `gate`: held from the commit on (see `InterruptGate`); without one, Ctrl-C is held during the commit only.
    `dry_run`: read, check and count as usual, but write nothing (`con` may be read-only).
    With `skip_unchanged`, a file whose size and SHA-256 are those of a file already ingested from the same path
    with the same format and mapping is skipped (listed in `IngestSummary.unchanged`, and said in a note): reading it again could
    only find duplicates (the CLI asks for this unless --reread). Tag rules or a batch input read every file."""
    mapping = mapping if mapping is not None else ColumnMapping()
    if not paths and not sources:
        raise InputError("no files to ingest, expected one or more log files")
    paths = list(paths)
    notes: list[str] = []
    if mapping.file_columns and mapping.files_glob is not None:
        if not any(mapping.applies_to(Path(p)) for p in paths):
            notes.append(
                f"the mapping's `files: {mapping.files_glob}` matches none of the files given, "
                "so its columns were not used"
            )
    unchanged: list[str] = []
    remember = rules is None and batch_input is None and not dry_run
    _facts.clear()
    _hashes.clear()
    if skip_unchanged and remember:
        paths, unchanged = _without_unchanged(con, [Path(p) for p in paths], fmt, mapping)
        if unchanged:
            notes.append(
                f"{len(unchanged):,} file(s) skipped as unchanged since an earlier ingest (same size and SHA-256;"
                " --reread reads them anyway)"
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
        for batch in _batches(plans):
            first = len(files)
            if on_file_start is not None:
                on_file_start(batch[0].path, first)
            stats = load_batch(
                con,
                batch,
                ingest_id=ingest_id,
                read_log=read_log,
                batch_input=batch_input,
                rules=rules,
                on_progress=on_progress if len(batch) == 1 else None,
                dry_run=dry_run,
            )
            for offset, one in enumerate(stats):
                if on_file_start is not None and offset:
                    on_file_start(batch[offset].path, first + offset)
                files.append(one)
                if on_file_done is not None:
                    on_file_done(one)
        summary = IngestSummary(ingest_id, files, dry_run=dry_run, notes=notes, unchanged=unchanged)
        if dry_run:
            return summary
        if remember:
            _remember(con, plans, fmt, mapping, ingest_id)  # inside the transaction: rolled back with it
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


def _options(path: Path, fmt: str | None, mapping: ColumnMapping) -> str:
    """What else decides how a file is read: the format asked for and its column mapping."""
    return json.dumps({"format": fmt, "map": mapping.for_file(path).columns}, sort_keys=True)


def _without_unchanged(
    con: Any, paths: list[Path], fmt: str | None, mapping: ColumnMapping
) -> tuple[list[Path], list[str]]:
    """The paths to read, and those skipped: same path, size, SHA-256 and options as a file already ingested.
    Only a file whose size matches is hashed here; this runs before any file is opened to detect its format."""
    if (
        not paths
        or not con.execute(
            "SELECT EXISTS (SELECT 1 FROM duckdb_tables() WHERE table_name = 'ingested_files')"
        ).fetchone()[0]
    ):
        return paths, []
    resolved = {str(p): str(p.resolve()) for p in paths if p.is_file()}
    known = {
        (r[0], int(r[1]), r[2], r[3])
        for r in con.execute(
            "SELECT source_file, size, sha256, options FROM ingested_files WHERE source_file IN (SELECT unnest(?))",
            [list(resolved.values())],
        ).fetchall()
    }
    sizes = {(name, size) for name, size, _h, _o in known}
    candidates = [p for p in paths if (resolved.get(str(p)), _size(p)) in sizes]
    if len(candidates) > 1:  # reading and hashing release the GIL: two threads keep both cores busy
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(file_hash, candidates))
    chosen = set(map(str, candidates))
    kept: list[Path] = []
    skipped: list[str] = []
    for path in paths:
        if str(path) in chosen:
            size, sha256 = file_hash(path)
            if (resolved[str(path)], size, sha256, _options(path, fmt, mapping)) in known:
                skipped.append(str(path))
                continue
        kept.append(path)
    return kept, skipped


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _remember(
    con: Any, plans: list[FilePlan], fmt: str | None, mapping: ColumnMapping, ingest_id: int
) -> None:
    """Record each loaded file's size and hash, so that an unchanged file is skipped next time."""
    files = [p for p in plans if p.source is None]
    if not files:
        return
    rows = [(str(p.path.resolve()), *file_hash(p.path), _options(p.path, fmt, mapping)) for p in files]
    names, sizes, hashes, options = (list(c) for c in zip(*rows, strict=True))
    con.execute("DELETE FROM ingested_files WHERE source_file IN (SELECT unnest(?))", [names])
    con.execute(
        "INSERT INTO ingested_files SELECT unnest($f), unnest($s), unnest($h), unnest($o), $i",
        {"f": names, "s": sizes, "h": hashes, "o": options, "i": ingest_id},
    )


def _batches(plans: list[FilePlan]) -> Iterator[list[FilePlan]]:
    """Native files and other sources one by one; runs of consecutive vendor files together (file order is
    kept, so the first occurrence of a request still wins)."""
    run: list[FilePlan] = []
    for plan in plans:
        if plan.native or plan.source is not None:
            if run:
                yield run
                run = []
            yield [plan]
        else:
            run.append(plan)
    if run:
        yield run


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
