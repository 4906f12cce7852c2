"""Claude Code transcripts read by DuckDB: many session files in one parallel scan, at parser speed.

The Python adapter (`costctl.logs.adapters.claude_code`) defines the rules; this module applies the same rules in
SQL to the records that are plainly shaped, and hands every other record back to that adapter:
- one row per message (`message.id` + `requestId`, or the line when a message has neither), from its LAST line,
  with the largest output count seen on any of its lines; earlier streamed lines and lines that are not
  assistant responses are counted as skipped, by the adapter's own reasons;
- a message whose last line has anything unusual (a number where text belongs, a float or negative token
  count, `costUSD`, a `<synthetic>` model, an unusual timestamp, control characters in a tag...) is converted
  by the adapter's `_convert` from that line's JSON, so its row or its reject reason is the adapter's;
- a file with a record DuckDB cannot take as a JSON object (invalid JSON or UTF-8, a bare value, an assistant
  line without a readable message) is left to the adapter as a whole (`odd_files`).
The rows go into the ingest's `raw_rows` table as text columns, exactly as `stage_rows` would stage the
adapter's rows, so validation, dedupe and insertion are shared.

Line numbers are the record's place in the file. DuckDB skips blank lines, so callers send only files without
blank lines or lone carriage returns here (then a record's place is its physical line).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from costctl.logs.adapters._common import _FINISH
from costctl.logs.adapters.claude_code import SKIP_NOT_RESPONSE, SKIP_STREAMED
from costctl.logs.generic import INPUT_COLUMNS

# Python's str.strip() removes exactly these; DuckDB's trim(x, chars) is given the same set.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
MAX_OBJECT_BYTES = (
    32 * 1024 * 1024
)  # larger records (a pasted image?) make the file odd: the adapter reads it

# name -> JSON path of the values a row is built from (one parse of each candidate line extracts them all)
_LINE_PATHS = {
    "type": "$.type",
    "role": "$.message.role",
    "mid": "$.message.id",
    "rid": "$.requestId",
    "model": "$.message.model",
    "usage": "$.message.usage",
    "stop": "$.message.stop_reason",
    "ts": "$.timestamp",
    "session": "$.sessionId",
    "cwd": "$.cwd",
    "branch": "$.gitBranch",
    "sidechain": "$.isSidechain",
    "agent": "$.agentId",
    "version": "$.version",
    "entry": "$.entrypoint",
    "cost": "$.costUSD",
    "apierr": "$.isApiErrorMessage",
}
_USAGE_PATHS = {
    "u_in": "$.input_tokens",
    "u_out": "$.output_tokens",
    "u_read": "$.cache_read_input_tokens",
    "u_write": "$.cache_creation_input_tokens",
    "u_split": "$.cache_creation",
    "u_w5": "$.cache_creation.ephemeral_5m_input_tokens",
    "u_w1": "$.cache_creation.ephemeral_1h_input_tokens",
    "u_think": "$.output_tokens_details.thinking_tokens",
    "u_speed": "$.speed",
    "u_tier": "$.service_tier",
    "u_web": "$.server_tool_use",
    "u_wsr": "$.server_tool_use.web_search_requests",
}
_PATHS = {**_LINE_PATHS, **{name: "$.message.usage" + path[1:] for name, path in _USAGE_PATHS.items()}}
_ISO_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _nullish(x: str) -> str:
    return f"(ty_{x} IS NULL OR ty_{x} = 'NULL')"


def _is_str(x: str) -> str:
    return f"(ty_{x} = 'VARCHAR')"


def _text_ok(x: str) -> str:
    """`text()` gives the same in SQL: absent, null, or a string without control characters."""
    return f"({_nullish(x)} OR ({_is_str(x)} AND NOT regexp_matches(s_{x}, '[\\x00-\\x1f]')))"


def _count_ok(x: str) -> str:
    """A token count the adapter reads as this integer: absent/null (0) or a non-negative JSON integer."""
    return f"({_nullish(x)} OR (ty_{x} = 'UBIGINT' AND TRY_CAST(s_{x} AS BIGINT) IS NOT NULL))"


def _count(x: str) -> str:
    return f"(CASE WHEN {_nullish(x)} THEN 0 ELSE TRY_CAST(s_{x} AS BIGINT) END)"


def _json_string(x: str) -> str:
    """json.dumps(x, ensure_ascii=False) for a text without control characters (checked by `_text_ok`)."""
    return f"""('"' || replace(replace({x}, '\\', '\\\\'), '"', '\\"') || '"')"""


def _finish(x: str) -> str:
    """The adapter's finish_reason(): lower-cased, then normalised with the same table."""
    whens = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in sorted(_FINISH.items()))
    return f"(CASE lower({x}) {whens} ELSE lower({x}) END)"


