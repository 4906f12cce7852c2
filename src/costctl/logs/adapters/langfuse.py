"""Langfuse exports: `{trace, observations}` documents, observation lists (`{"data": [...]}` or arrays or
JSONL), and ingestion batches (`{"batch": [trace-create, generation-create, ...]}`) (docs/log-formats.md).

One row per GENERATION/EMBEDDING observation (or any observation carrying usage); spans, tools and agents
are skipped (counted in `LogRead.skipped`). An observation whose descendants carry usage is not counted
again (usage once per generation, never on the parents as well).

Usage keys differ per integration (docs/log-formats.md#traps-handled):
- Langfuse's own `input_*`/`output_*` detail keys (`input_cache_read`, `input_cache_creation`,
  `output_reasoning`, ...) are DISJOINT from `input`/`output`: the Langfuse LangChain handler subtracts them
  (langfuse-python `langchain/CallbackHandler.py`, `_parse_usage_model`), so they are added back;
- OpenInference `prompt_details.*` / `completion_details.*` keys are PARTS of `input`/`output`;
- Anthropic-named `cache_read_input_tokens` / `cache_creation_input_tokens` (forwarded by LiteLLM) are parts
  of `input` unless they exceed it (then added, tagged `input_convention=exclusive_detected`);
- when `total` exceeds input + output (Vertex/Gemini thinking tokens are not itemised), the difference is
  counted as output reasoning and the row tagged `reasoning_from_total`.
Latency is recomputed as endTime - startTime in ms (the `latency` field is seconds in some exports and
milliseconds in others, docs/log-formats.md#traps-handled). Trace `metadata` is a JSON string, observation `metadata` an object.
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
    attribution_from,
    finish,
    guarded,
    guess_provider,
    inclusive_input,
    key_value_tags,
    mapping,
    money,
    new_row,
    obj,
    sha16,
    short_vertex_model,
    text,
    timestamp,
    tokens,
)
from costctl.logs.schema import Reject

NAME = "langfuse"
DESCRIPTION = "Langfuse trace exports ({trace, observations}), observation lists, ingestion batches"

_USAGE_TYPES = {"GENERATION", "EMBEDDING"}
SKIP_NO_USAGE = "langfuse: observation without usage (span, tool, agent, event)"
SKIP_PARENT = "langfuse: usage also carried by a descendant observation (counted once)"
SKIP_TRACE = "langfuse: trace record (attribution only)"


def _is_observation(value: Any) -> bool:
    return isinstance(value, Mapping) and "traceId" in value and "type" in value and "startTime" in value


def sniff(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    if isinstance(record.get("trace"), Mapping) and isinstance(record.get("observations"), list):
        return True
    batch = record.get("batch")
    if isinstance(batch, list) and batch and isinstance(batch[0], Mapping):
        return str(batch[0].get("type", "")).endswith(("-create", "-update"))
    data = record.get("data")
    if isinstance(data, list) and data:
        return _is_observation(data[0])
    return _is_observation(record)


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    counter = iter(range(1, 2**62))  # documents: observations numbered in file order (schema: record index)
    for line, record in records:
        if isinstance(record, BadJson) or not isinstance(record, Mapping):
            yield line, guarded(ctx, line, record, _never)
            continue
        if isinstance(record.get("trace"), Mapping):
            trace = record["trace"]
            observations = record.get("observations") or trace.get("observations") or []
            traces = {str(trace.get("id")): trace}
        elif isinstance(record.get("batch"), list):
            observations, traces = _from_ingestion(record["batch"])
        elif isinstance(record.get("data"), list):
            observations, traces = record["data"], {}
        else:  # one observation per line/element: no hierarchy available, generations only
            observations, traces = [record], {}
        if not isinstance(observations, list):
            yield line, Reject(f"observations is {type(observations).__name__}, expected a list")
            continue
        group = [(line if ctx.jsonl else next(counter), o) for o in observations]
        yield from _rows(ctx, group, traces, with_hierarchy=len(group) > 1)


def _never(ctx: ReadContext, line: int, record: Mapping[str, Any]) -> Row | Reject:
    raise RecordError("expected a Langfuse trace, observation or ingestion batch object")


def _from_ingestion(batch: list[Any]) -> tuple[list[Any], dict[str, Mapping[str, Any]]]:
    """Merge create/update events by id: traces for attribution, observations for rows."""
    traces: dict[str, dict[str, Any]] = {}
    observations: dict[str, dict[str, Any]] = {}
    for event in batch:
        if not isinstance(event, Mapping) or not isinstance(event.get("body"), Mapping):
            continue
        kind = str(event.get("type", ""))
        body = event["body"]
        if kind.startswith("trace-"):
            traces.setdefault(str(body.get("id")), {}).update(body)
        elif kind.startswith(("generation-", "span-", "event-", "observation-")):
            merged = observations.setdefault(str(body.get("id")), {})
            merged.update({k: v for k, v in body.items() if v is not None})
            if kind.startswith("generation-"):
                merged.setdefault("type", "GENERATION")
            elif kind.startswith("span-"):
                merged.setdefault("type", "SPAN")
    return list(observations.values()), dict(traces)


def _has_usage(observation: Mapping[str, Any]) -> bool:
    for key in ("usageDetails", "usage"):
        usage = observation.get(key)
        if isinstance(usage, Mapping) and any(
            isinstance(v, (int, float)) and not isinstance(v, bool) and v
            for k, v in usage.items()
            if k != "unit"
        ):
            return True
    return False


def _rows(
    ctx: ReadContext,
    group: list[tuple[int, Any]],
    traces: Mapping[str, Mapping[str, Any]],
    *,
    with_hierarchy: bool,
) -> Iterator[Item]:
    parents_with_usage: set[str] = set()
    if with_hierarchy:
        by_id = {str(o.get("id")): o for _, o in group if isinstance(o, Mapping)}
        for _, o in group:
            if isinstance(o, Mapping) and _has_usage(o):
                parent = o.get("parentObservationId")
                seen: set[str] = set()
                while parent and str(parent) not in seen:  # mark every ancestor
                    seen.add(str(parent))
                    parents_with_usage.add(str(parent))
                    parent = by_id.get(str(parent), {}).get("parentObservationId")
    for line, observation in group:
        if not isinstance(observation, Mapping):
            yield line, Reject(f"observation is {type(observation).__name__}, expected an object")
            continue
        counts = _has_usage(observation) or str(observation.get("type", "")).upper() in _USAGE_TYPES
        if not counts:
            ctx.skipped[SKIP_NO_USAGE] += 1
            continue
        if str(observation.get("id")) in parents_with_usage:
            ctx.skipped[SKIP_PARENT] += 1
            continue
        trace = traces.get(str(observation.get("traceId")), {})
        yield line, guarded(ctx, line, observation, _convert, trace)


def _usage(row: Row, tags: dict[str, Any], observation: Mapping[str, Any]) -> None:
    details = observation.get("usageDetails")
    usage: Mapping[str, Any] = (
        details if isinstance(details, Mapping) and details else (observation.get("usage") or {})
    )
    if not isinstance(usage, Mapping):
        raise RecordError("usageDetails is not an object")
    clean: dict[str, int | None] = {}
    for key, value in usage.items():
        if key not in ("unit", "totalCost", "inputCost", "outputCost"):
            clean[str(key)] = tokens(value, f"usageDetails.{key}")
    inp = clean.pop("input", None) or clean.pop("promptTokens", None) or 0
    out = clean.pop("output", None) or clean.pop("completionTokens", None) or 0
    total = clean.pop("total", None) or clean.pop("totalTokens", None)
    cached = writes = reasoning = 0
    for key, value in clean.items():
        value = value or 0
        if key.startswith("input_"):  # Langfuse detail keys: carved out of `input`, add back
            inp += value
            if "cache_read" in key or "cached" in key:
                cached += value
            elif "cache_creation" in key or "cache_write" in key:
                writes += value
        elif key.startswith("output_"):
            out += value
            if "reasoning" in key:
                reasoning += value
        elif key.startswith("prompt_details.") or key.startswith("completion_details."):
            if key.endswith("cache_read"):
                cached += value
            elif key.endswith(("cache_write", "cache_creation")):
                writes += value
            elif key.endswith("reasoning"):
                reasoning += value
        elif key == "cache_read_input_tokens":
            cached += value
        elif key == "cache_creation_input_tokens":
            writes += value
    inp = inclusive_input(inp, cached, writes, tags)
    if total is not None and total > inp + out:
        hidden = total - inp - out
        out += hidden
        reasoning += hidden
        tags["reasoning_from_total"] = hidden
    row["input_tokens"] = inp
    row["cached_input_tokens"] = cached
    row["cache_write_5m_tokens"] = writes
    row["output_tokens"] = out
    row["reasoning_tokens"] = reasoning


def _convert(
    ctx: ReadContext, line: int, observation: Mapping[str, Any], trace: Mapping[str, Any]
) -> Row | Reject:
    row = new_row(ctx, line)
    tags: dict[str, Any] = {}
    _usage(row, tags, observation)
    row["ts"] = timestamp(observation.get("startTime"), "startTime")
    if observation.get("endTime"):
        end = timestamp(observation["endTime"], "endTime")
        row["latency_ms"] = (end - row["ts"]).total_seconds() * 1000.0
    row["request_id"] = text(observation.get("id"))
    row["trace_id"] = text(observation.get("traceId"))
    logged_model = text(observation.get("model"))
    row["model"] = short_vertex_model(logged_model)
    if logged_model != row["model"]:
        row["model_requested"] = logged_model
    obs_meta = obj(observation.get("metadata"), "observation.metadata")
    trace_meta = obj(trace.get("metadata"), "trace.metadata")
    attributes = mapping(obs_meta.get("attributes"))
    row["provider"] = (
        guess_provider(row["model"])
        or text(attributes.get("gen_ai.system"))
        or text(attributes.get("llm.system"))
    )
    cost = observation.get("costDetails")
    total_cost = cost.get("total") if isinstance(cost, Mapping) and cost else None
    if total_cost is None:
        total_cost = observation.get("totalCost", observation.get("calculatedTotalCost"))
    row["reported_cost_usd"] = money(total_cost, "costDetails.total")
    params = mapping(observation.get("modelParameters"))
    for key in ("max_tokens", "maxTokens", "max_output_tokens", "max_completion_tokens"):
        if params.get(key) is not None:
            row["max_tokens"] = tokens(params[key], f"modelParameters.{key}")
            break
    level = text(observation.get("level"))
    row["status"] = "error" if level == "ERROR" else "ok"
    if level == "ERROR" and text(observation.get("statusMessage")):
        tags["error"] = text(observation.get("statusMessage"))
    prompt_name, prompt_version = text(observation.get("promptName")), text(observation.get("promptVersion"))
    if prompt_name or prompt_version:
        row["prompt_version"] = (
            f"{prompt_name}@{prompt_version}"
            if prompt_name and prompt_version
            else (prompt_name or prompt_version)
        )
    row["environment"] = text(observation.get("environment")) or text(trace.get("environment"))
    row["user_id"] = text(trace.get("userId"))
    trace_tags = trace.get("tags") if isinstance(trace.get("tags"), list) else []
    meta_tags = obs_meta.get("tags") if isinstance(obs_meta.get("tags"), list) else []
    trace_tags = trace_tags or meta_tags  # LiteLLM/LangChain put tags on the observation metadata
    for column, value in {
        **attribution_from(key_value_tags(trace_tags)),
        **attribution_from(trace_meta),
        **attribution_from(obs_meta),
    }.items():
        row[column] = value
    tags.update(
        {
            "trace_name": text(trace.get("name")),
            "session_id": text(trace.get("sessionId")),
            "release": text(trace.get("release")),
            "version": text(trace.get("version")) or text(observation.get("version")),
            "trace_tags": trace_tags or None,
            "observation_name": text(observation.get("name")),
        }
    )
    instructions = params.get("instructions")
    if isinstance(instructions, str) and instructions:
        row["system_prompt_hash"] = sha16(instructions)
    context = {
        "metadata": {**trace_meta, **obs_meta},
        "trace": trace,
        "record": observation,
        "trace_tags": trace_tags,
    }
    return finish(ctx, row, tags, context)
