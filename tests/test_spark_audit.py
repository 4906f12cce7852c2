"""`costctl audit logs --engine spark` gives the same JSON as the DuckDB run on the same rows.

The shared synthetic rows (tests/spark_data.py) get what the audit looks for: prompt and system-prompt hashes,
caps, truncations (some retried, some with empty visible output), duplicates within a minute, a 429 storm and
CI-tagged traffic. One SparkSession for the module; skipped without pyspark or a Java runtime.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, run_costctl
from spark_data import export_jsonl, generate_store

pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install '.[spark]')")

ROWS = 2000
AUDIT_SQL = (
    "UPDATE requests SET prompt_hash = 'p' || (source_line % 300), system_prompt_hash = CASE WHEN "
    "source_line % 17 = 0 THEN NULL ELSE 's' || (source_line % 3) END, max_tokens = 4096",
    "UPDATE requests SET finish_reason = 'length' WHERE source_line % 11 = 0",
    "UPDATE requests SET reasoning_tokens = output_tokens - 2 WHERE source_line % 33 = 0 AND model IN "
    "('o3-mini', 'gpt-5.4')",
    "UPDATE requests SET environment = 'ci' WHERE source_line % 9 = 0",
    # resends within a minute: duplicates, or truncation retries after a `length`
    "INSERT INTO requests SELECT * REPLACE (ts + INTERVAL 7 SECOND AS ts, request_id || '-again' AS request_id, "
    "source_line + 100000 AS source_line, 'stop' AS finish_reason) FROM requests WHERE source_line % 13 = 0",
    # a 429 storm: 6 rate-limited responses for one user within 50 s
    "INSERT INTO requests SELECT * REPLACE (TIMESTAMP '2026-03-02 10:00:00' + to_seconds(source_line % 6 * 10) "
    "AS ts, 'storm-' || source_line AS request_id, '429' AS status, 'storm-user' AS user_id, "
    "source_line + 200000 AS source_line) FROM requests WHERE source_line BETWEEN 1 AND 6",
)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spark-audit")
    db = root / "store.duckdb"
    con = generate_store(db, ROWS)
    for sql in AUDIT_SQL:
        con.execute(sql)
    export_jsonl(con, root / "requests.jsonl")
    con.close()
    lake = root / "lake"
    result = invoke("attribute", "export", "--db", str(db), "--to", "parquet", str(lake))
    assert result.exit_code == 0, result.stderr
    return {"db": db, "lake": lake, "jsonl": root / "requests.jsonl"}


def _audit(*args: str) -> dict[str, Any]:
    result = invoke("audit", "logs", "--format", "json", *args)
    assert result.exit_code in (0, 3), result.stderr
    payload = json.loads(result.stdout)
    payload.pop("database")
    return payload


def test_spark_audit_equals_duckdb(spark: Any, data: dict[str, Path]) -> None:
    duck = _audit("--db", str(data["db"]))
    # the data exercises every check, so equality below compares real findings, not empty lists
    rules = {f["rule"] for f in duck["findings"]}
    assert {"duplicate-requests", "retry-storm", "test-traffic", "truncation-retries", "output-cap"} <= rules
    assert duck["counts"]["storm_requests"] == 6 and duck["counts"]["duplicates"] > 0
    assert any(o["truncated"] for o in duck["output_length"])
    assert len(duck["system_prompt_variants"]) == 4
    # Parquet only: each Spark audit runs ~15 jobs; JSONL reading is covered by tests/test_spark_engine.py
    for source in (data["lake"],):
        got = _audit("--engine", "spark", "--source", str(source))
        for key in duck:  # section by section, so a failure names the part that differs
            assert got[key] == duck[key], key
        assert got == duck


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--engine", "spark"], "--engine spark needs --source PATH"),
        (["--engine", "spark", "--db", "x.duckdb", "--source", "x"], "--db with --engine spark"),
        (["--engine", "spark", "logs.jsonl", "--source", "x"], "log FILES with --engine spark"),
        (["--db", "x.duckdb", "--source", "lake"], "--source applies to --engine spark"),
        (["--db", "x.duckdb", "--spark-master", "local[1]"], "--spark-master applies to --engine spark"),
        (["--engine", "flink", "--db", "x.duckdb"], "--engine 'flink'"),
        (["--engine", "spark", "--source", "/nonexistent/lake"], "/nonexistent/lake"),
        (["--engine", "spark", "--source", "x", "--spark-conf", "novalue"], "--spark-conf"),
    ],
)
def test_spark_audit_bad_input(args: list[str], fragment: str) -> None:
    result = invoke("audit", "logs", *args)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("costctl: error:"), result.stderr
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


def test_spark_audit_bad_input_subprocess() -> None:
    result = run_costctl("audit", "logs", "--engine", "spark")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
