"""Ingest log files into the store: every row read is loaded, rejected (with a reason) or a duplicate.

Two paths lead to the same validation SQL:
- canonical/generic JSONL, CSV and Parquet are read by DuckDB itself (fast path, no Python per row);
- vendor formats come from `costctl.logs.adapters.read_log` as Python rows, staged in bounded batches into a
  temp table of text columns.
One SELECT into a staging table types every column and computes a reject reason per row, so the rules
(negative tokens, cached > input, unknown timestamp formats, ...) live in one place.

Dedupe: on `request_id`, or on (source_file, source_line) when there is none; re-ingesting adds nothing.
One ingest = one transaction: an error, Ctrl-C or a crash leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from costctl.errors import InputError
from costctl.logs.generic import (
    GENERIC_FORMATS,
    INPUT_COLUMNS,
    ColumnMapping,
    check_mapping,
    csv_header,
    first_record,
    open_text,
    sample_json_keys,
    sniff_generic,
)
from costctl.logs.schema import CANONICAL_COLUMNS, TOKEN_COLUMNS, Reject

ReadLog = Callable[..., Any]
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


@dataclass
class IngestSummary:
    ingest_id: int
    files: list[FileStats]
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

    return read_log


# ---------------------------------------------------------------- SQL pieces (identifiers are ours only)


def _q(name: str) -> str:
    """Quote an identifier already restricted to a safe alphabet (see generic._SOURCE_NAME)."""
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ts_expr(raw: str) -> str:
    """ISO with or without offset (naive = UTC), or epoch seconds/ms/us/ns by magnitude (log-formats.md §9.6).

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
            "cached_input_tokens + cache_write_5m_tokens + cache_write_1h_tokens > input_tokens",
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
        return f"SELECT {_NO_LINE}, {proj} FROM {src}", [file, *params], absent  # noqa: S608 (identifiers are ours, values bound)
    if fmt == "csv":
        header = set(csv_header(path))
        check_mapping(path, fmt, mapping, header)
        proj, params, absent = _projection(mapping, header, fmt)
        # line = record number + 1 for the header (multi-line quoted cells make it approximate)
        src = "read_csv(?, header=true, all_varchar=true, null_padding=true, ignore_errors=true)"
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

    def add(self, file_no: int, line: int, row: dict[str, Any]) -> bool:
        """Queue a row; True when that filled a batch and it was written."""
        self.batch.append([file_no, int(line), *(_text(row.get(c)) for c in INPUT_COLUMNS)])
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


# ---------------------------------------------------------------- one file, or a batch of vendor files


@dataclass(frozen=True)
class FilePlan:
    path: Path
    format: str
    native: bool


def _is_repeat(reason: str) -> bool:
    """An adapter's skip reason that means "this request was already counted"."""
    return any(word in reason for word in ("streamed", "counted once", "printed again"))


