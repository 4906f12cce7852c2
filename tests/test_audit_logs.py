"""costctl audit logs on real DuckDB stores built here from CANONICAL_COLUMNS (no mocks)."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import invoke, run_costctl

from costctl.logs.schema import CANONICAL_COLUMNS, COLUMN_NAMES

T0 = dt.datetime(2026, 11, 2, 9, 0, 0)


def make_store(path: Path, rows: list[dict[str, Any]]) -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE requests (" + ", ".join(f"{n} {t}" for n, t, _ in CANONICAL_COLUMNS) + ")")
    marks = ", ".join("?" for _ in COLUMN_NAMES)
    con.executemany(
        f"INSERT INTO requests VALUES ({marks})",  # noqa: S608 (placeholders only; values are bound)
        [[r.get(c) for c in COLUMN_NAMES] for r in rows],
    )
    con.close()
    return path


def row(i: int, **kw: Any) -> dict[str, Any]:
    base = {
        "ts": T0 + dt.timedelta(seconds=90 * i),
        "request_id": f"r{i}",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "input_tokens": 1500,
        "cached_input_tokens": 0,
        "output_tokens": 100,
        "reasoning_tokens": 0,
        "max_tokens": 4000,
        "finish_reason": "stop",
        "status": "ok",
        "feature": "support",
        "environment": "prod",
        "system_prompt_hash": "sp-a",
        "prompt_hash": f"p{i}",
    }
    base.update(kw)
    return base


@pytest.fixture
def capped_store(tmp_path: Path) -> Path:
    rng = random.Random(7)
    rows = [row(i, output_tokens=rng.randint(40, 300)) for i in range(600)]
    rows[0]["output_tokens"] = 300
    return make_store(tmp_path / "capped.duckdb", rows)


def finding(data: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["rule"] == rule]


def test_reference_cap_near_p99_and_zero_truncation(capped_store):
    result = invoke("audit", "logs", "--db", str(capped_store), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    out = data["output_length"][0]
    assert out["max"] == 300 and out["max_tokens_cap"] == 4000
    assert Decimal(out["truncation_rate"]) == 0 and out["truncated"] == 0
    p99 = Decimal(out["p99"])
    assert 290 <= p99 <= 300
    assert p99 <= out["recommended_cap"] <= 400  # near p99, far below the 4,000 cap
    cap = finding(data, "output-cap")[0]
    assert Decimal(cap["usd_per_month"]) == 0 and "not billed" in cap["message"]


def test_variants_priced_through_the_formula(tmp_path):
    rows = [row(i) for i in range(10)] + [
        row(100 + i, system_prompt_hash="sp-b", input_tokens=500) for i in range(10)
    ]
    db = make_store(tmp_path / "v.duckdb", rows)
    data = invoke("audit", "logs", "--db", str(db), "-f", "json").json()
    variants = {v["system_prompt_hash"]: v for v in data["system_prompt_variants"]}
    # 10 x 1500 input tokens at $0.15/M = $0.00225 observed over 1 day -> x30 a month.
    assert Decimal(variants["sp-a"]["input_usd_per_month"]) == Decimal("0.00225") * 30
    assert Decimal(variants["sp-a"]["share_of_input_spend"]) == Decimal(15000) / Decimal(20000)
    assert variants["sp-b"]["requests"] == 10


def test_duplicates_truncation_retries_storms_test_traffic(tmp_path):
    rows = [row(i) for i in range(20)]
    # Three identical prompts within seconds: two extra copies.
    rows += [row(200, prompt_hash="dup", ts=T0 + dt.timedelta(seconds=s)) for s in (1, 5, 9)]
    # A truncated answer retried a minute later.
    rows += [
        row(
            300,
            prompt_hash="long",
            finish_reason="length",
            output_tokens=4000,
            ts=T0 + dt.timedelta(minutes=30),
        ),
        row(301, prompt_hash="long", max_tokens=8000, output_tokens=5000, ts=T0 + dt.timedelta(minutes=31)),
    ]
    # A reasoning model cut off before any visible answer.
    rows += [
        row(
            400,
            model="o3",
            reasoning_tokens=2000,
            output_tokens=2000,
            max_tokens=2000,
            finish_reason="length",
        )
    ]
    # A 429 loop: 8 rate-limited calls in 20 s.
    rows += [
        row(
            500 + k,
            status="429",
            input_tokens=0,
            output_tokens=0,
            user_id="svc-1",
            prompt_hash="x",
            ts=T0 + dt.timedelta(hours=2, seconds=3 * k),
        )
        for k in range(8)
    ]
    # CI traffic: the same prompts from a test environment.
    rows += [
        row(600 + k, environment="ci", prompt_hash=f"t{k % 2}", ts=T0 + dt.timedelta(hours=3, minutes=k))
        for k in range(4)
    ]
    db = make_store(tmp_path / "t.duckdb", rows)
    data = invoke("audit", "logs", "--db", str(db), "-f", "json").json()
    dup = finding(data, "duplicate-requests")
    assert sum(f["requests"] for f in dup) == 2 and all(Decimal(f["usd_per_month"]) > 0 for f in dup)
    assert finding(data, "truncation-retries")[0]["requests"] == 1
    empty = finding(data, "empty-reasoning-truncation")
    assert empty and empty[0]["severity"] == "error" and Decimal(empty[0]["usd_per_month"]) > 0
    storm = finding(data, "retry-storm")
    assert storm and storm[0]["requests"] == 8
    assert finding(data, "test-traffic")[0]["requests"] == 4
    billed = sum(Decimal(f["usd_per_month"]) for f in data["findings"] if f["counts_as_waste"])
    assert Decimal(data["totals"]["billed_waste_usd_per_month"]) == billed


def test_cache_saving_left_on_the_table(tmp_path):
    rows = [row(i, input_tokens=3000, ts=T0 + dt.timedelta(seconds=30 * i)) for i in range(50)]
    db = make_store(tmp_path / "c.duckdb", rows)
    data = invoke("audit", "logs", "--db", str(db), "-f", "json").json()
    cache = finding(data, "prompt-cache")[0]
    assert "hit rate 0.0%" in cache["message"]
    assert Decimal(cache["usd_per_month"]) > 0


def test_unknown_model_is_unpriced_not_zero(tmp_path):
    db = make_store(tmp_path / "u.duckdb", [row(0, model="mystery-llm-9"), row(1)])
    result = invoke("audit", "logs", "--db", str(db), "-f", "json")
    assert result.exit_code == 0
    data = result.json()
    assert data["unpriced_requests"] == 1 and data["unpriced_models"] == ["mystery-llm-9"]
    assert "unpriced" in result.stderr
    gate = invoke("audit", "logs", "--db", str(db), "--fail-over", "1000")
    assert gate.exit_code == 3


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "markdown", "sarif"])
def test_every_format(capped_store, fmt):
    result = run_costctl("audit", "logs", "--db", str(capped_store), "-f", fmt)
    assert result.exit_code == 0, result.stderr
    assert "output-cap" in result.stdout or "CL211" in result.stdout
    if fmt == "sarif":
        sarif = json.loads(result.stdout)
        assert sarif["version"] == "2.1.0" and sarif["runs"][0]["results"]


def test_fail_over(tmp_path):
    rows = [row(i) for i in range(5)] + [
        row(200, prompt_hash="dup", ts=T0 + dt.timedelta(seconds=s)) for s in (1, 2)
    ]
    db = make_store(tmp_path / "f.duckdb", rows)
    assert invoke("audit", "logs", "--db", str(db), "--fail-over", "0").exit_code == 1
    assert invoke("audit", "logs", "--db", str(db), "--fail-over", "100").exit_code == 0


def _bad(result):
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("costctl: error:"), result.stderr
    assert "Traceback" not in result.stderr


def test_bad_databases(tmp_path):
    no_table = tmp_path / "empty.duckdb"
    duckdb.connect(str(no_table)).close()
    result = run_costctl("audit", "logs", "--db", str(no_table))
    _bad(result)
    assert "no `requests` table" in result.stderr
    wrong = tmp_path / "wrong.duckdb"
    con = duckdb.connect(str(wrong))
    con.execute("CREATE TABLE requests (ts TIMESTAMP, model VARCHAR)")
    con.close()
    result = run_costctl("audit", "logs", "--db", str(wrong))
    _bad(result)
    assert "lacks column" in result.stderr
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 100)
    _bad(run_costctl("audit", "logs", "--db", str(text)))
    _bad(run_costctl("audit", "logs", "--db", str(tmp_path / "missing.duckdb")))
    _bad(invoke("audit", "logs"))


def test_log_files_are_ingested_into_a_temporary_store_and_audited(tmp_path):
    root = Path(__file__).resolve().parents[1]
    result = invoke("audit", "logs", str(root / "sample_logs" / "app_requests.jsonl"), "-f", "json")
    assert result.exit_code == 0, result.stderr
    data = result.json()
    assert data["totals"]["requests"] > 0 and data["findings"]
    assert not list(tmp_path.iterdir())  # nothing left behind where we were not asked to write