_TEXT_FIELDS = (
    "model",
    "stop",
    "ts",
    "session",
    "cwd",
    "branch",
    "agent",
    "version",
    "entry",
    "u_speed",
    "u_tier",
)


def _lines_sql() -> list[str]:
    """One row per record, in file order: whether the file is odd there, whether the record is a response,
    its message key and output count, and the row's text columns with a `clean` flag."""
    typed = ", ".join(f"ty[{i + 1}] AS ty_{n}, sv[{i + 1}] AS s_{n}" for i, n in enumerate(_PATHS))
    texts = ", ".join(
        f"CASE WHEN ty_{n} = 'VARCHAR' THEN CASE WHEN s_{n} = '' THEN NULL"
        f" WHEN left(s_{n}, 1) BETWEEN '!' AND '~' AND right(s_{n}, 1) BETWEEN '!' AND '~' THEN s_{n}"
        f" ELSE NULLIF(trim(s_{n}, {_lit(_WHITESPACE)}), '') END END AS t_{n}"
        for n in ("mid", "rid", *_TEXT_FIELDS)
    )
    message_fields = " AND ".join(f"ty_{c} IS NULL" for c in ("role", "mid", "model", "usage", "stop"))
    type_none = _nullish("type")
    type_assistant = f"(s_type = 'assistant' AND {_is_str('type')})"
    # the adapter's _carries_billed_usage: a usage object with an input or output count, and a model whose
    # text() is not empty (a string, or a number)
    billed = (
        "(ty_usage = 'OBJECT' AND (t_model IS NOT NULL OR ty_model IN ('UBIGINT', 'BIGINT', 'DOUBLE'))"
        f" AND NOT ({_nullish('u_in')} AND {_nullish('u_out')}))"
    )
    is_resp = (
        f"(NOT ({message_fields}) AND ({type_assistant}"
        f" OR ({type_none} AND s_role = 'assistant' AND {_is_str('role')}) OR {billed}))"
    )
    odd = (
        f"((({type_assistant} OR {type_none}) AND {message_fields} AND has_message)"
        f" OR NOT ({_text_ok('mid')} AND {_text_ok('rid')}))"
    )
    clean = " AND ".join(
        [
            "ty_usage = 'OBJECT'",
            "ty_u_in = 'UBIGINT' AND TRY_CAST(s_u_in AS BIGINT) IS NOT NULL",
            "ty_u_out = 'UBIGINT' AND TRY_CAST(s_u_out AS BIGINT) IS NOT NULL",
            _count_ok("u_read"),
            _count_ok("u_write"),
            f"({_nullish('u_split')} OR (ty_u_split = 'OBJECT' AND {_count_ok('u_w5')} AND {_count_ok('u_w1')}"
            f" AND {_count('u_w5')} + {_count('u_w1')} <= {_count('u_write')}))",
            _count_ok("u_think"),
            f"(ty_u_web IS DISTINCT FROM 'OBJECT' OR {_count_ok('u_wsr')})",
            *(_text_ok(x) for x in _TEXT_FIELDS),
            "coalesce(t_model, '') <> '<synthetic>'",
            f"({_nullish('stop')} OR NOT regexp_matches(s_stop, '^[\\[{{]|[^\\x20-\\x7e]'))",
            f"{_is_str('ts')} AND regexp_matches(s_ts, {_lit(_ISO_Z)}) AND TRY_CAST(s_ts AS TIMESTAMPTZ) IS NOT NULL",
            _nullish("cost"),
            f"({_nullish('apierr')} OR ty_apierr = 'BOOLEAN')",
        ]
    )
    write = _count("u_write")
    w1 = f"(CASE WHEN ty_u_split = 'OBJECT' THEN {_count('u_w1')} ELSE 0 END)"
    project = "(CASE WHEN t_cwd IS NOT NULL THEN regexp_extract(rtrim(t_cwd, '/'), '[^/]*$') END)"
    tags = {
        "agent_id": "t_agent",
        "claude_code_version": "t_version",
        "cwd": "t_cwd",
        "git_branch": "t_branch",
        "is_sidechain": "(CASE WHEN ty_sidechain = 'BOOLEAN' THEN s_sidechain END)",
        "message_id": "t_mid",
        "project": f"NULLIF({project}, '')",
        "service_tier": "t_u_tier",
        "session_id": "t_session",
        "speed": "t_u_speed",
        "web_search_requests": f"(CASE WHEN ty_u_web = 'OBJECT' AND {_count('u_wsr')} > 0 THEN s_u_wsr END)",
    }
    tag_items = ", ".join(f"'\"{k}\": ' || {_json_string(v)}" for k, v in sorted(tags.items()))
    tag_text = f"NULLIF('{{' || concat_ws(', ', {tag_items}) || '}}', '{{}}')"
    columns: dict[str, str] = dict.fromkeys(INPUT_COLUMNS, "CAST(NULL AS VARCHAR)")
    columns.update(
        ts="s_ts",
        request_id="coalesce(t_rid, t_mid)",
        provider="'anthropic'",
        model="t_model",
        input_tokens=f"CAST({_count('u_in')} + {_count('u_read')} + {write} AS VARCHAR)",
        cached_input_tokens=f"CAST({_count('u_read')} AS VARCHAR)",
        cache_write_5m_tokens=f"CAST({write} - {w1} AS VARCHAR)",
        cache_write_1h_tokens=f"CAST({w1} AS VARCHAR)",
        output_tokens="NULL",  # set per message: the largest count seen
        reasoning_tokens=f"CAST({_count('u_think')} AS VARCHAR)",
        feature=project,
        environment="t_entry",
        finish_reason=_finish("t_stop"),
        status="CASE WHEN s_apierr = 'true' THEN 'error' ELSE 'ok' END",
        is_batch="'false'",
        tags=tag_text,
    )
    row = ", ".join(f"CASE WHEN resp AND clean THEN {expr} END AS {name}" for name, expr in columns.items())
    # Each step is materialised: DuckDB would otherwise inline every reference to an earlier column and
    # evaluate the same JSON look-ups dozens of times per row. (Only our own constants are formatted in.)
    return [  # noqa: S608
        f"SELECT f, rowid AS pos, has_message, {typed} FROM cc_raw WHERE ty IS NOT NULL",  # noqa: S608
        f"SELECT *, {texts} FROM cc_step",  # noqa: S608
        f"SELECT *, {odd} AS odd, {is_resp} AS resp, coalesce({clean}, false) AS clean FROM cc_step",  # noqa: S608
        f"""SELECT f, pos, odd, resp, t_mid AS k_mid, t_rid AS k_rid,
          CASE WHEN ty_u_out IN ('UBIGINT', 'BIGINT') THEN TRY_CAST(s_u_out AS HUGEINT) ELSE -1 END AS out,
          clean, {row} FROM cc_step""",  # noqa: S608
    ]


