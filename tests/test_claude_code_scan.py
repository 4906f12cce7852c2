"""Claude Code transcripts read by DuckDB give exactly what the Python adapter gives: the same requests, rejects
(with their reasons, lines and snippets) and per-file counts, on real transcripts and on hostile variants."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

import costctl.logs.ingest as ingest_mod
from costctl.logs.adapters import claude_code
from costctl.logs.ingest import ingest_files, vendor_reader
from costctl.logs.store import connect
from tests.conftest import REAL_LOGS, ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "logs"

BASE: dict[str, Any] = {
    "parentUuid": None,
    "isSidechain": False,
    "userType": "external",
    "cwd": "/srv/dev/projects/shop",
    "sessionId": "sess-1",
    "version": "2.1.0",
    "gitBranch": "main",
    "type": "assistant",
    "uuid": "a1",
    "message": {
        "model": "claude-opus-4-6",
        "id": "msg_A",
        "type": "message",
        "role": "assistant",
        "content": [{"type": "text", "text": "hi"}],
        "stop_reason": None,
        "usage": {
            "input_tokens": 3,
            "cache_creation_input_tokens": 1000,
            "cache_read_input_tokens": 20000,
            "output_tokens": 7,
            "service_tier": "standard",
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1000},
        },
    },
    "requestId": "req_A",
    "timestamp": "2026-02-10T10:00:01.000Z",
}


def _line(
    n: int, change: dict[str, Any] | None = None, usage: dict[str, Any] | None = None
) -> dict[str, Any]:
    record = copy.deepcopy(BASE)
    record["message"]["id"] = f"msg_{n}"
    record["requestId"] = f"req_{n}"
    for key, value in (change or {}).items():
        if key.startswith("message."):
            record["message"][key.split(".", 1)[1]] = value
        else:
            record[key] = value
    for key, value in (usage or {}).items():
        record["message"]["usage"][key] = value
    return record


def _variants() -> list[dict[str, Any]]:
    """Every shape the SQL path must either convert exactly or hand back to the adapter."""
    lines = [
        _line(1),
        _line(1, usage={"output_tokens": 900}),  # streamed: the last line has the final count
        _line(1, usage={"output_tokens": 12}),  # ... and a smaller later count still keeps the largest
        _line(2, {"costUSD": 0.00123}),
        _line(3, {"message.model": "<synthetic>", "isApiErrorMessage": True}),
        _line(4, usage={"input_tokens": 5.0}),
        _line(5, usage={"output_tokens": -1}),
        _line(6, usage={"output_tokens": "40"}),
        _line(
            7, usage={"cache_creation": {"ephemeral_5m_input_tokens": 900, "ephemeral_1h_input_tokens": 900}}
        ),
        _line(8, usage={"cache_creation": None, "speed": "fast"}),
        _line(9, {"requestId": "  req_9  ", "message.id": ""}),
        _line(10, {"requestId": None, "message.id": None}),
        _line(11, {"timestamp": "2026-02-10 10:00:01+02:00"}),
        _line(12, {"timestamp": "yesterday"}),
        _line(13, {"message.stop_reason": "END_TURN", "isSidechain": True, "agentId": "a77"}),
        _line(14, {"message.stop_reason": '["tool_use"]'}),
        _line(15, {"cwd": "/", "entrypoint": "cli", "gitBranch": "tab\there"}),
        _line(16, {"cwd": None, "version": 2}),
        _line(17, usage={"server_tool_use": {"web_search_requests": 3}}),
        _line(18, usage={"server_tool_use": {"web_search_requests": True}}),
        _line(19, {"isApiErrorMessage": "yes"}),
        _line(20, {"message.model": "claude-sonnet-4-5", "cwd": '/srv/dev/caf\u00e9 "q"\\x/'}),
        _line(21, usage={"output_tokens_details": {"thinking_tokens": 4}}),
        _line(22, usage={"input_tokens": None}),
        _line(23, {"timestamp": "1999-01-01T00:00:00Z"}),
        _line(24, {"message.usage": "none"}),
        _line(25, {"type": None}),
        _line(26, {"sessionId": "\u00a0sess\u3000"}),
        {"type": "user", "message": {"role": "user", "content": "not a response"}, "sessionId": "s"},
        # billed usage and a model, but no type, role or sessionId: still a request
        {k: v for k, v in _line(27).items() if k not in ("type", "sessionId")}
        | {"message": {k: v for k, v in _line(27)["message"].items() if k not in ("role", "type")}},
        {"message": {"model": "claude-opus-4-6", "usage": {"input_tokens": None, "output_tokens": None}}},
        {"message": {"model": 7, "id": "msg_28", "usage": {"input_tokens": 1, "output_tokens": 2}}, "x": "y"},
        {"type": "summary", "summary": "x", "leafUuid": "u"},
    ]
    return lines


def _write(path: Path, records: list[dict[str, Any]], tail: str = "") -> Path:
    path.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records) + tail)
    return path


def _ingest(db: Path, files: list[Path]) -> tuple[list[Any], list[Any], list[Any]]:
    con = connect(db, write=True)
    try:
        summary = ingest_files(con, files, read_log=vendor_reader())
        requests = con.execute("SELECT * FROM requests ORDER BY source_file, source_line").fetchall()
        rejects = con.execute("SELECT * EXCLUDE (ingest_id) FROM rejects ORDER BY ALL").fetchall()
    finally:
        con.close()
    stats = [(f.file, f.format, f.read, f.loaded, f.rejected, f.duplicate, f.reasons) for f in summary.files]
    return requests, rejects, stats


def _both(
    tmp_path: Path, files: list[Path], monkeypatch: pytest.MonkeyPatch, *, adapter_reads: int | None = None
) -> tuple[Any, Any]:
    reads: list[Path] = []
    original = claude_code.read

    def counting(records: Any, ctx: Any) -> Any:
        reads.append(ctx.path)
        return original(records, ctx)

    with monkeypatch.context() as patch:
        patch.setattr(claude_code, "read", counting)
        patch.setattr("costctl.logs.adapters._ADAPTERS", _with_read(counting))
        fast = _ingest(tmp_path / "fast.duckdb", files)
    if adapter_reads is not None:
        assert len(reads) == adapter_reads, reads
    with monkeypatch.context() as patch:
        real_facts = ingest_mod.file_facts
        patch.setattr(
            ingest_mod, "file_facts", lambda path: dataclasses.replace(real_facts(path), plain_lines=False)
        )
        slow = _ingest(tmp_path / "slow.duckdb", files)
    return fast, slow


def _with_read(read: Any) -> Any:
    from costctl.logs import adapters

    table = dict(adapters._ADAPTERS)
    table[claude_code.NAME] = adapters._Adapter(claude_code.sniff, read, claude_code.DESCRIPTION)
    return table


def test_hostile_variants_match_the_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [_write(tmp_path / "session.jsonl", _variants())]
    fast, slow = _both(tmp_path, files, monkeypatch, adapter_reads=0)
    assert fast == slow
    requests, rejects, stats = fast
    assert stats[0][2] == len(_variants())  # every line counted
    by_id = {r[1]: r for r in requests}
    assert by_id["req_1"][9] == 900  # the largest output count of the message's lines
    assert any("synthetic" in r[2] for r in rejects)


def test_fixtures_and_several_files_match_the_adapter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [FIXTURES / "claude_code_session.jsonl", FIXTURES / "claude_code_agent-a77.jsonl"]
    files.append(_write(tmp_path / "copy.jsonl", [_line(1), _line(30)]))  # req_1 again: a duplicate
    files.append(_write(tmp_path / "other.jsonl", [_line(31), _line(32)]))
    fast, slow = _both(tmp_path, files, monkeypatch)
    assert fast == slow


def test_odd_files_go_to_the_adapter_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = _write(tmp_path / "broken.jsonl", [_line(40), _line(41)], tail='{"type": "assistant", "mess')
    blank = tmp_path / "blank.jsonl"
    blank.write_text(json.dumps(_line(42)) + "\n\n" + json.dumps(_line(43)) + "\n")
    bare = _write(tmp_path / "bare.jsonl", [_line(44)], tail="[1, 2]\n")
    no_message = _write(
        tmp_path / "nomsg.jsonl", [_line(45), {"type": "assistant", "message": {"content": []}}]
    )
    files = [broken, blank, bare, no_message]
    fast, slow = _both(tmp_path, files, monkeypatch, adapter_reads=4)
    assert fast == slow
    reasons = {reason for stats in fast[2] for reason in stats[6]}
    assert any("invalid JSON" in r for r in reasons)
    assert any("expected a JSON object" in r for r in reasons)


@pytest.mark.skipif(
    not (REAL_LOGS / "claude-code").is_dir(), reason="the real-logs folder beside the clone is absent"
)
def test_real_transcripts_match_the_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = sorted((REAL_LOGS / "claude-code").glob("*.jsonl"))
    fast, slow = _both(tmp_path, files, monkeypatch)
    assert fast == slow
    assert sum(s[3] for s in fast[2]) > 0


def test_plain_transcripts_are_not_parsed_in_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [_write(tmp_path / f"s{i}.jsonl", [_line(100 + i), _line(200 + i)]) for i in range(3)]

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the adapter read a plain transcript")

    monkeypatch.setattr("costctl.logs.adapters._ADAPTERS", _with_read(refuse))
    requests, _rejects, stats = _ingest(tmp_path / "a.duckdb", files)
    assert len(requests) == 6 and all(s[1] == "claude-code" for s in stats)


@pytest.mark.parametrize(
    ("content", "plain"),
    [
        (b'{"a": 1}\n{"a": 2}\n', True),
        (b'{"a": 1}\r\n{"a": 2}\r\n', True),
        (b'{"a": 1}\n{"a": 2}', True),
        (b'{"a": 1}\n\n{"a": 2}\n', False),  # a blank line: DuckDB's record numbers would drift
        (b'{"a": 1}\n   \n{"a": 2}\n', False),
        (b'{"a": 1}\r{"a": 2}\n', False),  # a lone carriage return ends a line for Python, not for DuckDB
        (b'{"a": 1}\n{"a": 2}\r', False),
        (b'\n{"a": 1}\n', False),
        (b"\x1f\x8b\x08\x00", False),  # gzip
    ],
)
def test_file_facts_say_when_record_numbers_are_line_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, plain: bool
) -> None:
    import hashlib

    for block in (3, 1 << 20):  # also with blocks that split every pattern across a boundary
        monkeypatch.setattr(ingest_mod, "HASH_BLOCK", block)
        ingest_mod._facts.clear()
        path = tmp_path / f"f{block}.jsonl"
        path.write_bytes(content)
        facts = ingest_mod.file_facts(path)
        assert facts.plain_lines is plain
        assert (facts.size, facts.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    ingest_mod._facts.clear()
