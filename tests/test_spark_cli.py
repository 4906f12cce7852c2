"""`--engine spark` bad input that is caught before any JVM starts: one line, exit 2, no traceback.

These need no Java (the no-Java case strips PATH and JAVA_HOME); the ones that reach pyspark skip without it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import invoke, run_costctl

from costctl.errors import InputError


def _one_error_line(result: Any) -> str:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return lines[0]


def test_missing_source_path_in_process_and_subprocess(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "requests.parquet"
    for run in (invoke, run_costctl):
        line = _one_error_line(run("attribute", "report", "--engine", "spark", "--source", str(missing)))
        assert (
            line
            == f"costctl: error: {missing}: no such file or directory, expected canonical-schema Parquet or JSONL"
        )


def test_spark_needs_a_source_and_duckdb_refuses_spark_flags(tmp_path: Path) -> None:
    store = tmp_path / "costctl.duckdb"
    store.write_bytes(b"")
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark", "--source", str(store)))
    assert line.startswith(f"costctl: error: {store}: a DuckDB store, expected Parquet or JSONL")
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark"))
    assert "--engine spark needs --source PATH" in line
    line = _one_error_line(invoke("attribute", "report", "--source", str(tmp_path)))
    assert "--source applies to --engine spark" in line
    line = _one_error_line(invoke("attribute", "reconcile", "--engine", "hadoop"))
    assert "--engine 'hadoop': expected one of duckdb, spark" in line
    line = _one_error_line(
        invoke(
            "attribute", "report", "--engine", "spark", "--source", str(tmp_path), "--spark-conf", "spark.x"
        )
    )
    assert "--spark-conf 'spark.x': expected KEY=VALUE" in line


def _bare_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_HOME", "PATH", "PYSPARK_GATEWAY_PORT")}
    env["PATH"] = "/nonexistent-bin"
    env.update(extra)
    return env


def test_no_java_runtime_is_one_line_exit_2(tmp_path: Path) -> None:
    pytest.importorskip("pyspark", reason="the spark extra is not installed")
    source = tmp_path / "requests.jsonl"
    source.write_text("{}\n")
    cmd = [
        sys.executable,
        "-m",
        "costctl",
        "attribute",
        "report",
        "--engine",
        "spark",
        "--source",
        str(source),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_bare_env(), timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        "costctl: error: --engine spark: no Java runtime (JAVA_HOME is not set and `java` is not on PATH), "
        "expected Java 17 or newer: install one (e.g. apt-get install default-jre-headless) or set JAVA_HOME"
    ]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=_bare_env(JAVA_HOME=str(tmp_path)), timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"costctl: error: --engine spark: JAVA_HOME={str(tmp_path)!r} has no bin/java, "
        "expected a Java runtime (17 or newer) there"
    ]


def test_find_java_follows_sparks_rule(tmp_path: Path) -> None:
    from costctl.rollup.spark import find_java

    java = tmp_path / "jdk" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text("#!/bin/sh\n")
    java.chmod(0o755)
    assert find_java({"JAVA_HOME": str(tmp_path / "jdk"), "PATH": ""}) == str(java)
    assert find_java({"PATH": str(java.parent)}) == str(java)
    with pytest.raises(InputError, match="no Java runtime"):
        find_java({"PATH": str(tmp_path)})


def test_source_format_and_local_paths(tmp_path: Path) -> None:
    from costctl.rollup.spark import local_path, source_format

    assert source_format("s3a://bucket/logs/2026-04.jsonl.gz") == "json"
    assert source_format("s3a://bucket/lake/requests") == "parquet"
    (tmp_path / "day1.jsonl").write_text("{}\n")
    (tmp_path / "_SUCCESS").write_text("")
    assert source_format(str(tmp_path)) == "json"
    assert local_path("hdfs://nn/lake") is None and local_path("logs/*.parquet") is None
    assert local_path("file:///tmp/x") == Path("/tmp/x")


def test_session_settings_for_laptop_cluster_and_spark_submit() -> None:
    from costctl.rollup.spark import session_conf

    local = session_conf(None, {"spark.executor.memory": "4g", "spark.sql.session.timeZone": "Europe/Paris"})
    assert local["spark.master"] == "local[2]" and local["spark.driver.host"] == "127.0.0.1"
    assert local["spark.executor.memory"] == "4g" and local["spark.sql.session.timeZone"] == "UTC"
    cluster = session_conf("spark://head:7077", {})
    assert cluster["spark.master"] == "spark://head:7077" and "spark.driver.host" not in cluster
    submitted = session_conf(None, {}, under_submit=True)  # spark-submit --master decides
    assert "spark.master" not in submitted and "spark.driver.host" not in submitted


def test_without_the_spark_extra_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark now raises ImportError
    source = tmp_path / "requests.parquet"
    source.write_bytes(b"")
    line = _one_error_line(invoke("attribute", "report", "--engine", "spark", "--source", str(source)))
    assert line == (
        "costctl: error: --engine spark: pyspark is not installed, expected the spark extra: pip install '.[spark]' in a checkout, or pip install pyspark"
    )
