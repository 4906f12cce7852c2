"""Ingest every published real log through the CLI: every line is accounted for, re-ingest adds nothing."""

from __future__ import annotations

from conftest import REAL_LOGS, invoke, needs_real_logs


@needs_real_logs
def test_real_logs_every_record_accounted_for(tmp_path):
    files = sorted(str(p) for p in REAL_LOGS.rglob("*") if p.suffix in (".json", ".jsonl"))
    db = str(tmp_path / "real.duckdb")
    first = invoke("attribute", "ingest", *files, "--db", db, "-f", "json")
    assert first.exit_code == 0, first.stderr
    data = first.json()
    rows = data["files"]
    assert len(rows) == len(files)
    for row in rows:
        assert row["read"] == row["loaded"] + row["rejected"] + row["duplicate"], row
    claude = next(r for r in rows if r["file"].endswith("spotter_short.jsonl"))
    lines = sum(1 for line in (REAL_LOGS / "claude-code" / "spotter_short.jsonl").open() if line.strip())
    assert claude["read"] == lines  # user lines and streamed copies included, none lost
    again = invoke("attribute", "ingest", *files, "--db", db, "-f", "json").json()
    assert sum(r["loaded"] for r in again["files"]) == 0
    report = invoke("attribute", "report", "--db", db, "--by", "model", "-f", "json")
    assert report.exit_code == 0, report.stderr
