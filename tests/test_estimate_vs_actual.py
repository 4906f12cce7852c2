"""A workload's projection beside what the logs show, per component (= feature tag)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import invoke

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("eva") / "s.duckdb"
    result = invoke(
        "attribute",
        "ingest",
        str(SAMPLES / "app_requests.jsonl"),
        str(SAMPLES / "search_service.csv"),
        "--mapping",
        str(SAMPLES / "search_service.mapping.yaml"),
        "--db",
        str(db),
    )
    assert result.exit_code == 0, result.stderr
    return db


def test_attribute_report_compares_workload_with_actual(sample_db):
    result = invoke(
        "attribute",
        "report",
        "--db",
        str(sample_db),
        "--by",
        "feature",
        "--since",
        "2026-10-01",
        "--until",
        "2026-10-31",
        "--workload",
        str(SAMPLES / "workload.yaml"),
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    eva = result.json()["estimate_vs_actual"]
    assert eva["month"] == "2026-10"
    rows = {r["component"]: r for r in eva["rows"]}
    assert set(rows) == {"chat", "search", "summarize", "autocomplete", "agent"}
    # 5 agent requests a day x 30 days on claude-sonnet-4-5: 150 x (60,000 x $3 + 2,500 x $15) / 1M
    assert Decimal(rows["agent"]["estimated_usd"]) == Decimal("32.625")
    assert rows["agent"]["estimated_requests"] == 150
    actual = sum(Decimal(r["actual_usd"]) for r in eva["rows"])
    assert Decimal(eva["actual_usd"]) == actual
    assert Decimal(eva["difference_usd"]) == Decimal(eva["actual_usd"]) - Decimal(eva["estimated_usd"])


def test_html_report_shows_estimate_vs_actual(sample_db, tmp_path):
    out = tmp_path / "r.html"
    result = invoke(
        "report",
        "--db",
        str(sample_db),
        "--month",
        "2026-10",
        "--workload",
        str(SAMPLES / "workload.yaml"),
        "-o",
        str(out),
        "--generated-at",
        "2026-11-01T00:00:00Z",
    )
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "Estimate vs actual" in html or "estimate vs actual" in html.lower()
    assert "agent" in html and "skipped" not in html.lower().split("estimate vs actual")[1][:200]
