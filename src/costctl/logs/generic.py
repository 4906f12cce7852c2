"""Generic and canonical log files: JSONL, CSV and Parquet with an optional column mapping.

These are read by DuckDB itself (read_json / read_csv / read_parquet), never row by row in Python, so a
10-million-row file loads at DuckDB speed. A mapping says which source column holds each canonical column:
`--map feature=route --map input_tokens=prompt_tokens`, or a YAML file

    columns:            # canonical name: source column (a dotted path reaches into a JSON object)
      feature: route
      input_tokens: prompt_tokens

A canonical JSONL file (the keys of `CANONICAL_COLUMNS`) needs no mapping. A mapping that names a column
the file does not have is one clear error (exit 2).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from costctl.errors import InputError
from costctl.inputs import loads
from costctl.logs.schema import COLUMN_NAMES, Reject

GENERIC_FORMATS = ("jsonl", "csv", "parquet")
# Columns an input file may provide; the source_* columns are set by the loader.
INPUT_COLUMNS: tuple[str, ...] = tuple(c for c in COLUMN_NAMES if not c.startswith("source_"))
# Keys that mark a JSONL/CSV file as canonical when no mapping is given.
CANONICAL_MARKERS = frozenset({"ts", "model", "input_tokens"})
# Source column names end up quoted inside SQL (DuckDB needs them in read_json's column list), so they are
# restricted to a safe alphabet rather than trusted.
_SOURCE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-. ]{0,127}$")


@dataclass(frozen=True)
class ColumnMapping:
    """canonical column -> source column (dotted path into JSON for nested keys).

    A mapping file may say which files it is for (`files: search_*.csv`, a glob on the file name), so one
    `ingest sample_logs/*` can mix canonical files and mapped ones; `--map` flags apply to every file."""

    columns: dict[str, str] = field(default_factory=dict)
    file_columns: dict[str, str] = field(default_factory=dict)
    files_glob: str | None = None

    def applies_to(self, path: Path) -> bool:
        """Whether the mapping file's columns are for this file (its `files:` glob matches the name)."""
        import fnmatch

        return self.files_glob is None or fnmatch.fnmatch(path.name, self.files_glob)

    def for_file(self, path: Path) -> ColumnMapping:
        columns: dict[str, str] = {}
        if self.file_columns and self.applies_to(path):
            columns.update(self.file_columns)
        columns.update(self.columns)
        return ColumnMapping(columns)

    def source_for(self, canonical: str) -> str:
        return self.columns.get(canonical, canonical)

    def __bool__(self) -> bool:
        return bool(self.columns)


def _check_pair(canonical: str, source: str, where: str) -> None:
    if canonical not in INPUT_COLUMNS:
        raise InputError(
            f"unknown canonical column {canonical!r} in mapping, expected one of {', '.join(INPUT_COLUMNS)}",
            where=where,
        )
    if not _SOURCE_NAME.match(source):
        raise InputError(
            f"source column {source!r} for {canonical!r} has unsupported characters, expected letters, digits, "
            "_ - . or space",
            where=where,
        )


def parse_map_flags(values: list[str] | None) -> dict[str, str]:
    """`--map feature=route` -> {"feature": "route"}."""
    out: dict[str, str] = {}
    for value in values or []:
        canonical, sep, source = value.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise InputError(f"--map {value!r}: expected CANONICAL=SOURCE, e.g. --map feature=route")
        _check_pair(canonical.strip(), source.strip(), "--map")
        out[canonical.strip()] = source.strip()
    return out


def load_mapping_file(path: Path) -> tuple[dict[str, str], str | None]:
    from costctl.inputs import read_yaml

    doc = read_yaml(path, "mapping file")
    files_glob = None
    if isinstance(doc, dict) and isinstance(doc.get("columns"), dict):
        files_glob = doc.get("files")
        if files_glob is not None and not isinstance(files_glob, str):
            raise InputError("`files` must be a glob such as 'search_*.csv'", where=str(path))
        doc = doc["columns"]
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise InputError("expected a mapping `columns: {canonical: source_column, ...}`", where=str(path))
    for canonical, source in doc.items():
        _check_pair(canonical, source, str(path))
    return dict(doc), files_glob


def build_mapping(flags: list[str] | None, file: Path | None) -> ColumnMapping:
    file_columns, files_glob = load_mapping_file(file) if file is not None else ({}, None)
    return ColumnMapping(parse_map_flags(flags), file_columns, files_glob)  # flags override the file


def open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="replace")
    return open(path, encoding="utf-8-sig", errors="replace")


def base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def first_record(path: Path) -> str | None:
    """The first non-blank line (for sniffing), or None for an empty file."""
    try:
        with open_text(path) as handle:
            for line in handle:
                if line.strip():
                    return line
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read file ({exc})", where=str(path)) from None
    return None


def sample_json_keys(path: Path, limit: int = 200) -> set[str]:
    """Top-level keys seen in the first `limit` parseable records (to check a mapping)."""
    keys: set[str] = set()
    seen = 0
    with open_text(path) as handle:
        for line in handle:
            if not line.strip():
                continue
            obj = _loads(line)
            if obj is None:
                continue
            if isinstance(obj, dict):
                keys.update(obj)
            seen += 1
            if seen >= limit:
                break
    return keys


