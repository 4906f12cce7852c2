"""Adapters against real files published by others (../shared/real-logs; skipped when absent).

Every number here was checked by reading the files (one row per Claude Code message.id from its last
line, Anthropic input made inclusive; the any-agent trace counted once).
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import REAL_LOGS, needs_real_logs

from costctl.logs.adapters import read_log
from costctl.logs.schema import Reject

pytestmark = needs_real_logs

SUMS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)


def summary(rel: str) -> tuple[str, list[dict[str, Any]], list[Reject], dict[str, int]]:
    log = read_log(REAL_LOGS / rel)
    items = list(log.rows)
    rows = [r for _, r in items if not isinstance(r, Reject)]
    rejected = [r for _, r in items if isinstance(r, Reject)]
    return log.format, rows, rejected, dict(log.skipped)


def totals(rows: list[dict[str, Any]]) -> tuple[int, ...]:
    return tuple(sum(r[k] for r in rows) for k in SUMS)


@pytest.mark.parametrize(
    ("rel", "rows", "sums", "lines"),
    [
        # input = uncached + cache read + cache write, per message's last line
        ("claude-code/spotter_short.jsonl", 1, (25353, 11515, 0, 13835, 13, 0), 15),
        ("claude-code/spotter_tool_heavy.jsonl", 4, (105981, 88231, 0, 17696, 212, 0), 39),
        ("claude-code/spotter_subagent.jsonl", 12, (454704, 427286, 0, 25842, 1586, 0), 96),
        ("claude-code/spotter_sidechain_agent-a881341.jsonl", 3, (76350, 34159, 0, 42176, 3, 0), 10),
        ("claude-code/ccusage_project-alpha_chat.jsonl", 3, (745, 70, 75, 0, 250, 0), 3),
    ],
)
def test_claude_code_transcripts(rel: str, rows: int, sums: tuple[int, ...], lines: int) -> None:
    fmt, got, rejected, skipped = summary(rel)
    assert fmt == "claude-code" and not rejected
    assert len(got) == rows
    assert len({r["request_id"] for r in got}) == rows
    assert totals(got) == sums
    assert len(got) + sum(skipped.values()) == lines  # every line read is accounted for


def test_claude_code_last_line_wins_over_first() -> None:
    _, rows, _, _ = summary("claude-code/spotter_tool_heavy.jsonl")
    by_id = {r["request_id"]: r for r in rows}
    assert by_id["req_011CY1DcMwHdEPXMf4hW4MxJ"]["output_tokens"] == 173  # first streamed line says 25
    assert by_id["req_011CY1DcMwHdEPXMf4hW4MxJ"]["source_line"] == 37


def test_claude_code_sidechain_on_another_model_and_reported_cost() -> None:
    _, rows, _, _ = summary("claude-code/spotter_sidechain_agent-a881341.jsonl")
    assert {r["model"] for r in rows} == {"claude-sonnet-4-5-20250929"}
    assert all(r["tags"]["is_sidechain"] == "true" and r["tags"]["agent_id"] == "a881341" for r in rows)
    _, alpha, _, _ = summary("claude-code/ccusage_project-alpha_chat.jsonl")
    assert [str(r["reported_cost_usd"]) for r in alpha] == ["0.12", "0.34", "0.56"]
    assert alpha[1]["tags"]["speed"] == "fast"


def test_groq_batch_output_out_of_order() -> None:
    fmt, rows, rejected, _ = summary("openai-batch/groq_batch_output.jsonl")
    assert fmt == "openai-batch" and not rejected
    assert [r["tags"]["custom_id"] for r in rows] == ["request-2", "request-3", "request-1"]
    assert totals(rows) == (178, 0, 0, 0, 2091, 0)
    assert all(
        r["is_batch"] and r["provider"] == "groq" and r["model"] == "llama-3.1-8b-instant" for r in rows
    )


def test_litellm_payloads() -> None:
    for rel in ("litellm/spend_logs_payload.json", "litellm/standard_logging_payload.json"):
        fmt, rows, rejected, _ = summary(rel)
        assert fmt == "litellm" and not rejected
        (row,) = rows
        assert (row["input_tokens"], row["output_tokens"], row["model"]) == (10, 20, "gpt-4o")
        assert str(row["reported_cost_usd"]) == "0.00022500000000000002"
        assert row["ts"].isoformat() == "2025-01-24T09:20:46.847371+00:00"  # naive startTime read as UTC
        assert row["latency_ms"] == pytest.approx(4.583)
    _, (spend,), _, _ = summary("litellm/spend_logs_payload.json")
    assert spend["gateway_cache_hit"] is False and spend["user_id"] is None


def test_langfuse_ingestion_body_from_litellm() -> None:
    fmt, (row,), rejected, _ = summary("litellm/langfuse_ingestion_completion_with_tags.json")
    assert fmt == "langfuse" and not rejected
    assert row["ts"].isoformat() == "2025-01-22T15:31:28.960749+00:00"  # -08:00 offset converted
    assert (row["input_tokens"], row["output_tokens"], row["model"]) == (10, 20, "gpt-3.5-turbo")
    assert row["tags"]["trace_tags"] == '["test_tag", "test_tag_2"]'


@pytest.mark.parametrize(
    ("rel", "rows", "sums", "cost"),
    [
        ("langfuse/claude-agent-2025-12-22.trace.json", 4, (34, 0, 0, 0, 232, 0), "0.003582"),
        ("langfuse/llamaindex-2025-06-05.trace.json", 1, (13, 0, 0, 0, 81, 0), "0.000842499999"),
        ("langfuse/openai-agents-2025-09-30.trace.json", 2, (140, 0, 0, 0, 44, 0), "0.000632"),
        ("langfuse/seeder_langgraph-2025-08-22.json", 2, (168, 0, 0, 0, 66, 0), "0.000234"),
        # Vertex: total 2023 = 5 + 845 + 1173 thinking tokens not itemised
        ("langfuse/vertex-ai-2025-08-01.trace.json", 1, (5, 0, 0, 0, 2018, 1173), "0.00085"),
    ],
)
def test_langfuse_traces(rel: str, rows: int, sums: tuple[int, ...], cost: str) -> None:
    fmt, got, rejected, _ = summary(rel)
    assert fmt == "langfuse" and not rejected and len(got) == rows
    assert totals(got) == sums
    assert str(sum(r["reported_cost_usd"] for r in got)) == cost


def test_langfuse_latency_from_times_not_mixed_units() -> None:
    _, seeder, _, _ = summary("langfuse/seeder_langgraph-2025-08-22.json")  # latency field in ms there
    _, agents, _, _ = summary("langfuse/openai-agents-2025-09-30.trace.json")  # latency field in s there
    assert sorted(r["latency_ms"] for r in seeder) == [848.0, 1743.0]
    assert sorted(r["latency_ms"] for r in agents) == [1036.0, 1150.0]
    _, (llama,), _, _ = summary("langfuse/llamaindex-2025-06-05.trace.json")
    assert (llama["user_id"], llama["tags"]["session_id"], llama["tags"]["version"]) == (
        "user_123",
        "session_abc",
        "1.0.0",
    )


def test_any_agent_trace_counted_once() -> None:
    fmt, rows, rejected, skipped = summary("otel/any-agent_OPENAI_trace.json")
    assert fmt == "otel" and not rejected
    assert len(rows) == 3 and totals(rows) == (1020, 0, 0, 0, 76, 0)
    assert {r["model"] for r in rows} == {"mistral-small-latest"} and {r["provider"] for r in rows} == {
        "mistral"
    }
    assert len({r["trace_id"] for r in rows}) == 1
    assert str(sum(r["reported_cost_usd"] for r in rows)) == "0.0001248"
    assert sum(skipped.values()) == 3  # two execute_tool spans and the invoke_agent span
    assert rows[0]["ts"].isoformat() == "2025-09-16T12:43:13.210770+00:00"  # integer nanoseconds
