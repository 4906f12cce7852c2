"""The same rollups on DuckDB and on Spark local[2] give identical results (identical Decimals).

One SparkSession for the module (Spark starts slowly); skipped when pyspark or a Java runtime is missing so the
core suite passes without the `spark` extra. The data (tests/spark_data.py) crosses long-context tiers, has
batch rows, an unknown model, prices that start mid-range and several months.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke
from spark_data import export_jsonl, generate_store

pytest.importorskip("pyspark", reason="the spark extra is not installed (pip install '.[spark]')")

ROWS = 3000
CLAUDE_TIER_ENDS = dt.date(2026, 3, 13)  # claude-sonnet-4-6's long-context period ends


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spark-data")
    db = root / "store.duckdb"
    con = generate_store(db, ROWS)
    export_jsonl(con, root / "requests.jsonl")
    con.close()
    lake = root / "lake"
    # the export command users move to the lake with (partitioned month=YYYY-MM)
    result = invoke("attribute", "export", "--db", str(db), "--to", "parquet", str(lake))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in lake.iterdir()) == ["month=2026-02", "month=2026-03", "month=2026-04"]
    return {"db": db, "lake": lake, "jsonl": root / "requests.jsonl", "root": root}


def _specs() -> list[Any]:
    from costctl.rollup.spec import Filter, RollupSpec

    return [
        RollupSpec(("feature", "model"), "month"),
        RollupSpec(
            ("user", "team"),
            "week",
            since=dt.date(2026, 3, 1),
            until=dt.date(2026, 3, 20),
            where=(Filter("tenant", "acme.io"), Filter("environment", "prod")),
        ),
        RollupSpec(("prompt_version",), "day", split_reported=True),
    ]


def test_every_rollup_is_identical_on_duckdb_and_spark(
    spark: Any, data: dict[str, Path], catalog: Any
) -> None:
    from costctl.commands.attribute import resolve_models, rollup
    from costctl.logs.store import connect
    from costctl.rollup.duckdb_engine import DuckDbEngine
    from costctl.rollup.spark import SparkEngine

    con = connect(data["db"], write=False)
    duck = DuckDbEngine(con)
    lake = SparkEngine.from_source(spark, str(data["lake"]))
    try:
        for spec in _specs():
            expected, got = rollup(catalog, duck, spec), rollup(catalog, lake, spec)
            # the engines' own output: the same groups with the same sums, then the same priced rows
            assert sorted((g.group for g in got.groups), key=repr) == sorted(
                (g.group for g in expected.groups), key=repr
            )
            assert sorted(g.cost_usd or 0 for g in got.groups) == sorted(
                g.cost_usd or 0 for g in expected.groups
            )
            assert got.rows == expected.rows, spec  # cost_usd Decimals compared exactly
            assert got.total.cost_usd == expected.total.cost_usd
            assert got.unpriced == expected.unpriced
            if spec.dimensions[0] == "user":
                assert lake.active_users(spec) == duck.active_users(spec)
                rates = resolve_models(catalog, duck.distinct_models(spec))[1]
                for above in (Decimal(0), Decimal("0.01"), Decimal("0.5")):
                    assert lake.costly_users(spec, rates, above) == duck.costly_users(spec, rates, above)
        # the data really exercises what decides a price (else the equality above proves little)
        every = rollup(catalog, duck, _specs()[0])
        crossed = {
            (g.group.raw_model, g.group.day < CLAUDE_TIER_ENDS) for g in every.groups if g.group.tier_crossed
        }
        assert ("claude-sonnet-4-6", True) in crossed and ("claude-sonnet-4-6", False) not in crossed
        assert {"gemini-2.5-pro", "gpt-5.4"} <= {m for m, _ in crossed}
        assert any(g.group.is_batch and g.cost is not None for g in every.groups)
        reasons = " ".join(u["reason"] for u in every.unpriced)
        assert "acme-llm-7" in reasons and "batch" in reasons
        assert every.total.requests > ROWS  # usage-export rows count as 5 requests
        assert every.total.cost_usd > 0
    finally:
        con.close()


def test_jsonl_source_gives_the_same_groups(spark: Any, data: dict[str, Path], catalog: Any) -> None:
    from costctl.commands.attribute import rollup
    from costctl.logs.store import connect
    from costctl.rollup.duckdb_engine import DuckDbEngine
    from costctl.rollup.spark import SparkEngine
    from costctl.rollup.spec import RollupSpec

    spec = RollupSpec(("team", "model"), "month")
    con = connect(data["db"], write=False)
    try:
        expected = rollup(catalog, DuckDbEngine(con), spec)
    finally:
        con.close()
    got = rollup(catalog, SparkEngine.from_source(spark, str(data["jsonl"])), spec)
    assert got.rows == expected.rows
    assert got.total.cost_usd == expected.total.cost_usd


def test_cli_report_json_is_identical_on_both_engines(spark: Any, data: dict[str, Path]) -> None:
    args = ["attribute", "report", "--by", "feature,model", "--grain", "month", "-f", "json"]
    duck = invoke(*args, "--db", str(data["db"]))
    lake = invoke(*args, "--engine", "spark", "--source", str(data["lake"]), "--spark-master", "local[2]")
    assert duck.exit_code == 0, duck.stderr
    assert lake.exit_code == 0, lake.stderr
    assert json.loads(lake.stdout) == json.loads(duck.stdout)
    assert json.loads(duck.stdout)["rows"]


def _one_error_line(result: Any) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return lines[0]


def test_non_canonical_parquet_is_one_line_naming_the_columns(spark: Any, data: dict[str, Path]) -> None:
    import duckdb

    bad = data["root"] / "bad.parquet"
    duckdb.sql(
        "COPY (SELECT 'yesterday' AS ts, 'gpt-4o-mini' AS model, 1.5 AS input_tokens) TO ?", params=[str(bad)]
    )
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark", "--source", str(bad)))
    assert line.startswith(f"costctl: error: {bad}: not the canonical request schema")
    assert "missing columns request_id" in line and "output_tokens" in line
    assert (
        "ts (string, expected timestamp)" in line and "input_tokens (decimal(2,1), expected bigint)" in line
    )


def test_non_canonical_jsonl_is_one_line(spark: Any, data: dict[str, Path]) -> None:
    bad = data["root"] / "openai.jsonl"
    bad.write_text(
        json.dumps({"id": "chatcmpl-1", "model": "gpt-4o-mini", "usage": {"prompt_tokens": 3}}) + "\n"
    )
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark", "--source", str(bad)))
    assert "not the canonical request schema: missing columns ts, request_id" in line


def test_a_bad_value_past_the_sample_is_one_line(spark: Any, data: dict[str, Path]) -> None:
    first = json.loads(data["jsonl"].read_text().splitlines()[0])
    bad = data["root"] / "bad-ts.jsonl"
    bad.write_text(json.dumps(first) + "\n" + json.dumps({**first, "ts": "last tuesday"}) + "\n")
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark", "--source", str(bad)))
    assert line.startswith(f"costctl: error: {bad}: Spark could not read the rows: ")
    assert "ts is not a timestamp: last tuesday" in line


def test_paths_spark_cannot_read_are_one_line(spark: Any, data: dict[str, Path]) -> None:
    no_match = str(data["root"] / "nothing-*.parquet")  # a glob: only Spark can tell it matches nothing
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark", "--source", no_match))
    assert line.startswith(f"costctl: error: {no_match}: Spark cannot read it: ")
    # a scheme whose filesystem is not on the classpath (hadoop-aws not configured): no network is touched
    line = _one_error_line(
        invoke("attribute", "report", "--engine", "spark", "--source", "s3a://no-bucket/requests")
    )
    assert line.startswith("costctl: error: s3a://no-bucket/requests: Spark cannot read it: ")
    assert "S3AFileSystem" in line or "s3a" in line


def test_monthly_report_json_is_identical_on_both_engines(spark: Any, data: dict[str, Path]) -> None:
    args = ["report", "--month", "2026-03", "-f", "json", "--generated-at", "2026-04-01T00:00:00Z"]
    duck = invoke(*args, "--db", str(data["db"]))
    lake = invoke(*args, "--engine", "spark", "--source", str(data["lake"]), "--spark-master", "local[2]")
    assert duck.exit_code == 0, duck.stderr
    assert lake.exit_code == 0, lake.stderr
    duck_data, lake_data = json.loads(duck.stdout), json.loads(lake.stdout)
    duck_data.pop("database", None), lake_data.pop("database", None)
    assert lake_data == duck_data
