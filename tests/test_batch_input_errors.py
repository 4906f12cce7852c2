"""`--batch-input` is a file the user names to join on: a line it cannot use is an error naming the line
(it used to be skipped in silence, losing that request's system prompt and max_tokens)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import invoke

OUTPUT = (
    '{"custom_id":"a","response":{"status_code":200,"body":{"model":"gpt-4o-mini",'
    '"created":1761955200,"usage":{"prompt_tokens":10,"completion_tokens":5}}}}\n'
)
GOOD = '{"custom_id":"a","body":{"model":"gpt-4o-mini","max_tokens":100}}\n'


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("[[[[[[\n", "invalid JSON"),
        ("[" * 100000 + "\n", "invalid JSON"),
        ('{"body":{"model":"gpt-4o-mini"}}\n', "expected a batch request with a custom_id"),
        ('{"custom_id":"b","body":7}\n', "expected the request in `body`"),
    ],
)
def test_unusable_batch_input_line_is_one_error(tmp_path: Path, bad_line: str, message: str) -> None:
    out, inp = tmp_path / "out.jsonl", tmp_path / "in.jsonl"
    out.write_text(OUTPUT)
    inp.write_text(GOOD + bad_line)
    res = invoke(
        "attribute", "ingest", str(out), "--batch-input", str(inp), "--db", str(tmp_path / "x.duckdb")
    )
    assert res.exit_code == 2
    assert res.stderr.startswith(f"costctl: error: {inp}:2: --batch-input: {message}"), res.stderr


def test_clean_batch_input_joins(tmp_path: Path) -> None:
    out, inp = tmp_path / "out.jsonl", tmp_path / "in.jsonl"
    out.write_text(OUTPUT)
    inp.write_text(GOOD)
    res = invoke("attribute", "ingest", str(out), "--batch-input", str(inp), "--db", str(tmp_path / "x.duckdb"),
                 "-f", "json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert res.json()["total"]["loaded"] == 1
