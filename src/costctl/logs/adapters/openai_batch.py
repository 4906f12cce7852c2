"""OpenAI Batch API output files, and OpenAI-compatible ones such as Groq's (docs/log-formats.md).

Output line: `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}`. The input file
(`batch_input=`) is the only home of the system prompt and `max_tokens`; output order is not input order,
so the join is on `custom_id` (docs/log-formats.md#traps-handled). Failed lines load as `status=error` rows with zero tokens
(docs/log-formats.md#traps-handled); they have no time of their own, so they take the file's modification time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from costctl.errors import InputError
from costctl.logs.adapters._common import (
    BadJson,
    Item,
    ReadContext,
    Row,
    dig,
    finish,
    guarded,
    iter_records,
    new_row,
    obj,
    prompt_hash,
    sha16,
    system_hash_from_messages,
    text,
)
from costctl.logs.adapters.openai_chat import apply_metadata, fill_from_body
from costctl.logs.schema import Reject

NAME = "openai-batch"
DESCRIPTION = "OpenAI (or Groq/vLLM) batch output JSONL; add batch_input= for system prompt and max_tokens"


@dataclass(frozen=True)
class BatchRequest:
    """What the input file knows about one custom_id (only hashes are kept, never the prompts)."""

    model: str | None
    max_tokens: int | None
    system_prompt_hash: str | None
    prompt_hash: str | None
    metadata: dict[str, Any]


def sniff(record: Any) -> bool:
    return (
        isinstance(record, Mapping)
        and "custom_id" in record
        and ("response" in record or "error" in record)
        and "result" not in record
    )


def load_batch_input(path: Path) -> dict[str, BatchRequest]:
    """custom_id -> request facts, from an OpenAI (`body`) or Anthropic (`params`) batch input file."""
    if not path.is_file():
        raise InputError("batch input file not found", where=str(path))
    found: dict[str, BatchRequest] = {}
    for line, record in iter_records(path):
        # The user named this file to join on: a line it cannot use would silently lose that join, so it is
        # an error naming the line, not a skip.
        where = f"{path}:{line}"
        if isinstance(record, BadJson):
            raise InputError(f"--batch-input: {record.reason}", where=where)
        if not isinstance(record, Mapping) or "custom_id" not in record:
            raise InputError("--batch-input: expected a batch request with a custom_id", where=where)
        body = record.get("body") if isinstance(record.get("body"), Mapping) else record.get("params")
        if not isinstance(body, Mapping):
            raise InputError(
                "--batch-input: expected the request in `body` (OpenAI) or `params` (Anthropic)", where=where
            )
        messages = body.get("messages", body.get("input"))
        system = body.get("system", body.get("instructions"))
        if isinstance(system, list):
            system = "".join(p.get("text", "") for p in system if isinstance(p, Mapping))
        max_tokens = None
        for key in ("max_tokens", "max_completion_tokens", "max_output_tokens"):
            value = body.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                max_tokens = value
                break
        meta = body.get("metadata")
        found[str(record["custom_id"])] = BatchRequest(
            model=text(body.get("model")),
            max_tokens=max_tokens,
            system_prompt_hash=sha16(system)
            if isinstance(system, str) and system
            else system_hash_from_messages(messages),
            prompt_hash=prompt_hash(messages),
            metadata=dict(meta) if isinstance(meta, Mapping) else {},
        )
    return found


def read(records: Iterator[tuple[int, Any]], ctx: ReadContext) -> Iterator[Item]:
    inputs = load_batch_input(ctx.batch_input) if ctx.batch_input else {}
    for line, record in records:
        yield line, guarded(ctx, line, record, convert, inputs)


def convert(
    ctx: ReadContext, line: int, record: Mapping[str, Any], inputs: dict[str, BatchRequest]
) -> Row | Reject:
    row = new_row(ctx, line)
    row["is_batch"] = True
    custom_id = text(record.get("custom_id"))
    tags: dict[str, Any] = {"custom_id": custom_id}
    joined = inputs.get(custom_id or "")
    response = obj(record.get("response"), "response")
    body = obj(response.get("body"), "response.body")
    status_code = response.get("status_code")
    error = record.get("error") or body.get("error")
    request: dict[str, Any] = {"model": joined.model} if joined else {}
    if error or (isinstance(status_code, int) and status_code >= 400) or not body.get("usage"):
        row["ts"] = ctx.file_mtime
        tags["ts_source"] = "file_mtime"
        row["status"] = str(status_code) if isinstance(status_code, int) and status_code >= 400 else "error"
        row["finish_reason"] = "error"
        row["model"] = text(body.get("model")) or (joined.model if joined else None)
        row["provider"] = "openai"
        code = dig(error, "code") if isinstance(error, Mapping) else None
        message = dig(error, "message") if isinstance(error, Mapping) else error
        tags["error"] = f"{code}: {message}" if code else (text(message) or "no usage in response")
    else:
        fill_from_body(row, tags, body, request=request)
        row["is_batch"] = True
    row["request_id"] = text(response.get("request_id")) or text(record.get("id")) or row["request_id"]
    meta: dict[str, Any] = dict(joined.metadata) if joined else {}
    if joined:
        row["max_tokens"] = joined.max_tokens
        row["system_prompt_hash"] = joined.system_prompt_hash
        row["prompt_hash"] = joined.prompt_hash
        tags["batch_input_joined"] = True
    elif ctx.batch_input:
        tags["batch_input_joined"] = False
    apply_metadata(row, tags, meta)
    context = {"metadata": meta, "custom_id": custom_id, "record": record}
    return finish(ctx, row, tags, context)
