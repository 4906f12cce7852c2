"""Anthropic Messages API responses and Message Batches results (docs/log-formats.md).

Anthropic `input_tokens` EXCLUDES cache tokens: canonical input = input_tokens + cache_read_input_tokens +
cache_creation_input_tokens (docs/log-formats.md#traps-handled). Cache writes split by TTL through
`cache_creation.ephemeral_5m_input_tokens` / `ephemeral_1h_input_tokens`; without the split (older logs) the
whole write is 5-minute, the default TTL.

Bodies carry no time: a record's own `timestamp`/`created_at` (what apps log beside the response) is used,
else the file's modification time, tagged `ts_source=file_mtime`. Batch results (`custom_id`, `result.type`)
are rows with `is_batch`; errored, canceled and expired results load as zero-token `status=error` rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from costctl.logs.adapters._common import (
    Item,
    ReadContext,
    RecordError,
    Row,
    attribution_from,
    content_text,
    dig,
    finish,
    finish_reason,
    guarded,
    new_row,
    obj,
    prompt_hash,
    scalar_tags,
    sha16,
    text,
    timestamp,
    tokens,
)
from costctl.logs.adapters.openai_batch import BatchRequest, load_batch_input
from costctl.logs.schema import Reject

MESSAGES = "anthropic-messages"
BATCH = "anthropic-batch"
DESCRIPTIONS = {
    MESSAGES: "Anthropic Messages API responses, or {request, response} records (input excludes cache: converted)",
    BATCH: "Anthropic Message Batches results JSONL (custom_id, result.type); batch_input= joins params",
}


def _is_message(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and value.get("type") == "message"
        and isinstance(value.get("usage"), Mapping)
        and "input_tokens" in value["usage"]
    )


def sniff_messages(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    return _is_message(record) or _is_message(record.get("response"))


def sniff_batch(record: Any) -> bool:
    return isinstance(record, Mapping) and "custom_id" in record and isinstance(record.get("result"), Mapping)


def read_messages(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    for line, record in records:
        yield line, guarded(ctx, line, record, _convert_message)


def read_batch(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    inputs = load_batch_input(ctx.batch_input) if ctx.batch_input else {}
    for line, record in records:
        yield line, guarded(ctx, line, record, _convert_batch, inputs)


def fill_usage(row: Row, usage: Mapping[str, Any], prefix: str = "usage") -> None:
    """Anthropic usage -> canonical token columns (exclusive input converted to inclusive)."""
    uncached = tokens(usage.get("input_tokens"), f"{prefix}.input_tokens")
    read = tokens(usage.get("cache_read_input_tokens"), f"{prefix}.cache_read_input_tokens")
    write = tokens(usage.get("cache_creation_input_tokens"), f"{prefix}.cache_creation_input_tokens")
    assert uncached is not None and read is not None and write is not None
    split = usage.get("cache_creation")
    if split is not None and not isinstance(split, Mapping):
        raise RecordError(f"{prefix}.cache_creation is {split!r}, expected an object")
    if isinstance(split, Mapping):
        w5 = tokens(split.get("ephemeral_5m_input_tokens"), "cache_creation.ephemeral_5m_input_tokens") or 0
        w1 = tokens(split.get("ephemeral_1h_input_tokens"), "cache_creation.ephemeral_1h_input_tokens") or 0
        if w5 + w1 > write:
            raise RecordError(
                f"cache_creation split ({w5} + {w1}) exceeds cache_creation_input_tokens ({write})"
            )
        w5 += write - w5 - w1  # an unsplit remainder is billed at the default (5-minute) TTL
    else:
        w5, w1 = write, 0
    row["input_tokens"] = uncached + read + write
    row["cached_input_tokens"] = read
    row["cache_write_5m_tokens"] = w5
    row["cache_write_1h_tokens"] = w1
    row["output_tokens"] = tokens(usage.get("output_tokens"), f"{prefix}.output_tokens")
    row["reasoning_tokens"] = tokens(
        dig(usage, "output_tokens_details", "thinking_tokens"), "thinking_tokens"
    )


def fill_message(row: Row, tags: dict[str, Any], message: Mapping[str, Any]) -> None:
    usage = message.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("message has no usage object")
    fill_usage(row, usage)
    row["provider"] = "anthropic"
    row["model"] = text(message.get("model"))
    row["request_id"] = text(message.get("id"))
    row["finish_reason"] = finish_reason(message.get("stop_reason"))
    row["status"] = "ok"
    tier = text(usage.get("service_tier"))
    if tier:
        tags["service_tier"] = tier
        row["is_batch"] = tier == "batch"


def _request_facts(row: Row, request: Mapping[str, Any]) -> None:
    system = request.get("system")
    system_text = content_text(system) if system else ""
    row["system_prompt_hash"] = sha16(system_text) if system_text else None
    row["prompt_hash"] = prompt_hash(request.get("messages"))
    if request.get("max_tokens") is not None:
        row["max_tokens"] = tokens(request.get("max_tokens"), "max_tokens")
    requested = text(request.get("model"))
    if requested and requested != row["model"]:
        row["model_requested"] = requested


def _convert_message(ctx: ReadContext, line: int, record: Mapping[str, Any]) -> Row | Reject:
    wrapped = isinstance(record.get("response"), Mapping)
    message = record["response"] if wrapped else record
    request = obj(record.get("request"), "request") if wrapped else {}
    row = new_row(ctx, line)
    tags: dict[str, Any] = {}
    fill_message(row, tags, message)
    _request_facts(row, request)
    # a bare body with the app's own `timestamp`/`created_at`/`metadata` beside the API fields keeps them
    # (docs/log-formats.md), exactly as a {request, response} record does
    when = record.get("timestamp", record.get("created_at"))
    if when is None:
        row["ts"] = ctx.file_mtime
        tags["ts_source"] = "file_mtime"
    else:
        row["ts"] = timestamp(when, "timestamp")
    if wrapped and text(record.get("request_id")):
        row["request_id"] = text(record.get("request_id"))
    latency = record.get("latency_ms", record.get("duration_ms"))
    if isinstance(latency, (int, float)) and not isinstance(latency, bool):
        row["latency_ms"] = float(latency)
    meta = {
        **obj(request.get("metadata"), "request.metadata"),
        **obj(record.get("metadata"), "metadata"),
    }
    for column, value in attribution_from(meta).items():
        row[column] = value
    tags.update(scalar_tags(meta))
    return finish(ctx, row, tags, {"metadata": meta, "record": record, "request": request})


def _convert_batch(
    ctx: ReadContext, line: int, record: Mapping[str, Any], inputs: dict[str, BatchRequest]
) -> Row | Reject:
    row = new_row(ctx, line)
    custom_id = text(record.get("custom_id"))
    tags: dict[str, Any] = {"custom_id": custom_id}
    result = obj(record.get("result"), "result")
    kind = text(result.get("type"))
    if kind == "succeeded":
        message = obj(result.get("message"), "result.message")
        fill_message(row, tags, message)
    elif kind in ("errored", "canceled", "expired"):
        row["provider"] = "anthropic"
        row["status"] = "error"
        row["finish_reason"] = "error"
        err = dig(result, "error", "error") or result.get("error") or {}
        detail = f"{dig(err, 'type') or kind}: {dig(err, 'message') or ''}".rstrip(": ")
        tags["error"] = detail if kind == "errored" else kind
    else:
        raise RecordError(f"result.type is {kind!r}, expected succeeded, errored, canceled or expired")
    row["is_batch"] = True
    row["ts"] = ctx.file_mtime  # batch results carry no per-line time (docs/log-formats.md#traps-handled)
    tags["ts_source"] = "file_mtime"
    if custom_id:
        row["request_id"] = f"{custom_id}:{row['request_id']}" if row["request_id"] else custom_id
    joined = inputs.get(custom_id or "")
    meta: dict[str, Any] = dict(joined.metadata) if joined else {}
    if joined:
        row["max_tokens"] = joined.max_tokens
        row["system_prompt_hash"] = joined.system_prompt_hash
        row["prompt_hash"] = joined.prompt_hash
        if row["model"] is None:
            row["model"] = joined.model
        tags["batch_input_joined"] = True
    for column, value in attribution_from(meta).items():
        row[column] = value
    tags.update(scalar_tags(meta))
    return finish(ctx, row, tags, {"metadata": meta, "custom_id": custom_id, "record": record})