def _scan_sql() -> str:
    """One row per record, in file order: its file, whether it is odd or could be a response, and (for those)
    the JSON type and text of every value a row is built from."""
    paths = "[" + ", ".join(_lit(p) for p in _PATHS.values()) + "]"
    # Only lines that could be a response (an assistant line, or one carrying a usage object) are parsed
    # again; a JSON escape could spell either word.
    candidate = "(contains(json, 'assistant') OR contains(json, '\"usage\"') OR contains(json, '\\u'))"
    return f"""
    SELECT f, bad, has_message, ty, CASE WHEN ty IS NOT NULL THEN json_extract_string(json, {paths}) END AS sv
    FROM (SELECT filename AS f, json,
      (json IS NULL OR NOT starts_with(ltrim(json, ' ' || chr(9) || chr(10) || chr(13)), '{{')) AS bad,
      contains(json, '"message"') AS has_message,
      CASE WHEN NOT bad AND {candidate} THEN json_type(json, {paths}) END AS ty
    FROM read_ndjson_objects(?, filename = true, ignore_errors = true, maximum_object_size = {MAX_OBJECT_BYTES}))
    """  # noqa: S608 (only our own constants)


@dataclass
class ClaudeCodeScan:
    """What the scan found, per file number: skip counts, messages for the adapter, files left to it."""

    skipped: dict[int, Counter[str]] = field(default_factory=dict)
    fallback: list[tuple[int, int, str, int]] = field(default_factory=list)  # file_no, line, JSON, max output
    odd_files: set[int] = field(default_factory=set)


