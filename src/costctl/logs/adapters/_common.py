"""What every adapter shares: file framing, strict field readers, the row builder and its checks.

File framing (docs/log-formats.md#traps-handled): a file is either JSON Lines (its first record fits
on one line; read line by line, never whole) or a JSON document (a top-level array, one pretty-printed
object, or several concatenated ones; read whole, decoded with `raw_decode`). Gzip is recognised by its
magic bytes, whatever the file is called.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TextIO

from costctl.inputs import JsonTooDeep, loads
from costctl.logs.schema import COLUMN_NAMES, TOKEN_COLUMNS, Reject
from costctl.logs.timestamps import TimestampError, parse_timestamp

if TYPE_CHECKING:
    from costctl.logs.rules import TagRules

Row = dict[str, Any]
P = ParamSpec("P")
Item = tuple[int, "Row | Reject"]


class RecordError(Exception):
    """A record this adapter cannot use; becomes `Reject(str(exc))` for that record."""


@dataclass(frozen=True)
class BadJson:
    """A line or document that is not valid JSON (truncated, garbage)."""

    reason: str


@dataclass
class ReadContext:
    """What an adapter knows besides the records: the file, options and counters of skipped lines."""

    path: Path
    fmt: str
    rules: TagRules | None = None
    batch_input: Path | None = None
    skipped: Counter[str] = field(default_factory=Counter)
    jsonl: bool = True  # False when the file is one JSON document (then source_line is a record index)
    _mtime: dt.datetime | None = None

    @property
    def file_mtime(self) -> dt.datetime:
        """Fallback request time for formats without one (Anthropic bodies and batch results)."""
        if self._mtime is None:
            self._mtime = dt.datetime.fromtimestamp(os.stat(self.path).st_mtime, tz=dt.timezone.utc)
        return self._mtime


# ---------------------------------------------------------------- framing


def open_text(path: Path) -> TextIO:
    raw = path.open("rb")
    head = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    if head == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="utf-8", errors="replace")
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace")


def iter_records(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (source_line, decoded JSON value or BadJson) for every record of a file.

    JSONL: source_line is the line number. A document: a top-level array yields its elements numbered
    1..n; objects yield themselves with the line they start on.
    """
    try:
        with open_text(path) as fh:
            first_line, first_no, pending = _first_content_line(fh)
            if first_line is None:
                return
            if _is_single_json(first_line) and not first_line.lstrip().startswith("["):
                yield from _iter_jsonl(fh, first_line, first_no)
                return
            text = "".join(pending) + fh.read()
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        yield 1, BadJson(f"cannot read file: {exc}")
        return
    yield from _iter_document(text)


def _first_content_line(fh: TextIO) -> tuple[str | None, int, list[str]]:
    pending: list[str] = []
    for number, line in enumerate(fh, 1):
        pending.append(line)
        if line.strip():
            return line, number, pending
    return None, 0, pending


def _is_single_json(line: str) -> bool:
    try:
        loads(line)
    except ValueError:
        return False
    return True


def _iter_jsonl(fh: TextIO, first_line: str, first_no: int) -> Iterator[tuple[int, Any]]:
    yield first_no, loads(first_line)
    for number, line in enumerate(fh, first_no + 1):
        if not line.strip():
            continue
        try:
            yield number, loads(line)
        except ValueError as exc:
            yield number, BadJson(f"invalid JSON (truncated line?): {exc}")


def raw_decode(decoder: json.JSONDecoder, text: str, pos: int) -> tuple[Any, int]:
    """`decoder.raw_decode`, with JSON nested too deeply to parse as a ValueError (a bad record)."""
    try:
        return decoder.raw_decode(text, pos)
    except RecursionError:
        raise JsonTooDeep("JSON nested too deeply to read") from None


