"""Claude Code session transcripts, `~/.claude/projects/<project>/<session>.jsonl` (docs/log-formats.md).

Claude Code writes one line per streamed content block and repeats the response's usage on each; lines of
one response share `message.id` and `requestId`, and only the last carries the final output count
(docs/log-formats.md#traps-handled). So: exactly one row per message, from its LAST line (output = the largest count seen, which
is the last line's in every real transcript), yielded with the line number of that last line.

Streaming: a message's lines are close together, so a message is emitted once it has not been seen for
`WINDOW` lines (and at the end of the file); memory is bounded by the window, not the file.

Not yielded, but counted in `LogRead.skipped`: lines that are not assistant responses (user, progress,
system, summary, file-history-snapshot, queue-operation) and the earlier streamed lines of a message. A line
whose message carries a model and a usage is a response whatever its `type` (or lack of one) says.
Model `<synthetic>` (locally generated error text) is not billable: rejected with that reason.
Usage follows Anthropic's exclusive convention and is converted (anthropic.fill_usage).
Sidechain/subagent files are separate billable calls: never deduplicated against the parent session.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from costctl.logs.adapters._common import (
    BadJson,
    Item,
    ReadContext,
    RecordError,
    Row,
    finish,
    finish_reason,
    mapping,
    money,
    new_row,
    text,
    timestamp,
    tokens,
)
from costctl.logs.adapters.anthropic import fill_usage
from costctl.logs.schema import Reject

NAME = "claude-code"
DESCRIPTION = (
    "Claude Code session JSONL (~/.claude/projects/*/*.jsonl): one row per message.id, last line wins"
)

WINDOW = 5000
_LINE_TYPES = {
    "user",
    "assistant",
    "system",
    "summary",
    "progress",
    "file-history-snapshot",
    "queue-operation",
}
SKIP_NOT_RESPONSE = "claude-code: line is not an assistant response (user/progress/system/...)"
SKIP_STREAMED = "claude-code: earlier streamed line of a message (its last line is kept)"


def sniff(record: Any) -> bool:
    if not isinstance(record, Mapping):
        return False
    if record.get("type") in _LINE_TYPES and (
        "sessionId" in record or "leafUuid" in record or "messageId" in record
    ):
        return True
    message = record.get("message")
    return (
        isinstance(message, Mapping)
        and "sessionId" in record
        and isinstance(message.get("usage"), Mapping)
        and ("requestId" in record or "id" in message)
    )


@dataclass
class _Pending:
    line: int
    record: Mapping[str, Any]
    max_output: int
    last_seen: int


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    pending: dict[str, _Pending] = {}
    for line, record in records:
        if isinstance(record, BadJson):
            yield line, Reject(record.reason)
            continue
        if not isinstance(record, Mapping):
            yield line, Reject(f"expected a JSON object, got {type(record).__name__}")
            continue
        message = mapping(record.get("message"))
        is_response = isinstance(record.get("message"), Mapping) and (
            record.get("type") == "assistant"
            or (record.get("type") is None and message.get("role") == "assistant")
            or _carries_billed_usage(message)
        )
        if not is_response:
            ctx.skipped[SKIP_NOT_RESPONSE] += 1
        else:
            key = _key(record, message, line)
            output = (
                message.get("usage", {}).get("output_tokens")
                if isinstance(message.get("usage"), Mapping)
                else None
            )
            output = output if isinstance(output, int) and not isinstance(output, bool) else -1
            seen = pending.get(key)
            if seen is not None:
                ctx.skipped[SKIP_STREAMED] += 1
                seen.line, seen.record, seen.last_seen = line, record, line
                seen.max_output = max(seen.max_output, output)
            else:
                pending[key] = _Pending(line, record, output, line)
        if len(pending) > 1 and line % 256 == 0:
            for key in [k for k, p in pending.items() if line - p.last_seen > WINDOW]:
                done = pending.pop(key)
                yield done.line, _convert(ctx, done)
    for done in sorted(pending.values(), key=lambda p: p.line):
        yield done.line, _convert(ctx, done)


def _carries_billed_usage(message: Mapping[str, Any]) -> bool:
    """A message with a model and a usage object is a billed API response, whatever the line's `type` or
    `sessionId` say (or omit): skipping it would drop spend silently."""
    usage = message.get("usage")
    return (
        isinstance(usage, Mapping)
        and bool(text(message.get("model")))
        and any(usage.get(k) is not None for k in ("input_tokens", "output_tokens"))
    )


def _key(record: Mapping[str, Any], message: Mapping[str, Any], line: int) -> str:
    ids = (text(message.get("id")), text(record.get("requestId")))
    if ids == (None, None):
        return f"line:{line}"  # no id at all: every line is its own response
    return f"{ids[0]}|{ids[1]}"


def _convert(ctx: ReadContext, done: _Pending) -> Row | Reject:
    try:
        return _row(ctx, done)
    except RecordError as exc:
        return Reject(str(exc))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Reject(f"malformed record: {type(exc).__name__}: {exc}")


def _row(ctx: ReadContext, done: _Pending) -> Row | Reject:
    record, message = done.record, done.record["message"]
    model = text(message.get("model"))
    if model == "<synthetic>":
        return Reject(
            "model <synthetic>: a message Claude Code generated locally, not an API call (not billable)"
        )
    usage = message.get("usage")
    if not isinstance(usage, Mapping):
        raise RecordError("assistant line has no message.usage")
    for key in ("input_tokens", "output_tokens"):
        if key not in usage or usage[key] is None:
            raise RecordError(f"message.usage.{key} is missing or null")
    row = new_row(ctx, done.line)
    fill_usage(row, usage, "message.usage")
    if done.max_output > row["output_tokens"]:
        row["output_tokens"] = done.max_output
    row["ts"] = timestamp(record.get("timestamp"), "timestamp")
    row["provider"] = "anthropic"
    row["model"] = model
    row["request_id"] = text(record.get("requestId")) or text(message.get("id"))
    row["finish_reason"] = finish_reason(message.get("stop_reason"))
    row["status"] = "error" if record.get("isApiErrorMessage") else "ok"
    row["reported_cost_usd"] = money(record.get("costUSD"), "costUSD")
    cwd = text(record.get("cwd"))
    project = posixpath.basename(cwd.rstrip("/")) if cwd else None
    # Claude Code has no user or feature field (docs/log-formats.md#traps-handled): the project directory stands for the feature.
    row["feature"] = project
    row["environment"] = text(record.get("entrypoint"))
    tags: dict[str, Any] = {
        "session_id": text(record.get("sessionId")),
        "message_id": text(message.get("id")),
        "cwd": cwd,
        "project": project,
        "git_branch": text(record.get("gitBranch")),
        "is_sidechain": record.get("isSidechain") if isinstance(record.get("isSidechain"), bool) else None,
        "agent_id": text(record.get("agentId")),
        "claude_code_version": text(record.get("version")),
        "speed": text(usage.get("speed")),
        "service_tier": text(usage.get("service_tier")),
    }
    web = usage.get("server_tool_use")
    if isinstance(web, Mapping) and tokens(web.get("web_search_requests"), "web_search_requests"):
        tags["web_search_requests"] = web["web_search_requests"]
    context = {"metadata": tags, "record": record}
    return finish(ctx, row, tags, context)
