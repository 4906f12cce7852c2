"""Every adapter against small fixtures written for its traps (tests/fixtures/logs)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costctl.errors import InputError
from costctl.logs.adapters import FORMATS, detect_format, read_log
from costctl.logs.schema import COLUMN_NAMES, Reject

FIX = Path(__file__).parent / "fixtures" / "logs"
UTC = dt.timezone.utc


def load(name: str, **kw: Any) -> tuple[str, list[tuple[int, Any]], dict[str, int]]:
    log = read_log(FIX / name, **kw)
    rows = list(log.rows)
    return log.format, rows, dict(log.skipped)


def good(rows: list[tuple[int, Any]]) -> list[dict[str, Any]]:
    return [r for _, r in rows if not isinstance(r, Reject)]


def rejects(rows: list[tuple[int, Any]]) -> dict[int, str]:
    return {line: r.reason for line, r in rows if isinstance(r, Reject)}


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("openai_chat.jsonl", "openai-chat"),
        ("openai_batch_output.jsonl", "openai-batch"),
        ("openai_usage.json", "openai-usage"),
        ("openai_costs.json", "openai-usage"),
        ("anthropic_messages.jsonl", "anthropic-messages"),
        ("anthropic_batch.jsonl", "anthropic-batch"),
        ("claude_code_session.jsonl", "claude-code"),
        ("litellm_spend_logs.json", "litellm"),
        ("langfuse_trace.json", "langfuse"),
        ("otel_otlp.json", "otel"),
        ("otel_console.jsonl", "otel"),
    ],
)
def test_detection_and_row_shape(name: str, fmt: str) -> None:
    assert detect_format(FIX / name) == fmt
    got, rows, _ = load(name)
    assert got == fmt
    assert rows, "every fixture yields rows"
    for line, row in rows:
        assert isinstance(line, int) and line >= 1
        if isinstance(row, Reject):
            continue
        assert set(row) == set(COLUMN_NAMES)
        assert (
            row["source_format"] == fmt
            and row["source_file"] == str(FIX / name)
            and row["source_line"] == line
        )
        assert row["ts"].tzinfo is not None
        assert row["tags"] is None or all(isinstance(v, str) for v in row["tags"].values())
        assert (
            row["cached_input_tokens"] + row["cache_write_5m_tokens"] + row["cache_write_1h_tokens"]
            <= row["input_tokens"]
        )


def test_formats_cover_the_issue() -> None:
    assert set(FORMATS) == {
        "openai-chat",
        "openai-batch",
        "openai-usage",
        "anthropic-messages",
        "anthropic-batch",
        "claude-code",
        "litellm",
        "langfuse",
        "otel",
    }
    assert all(isinstance(d, str) and d for d in FORMATS.values())


def test_openai_chat_fields_and_bad_lines() -> None:
    _, rows, _ = load("openai_chat.jsonl")
    chat, resp, wrapped = good(rows)
    assert (chat["input_tokens"], chat["cached_input_tokens"], chat["output_tokens"]) == (1200, 1024, 300)
    assert chat["ts"] == dt.datetime(2025, 1, 1, tzinfo=UTC) and chat["finish_reason"] == "length"
    # Responses API: reasoning inside output; metadata echo gives attribution; incomplete -> length
    assert (resp["output_tokens"], resp["reasoning_tokens"]) == (500, 450)
    assert (resp["feature"], resp["team"], resp["environment"], resp["user_id"]) == (
        "summarise",
        "growth",
        "prod",
        "u-42",
    )
    assert (
        resp["finish_reason"] == "length"
        and resp["max_tokens"] == 500
        and resp["prompt_version"] == "pmpt_1@3"
    )
    assert resp["system_prompt_hash"] is not None
    # request+response record: request carries system prompt, max_tokens, user, metadata; app metadata wins
    assert (
        wrapped["max_tokens"] == 256
        and wrapped["user_id"] == "u-7"
        and wrapped["model_requested"] == "gpt-4o-mini"
    )
    assert (wrapped["feature"], wrapped["team"], wrapped["prompt_version"]) == ("chat", "support", "v7")
    assert wrapped["finish_reason"] == "tool_calls" and wrapped["latency_ms"] == 850.0
    assert wrapped["system_prompt_hash"] and wrapped["prompt_hash"]
    bad = rejects(rows)
    assert set(bad) == {4, 5, 6, 7, 8}
    assert "negative" in bad[4]
    assert "exceed input" in bad[5]
    assert "'lots'" in bad[6]
    assert "'yesterday'" in bad[7]
    assert "invalid JSON" in bad[8]


def test_openai_batch_joins_input_on_custom_id_not_line() -> None:
    _, rows, _ = load("openai_batch_output.jsonl", batch_input=FIX / "openai_batch_input.jsonl")
    by_id = {json.loads(json.dumps(r["tags"]))["custom_id"]: r for r in good(rows)}
    assert by_id["summary-u2-0002"]["max_tokens"] == 800  # first output line, second input line
    assert by_id["faq-u1-0001"]["max_tokens"] == 200
    assert by_id["faq-u1-0001"]["system_prompt_hash"] == by_id["faq-u3-0003"]["system_prompt_hash"]
    assert by_id["faq-u1-0001"]["system_prompt_hash"] != by_id["summary-u2-0002"]["system_prompt_hash"]
    assert all(r["is_batch"] for r in by_id.values())
    failed = by_id["faq-u3-0003"]
    assert (
        failed["status"] == "error"
        and failed["input_tokens"] == 0
        and "batch_expired" in failed["tags"]["error"]
    )


def test_openai_batch_without_input_still_loads() -> None:
    _, rows, _ = load("openai_batch_output.jsonl")
    assert [r["max_tokens"] for r in good(rows)] == [None, None, None]


def test_openai_usage_buckets_are_aggregates() -> None:
    _, rows, skipped = load("openai_usage.json")
    first, second = good(rows)
    assert first["tags"]["aggregated_requests"] == "3053"
    assert (first["input_tokens"], first["cached_input_tokens"], first["output_tokens"]) == (
        3718360,
        76544,
        97756,
    )
    assert first["ts"] == dt.datetime(2025, 1, 13, tzinfo=UTC)
    assert first["user_id"] is None and first["tags"]["key_owner"] == "user-owner"  # key owner, not end user
    assert second["is_batch"] is True and first["request_id"] != second["request_id"]
    assert skipped == {"empty usage bucket (no traffic)": 1}
    (cost,) = good(load("openai_costs.json")[1])
    assert cost["reported_cost_usd"] == Decimal("0.06") and cost["tags"]["aggregated_requests"] == "0"


def test_anthropic_input_made_inclusive_with_ttl_split() -> None:
    _, rows, _ = load("anthropic_messages.jsonl")
    plain, wrapped = good(rows)
    assert plain["input_tokens"] == 404 + 20000 + 3000
    assert (plain["cached_input_tokens"], plain["cache_write_5m_tokens"], plain["cache_write_1h_tokens"]) == (
        20000,
        1000,
        2000,
    )
    assert plain["finish_reason"] == "length" and plain["tags"]["ts_source"] == "file_mtime"
    assert wrapped["ts"] == dt.datetime(2025, 1, 1, 0, 0, 0, 123000, tzinfo=UTC)  # epoch milliseconds
    assert wrapped["input_tokens"] == 510 and wrapped["cache_write_5m_tokens"] == 500  # no split: default TTL
    assert (wrapped["user_id"], wrapped["max_tokens"], wrapped["model_requested"]) == (
        "cust-9",
        1024,
        "claude-sonnet-4-0",
    )
    assert wrapped["request_id"] == "req_011X" and wrapped["system_prompt_hash"]


def test_anthropic_batch_results() -> None:
    _, rows, _ = load("anthropic_batch.jsonl")
    ok, errored, expired = good(rows)
    assert ok["is_batch"] and ok["input_tokens"] == 150 and ok["cached_input_tokens"] == 50
    assert errored["status"] == "error" and "max_tokens too large" in errored["tags"]["error"]
    assert expired["status"] == "error" and expired["output_tokens"] == 0


def test_claude_code_one_row_per_message_last_line() -> None:
    _, rows, skipped = load("claude_code_session.jsonl")
    msg_a, msg_b = good(rows)
    assert msg_a["request_id"] == "req_A" and msg_a["output_tokens"] == 250 and msg_a["source_line"] == 6
    assert msg_a["input_tokens"] == 3 + 1000 + 20000 and msg_a["cache_write_1h_tokens"] == 1000
    assert msg_a["feature"] == "shop" and msg_a["tags"]["session_id"] == "sess-1"
    assert msg_b["output_tokens"] == 40
    assert "synthetic" in rejects(rows)[9]
    assert sum(skipped.values()) == 7  # 5 non-assistant lines + 2 streamed partials
    read = len(rows) + sum(skipped.values())
    assert read == 10  # every line accounted for


def test_claude_code_sidechain_counts_separately() -> None:
    _, rows, _ = load("claude_code_agent-a77.jsonl")
    (row,) = good(rows)
    assert row["model"] == "claude-haiku-4-5-20251001" and row["output_tokens"] == 60
    assert row["tags"]["is_sidechain"] == "true" and row["tags"]["agent_id"] == "a77"
    assert row["cache_write_5m_tokens"] == 100  # no cache_creation split in older logs: default TTL


def test_litellm_spend_logs() -> None:
    _, rows, _ = load("litellm_spend_logs.json")
    chat, passthrough = good(rows)
    assert chat["ts"] == dt.datetime(2025, 3, 1, 10, tzinfo=UTC)  # naive startTime is UTC
    assert (chat["input_tokens"], chat["cached_input_tokens"], chat["reasoning_tokens"]) == (2000, 1500, 40)
    assert chat["reported_cost_usd"] == Decimal("0.00123") and chat["gateway_cache_hit"] is False
    assert (chat["user_id"], chat["team"], chat["feature"], chat["environment"]) == (
        "cust-1",
        "search-team",
        "search",
        "prod",
    )
    assert chat["prompt_version"] == "v3" and chat["max_tokens"] == 300  # not the model limit 16384
    assert chat["model_requested"] == "gpt-4o-alias" and chat["latency_ms"] == 1500.0
    assert chat["tags"]["internal_user"] == "internal-bob"
    assert passthrough["input_tokens"] == 50 + 4000 + 100 and passthrough["gateway_cache_hit"] is True
    assert "not JSON" in rejects(rows)[3]


def test_langfuse_counts_generations_once() -> None:
    _, rows, skipped = load("langfuse_trace.json")
    g1, g2 = good(rows)
    assert (g1["input_tokens"], g1["cached_input_tokens"], g1["output_tokens"]) == (1060, 1000, 15)
    assert (g1["user_id"], g1["feature"], g1["team"], g1["environment"]) == (
        "user-9",
        "helpdesk",
        "support",
        "staging",
    )
    assert g1["prompt_version"] == "helpdesk@3" and g1["latency_ms"] == 800.0 and g1["max_tokens"] == 512
    assert g2["model"] == "gemini-2.5-flash" and g2["provider"] == "google"
    assert (g2["output_tokens"], g2["reasoning_tokens"]) == (2018, 1173)  # total 2023 - 5 - 845 thinking
    assert g2["status"] == "error" and g2["latency_ms"] == 1000.0  # from times, not the `latency` field
    assert skipped["langfuse: usage also carried by a descendant observation (counted once)"] == 1
    assert sum(r["input_tokens"] for r in good(rows)) == 1065  # the root span's 999 is not added


def test_otel_otlp_counts_the_leaf_spans_once() -> None:
    _, rows, skipped = load("otel_otlp.json")
    gpt, claude = good(rows)
    assert (gpt["input_tokens"], gpt["cached_input_tokens"], gpt["output_tokens"]) == (145, 100, 30)
    assert (
        gpt["model"] == "gpt-4o-2024-08-06"
        and gpt["model_requested"] == "gpt-4o"
        and gpt["max_tokens"] == 400
    )
    assert gpt["finish_reason"] == "stop" and gpt["user_id"] == "u-5" and gpt["environment"] == "prod"
    assert gpt["latency_ms"] == 1500.0 and gpt["ts"] == dt.datetime(2025, 1, 1, tzinfo=UTC)
    assert (
        claude["input_tokens"] == 12 + 3000 + 200
        and claude["tags"]["input_convention"] == "exclusive_detected"
    )
    assert claude["status"] == "error"
    assert skipped == {"otel: usage also carried by a descendant span (counted once)": 1}


def test_otel_console_concatenated_pretty_printed() -> None:
    _, rows, skipped = load("otel_console.jsonl")
    first, second = good(rows)
    assert (
        first["finish_reason"] == "tool_calls" and first["model"] == "accounts/fireworks/models/gpt-oss-20b"
    )
    assert second["status"] == "incomplete" and second["latency_ms"] is None
    assert first["input_tokens"] + second["input_tokens"] == 1140  # the agent span's 1140 is not added again
    assert skipped["otel: the same span printed again"] == 1


@pytest.mark.parametrize(
    "name", ["openai_chat.jsonl", "otel_otlp.json", "claude_code_session.jsonl", "litellm_spend_logs.json"]
)
def test_gzip_input_reads_the_same(name: str, tmp_path: Path) -> None:
    gz = tmp_path / (name + ".gz")
    gz.write_bytes(gzip.compress((FIX / name).read_bytes()))
    plain = [
        (line, r if isinstance(r, Reject) else {**r, "source_file": None})
        for line, r in read_log(FIX / name).rows
    ]
    zipped = [
        (line, r if isinstance(r, Reject) else {**r, "source_file": None}) for line, r in read_log(gz).rows
    ]
    assert zipped == plain


def test_empty_and_unknown_files_raise_naming_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    with pytest.raises(InputError, match="empty") as err:
        read_log(empty)
    assert str(empty) in err.value.line()
    other = tmp_path / "other.jsonl"
    other.write_text('{"hello": "world"}\n')
    with pytest.raises(InputError, match="no known log format; expected one of .*openai-chat") as err:
        read_log(other)
    assert str(other) in err.value.line() and "--input-format" in err.value.line()
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="no known log format"):
        read_log(csv)
    with pytest.raises(InputError, match="not found"):
        read_log(tmp_path / "missing.jsonl")
    with pytest.raises(InputError, match="unknown log format 'litelm'; did you mean 'litellm'"):
        read_log(FIX / "openai_chat.jsonl", "litelm")
    with pytest.raises(InputError, match="empty"):
        read_log(empty, "litellm")


def test_forced_format_on_foreign_records_rejects_not_raises() -> None:
    rows = list(read_log(FIX / "otel_otlp.json", "openai-chat").rows)
    assert rows and all(isinstance(r, Reject) for _, r in rows)


def test_wrong_types_anywhere_become_rejects(tmp_path: Path) -> None:
    path = tmp_path / "weird.jsonl"
    src = (FIX / "claude_code_session.jsonl").read_text().splitlines()
    bad = json.loads(src[2])
    bad["message"]["usage"]["cache_creation"] = "lots"
    bad2 = json.loads(src[7])
    bad2["message"]["usage"]["input_tokens"] = None
    path.write_text(
        "\n".join(
            [
                src[0],
                json.dumps(bad),
                json.dumps(bad2),
                "[1, 2]",
                '{"type": "assistant", "sessionId": 1, "message": {"id": "m", "usage": [], "role": "assistant"}}',
            ]
        )
        + "\n"
    )
    rows = list(read_log(path, "claude-code").rows)
    assert rows and all(isinstance(r, Reject) for _, r in rows)


def test_streaming_reads_large_jsonl_lazily(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    line = (FIX / "openai_chat.jsonl").read_text().splitlines()[0]
    with path.open("w") as fh:
        for i in range(5000):
            fh.write(line.replace("chatcmpl-A1", f"chatcmpl-{i}") + "\n")
    log = read_log(path)
    first = next(log.rows)
    assert first[0] == 1 and first[1]["request_id"] == "chatcmpl-0"
    assert sum(1 for _ in log.rows) == 4999


def test_rules_are_applied_by_adapters(tmp_path: Path) -> None:
    from costctl.logs.rules import TagRules

    rules = TagRules.from_mapping(
        {
            "feature": {"regex": "^(?P<feature>[a-z]+)-u\\d+-\\d+$", "on": "custom_id"},
            "user_id": {"regex": "-(u\\d+)-", "on": "custom_id"},
            "environment": {"value": "batch-prod"},
        }
    )
    shutil.copy(FIX / "openai_batch_output.jsonl", tmp_path / "out.jsonl")
    rows = good(list(read_log(tmp_path / "out.jsonl", rules=rules).rows))
    assert [(r["feature"], r["user_id"], r["environment"]) for r in rows] == [
        ("summary", "u2", "batch-prod"),
        ("faq", "u1", "batch-prod"),
        ("faq", "u3", "batch-prod"),
    ]
    route = TagRules.from_mapping({"feature": {"from": "metadata.route"}})
    resp = good(list(read_log(FIX / "openai_chat.jsonl", rules=route).rows))[1]
    assert resp["feature"] == "/api/sum"
