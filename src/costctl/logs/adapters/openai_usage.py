"""OpenAI organization Usage API and Costs API exports (docs/log-formats.md).

These are aggregates, not requests. Each result of a bucket becomes ONE canonical row: the bucket start is
`ts`, token fields hold the bucket's sums, and the tag `aggregated_requests` holds `num_model_requests` (the
rollups must count that many requests for the row, not one). A Costs API result becomes a row with zero
tokens, `reported_cost_usd` = `amount.value` and `aggregated_requests` = 0. `request_id` is a deterministic
key of the bucket and its group-by dimensions, so re-ingesting an overlapping export adds nothing.
Usage API `user_id` is the key owner, not an end user (docs/log-formats.md#traps-handled): it goes to the tag `key_owner`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from costctl.logs.adapters._common import (
    BadJson,
    Item,
    ReadContext,
    RecordError,
    Row,
    finish,
    guarded,
    money,
    new_row,
    text,
    timestamp,
    tokens,
)
from costctl.logs.schema import Reject

NAME = "openai-usage"
DESCRIPTION = "OpenAI organization usage/costs API buckets (aggregates: one row per bucket result)"

_DIMENSIONS = ("project_id", "api_key_id", "model", "batch", "service_tier", "user_id", "line_item")


def _is_bucket(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and "start_time" in value
        and isinstance(value.get("results", value.get("result")), list)
    )


def sniff(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    if record.get("object") == "page" and isinstance(record.get("data"), list):
        return all(_is_bucket(b) for b in record["data"][:3])
    return record.get("object") == "bucket" or _is_bucket(record)


def _buckets(records: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, Any]]:
    """Pages, lists of pages and bare buckets all flatten to (line, bucket)."""
    for line, record in records:
        if isinstance(record, Mapping) and isinstance(record.get("data"), list):
            for bucket in record["data"]:
                yield line, bucket
        else:
            yield line, record


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    index = 0
    for line, bucket in _buckets(records):
        if isinstance(bucket, BadJson) or not isinstance(bucket, Mapping):
            yield line, guarded(ctx, line, bucket, _never)
            continue
        results = bucket.get("results", bucket.get("result"))
        if not isinstance(results, list):
            yield line, Reject("bucket has no results list")
            continue
        if not results:
            ctx.skipped["empty usage bucket (no traffic)"] += 1
            continue
        for result in results:
            index += 1
            # A document has no lines per result; number the results (schema: record index for JSON).
            where = line if ctx.jsonl else index
            yield where, guarded(ctx, where, result, convert, bucket)


def _never(ctx: ReadContext, line: int, record: Mapping[str, Any]) -> Row | Reject:
    raise RecordError("expected a usage bucket object")


def convert(
    ctx: ReadContext, line: int, result: Mapping[str, Any], bucket: Mapping[str, Any]
) -> Row | Reject:
    row = new_row(ctx, line)
    start = timestamp(bucket.get("start_time"), "start_time")
    row["ts"] = start
    row["provider"] = "openai"
    tags: dict[str, Any] = {}
    if bucket.get("end_time") is not None:
        tags["bucket_end"] = timestamp(bucket["end_time"], "end_time").isoformat()
    kind = str(result.get("object", ""))
    if "costs" in kind or "amount" in result:
        amount = result.get("amount")
        value = amount.get("value") if isinstance(amount, Mapping) else amount
        currency = str(amount.get("currency", "usd")).lower() if isinstance(amount, Mapping) else "usd"
        if currency != "usd":
            raise RecordError(f"cost currency is {currency!r}, expected usd")
        row["reported_cost_usd"] = money(value, "amount.value")
        tags["aggregated_requests"] = 0
        tags["record_kind"] = "cost_bucket"
    else:
        row["input_tokens"] = tokens(result.get("input_tokens"), "input_tokens")
        row["cached_input_tokens"] = tokens(result.get("input_cached_tokens"), "input_cached_tokens")
        row["output_tokens"] = tokens(result.get("output_tokens"), "output_tokens")
        tags["aggregated_requests"] = tokens(result.get("num_model_requests"), "num_model_requests")
        tags["record_kind"] = "usage_bucket"
    row["model"] = text(result.get("model"))
    row["team"] = text(result.get("project_id"))
    batch = result.get("batch")
    row["is_batch"] = bool(batch) if isinstance(batch, bool) else False
    for key in ("project_id", "api_key_id", "service_tier", "line_item", "project_name", "api_source"):
        if text(result.get(key)):
            tags[key] = text(result.get(key))
    if text(result.get("user_id")):
        tags["key_owner"] = text(result.get("user_id"))
    key_parts = [str(int(start.timestamp())), tags["record_kind"]] + [str(result.get(k)) for k in _DIMENSIONS]
    row["request_id"] = "openai-usage:" + ":".join(key_parts)
    context = {"metadata": dict(result), "record": result, "bucket": bucket}
    return finish(ctx, row, tags, context)
