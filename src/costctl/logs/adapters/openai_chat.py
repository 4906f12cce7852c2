"""OpenAI Chat Completions and Responses API records (docs/log-formats.md).

A record is a response object (`object: chat.completion` or `response`), or what apps log around a call:
`{"request": {...body...}, "response": {...}, "timestamp"?, "latency_ms"?, "metadata"?}`. The request is the
only home of the system prompt, `max_tokens`, `user` and `metadata` for Chat; Responses echoes them.
OpenAI counts are inclusive already: cached ⊂ prompt, reasoning ⊂ completion.
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
    dig,
    finish,
    finish_reason,
    guarded,
    new_row,
    obj,
    prompt_hash,
    scalar_tags,
    sha16,
    split_provider_prefix,
    system_hash_from_messages,
    text,
    timestamp,
    tokens,
)
from costctl.logs.schema import Reject

NAME = "openai-chat"
DESCRIPTION = "OpenAI chat.completion / Responses API objects, or {request, response} records logged by apps"


def _is_response(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    if value.get("object") in ("chat.completion", "response"):
        return True
    usage = value.get("usage")
    return (
        isinstance(usage, Mapping)
        and ("prompt_tokens" in usage or "input_tokens_details" in usage)
        and ("choices" in value or "output" in value)
    )


def sniff(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    if _is_response(record):
        return True
    return isinstance(record.get("request"), Mapping) and _is_response(record.get("response"))


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    for line, record in records:
        yield line, guarded(ctx, line, record, convert)


def convert(ctx: ReadContext, line: int, record: Mapping[str, Any]) -> Row | Reject:
    if isinstance(record.get("response"), Mapping):
        request = obj(record.get("request"), "request")
        response = record["response"]
    else:
        request, response = {}, record
    row = new_row(ctx, line)
    tags: dict[str, Any] = {}
    wrapped = response is not record
    when = (record.get("timestamp") or record.get("created_at")) if wrapped else None
    fill_from_body(row, tags, response, request=request, fallback_ts=when)
    latency = record.get("latency_ms", record.get("duration_ms"))
    if isinstance(latency, (int, float)) and not isinstance(latency, bool):
        row["latency_ms"] = float(latency)
    # Later sources win: the echo in the response, then the request, then the app's own record metadata.
    meta = {
        **obj(response.get("metadata"), "response.metadata"),
        **obj(request.get("metadata"), "request.metadata"),
        **(obj(record.get("metadata"), "metadata") if wrapped else {}),
    }
    apply_metadata(row, tags, meta)
    context = {"metadata": meta, "record": record, "request": request, "response": response}
    return finish(ctx, row, tags, context)


def fill_from_body(
    row: Row,
    tags: dict[str, Any],
    body: Mapping[str, Any],
    *,
    request: Mapping[str, Any],
    fallback_ts: Any = None,
) -> None:
    """Fill a row from a chat.completion or response body plus the request that produced it."""
    usage = body.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("response has no usage object")
    created = body.get("created", body.get("created_at"))
    if created is None:
        created = fallback_ts
    if created is None:
        raise RecordError("response has no created/created_at time")
    row["ts"] = timestamp(created, "created")
    row["request_id"] = text(body.get("id"))
    model = text(body.get("model"))
    provider, model = split_provider_prefix(model)
    row["provider"] = provider or ("groq" if "x_groq" in body else "openai")
    row["model"] = model
    requested = text(request.get("model"))
    if requested and requested != model:
        row["model_requested"] = requested
    fill_usage(row, usage)
    choices = body.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        row["finish_reason"] = finish_reason(choices[0].get("finish_reason"))
    elif body.get("object") == "response" or "status" in body:
        reason = dig(body, "incomplete_details", "reason")
        row["finish_reason"] = finish_reason(reason) if reason else finish_reason(body.get("status"))
    row["status"] = "error" if body.get("error") else "ok"
    if isinstance(usage.get("total_time"), (int, float)):  # Groq reports seconds of processing
        row["latency_ms"] = float(usage["total_time"]) * 1000.0
    instructions = text(body.get("instructions")) or text(request.get("instructions"))
    messages = request.get("messages", request.get("input"))
    system = system_hash_from_messages(messages)
    row["system_prompt_hash"] = sha16(instructions) if instructions else system
    row["prompt_hash"] = prompt_hash(messages)
    for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
        value = request.get(key, body.get(key))
        if value is not None:
            row["max_tokens"] = tokens(value, key)
            break
    user = text(request.get("user")) or text(body.get("user")) or text(request.get("safety_identifier"))
    if user:
        row["user_id"] = user
    prompt = body.get("prompt") or request.get("prompt")
    if isinstance(prompt, Mapping) and prompt.get("id"):
        version = text(prompt.get("version"))
        row["prompt_version"] = f"{prompt['id']}@{version}" if version else str(prompt["id"])
    tier = text(body.get("service_tier"))
    if tier:
        tags["service_tier"] = tier
        if tier in ("batch", "flex"):
            row["is_batch"] = tier == "batch"


def fill_usage(row: Row, usage: Mapping[str, Any]) -> None:
    """OpenAI usage (Chat Completions or Responses API) -> canonical token columns (already inclusive)."""
    if "prompt_tokens" in usage or "completion_tokens" in usage:  # Chat Completions
        inp = tokens(usage.get("prompt_tokens"), "usage.prompt_tokens")
        out = tokens(usage.get("completion_tokens"), "usage.completion_tokens")
        details_in = usage.get("prompt_tokens_details") or {}
        details_out = usage.get("completion_tokens_details") or {}
    else:  # Responses API
        inp = tokens(usage.get("input_tokens"), "usage.input_tokens")
        out = tokens(usage.get("output_tokens"), "usage.output_tokens")
        details_in = usage.get("input_tokens_details") or {}
        details_out = usage.get("output_tokens_details") or {}
    row["input_tokens"] = inp
    row["output_tokens"] = out
    row["cached_input_tokens"] = tokens(dig(details_in, "cached_tokens"), "cached_tokens")
    # Some Azure/compatible servers report cache writes; OpenAI itself bills none before GPT-5.6.
    row["cache_write_5m_tokens"] = tokens(dig(details_in, "cache_write_tokens"), "cache_write_tokens")
    row["reasoning_tokens"] = tokens(dig(details_out, "reasoning_tokens"), "reasoning_tokens")


def apply_metadata(row: Row, tags: dict[str, Any], meta: Mapping[str, Any]) -> None:
    for column, value in attribution_from(meta).items():
        row[column] = value
    tags.update(scalar_tags(meta))