def csv_header(path: Path) -> list[str]:
    with open_text(path) as handle:
        row = next(csv.reader(handle), None)
    return [c.strip() for c in row] if row else []


def sniff_generic(path: Path, mapping: ColumnMapping) -> str | None:
    """'jsonl' | 'csv' | 'parquet' when the file is canonical or generic-with-mapping, else None."""
    suffix = base_suffix(path)
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".csv", ".tsv"):
        header = set(csv_header(path))
        return "csv" if mapping or CANONICAL_MARKERS <= header else None
    # the first records decide (one truncated first line must not hide a canonical file)
    seen = 0
    with open_text(path) as handle:
        for line in handle:
            if not line.strip():
                continue
            seen += 1
            if seen > 20:
                break
            obj = _loads(line)
            if obj is None:
                continue
            if isinstance(obj, dict) and (mapping or CANONICAL_MARKERS <= set(obj)):
                return "jsonl"
    return None


def check_mapping(path: Path, fmt: str, mapping: ColumnMapping, available: set[str]) -> None:
    """Every source column the mapping names must exist in the file (dotted paths: their top-level key)."""
    for canonical, source in mapping.columns.items():
        top = source.split(".", 1)[0] if fmt == "jsonl" else source
        if top not in available:
            raise InputError(
                f"mapping {canonical}={source}: the file has no column {source!r}; "
                f"its columns are {', '.join(sorted(available)) or '(none)'}",
                where=str(path),
            )


def read_canonical_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    """A tiny Python-row adapter for canonical JSONL, in the shape vendor adapters use (for tests and as a
    reference for the adapters branch). The fast path for canonical files is DuckDB-native, not this."""
    with open_text(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            obj = _loads(line)
            if obj is None and line.strip() != "null":
                yield number, Reject("not valid JSON (truncated or malformed line)")
                continue
            if not isinstance(obj, dict):
                yield number, Reject("not a JSON object")
                continue
            yield number, {k: obj.get(k) for k in INPUT_COLUMNS}


# ---------------------------------------------------------------- columns by their common names

# Names that logs commonly give a canonical column, most specific first. A file's column is taken only when
# the canonical name itself is absent and no mapping names the column; what was inferred is reported.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "ts": (
        "timestamp",
        "time",
        "created_at",
        "created",
        "createdAt",
        "datetime",
        "date",
        "start_time",
        "startTime",
        "request_time",
        "@timestamp",
    ),
    "request_id": ("requestId", "req_id", "request-id", "response_id", "id"),
    "provider": ("vendor", "llm_provider"),
    "model": ("model_name", "modelId", "model_id", "llm", "engine"),
    "input_tokens": (
        "prompt_tokens",
        "promptTokens",
        "inputTokens",
        "tokens_in",
        "usage.prompt_tokens",
        "usage.input_tokens",
        "usage.promptTokens",
        "usage.inputTokens",
    ),
    "output_tokens": (
        "completion_tokens",
        "completionTokens",
        "outputTokens",
        "tokens_out",
        "usage.completion_tokens",
        "usage.output_tokens",
        "usage.completionTokens",
        "usage.outputTokens",
    ),
    "cached_input_tokens": (
        "cached_tokens",
        "cached_prompt_tokens",
        "usage.prompt_tokens_details.cached_tokens",
        "usage.input_tokens_details.cached_tokens",
    ),
    "reasoning_tokens": (
        "usage.completion_tokens_details.reasoning_tokens",
        "usage.output_tokens_details.reasoning_tokens",
    ),
    "reported_cost_usd": ("cost_usd", "cost", "total_cost", "usage.cost"),
    "user_id": ("user", "userId", "end_user", "customer_id", "username", "metadata.user_id"),
    "feature": ("route", "endpoint", "use_case", "metadata.feature"),
    "team": ("team_name", "metadata.team"),
    "environment": ("env", "metadata.environment"),
    "latency_ms": ("duration_ms", "latencyMs", "response_time_ms"),
    "status": ("status_code", "http_status"),
    "finish_reason": ("stop_reason",),
    "max_tokens": ("max_completion_tokens", "max_output_tokens"),
}
REQUIRED_COLUMNS = ("ts", "model", "input_tokens", "output_tokens")


def infer_columns(available: set[str], mapping: ColumnMapping) -> dict[str, str]:
    """canonical -> source for the canonical columns a file lacks under their own name, from `COMMON_NAMES`.

    `available` holds the file's column names (for JSON also dotted paths into nested objects). A source
    column already used by the mapping is not taken twice."""
    used = set(mapping.columns.values())
    inferred: dict[str, str] = {}
    for canonical, names in COMMON_NAMES.items():
        if canonical in mapping.columns or canonical in available:
            continue
        for name in names:
            if name in available and name not in used:
                inferred[canonical] = name
                used.add(name)
                break
    return inferred


def missing_required(available: set[str], mapping: ColumnMapping) -> list[str]:
    """The columns every request needs that neither the file nor the mapping provides."""
    return [c for c in REQUIRED_COLUMNS if c not in mapping.columns and c not in available]


