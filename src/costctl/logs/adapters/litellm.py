"""LiteLLM proxy spend logs: `LiteLLM_SpendLogs` rows and StandardLoggingPayload objects (docs/log-formats.md).

Traps handled (docs/log-formats.md#traps-handled): `metadata` is JSON inside a string; `request_tags` is the string "[]";
`cache_hit` is "None"/"True"/"False"/""; `startTime` is naive (UTC); `spend`/`response_cost` is the cost
LiteLLM computed (kept as reported_cost_usd). Cache and reasoning counts live only in
`metadata.usage_object` (SpendLogs) or `response.usage` (StandardLoggingPayload). `prompt_tokens` includes
cache tokens on the chat route but may not on the Anthropic passthrough (LiteLLM PR #23342): an Anthropic-shaped usage
object (`input_tokens`, no `prompt_tokens`) is converted like Anthropic's, and cache counts larger than the
input are added and the row tagged (`input_convention=exclusive_detected`).
Attribution: `end_user` (the customer) -> user_id; `user` (the internal user) -> tag; team alias or id ->
team; `request_tags` "key:value" entries and `metadata.spend_logs_metadata` -> columns by their keys.
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
    inclusive_input,
    key_value_tags,
    mapping,
    maybe_json,
    money,
    new_row,
    obj,
    prompt_hash,
    system_hash_from_messages,
    text,
    timestamp,
    tokens,
)
from costctl.logs.schema import Reject

NAME = "litellm"
DESCRIPTION = "LiteLLM proxy SpendLogs rows or StandardLoggingPayload objects (JSON array or JSONL)"


def sniff(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    spend_log = "request_id" in record and "spend" in record and "startTime" in record
    payload = (
        "call_type" in record
        and "startTime" in record
        and ("response_cost" in record or "model_map_information" in record)
    )
    return spend_log or payload


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    for line, record in records:
        yield line, guarded(ctx, line, record, convert)


def _cache_hit(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value is None:
        return None
    lowered = str(value).strip().lower()
    if lowered == "true":
        return True
    if lowered in ("false", "none", ""):
        return False  # LiteLLM writes the string "None" when no response cache was consulted or hit
    raise RecordError(f"cache_hit is {value!r}, expected True, False, None or empty")


def convert(ctx: ReadContext, line: int, record: Mapping[str, Any]) -> Row | Reject:
    row = new_row(ctx, line)
    tags: dict[str, Any] = {}
    meta = obj(record.get("metadata"), "metadata")
    response = (
        obj(maybe_json(record.get("response")), "response")
        if record.get("response") not in (None, "")
        else {}
    )
    row["ts"] = timestamp(record.get("startTime"), "startTime")
    row["request_id"] = text(record.get("request_id")) or text(record.get("id"))
    row["provider"] = text(record.get("custom_llm_provider"))
    row["model"] = text(record.get("model")) or text(dig(record, "hidden_params", "litellm_model_name"))
    group = text(record.get("model_group"))
    if group and group != row["model"]:
        row["model_requested"] = group
    _fill_tokens(row, tags, record, meta, response)
    cost = record.get("spend", record.get("response_cost"))
    row["reported_cost_usd"] = money(cost, "spend")
    row["gateway_cache_hit"] = _cache_hit(record.get("cache_hit"))
    row["latency_ms"] = _latency(record)
    status = text(record.get("status"))
    row["status"] = {"success": "ok", "failure": "error"}.get(status or "", status)
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        row["finish_reason"] = finish_reason(choices[0].get("finish_reason"))
    messages = maybe_json(record.get("messages"))
    row["system_prompt_hash"] = system_hash_from_messages(messages)
    row["prompt_hash"] = prompt_hash(messages)
    request = obj(maybe_json(record.get("proxy_server_request")) or None, "proxy_server_request")
    params = mapping(record.get("model_parameters"))
    # Never model_map_information.max_tokens: that is the model's limit, not the request's cap (docs/log-formats.md#traps-handled).
    for source in (request, params):
        for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
            if source.get(key) is not None and row["max_tokens"] is None:
                row["max_tokens"] = tokens(source[key], key)
    _attribution(row, tags, record, meta)
    context = {"metadata": meta, "record": record, "spend_logs_metadata": meta.get("spend_logs_metadata")}
    return finish(ctx, row, tags, context)


def _fill_tokens(
    row: Row,
    tags: dict[str, Any],
    record: Mapping[str, Any],
    meta: Mapping[str, Any],
    response: Mapping[str, Any],
) -> None:
    usage = (
        meta.get("usage_object") if isinstance(meta.get("usage_object"), Mapping) else response.get("usage")
    )
    usage = usage if isinstance(usage, Mapping) else {}
    extra = mapping(meta.get("additional_usage_values"))
    merged = {**extra, **usage}
    anthropic_shape = "input_tokens" in merged and "prompt_tokens" not in merged
    if anthropic_shape:
        prompt = tokens(merged.get("input_tokens"), "usage_object.input_tokens")
        completion = tokens(merged.get("output_tokens"), "usage_object.output_tokens")
    else:
        prompt = tokens(record.get("prompt_tokens", merged.get("prompt_tokens")), "prompt_tokens")
        completion = tokens(
            record.get("completion_tokens", merged.get("completion_tokens")), "completion_tokens"
        )
    assert prompt is not None and completion is not None
    cached = (
        tokens(
            dig(merged, "prompt_tokens_details", "cached_tokens") or merged.get("cache_read_input_tokens"),
            "cached_tokens",
        )
        or 0
    )
    writes = tokens(merged.get("cache_creation_input_tokens"), "cache_creation_input_tokens") or 0
    row["input_tokens"] = inclusive_input(
        prompt, cached, writes, tags, exclusive=True if anthropic_shape else None
    )
    row["cached_input_tokens"] = cached
    row["cache_write_5m_tokens"] = writes
    row["output_tokens"] = completion
    row["reasoning_tokens"] = tokens(
        dig(merged, "completion_tokens_details", "reasoning_tokens"), "reasoning_tokens"
    )


def _latency(record: Mapping[str, Any]) -> float | None:
    duration = record.get("request_duration_ms")
    if isinstance(duration, (int, float)) and not isinstance(duration, bool):
        return float(duration)
    if record.get("endTime") not in (None, ""):
        start = timestamp(record.get("startTime"), "startTime")
        end = timestamp(record.get("endTime"), "endTime")
        return (end - start).total_seconds() * 1000.0
    seconds = record.get("response_time")  # StandardLoggingPayload: seconds
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return float(seconds) * 1000.0
    return None


def _attribution(row: Row, tags: dict[str, Any], record: Mapping[str, Any], meta: Mapping[str, Any]) -> None:
    request_tags = maybe_json(record.get("request_tags"))
    if isinstance(request_tags, list) and request_tags:
        tags["request_tags"] = request_tags
    spend_meta = meta.get("spend_logs_metadata")
    spend_meta = spend_meta if isinstance(spend_meta, Mapping) else {}
    found = {**attribution_from(key_value_tags(request_tags)), **attribution_from(spend_meta)}
    row["user_id"] = text(record.get("end_user")) or text(meta.get("user_api_key_end_user_id"))
    row["team"] = (
        text(meta.get("user_api_key_team_alias"))
        or text(record.get("team_id"))
        or text(meta.get("user_api_key_team_id"))
    )
    for column, value in found.items():
        row[column] = value
    tags.update(
        {
            "internal_user": text(record.get("user")) or text(meta.get("user_api_key_user_id")),
            "api_key_alias": text(meta.get("user_api_key_alias")),
            "session_id": text(record.get("session_id")),
            "call_type": text(record.get("call_type")),
            "organization_id": text(record.get("organization_id")) or text(meta.get("user_api_key_org_id")),
        }
    )
    for key, value in spend_meta.items():
        if isinstance(value, (str, int, float, bool)):
            tags[key] = value
