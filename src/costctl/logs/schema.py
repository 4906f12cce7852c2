"""The canonical request-log schema: the one table every log format is converted into.

Token convention (the same as `costctl.models.Usage`): `input_tokens` counts every prompt token, cached
reads and cache writes included; `output_tokens` counts every generated token, reasoning included.
Adapters convert from each source's convention (Anthropic input excludes cache tokens; Gemini output
excludes thoughts) before a row reaches the store.

Contract between adapters and the store:
- an adapter yields `(source_line, row)` where `row` is a `dict` with the keys of `CANONICAL_COLUMNS`
  (missing keys mean NULL), or `(source_line, Reject(reason))` for a record it cannot use;
- `ts` is a timezone-aware or UTC-naive `datetime` in UTC; token fields are non-negative ints;
  `reported_cost_usd` is a `Decimal` or None; `tags` is a dict of extra string tags or None.
"""

from __future__ import annotations

from dataclasses import dataclass

from costctl.models import TOKEN_FIELDS

SCHEMA_VERSION = 1

# (name, DuckDB type, meaning)
CANONICAL_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("ts", "TIMESTAMP", "request time, UTC"),
    ("request_id", "VARCHAR", "provider or gateway request id; dedupe key when present"),
    ("provider", "VARCHAR", "openai, anthropic, google, ..."),
    ("model", "VARCHAR", "model that served the request, as logged"),
    ("model_requested", "VARCHAR", "model the caller asked for (alias), when logged"),
    ("input_tokens", "BIGINT", "all prompt tokens, cached reads and cache writes included"),
    ("cached_input_tokens", "BIGINT", "prompt tokens read from the cache"),
    ("cache_write_5m_tokens", "BIGINT", "prompt tokens written to the cache (5-minute or default TTL)"),
    ("cache_write_1h_tokens", "BIGINT", "prompt tokens written to the 1-hour cache"),
    ("output_tokens", "BIGINT", "all generated tokens, reasoning included"),
    ("reasoning_tokens", "BIGINT", "part of output spent on reasoning/thinking"),
    ("reported_cost_usd", "DECIMAL(38,12)", "cost the log itself reports, kept beside ours"),
    ("user_id", "VARCHAR", "end user"),
    ("feature", "VARCHAR", "product feature"),
    ("team", "VARCHAR", "owning team"),
    ("environment", "VARCHAR", "prod, staging, ..."),
    ("prompt_version", "VARCHAR", "prompt template version"),
    ("max_tokens", "BIGINT", "output cap the request set"),
    ("finish_reason", "VARCHAR", "stop, length, tool_calls, ... (normalised lower case)"),
    ("latency_ms", "DOUBLE", "request latency in milliseconds"),
    ("status", "VARCHAR", "ok, error, or an HTTP status such as 429"),
    ("gateway_cache_hit", "BOOLEAN", "served from a gateway response cache (no provider bill)"),
    ("is_batch", "BOOLEAN", "sent through a batch API (billed at batch rates)"),
    ("system_prompt_hash", "VARCHAR", "sha256 of the system prompt text, first 16 hex chars"),
    ("prompt_hash", "VARCHAR", "sha256 of the whole prompt (messages), first 16 hex chars"),
    ("trace_id", "VARCHAR", "trace id for agent traces"),
    ("tags", "VARCHAR", "other tags as a JSON object string"),
    ("source_format", "VARCHAR", "adapter that read the row"),
    ("source_file", "VARCHAR", "file the row came from"),
    ("source_line", "BIGINT", "line (JSONL/CSV) or record index (JSON) in that file, 1-based"),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c[0] for c in CANONICAL_COLUMNS)
TOKEN_COLUMNS = TOKEN_FIELDS


@dataclass(frozen=True)
class Reject:
    """A record that cannot be loaded, and why (kept in the rejects table)."""

    reason: str