def sample_json_paths(path: Path, limit: int = 200) -> set[str]:
    """Top-level keys and dotted paths into nested objects (three levels) of the first `limit` records."""
    paths: set[str] = set()

    def walk(obj: dict[str, Any], prefix: str, depth: int) -> None:
        for key, value in obj.items():
            if not isinstance(key, str):
                continue
            paths.add(prefix + key)
            if isinstance(value, dict) and depth < 3 and "." not in key:
                walk(value, f"{prefix}{key}.", depth + 1)

    seen = 0
    with open_text(path) as handle:
        for line in handle:
            if not line.strip():
                continue
            obj = _loads(line)
            if isinstance(obj, dict):
                walk(obj, "", 1)
            seen += 1
            if seen >= limit:
                break
    return paths


def _loads(text: str) -> Any:
    """The JSON value of `text`, or None for text that is not JSON (deep nesting included)."""
    try:
        return loads(text)
    except ValueError:
        return None


def available_columns(path: Path, fmt: str) -> set[str]:
    """The column names a generic file offers (JSONL: also dotted paths into nested objects)."""
    if fmt == "jsonl":
        return sample_json_paths(path)
    if fmt == "csv":
        return set(csv_header(path))
    import duckdb

    con = duckdb.connect()
    try:
        return {r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()}
    except duckdb.Error as exc:
        raise InputError(f"cannot read as Parquet ({str(exc).splitlines()[0]})", where=str(path)) from None
    finally:
        con.close()


# ---------------------------------------------------------------- generic files row by row

RuleApplier = Callable[[dict[str, Any], dict[str, Any]], None]


def read_generic_rows(
    path: Path, fmt: str, mapping: ColumnMapping, apply_rules: RuleApplier | None = None
) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    """A generic file as (line, canonical row or Reject), in Python: the path taken when tag rules must see
    each record, or when DuckDB's reader would drop records it cannot decode (a CSV with invalid UTF-8).

    Every record is yielded once. Lines number like the DuckDB reader's: JSONL counts records (blank lines
    skipped), CSV gives the physical line a record starts on, Parquet the row index."""
    if fmt == "jsonl":
        records: Iterator[tuple[int, dict[str, Any] | Reject]] = _jsonl_records(path)
    elif fmt == "csv":
        records = _csv_records(path)
    else:
        records = _parquet_records(path)
    for line, record in records:
        if isinstance(record, Reject):
            yield line, record
            continue
        row = {col: _pick(record, mapping.source_for(col), dotted=fmt == "jsonl") for col in INPUT_COLUMNS}
        if apply_rules is not None:
            tags = row.get("tags")
            tags = _loads(tags) if isinstance(tags, str) else tags
            context = {
                "record": record,
                "row": dict(row),
                "tags": tags if isinstance(tags, dict) else {},
                "metadata": record.get("metadata") if isinstance(record.get("metadata"), dict) else {},
            }
            apply_rules(row, context)
        yield line, row


def _pick(record: dict[str, Any], source: str, *, dotted: bool) -> Any:
    if source in record or not dotted or "." not in source:
        return record.get(source)
    value: Any = record
    for part in source.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


_NOT_UTF8 = "not valid UTF-8 text"


def _binary_lines(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]  # a binary stream like any other
    return open(path, "rb")


def _jsonl_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    record = 0
    with _binary_lines(path) as handle:
        for raw in handle:
            if not raw.strip():
                continue
            record += 1
            try:
                text = raw.decode("utf-8-sig" if record == 1 else "utf-8")
            except UnicodeDecodeError:
                yield record, Reject(_NOT_UTF8)
                continue
            obj = _loads(text)
            if obj is None and text.strip() != "null":
                yield record, Reject("not valid JSON (truncated or malformed line)")
            elif not isinstance(obj, dict):
                yield record, Reject("not a JSON object")
            else:
                yield record, obj


def _csv_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    raw = _binary_lines(path)
    with io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle)
        header = [c.strip() for c in next(reader, [])]
        end = reader.line_num
        for fields in reader:
            start, end = end + 1, reader.line_num
            if not fields or fields == [""]:
                continue
            if not _is_utf8(fields):
                yield start, Reject(_NOT_UTF8)
                continue
            values: list[str | None] = [v for v in fields[: len(header)]]
            values += [None] * (len(header) - len(values))  # like DuckDB's null_padding
            yield start, {name: (None if v == "" else v) for name, v in zip(header, values, strict=True)}


def _is_utf8(fields: list[str]) -> bool:
    try:
        for value in fields:
            value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate stands for a byte that was not UTF-8
        return False
    return True


def _parquet_records(path: Path) -> Iterator[tuple[int, dict[str, Any] | Reject]]:
    import duckdb

    con = duckdb.connect()
    try:
        cursor = con.execute("SELECT * FROM read_parquet(?)", [str(path)])
        names = [d[0] for d in cursor.description]
        index = 0
        while batch := cursor.fetchmany(10_000):
            for values in batch:
                index += 1
                yield index, dict(zip(names, values, strict=True))
    finally:
        con.close()