def plan_file(path: Path, fmt: str | None, mapping: ColumnMapping, read_log: ReadLog | None) -> FilePlan:
    """Decide how to read a file: generic formats natively, everything else through the vendor adapters."""
    if not path.is_file():
        raise InputError("file not found", where=str(path))
    if path.stat().st_size == 0 or (
        not path.name.lower().endswith(".parquet") and first_record(path) is None
    ):
        raise InputError("file is empty, expected log records", where=str(path))
    if fmt in GENERIC_FORMATS:
        return FilePlan(path, fmt, True)
    if fmt is None:
        sniffed = sniff_generic(path, mapping)
        if sniffed is not None:
            return FilePlan(path, sniffed, True)
    if read_log is None:
        if fmt is not None:
            raise InputError(
                f"--format {fmt}: vendor formats are not installed in this build, expected one of "
                f"{', '.join(GENERIC_FORMATS)}",
                where=str(path),
            )
        raise InputError(
            "file in no known format: expected canonical JSONL (keys ts, model, input_tokens, ...), "
            "or CSV/JSONL/Parquet with a column mapping (--map / --mapping)",
            where=str(path),
        )
    return FilePlan(path, fmt or "auto", False)


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
    read_log: ReadLog,
    batch_input: Path | None,
    rules: Path | None,
    on_progress: _Progress | None = None,
) -> _Staged:
    """Stage every file of a vendor batch into `raw_rows`. Claude Code transcripts without anything unusual are
    read by DuckDB in one scan (`costctl.logs.claude_code_sql`); every other file, and every record that scan
    hands back, goes through the Python adapter."""
    from costctl.logs import claude_code_sql
    from costctl.logs.adapters import claude_code as cc_adapter
    from costctl.logs.adapters._common import ReadContext

    staged = _Staged()
    stager = RowStager(con)
    fast: list[tuple[int, Path]] = []
    if rules is None and batch_input is None:
        for no, plan in enumerate(plans):
            if plan.format in ("auto", cc_adapter.NAME) and _scan_ready(plan.path, plan.format):
                fast.append((no, plan.path))
    found = claude_code_sql.scan(con, fast)
    for no, _path in fast:
        if no in found.odd_files:
            continue
        staged.formats[no] = cc_adapter.NAME
        staged.skipped[no] = dict(found.skipped.get(no, {}))
        staged.rejects[no] = []
    contexts: dict[int, ReadContext] = {}
    for no, line, raw, max_output in found.fallback:
        ctx = contexts.setdefault(no, ReadContext(path=plans[no].path, fmt=cc_adapter.NAME))
        record = json.loads(raw)
        pending = cc_adapter._Pending(line, record, max_output, line)
        item = cc_adapter._convert(ctx, pending)
        if isinstance(item, Reject):
            staged.rejects[no].append((line, item.reason))
        else:
            stager.add(no, line, item)
    for no, plan in enumerate(plans):
        if no in staged.formats:
            continue
        log = read_log(
            plan.path, None if plan.format == "auto" else plan.format, batch_input=batch_input, rules=rules
        )
        staged.formats[no] = str(log.format)
        staged.rejects[no] = stage_rows(stager, no, iter(log.rows), on_progress=on_progress, path=plan.path)
        staged.skipped[no] = dict(getattr(log, "skipped", {}) or {})
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


def _scan_ready(path: Path, fmt: str) -> bool:
    """A plain JSON Lines file in Claude Code's format: DuckDB's record numbers are then its line numbers."""
    from costctl.logs.adapters import detect_format

    if not file_facts(path).plain_lines:
        return False
    if fmt == "auto":
        try:
            return detect_format(path) == "claude-code"
        except InputError:
            return False
    return True