def scan(con: Any, files: Sequence[tuple[int, Path]]) -> ClaudeCodeScan:
    """Read `files` (file number, path) into temp table `raw_rows` (file_no, line, text columns)."""
    result = ClaudeCodeScan()
    if not files:
        return result
    numbers = {str(path): no for no, path in files}
    con.execute("SET preserve_insertion_order = true")  # rowid order = file order, then record order
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE cc_raw AS {_scan_sql()}",  # noqa: S608 (only our own constants)
        [[str(p) for _, p in files]],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cc_files AS SELECT f, min(rowid) AS first FROM cc_raw GROUP BY f"
    )
    for step in _lines_sql():
        con.execute(f"CREATE OR REPLACE TEMP TABLE cc_next AS {step}")  # noqa: S608 (only our own constants)
        con.execute("DROP TABLE IF EXISTS cc_step")
        con.execute("ALTER TABLE cc_next RENAME TO cc_step")
    con.execute(
        "CREATE OR REPLACE TEMP VIEW cc_rows AS SELECT r.*, r.pos - c.first + 1 AS line"
        " FROM cc_step r JOIN cc_files c USING (f)"
    )
    for f, odd, lines, responses, messages in con.execute(
        """SELECT c.f, bool_or(c.bad) OR coalesce(bool_or(r.odd), false), count(*),
        count(*) FILTER (WHERE r.resp),
        count(DISTINCT CASE WHEN r.resp THEN [r.k_mid, r.k_rid, CASE WHEN r.k_mid IS NULL AND r.k_rid IS NULL
        THEN CAST(r.pos AS VARCHAR) END] END)
        FROM cc_raw c LEFT JOIN cc_step r ON r.pos = c.rowid GROUP BY c.f"""
    ).fetchall():
        no = numbers[f]
        if odd:
            result.odd_files.add(no)
            continue
        counts: Counter[str] = Counter()
        if lines - responses:
            counts[SKIP_NOT_RESPONSE] = int(lines - responses)
        if responses - messages:
            counts[SKIP_STREAMED] = int(responses - messages)
        result.skipped[no] = counts
    con.execute(
        "CREATE OR REPLACE TEMP TABLE cc_files_no AS SELECT * FROM (VALUES "  # noqa: S608 (placeholders only)
        + ", ".join("(?, ?)" for _ in files)
        + ") t(f, file_no)",
        [x for no, path in files for x in (str(path), no)],
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE cc_messages AS
        SELECT n.file_no, max(r.line) AS line, max(r.out) AS max_out, arg_max(r, r.line) AS last
        FROM cc_rows r JOIN cc_files_no n USING (f)
        WHERE r.resp AND n.file_no NOT IN ?
        GROUP BY n.file_no, r.k_mid, r.k_rid, CASE WHEN r.k_mid IS NULL AND r.k_rid IS NULL THEN r.line END""",
        [sorted(result.odd_files) or [-1]],
    )
    columns = ", ".join(
        "CAST(greatest(last.out, max_out) AS VARCHAR)" if c == "output_tokens" else f"last.{c}"
        for c in INPUT_COLUMNS
    )
    con.execute(
        f"INSERT INTO raw_rows SELECT file_no, line, {columns} FROM cc_messages WHERE last.clean"  # noqa: S608 (only our own constants)
    )
    wanted: dict[int, dict[int, int]] = {}
    for no, line, max_out in con.execute(
        "SELECT file_no, line, max_out FROM cc_messages WHERE NOT last.clean ORDER BY file_no, line"
    ).fetchall():
        wanted.setdefault(int(no), {})[int(line)] = int(max_out) if max_out is not None else -1
    paths = dict(files)
    for no, lines in wanted.items():
        for line, raw in _lines_of(paths[no], set(lines)).items():
            result.fallback.append((no, line, raw, lines[line]))
    con.execute("DROP VIEW IF EXISTS cc_rows")
    for table in ("cc_messages", "cc_files_no", "cc_files", "cc_step", "cc_raw"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return result


def _lines_of(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of some physical lines of a file (the scan's callers send only files whose record numbers
    are their line numbers), decoded as the adapter decodes them."""
    from costctl.logs.adapters._common import open_text

    found: dict[int, str] = {}
    with open_text(path) as handle:
        for number, text in enumerate(handle, start=1):
            if number in wanted:
                found[number] = text
                if len(found) == len(wanted):
                    break
    return found
