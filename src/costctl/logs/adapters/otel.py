"""OpenTelemetry GenAI spans (docs/log-formats.md).

Shapes read: OTLP JSON (`resourceSpans/scopeSpans/spans`, attributes as `[{key, value: {intValue|...}}]`,
one document or one per line); Python ConsoleSpanExporter output (one object per span, `context.span_id`,
`parent_id`, a plain `attributes` dict, ISO times; concatenated pretty-printed objects); framework dumps
such as any-agent's (`{"spans": [...]}` with integer ids and integer-nanosecond times).

Counted once (docs/log-formats.md#traps-handled): a span with usage whose descendants also carry usage is dropped; the leaf
model-call spans are kept whatever their operation name (any-agent calls them `call_llm`). Spans are held
per trace until the trace's root span arrives (exporters emit children before parents) or the file ends.
The same span printed twice is read once. Spans without usage are skipped (counted in LogRead.skipped).
`gen_ai.usage.input_tokens` includes cache reads per the spec; producers that report Anthropic's exclusive
count are detected when the cache counts exceed it.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from typing import Any

from costctl.logs.adapters._common import (
    BadJson,
    Item,
    ReadContext,
    RecordError,
    Row,
    attribution_from,
    finish,
    finish_reason,
    guarded,
    inclusive_input,
    mapping,
    money,
    new_row,
    split_provider_prefix,
    text,
    timestamp,
    tokens,
)
from costctl.logs.schema import Reject

NAME = "otel"
DESCRIPTION = "OpenTelemetry GenAI spans: OTLP JSON (resourceSpans) or console-exporter span objects"

INPUT_KEYS = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens", "llm.token_count.prompt")
OUTPUT_KEYS = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens", "llm.token_count.completion")
CACHE_READ_KEYS = (
    "gen_ai.usage.cache_read.input_tokens",
    "gen_ai.usage.cache_read_input_tokens",
    "gen_ai.usage.cache_read_tokens",
    "gen_ai.usage.input_tokens.cached",
    "llm.token_count.prompt_details.cache_read",
)
CACHE_WRITE_KEYS = (
    "gen_ai.usage.cache_creation.input_tokens",
    "gen_ai.usage.cache_creation_input_tokens",
    "llm.token_count.prompt_details.cache_write",
)
REASONING_KEYS = ("gen_ai.usage.reasoning.output_tokens", "llm.token_count.completion_details.reasoning")
USAGE_KEYS = INPUT_KEYS + OUTPUT_KEYS

SKIP_NO_USAGE = "otel: span without token usage (tool, agent, workflow)"
SKIP_PARENT = "otel: usage also carried by a descendant span (counted once)"
SKIP_REPEAT = "otel: the same span printed again"


def _is_span(value: Any) -> bool:
    if not isinstance(value, Mapping):
        return False
    has_id = isinstance(value.get("context"), Mapping) or "spanId" in value or "span_id" in value
    return has_id and "name" in value and ("attributes" in value)


def sniff(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    if isinstance(record.get("resourceSpans"), list):
        return True
    spans = record.get("spans")
    if isinstance(spans, list) and spans:
        return _is_span(spans[0])
    return _is_span(record)


# ---------------------------------------------------------------- normalising span shapes


def _any_value(value: Any) -> Any:
    """OTLP AnyValue -> Python (intValue may be a string under the protobuf-JSON mapping)."""
    if not isinstance(value, Mapping):
        return value
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        raw = value["intValue"]
        return int(raw) if isinstance(raw, str) and raw.lstrip("-").isdigit() else raw
    if "arrayValue" in value:
        values = mapping(value["arrayValue"]).get("values")
        return [_any_value(v) for v in values] if isinstance(values, list) else []
    if "kvlistValue" in value:
        return _attributes(mapping(value["kvlistValue"]).get("values"))
    return None


def _attributes(raw: Any) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, list):
        out: dict[str, Any] = {}
        for item in raw:
            if isinstance(item, Mapping) and "key" in item:
                out[str(item["key"])] = _any_value(item.get("value"))
            elif isinstance(item, Mapping) and "Key" in item:  # Go stdouttrace
                value = item.get("Value")
                out[str(item["Key"])] = value.get("Value") if isinstance(value, Mapping) else value
        return out
    return {}


def _span_id(value: Any) -> str | None:
    """Hex ids as lower-case hex; integers (any-agent) and base64 (non-conforming exporters) converted."""
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:016x}" if value < 2**64 else f"{value:032x}"
    raw = str(value).strip()
    if raw.lower().startswith("0x"):
        return raw[2:].lower()
    if all(c in "0123456789abcdefABCDEF" for c in raw):
        return raw.lower()
    try:
        return base64.b64decode(raw, validate=True).hex()
    except ValueError:
        return raw


def _flatten(record: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """Any accepted shape -> dicts with id, parent, trace, name, start, end, attrs, resource, status."""
    if isinstance(record.get("resourceSpans"), list):
        for resource_spans in record["resourceSpans"]:
            if not isinstance(resource_spans, Mapping):
                yield {"bad": f"resourceSpans entry is {type(resource_spans).__name__}, expected an object"}
                continue
            resource = _attributes(mapping(resource_spans.get("resource")).get("attributes"))
            scopes = (
                resource_spans.get("scopeSpans") or resource_spans.get("instrumentationLibrarySpans") or []
            )
            for scope_spans in scopes if isinstance(scopes, list) else [scopes]:
                spans_in = scope_spans.get("spans") if isinstance(scope_spans, Mapping) else scope_spans
                if not isinstance(spans_in, list):
                    if spans_in:  # an object or value where the spans list belongs
                        yield {"bad": f"spans is {type(spans_in).__name__}, expected a list"}
                    continue
                for span in spans_in:
                    if not isinstance(span, Mapping):
                        yield {"bad": f"span is {type(span).__name__}, expected an object"}
                        continue
                    yield {
                        "id": _span_id(span.get("spanId")),
                        "parent": _span_id(span.get("parentSpanId")),
                        "trace": _span_id(span.get("traceId")),
                        "name": span.get("name"),
                        "start": span.get("startTimeUnixNano"),
                        "end": span.get("endTimeUnixNano"),
                        "attrs": _attributes(span.get("attributes")),
                        "resource": resource,
                        "status": span.get("status"),
                        "raw": span,
                    }
        return
    raw_spans = record.get("spans")
    spans: list[Any] = raw_spans if isinstance(raw_spans, list) else [record]
    for span in spans:
        if not isinstance(span, Mapping):
            yield {"bad": f"span is {type(span).__name__}, expected an object"}
            continue
        context = mapping(span.get("context"))
        parent = span.get("parent_id", span.get("parentSpanId"))
        if parent is None and isinstance(span.get("parent"), Mapping):
            parent = span["parent"].get("span_id")
        resource = mapping(span.get("resource"))
        yield {
            "id": _span_id(context.get("span_id", span.get("spanId", span.get("span_id")))),
            "parent": _span_id(parent),
            "trace": _span_id(context.get("trace_id", span.get("traceId", span.get("trace_id")))),
            "name": span.get("name"),
            "start": span.get("start_time", span.get("startTimeUnixNano")),
            "end": span.get("end_time", span.get("endTimeUnixNano")),
            "attrs": _attributes(span.get("attributes")),
            "resource": _attributes(resource.get("attributes", resource)),
            "status": span.get("status"),
            "raw": span,
        }


# ---------------------------------------------------------------- reading


def _has_usage(span: Mapping[str, Any]) -> bool:
    return any(span["attrs"].get(k) not in (None, 0, "0") for k in USAGE_KEYS)


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    # trace id -> [(line, span)]: spans wait for their trace's root (children end, and export, first).
    open_traces: dict[str | None, list[tuple[int, dict[str, Any]]]] = {}
    seen_ids: set[tuple[str | None, str | None]] = set()
    index = 0
    for line, record in records:
        if isinstance(record, BadJson) or not isinstance(record, Mapping):
            yield line, guarded(ctx, line, record, _never)
            continue
        for span in _flatten(record):
            index += 1
            where = line if ctx.jsonl else index
            if "bad" in span:
                yield where, Reject(span["bad"])
                continue
            key = (span["trace"], span["id"])
            if span["id"] is not None and key in seen_ids:
                ctx.skipped[SKIP_REPEAT] += 1
                continue
            seen_ids.add(key)
            open_traces.setdefault(span["trace"], []).append((where, span))
            if span["parent"] is None and span["trace"] is not None:
                yield from _emit(ctx, open_traces.pop(span["trace"]))
    for spans in open_traces.values():
        yield from _emit(ctx, spans)


def _never(ctx: ReadContext, line: int, record: Mapping[str, Any]) -> Row | Reject:
    raise RecordError("expected an OTLP document or a span object")


def _emit(ctx: ReadContext, spans: list[tuple[int, dict[str, Any]]]) -> Iterator[Item]:
    by_id = {s["id"]: s for _, s in spans if s["id"] is not None}
    covered: set[str] = set()
    for _, span in spans:
        if _has_usage(span):
            parent, hops = span["parent"], 0
            while parent is not None and parent not in covered and hops < 1000:
                covered.add(parent)
                parent = by_id.get(parent, {}).get("parent")
                hops += 1
    for where, span in spans:
        if not _has_usage(span):
            ctx.skipped[SKIP_NO_USAGE] += 1
        elif span["id"] in covered:
            ctx.skipped[SKIP_PARENT] += 1
        else:
            yield where, guarded(ctx, where, span, _convert)


def _first(attrs: Mapping[str, Any], keys: tuple[str, ...], name: str) -> int | None:
    for key in keys:
        if attrs.get(key) is not None:
            return tokens(attrs[key], key)
    return None


def _convert(ctx: ReadContext, line: int, span: Mapping[str, Any]) -> Row | Reject:
    attrs, resource = span["attrs"], span["resource"]
    row = new_row(ctx, line)
    tags: dict[str, Any] = {}
    if span["start"] is None:
        raise RecordError("span has no start time")
    row["ts"] = timestamp(span["start"], "start_time")
    if span["end"] not in (None, "", 0, "0"):
        end = timestamp(span["end"], "end_time")
        row["latency_ms"] = (end - row["ts"]).total_seconds() * 1000.0
    else:
        # end_time null: the call never finished (docs/log-formats.md#traps-handled)
        row["status"] = "incomplete"
    cached = _first(attrs, CACHE_READ_KEYS, "cache_read") or 0
    writes = _first(attrs, CACHE_WRITE_KEYS, "cache_write") or 0
    inp = _first(attrs, INPUT_KEYS, "input") or 0
    row["input_tokens"] = inclusive_input(inp, cached, writes, tags)
    row["cached_input_tokens"] = cached
    row["cache_write_5m_tokens"] = writes
    row["output_tokens"] = _first(attrs, OUTPUT_KEYS, "output") or 0
    row["reasoning_tokens"] = _first(attrs, REASONING_KEYS, "reasoning") or 0
    logged = (
        text(attrs.get("gen_ai.response.model"))
        or text(attrs.get("gen_ai.request.model"))
        or text(attrs.get("llm.model_name"))
    )
    prefix_provider, model = split_provider_prefix(logged)
    row["model"] = model
    requested = text(attrs.get("gen_ai.request.model"))
    if requested and requested != model:
        row["model_requested"] = requested
    row["provider"] = (
        prefix_provider or text(attrs.get("gen_ai.provider.name")) or text(attrs.get("gen_ai.system"))
    )
    row["request_id"] = span["id"] or text(attrs.get("gen_ai.response.id"))
    row["trace_id"] = span["trace"]
    reasons = attrs.get("gen_ai.response.finish_reasons", attrs.get("gen_ai.response.finish_reason"))
    row["finish_reason"] = finish_reason(reasons)
    if attrs.get("gen_ai.request.max_tokens") is not None:
        row["max_tokens"] = tokens(attrs["gen_ai.request.max_tokens"], "gen_ai.request.max_tokens")
    if row["status"] is None:
        row["status"] = "error" if _is_error(span.get("status"), attrs) else "ok"
    costs = [
        money(attrs.get(k), k)
        for k in ("gen_ai.usage.input_cost", "gen_ai.usage.output_cost", "gen_ai.usage.cost")
    ]
    present = [c for c in costs if c is not None]
    row["reported_cost_usd"] = sum(present[1:], present[0]) if present else None
    merged = {**resource, **attrs}
    row["user_id"] = text(merged.get("user.id")) or text(merged.get("enduser.id"))
    row["environment"] = text(merged.get("deployment.environment.name")) or text(
        merged.get("deployment.environment")
    )
    row["prompt_version"] = text(attrs.get("gen_ai.prompt.name"))
    for column, value in attribution_from(merged).items():
        row[column] = value
    tags.update(
        {
            "span_name": text(span.get("name")),
            "operation": text(attrs.get("gen_ai.operation.name")),
            "agent": text(attrs.get("gen_ai.agent.name")),
            "service": text(resource.get("service.name")),
            "conversation_id": text(attrs.get("gen_ai.conversation.id")),
            "server_address": text(attrs.get("server.address")),
        }
    )
    context = {"metadata": merged, "attributes": attrs, "resource": resource, "record": span.get("raw")}
    return finish(ctx, row, tags, context)


def _is_error(status: Any, attrs: Mapping[str, Any]) -> bool:
    if attrs.get("error.type"):
        return True
    if isinstance(status, Mapping):
        code = status.get("code", status.get("status_code"))
        return code in (2, "2", "STATUS_CODE_ERROR", "ERROR", "error")
    return False