def load_batch(
    con: Any,
    plans: list[FilePlan],
    *,
    ingest_id: int,
    mapping: ColumnMapping,
    read_log: ReadLog | None,
    batch_input: Path | None = None,
    rules: Path | None = None,
    on_progress: _Progress | None = None,
) -> list[FileStats]:
    """Stage, validate, dedupe and insert one native file, or several vendor files together (inside the
    caller's transaction); one FileStats per file, in order.

    The staged rows are typed once, with a reject reason each, in a temp table whose rowid is the record's
    place in the file (DuckDB has no row number for JSON/CSV scans, and a `row_number()` window serialises the
    read). Only kept rows are then inserted into `requests`: rows written to the table are never updated or
    deleted in the same transaction (DuckDB would rewrite the whole insert through its WAL at COMMIT; measured
    at 50 s for one reject in 10M rows). Vendor files are staged together so that a folder of a thousand small
    session files costs a few statements, not a few thousand."""
    import duckdb

    native = plans[0].native
    assert native is False or len(plans) == 1, "native files are loaded one at a time"
    sources = [str(p.path.resolve()) for p in plans]
    staged = _Staged()
    fmt = plans[0].format
    try:
        absent: frozenset[str] = frozenset()
        if native:
            source_sql, params, absent = native_source(plans[0].path, plans[0].format, mapping, con)
            check_unparsed = plans[0].format == "jsonl"
            staged.formats[0] = plans[0].format
        else:
            assert read_log is not None
            staged = _read_vendor(
                con,
                plans,
                read_log=read_log,
                batch_input=batch_input,
                rules=rules,
                on_progress=_scaled(on_progress, 0.0, STAGE_SHARE) if len(plans) == 1 else None,
            )
            source_sql, params, check_unparsed = "SELECT * FROM raw_rows", [], False
        con.execute("SET preserve_insertion_order = true")
        staged_sql = staging_sql(source_sql, check_unparsed=check_unparsed, absent=absent)
        # DuckDB's common-subexpression pass hoists the epoch fallback of the timestamp parse (and other
        # repeated pieces inside CASE branches) out of the CASE, so they run on every row; without it the
        # staging query is ~30 % faster (measured with bench/bench_attribute.py).
        con.execute("SET disabled_optimizers = 'common_subexpressions'")
        try:
            _run(
                con,
                f"CREATE OR REPLACE TEMP TABLE stage_rows AS {staged_sql}",
                params,
                _scaled(on_progress, 0.0, STAGE_SHARE) if native else None,
            )
        finally:
            _reset_settings(con)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch_files AS SELECT * FROM (VALUES "  # noqa: S608 (placeholders only)
            + ", ".join("(?, ?, ?)" for _ in plans)
            + ") t(file_no, source_file, source_format)",
            [x for no in range(len(plans)) for x in (no, sources[no], staged.formats[no])],
        )
        # rowids inside a transaction start at an internal base; subtract the first one
        first = con.execute("SELECT min(rowid) FROM stage_rows").fetchone()[0] or 0
        offset = int(LINE_OFFSET.get(fmt, 1)) - int(first)
        con.execute(
            "CREATE OR REPLACE TEMP VIEW stage AS SELECT s.* REPLACE (coalesce(s.line, s.rowid + "  # noqa: S608 (identifiers are ours, values bound)
            f"{offset}) AS line){absent_columns_sql(absent)}, b.source_file, b.source_format,"
            " s.file_no * 4294967296 + coalesce(s.line, s.rowid) AS ord"
            " FROM stage_rows s JOIN batch_files b USING (file_no)"
        )
    except duckdb.Error as exc:
        where = str(plans[0].path) if len(plans) == 1 else f"{plans[0].path} (and {len(plans) - 1} more)"
        raise InputError(f"cannot read as {fmt} ({str(exc).splitlines()[0]})", where=where) from None

    stats = [FileStats(file=str(p.path), format=staged.formats[no]) for no, p in enumerate(plans)]
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

    con.execute(
        # a re-ingest of the same file records its rejects once
        """INSERT INTO rejects SELECT s.source_file, s.line, s.reason, NULL, ? FROM stage s
        WHERE s.reason IS NOT NULL AND NOT EXISTS
        (SELECT 1 FROM rejects j WHERE j.source_file = s.source_file AND j.source_line = s.line)""",
        [ingest_id],
    )
    not_requests = [
        [source_file, f"not a request: {reason}", f"{n} records"]
        for no, source_file in enumerate(sources)
        for reason, n in staged.skipped.get(no, {}).items()
        if not _is_repeat(reason)
    ]
    if not_requests:
        # adapters count these by reason, not by line: one rejects row per reason, line NULL
        con.execute(
            "CREATE OR REPLACE TEMP TABLE not_requests (source_file VARCHAR, reason VARCHAR, raw VARCHAR)"
        )
        con.executemany("INSERT INTO not_requests VALUES (?, ?, ?)", not_requests)
        con.execute(
            "INSERT INTO rejects SELECT n.source_file, NULL, n.reason, n.raw, ? FROM not_requests n"
            " WHERE NOT EXISTS (SELECT 1 FROM rejects j WHERE j.source_file = n.source_file"
            " AND j.source_line IS NULL AND j.reason = n.reason)",
            [ingest_id],
        )
        con.execute("DROP TABLE not_requests")
    adapter_rows = [
        [sources[no], line, reason, ingest_id]
        for no in range(len(plans))
        for line, reason in staged.rejects.get(no, [])
    ]
    if adapter_rows:
        con.executemany("INSERT INTO rejects VALUES (?, ?, ?, NULL, ?)", adapter_rows)
    _fill_snippets(con, plans, sources, ingest_id)

    con.execute("SET preserve_insertion_order = false")  # lines are already fixed by the stage rowids
    try:
        loaded = _insert_new(con, sources, _scaled(on_progress, STAGE_SHARE, 1.0))
    finally:
        _reset_settings(con)
    for no, st in enumerate(stats):
        st.loaded = loaded[no]
        st.duplicate = st.read - st.rejected - st.loaded
        assert st.duplicate >= skipped_duplicates[no], "ingest counts out of balance"
    con.execute("DROP VIEW IF EXISTS stage")
    for table in ("stage_rows", "raw_rows", "batch_files"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    if on_progress is not None:
        on_progress(1.0)
    return stats


def _insert_new(con: Any, sources: list[str], on_progress: _Progress | None = None) -> list[int]:
    """Insert staged valid rows that are not duplicates; return how many were inserted, per file.

    Two plain anti-joins (rows with a request id; rows keyed by file + line), each skipped when it cannot
    match: an OR around a subquery would make DuckDB fall back to a slow per-row plan. Within the batch the
    first occurrence (file order, then line) of a request id wins."""
    select_cols = ", ".join("s.line" if c == "source_line" else f"s.{c}" for c, _, _ in CANONICAL_COLUMNS)
    has_rows = bool(con.execute("SELECT EXISTS (SELECT 1 FROM requests)").fetchone()[0])
    # hash collisions can only over-report repeats (costing the exact filter below), never hide one
    repeats = int(
        con.execute(
            "SELECT count(*) - count(DISTINCT hash(request_id)) FROM stage"
            " WHERE reason IS NULL AND request_id IS NOT NULL"
        ).fetchone()[0]
    )
    with_id = f"INSERT INTO requests ({_INSERT_COLS}) SELECT {select_cols} FROM stage s"  # noqa: S608 (identifiers are ours, values bound)
    if has_rows:
        with_id += " ANTI JOIN requests r ON r.request_id = s.request_id"
    with_id += " WHERE s.reason IS NULL AND s.request_id IS NOT NULL"
    if repeats:  # the first occurrence in the batch wins
        with_id += (
            " AND s.ord IN (SELECT min(ord) FROM stage WHERE reason IS NULL AND request_id IS NOT NULL"
            " GROUP BY request_id)"
        )
    without_id = f"INSERT INTO requests ({_INSERT_COLS}) SELECT {select_cols} FROM stage s"  # noqa: S608 (identifiers are ours, values bound)
    if has_rows:
        without_id += (
            " ANTI JOIN (SELECT source_file, source_line FROM requests WHERE request_id IS NULL"
            " AND source_file IN (SELECT source_file FROM batch_files)) r"
            " ON r.source_file = s.source_file AND r.source_line = s.line"
        )
    without_id += " WHERE s.reason IS NULL AND s.request_id IS NULL"
    if len(sources) == 1:
        inserted = _run(con, with_id, [], on_progress)
        inserted += int(con.execute(without_id).fetchone()[0])
        return [inserted]
    counts = dict.fromkeys(sources, 0)
    for sql in (with_id, without_id):
        for (source_file,) in con.execute(sql + " RETURNING source_file").fetchall():
            counts[source_file] += 1
    return [counts[s] for s in sources]


def _run(con: Any, sql: str, params: list[Any], on_progress: _Progress | None) -> int:
    """Execute a statement and return its row count; report DuckDB's query progress meanwhile when asked."""
    if on_progress is None:
        return int(con.execute(sql, params).fetchone()[0])
    import threading

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
    """Keep the raw text of the first SNIPPETS_PER_FILE line rejects of each file of the batch."""
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
            physical = not (plan.native and plan.format == "jsonl")
            found = _snippets(plan.path, wanted[source_file], physical=physical)
            texts.extend((source_file, line, text) for line, text in found.items())
    if texts:
        files, lines, raws = (list(c) for c in zip(*texts, strict=True))
        con.execute(
            "UPDATE rejects SET raw = s.raw FROM (SELECT unnest($f) AS f, unnest($l) AS l, unnest($r) AS raw) s"
            " WHERE rejects.ingest_id = $i AND rejects.source_file = s.f AND rejects.source_line = s.l",
            {"f": files, "l": lines, "r": raws, "i": ingest_id},
        )


# ---------------------------------------------------------------- the transaction


def ingest_files(
    con: Any,
    paths: list[Path],
    *,
    fmt: str | None = None,
    mapping: ColumnMapping | None = None,
    read_log: ReadLog | None = None,
    batch_input: Path | None = None,
    rules: Path | None = None,
    on_file_start: Callable[[Path, int], None] | None = None,
    on_file_done: Callable[[FileStats], None] | None = None,
    on_progress: Callable[[float], None] | None = None,
    now: dt.datetime | None = None,
    skip_unchanged: bool = True,
) -> IngestSummary:
    """Load files in ONE transaction; any exception (Ctrl-C included) rolls everything back.

    A file whose size and SHA-256 are those of a file already ingested from the same path with the same format
    and mapping is skipped (listed in `IngestSummary.unchanged`): reading it again could only find duplicates.
    `skip_unchanged=False` reads it anyway; tag rules or a batch input always read every file.

    `on_progress(fraction)` reports how far the current file is (0..1, ending at 1.0 for each file)."""
    mapping = mapping if mapping is not None else ColumnMapping()
    if not paths:
        raise InputError("no files to ingest, expected one or more log files")
    # fail early, before any write
    plans = [plan_file(Path(p), fmt, mapping.for_file(Path(p)), read_log) for p in paths]
    _facts.clear()
    con.execute("BEGIN TRANSACTION")
    try:
        ingest_id = int(con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchone()[0])
        files: list[FileStats] = []
        unchanged: list[str] = []
        if skip_unchanged and rules is None and batch_input is None:
            plans, unchanged = _without_unchanged(con, plans, fmt, mapping)
        for batch in _batches(plans, mapping):
            first = len(files)
            if on_file_start is not None:
                on_file_start(batch[0].path, first)
            stats = load_batch(
                con,
                batch,
                ingest_id=ingest_id,
                mapping=mapping.for_file(batch[0].path),
                read_log=read_log,
                batch_input=batch_input,
                rules=rules,
                on_progress=on_progress if len(batch) == 1 else None,
            )
            for offset, one in enumerate(stats):
                if on_file_start is not None and offset:
                    on_file_start(batch[offset].path, first + offset)
                files.append(one)
                if on_file_done is not None:
                    on_file_done(one)
        summary = IngestSummary(ingest_id, files, unchanged)
        if rules is None and batch_input is None:
            _remember(con, plans, fmt, mapping, ingest_id)
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
        con.execute("COMMIT")
    except BaseException as exc:
        con.execute("ROLLBACK")
        _reset_settings(con)  # not possible inside an aborted transaction; settings outlive the rollback
        if _interrupted(exc):  # DuckDB turns Ctrl-C during a query into its own error
            raise KeyboardInterrupt from None
        raise
    return summary


def _options(plan: FilePlan, fmt: str | None, mapping: ColumnMapping) -> str:
    """What else decides how a file is read: the format asked for and its column mapping."""
    return json.dumps({"format": fmt, "map": mapping.for_file(plan.path).columns}, sort_keys=True)


def _without_unchanged(
    con: Any, plans: list[FilePlan], fmt: str | None, mapping: ColumnMapping
) -> tuple[list[FilePlan], list[str]]:
    known = {
        (r[0], int(r[1]), r[2], r[3])
        for r in con.execute(
            "SELECT source_file, size, sha256, options FROM ingested_files WHERE source_file IN (SELECT unnest(?))",
            [[str(p.path.resolve()) for p in plans]],
        ).fetchall()
    }
    kept: list[FilePlan] = []
    skipped: list[str] = []
    if len(plans) > 1:  # reading and hashing release the GIL: two threads keep both cores busy
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(file_facts, [p.path for p in plans]))
    for plan in plans:
        facts = file_facts(plan.path)
        if (str(plan.path.resolve()), facts.size, facts.sha256, _options(plan, fmt, mapping)) in known:
            skipped.append(str(plan.path))
        else:
            kept.append(plan)
    return kept, skipped