def _iter_document(text: str) -> Iterator[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    pos, length = 0, len(text)
    while True:
        while pos < length and text[pos].isspace():
            pos += 1
        if pos >= length:
            return
        line = text.count("\n", 0, pos) + 1
        try:
            value, end = raw_decode(decoder, text, pos)
        except ValueError as exc:
            yield line, BadJson(f"invalid JSON (truncated document?): {exc}")
            # Resynchronise on the next line that starts an object at column 0.
            nxt = text.find("\n{", pos + 1)
            if nxt < 0:
                return
            pos = nxt + 1
            continue
        if isinstance(value, list):
            yield from enumerate(value, 1)
        else:
            yield line, value
        pos = end


# ---------------------------------------------------------------- strict field readers


def tokens(value: Any, name: str, *, default: int | None = 0) -> int | None:
    """A token count: int, integral float or digit string (OTLP intValue); never bool or negative."""
    if value is None:
        return default
    if isinstance(value, bool):
        raise RecordError(f"{name} is {value!r}, expected a token count")
    if isinstance(value, float):
        if not value.is_integer():
            raise RecordError(f"{name} is {value!r}, expected a whole number of tokens")
        value = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise RecordError(f"{name} is {value!r}, expected a token count")
        value = int(text)
    elif not isinstance(value, int):
        raise RecordError(f"{name} has type {type(value).__name__}, expected a token count")
    count = int(value)
    if count < 0:
        raise RecordError(f"{name} is negative ({count})")
    return count


def money(value: Any, name: str) -> Decimal | None:
    """USD as Decimal, through str() so a float's shortest repr is kept (0.000225, not 0.000224999…)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise RecordError(f"{name} is {value!r}, expected an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise RecordError(f"{name} is {value!r}, expected an amount") from exc
    if not amount.is_finite():
        raise RecordError(f"{name} is {value!r}, expected a finite amount")
    return amount


def timestamp(value: Any, name: str) -> dt.datetime:
    try:
        return parse_timestamp(value)
    except TimestampError as exc:
        raise RecordError(f"{name}: {exc}") from exc


def obj(value: Any, name: str) -> dict[str, Any]:
    """A JSON object, also when double-encoded as a string (LiteLLM metadata, Langfuse trace metadata)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = loads(value)
        except ValueError as exc:
            raise RecordError(f"{name} is a string that is not JSON: {value[:60]!r}") from exc
        if value is None:
            return {}
    if not isinstance(value, dict):
        raise RecordError(f"{name} has type {type(value).__name__}, expected an object")
    return value


def maybe_json(value: Any) -> Any:
    """Decode a JSON string if it is one; anything else unchanged."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return loads(value)
        except ValueError:
            return value
    return value


def mapping(value: Any) -> dict[str, Any]:
    """The value if it is a JSON object, else an empty one (for optional nested objects)."""
    return dict(value) if isinstance(value, Mapping) else {}


def dig(record: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(record, Mapping):
            return None
        record = record.get(key)
    return record


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def sha16(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def content_text(content: Any) -> str:
    """The text of a message content: a string, or a list of parts with `text`."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if content is None:
        return ""
    return json.dumps(content, sort_keys=True)


def system_hash_from_messages(messages: Any) -> str | None:
    if not isinstance(messages, list):
        return None
    parts = [
        content_text(m.get("content"))
        for m in messages
        if isinstance(m, dict) and m.get("role") in ("system", "developer")
    ]
    return sha16("\n".join(parts)) if parts else None


def prompt_hash(messages: Any) -> str | None:
    if messages in (None, "", [], {}):
        return None
    return sha16(json.dumps(messages, sort_keys=True, ensure_ascii=False, default=str))


# ---------------------------------------------------------------- normalisation

_FINISH = {
    "stop": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "completed": "stop",
    "length": "length",
    "max_tokens": "length",
    "max_output_tokens": "length",
    "tool_calls": "tool_calls",
    "tool-calls": "tool_calls",
    "tool_use": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
    "content-filter": "content_filter",
    "refusal": "content_filter",
    "safety": "content_filter",
    "error": "error",
}


def finish_reason(value: Any) -> str | None:
    """Normalise to stop, length, tool_calls, content_filter, error (docs/log-formats.md#traps-handled); others lower-cased."""
    value = maybe_json(value)
    if isinstance(value, list):
        value = value[0] if value else None
    raw = text(value)
    if raw is None:
        return None
    key = raw.lower()
    return _FINISH.get(key, key)


_PROVIDER_PREFIXES = {
    "openai": "openai",
    "azure": "azure",
    "anthropic": "anthropic",
    "google": "google",
    "gemini": "google",
    "vertex_ai": "google",
    "mistral": "mistral",
    "groq": "groq",
    "deepseek": "deepseek",
    "xai": "xai",
    "cohere": "cohere",
    "together_ai": "together",
    "bedrock": "bedrock",
    "fireworks_ai": "fireworks",
}


def split_provider_prefix(model: str | None) -> tuple[str | None, str | None]:
    """`mistral/mistral-small-latest` -> ('mistral', 'mistral-small-latest'); unknown prefixes stay."""
    if not model or "/" not in model:
        return None, model
    prefix, rest = model.split("/", 1)
    provider = _PROVIDER_PREFIXES.get(prefix.lower())
    return (provider, rest) if provider else (None, model)


def guess_provider(model: str | None) -> str | None:
    """The billing provider implied by a model name, when the format does not say."""
    if not model:
        return None
    name = model.lower()
    if "publishers/google" in name or name.startswith(("gemini", "gemma")):
        return "google"
    if name.startswith("claude") or "anthropic" in name:
        return "anthropic"
    if name.startswith(("gpt", "o1", "o3", "o4", "chatgpt", "text-embedding", "davinci", "babbage")):
        return "openai"
    if name.startswith(("mistral", "codestral", "magistral", "ministral", "pixtral")):
        return "mistral"
    if name.startswith("deepseek"):
        return "deepseek"
    if name.startswith("grok"):
        return "xai"
    return None


def short_vertex_model(model: str | None) -> str | None:
    """`projects/…/publishers/google/models/gemini-2.5-flash` -> `gemini-2.5-flash` (docs/log-formats.md#traps-handled)."""
    if model and "/models/" in model:
        return model.rsplit("/models/", 1)[1]
    return model


# ---------------------------------------------------------------- attribution from metadata

ATTRIBUTION_KEYS: dict[str, tuple[str, ...]] = {
    "user_id": ("user_id", "userId", "end_user", "end_user_id", "customer_id"),
    "feature": ("feature", "feature_name", "app_feature"),
    "team": ("team", "team_name", "owner_team"),
    "environment": ("environment", "env", "deployment_environment"),
    "prompt_version": ("prompt_version", "promptVersion", "prompt_id"),
}


def attribution_from(meta: Mapping[str, Any] | None) -> dict[str, str]:
    """Canonical attribution columns from a metadata object's conventional keys."""
    found: dict[str, str] = {}
    if not meta:
        return found
    for column, keys in ATTRIBUTION_KEYS.items():
        for key in keys:
            value = text(meta.get(key))
            if value is not None:
                found[column] = value
                break
    return found


def scalar_tags(meta: Mapping[str, Any] | None, *, prefix: str = "") -> dict[str, Any]:
    """The scalar entries of a metadata object, as tags (nested objects are left out)."""
    out: dict[str, Any] = {}
    for key, value in (meta or {}).items():
        if isinstance(value, (str, int, float, bool)) and value != "":
            out[f"{prefix}{key}"] = value
    return out


def key_value_tags(tags: Any) -> dict[str, str]:
    """`["feature:search", "env:prod"]` -> {"feature": "search", "env": "prod"} (LiteLLM, Langfuse tags)."""
    out: dict[str, str] = {}
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and ":" in tag:
                key, value = tag.split(":", 1)
                if key.strip() and value.strip():
                    out[key.strip()] = value.strip()
    return out


# ---------------------------------------------------------------- the row


def new_row(ctx: ReadContext, line: int) -> Row:
    row: Row = dict.fromkeys(COLUMN_NAMES)
    row.update(
        source_format=ctx.fmt,
        source_file=str(ctx.path),
        source_line=line,
        input_tokens=0,
        cached_input_tokens=0,
        cache_write_5m_tokens=0,
        cache_write_1h_tokens=0,
        output_tokens=0,
        reasoning_tokens=0,
        is_batch=False,
    )
    return row


def inclusive_input(
    input_tokens: int, cached: int, writes: int, tags: dict[str, Any], *, exclusive: bool | None = None
) -> int:
    """Input under the inclusive convention.

    `exclusive=True`: the source documents input as excluding cache tokens (Anthropic), so add them.
    `exclusive=None`: the convention is unknown (OTel producers, LiteLLM routes; docs/log-formats.md#traps-handled): when the cache
    counts exceed the input they cannot be a part of it, so they are added and the row is tagged.
    """
    if exclusive or (exclusive is None and cached + writes > input_tokens):
        if exclusive is None:
            tags["input_convention"] = "exclusive_detected"
        return input_tokens + cached + writes
    return input_tokens


def check_row(row: Row) -> str | None:
    """The invariants every row must meet before it reaches the store; a reason when it does not."""
    if not isinstance(row.get("ts"), dt.datetime):
        return "no request time"
    for name in TOKEN_COLUMNS:
        value = row.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"{name} is {value!r}, expected a non-negative integer"
    cache = row["cached_input_tokens"] + row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
    if cache > row["input_tokens"]:
        return (
            f"cached and cache-write tokens ({cache}) exceed input tokens ({row['input_tokens']}); "
            "the input count must include them"
        )
    if row["reasoning_tokens"] > row["output_tokens"]:
        return f"reasoning tokens ({row['reasoning_tokens']}) exceed output tokens ({row['output_tokens']})"
    return None


def finish(ctx: ReadContext, row: Row, tags: dict[str, Any], context: dict[str, Any]) -> Row | Reject:
    """Apply the tag rules, serialise tags, check invariants: the last step of every adapter."""
    if ctx.rules is not None:
        ctx.rules.apply(row, {**context, "tags": tags, "row": dict(row)})
    clean = {k: _tag_text(v) for k, v in tags.items() if v is not None and v != ""}
    row["tags"] = clean or None
    problem = check_row(row)
    return Reject(problem) if problem else row


def _tag_text(value: Any) -> str:
    """Tags are strings (schema.py); lists and objects become JSON text, booleans `true`/`false`."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def guarded(
    ctx: ReadContext,
    line: int,
    record: Any,
    func: Callable[Concatenate[ReadContext, int, Mapping[str, Any], P], Row | Reject],
    *args: P.args,
    **kwargs: P.kwargs,
) -> Row | Reject:
    """Run one record's conversion; a problem with the data (`RecordError`, raised by the strict field
    readers above) becomes that record's Reject. Anything else (AttributeError, TypeError, KeyError, ...) is
    a bug in the adapter and propagates: turning it into rejects would hide it behind an exit 0."""
    if isinstance(record, BadJson):
        return Reject(record.reason)
    if not isinstance(record, Mapping):
        return Reject(f"expected a JSON object, got {type(record).__name__}")
    try:
        result = func(ctx, line, record, *args, **kwargs)
    except RecordError as exc:
        return Reject(str(exc))
    return result
