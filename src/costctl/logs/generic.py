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
from collections.abc import Iterator
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

    def for_file(self, path: Path) -> ColumnMapping:
        import fnmatch

        columns: dict[str, str] = {}
        if self.file_columns and (self.files_glob is None or fnmatch.fnmatch(path.name, self.files_glob)):
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
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return open(path, encoding="utf-8", errors="replace")


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
            try:
                obj = loads(line)
            except ValueError:
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
            try:
                obj = loads(line)
            except ValueError:
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
            try:
                obj = loads(line)
            except ValueError:
                yield number, Reject("not valid JSON (truncated or malformed line)")
                continue
            if not isinstance(obj, dict):
                yield number, Reject("not a JSON object")
                continue
            yield number, {k: obj.get(k) for k in INPUT_COLUMNS}