def _remember(
    con: Any, plans: list[FilePlan], fmt: str | None, mapping: ColumnMapping, ingest_id: int
) -> None:
    """Record each loaded file's size and hash, so that an unchanged file is skipped next time."""
    if not plans:
        return
    rows = [
        [
            str(p.path.resolve()),
            file_facts(p.path).size,
            file_facts(p.path).sha256,
            _options(p, fmt, mapping),
            ingest_id,
        ]
        for p in plans
    ]
    con.execute("DELETE FROM ingested_files WHERE source_file IN (SELECT unnest(?))", [[r[0] for r in rows]])
    columns = list(zip(*rows, strict=True))
    con.execute(
        "INSERT INTO ingested_files SELECT unnest($f), unnest($s), unnest($h), unnest($o), unnest($i)",
        {
            "f": list(columns[0]),
            "s": list(columns[1]),
            "h": list(columns[2]),
            "o": list(columns[3]),
            "i": list(columns[4]),
        },
    )


def _batches(plans: list[FilePlan], mapping: ColumnMapping) -> Iterator[list[FilePlan]]:
    """Native files one by one; runs of consecutive vendor files together (file order is kept, so the
    first occurrence of a request still wins)."""
    run: list[FilePlan] = []
    for plan in plans:
        if plan.native:
            if run:
                yield run
                run = []
            yield [plan]
        else:
            run.append(plan)
    if run:
        yield run


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
