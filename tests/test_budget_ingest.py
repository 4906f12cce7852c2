"""Guarded traffic in `attribute`: ledger rows ingest as canonical rows and appear in the monthly report."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budget_support import reset_postgres
from conftest import invoke

from costctl.budget import BudgetGuard, GuardRequest, open_ledger
from costctl.budget.policy import Cap, GuardPolicy
from costctl.budget.request import BudgetPolicy
from costctl.pricing.catalog import load_catalog

NOW = dt.datetime(2026, 3, 14, 9, 30, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    url = str(request.getfixturevalue("pg_url"))
    reset_postgres(url)
    return url


def _traffic(spec: str) -> tuple[BudgetGuard, list[Any]]:
    policy = GuardPolicy(
        per_request=BudgetPolicy(max_cost_usd=Decimal("0.01"), fallback_model="gpt-4.1-mini"),
        caps=(Cap("user-daily", "user", "day", hard_usd=Decimal(1)),),
    )
    guard = BudgetGuard(policy, open_ledger(spec), catalog=load_catalog(), clock=lambda: NOW)
    decisions = []
    for max_tokens, feature in ((500, "search"), (4000, "search"), (800, "chat"), (200000, "chat")):
        decisions.append(
            guard.check(
                GuardRequest(
                    model="gpt-4.1",
                    max_tokens=max_tokens,
                    input_tokens=1000,
                    user="42",
                    feature=feature,
                    api_key="key-prod",
                    tags={"tenant": "acme"},
                )  # fmt: skip
            )
        )
    return guard, decisions


def test_ledger_rows_ingest_into_attribute_and_the_monthly_report(ledger_spec: str, tmp_path: Path) -> None:
    guard, (small, downgraded, open_one, rejected) = _traffic(ledger_spec)
    assert [small.decision, downgraded.decision, open_one.decision, rejected.decision] == [
        "allow", "fallback", "allow", "reject"]  # fmt: skip
    guard.record(small, {"prompt_tokens": 1000, "completion_tokens": 250})
    guard.record(downgraded, {"input_tokens": 1000, "output_tokens": 3000, "cache_read_input_tokens": 0})
    db = str(tmp_path / "costctl.duckdb")

    first = invoke("attribute", "ingest", "--ledger", ledger_spec, "--db", db, "-f", "json")
    assert first.exit_code == 0, first.stderr
    summary = first.json()["files"][0]
    assert (summary["format"], summary["read"], summary["loaded"], summary["rejected"]) == (
        "costctl-ledger",
        4,
        2,
        2,
    )
    assert "never sent" in json.dumps(summary["rejects_by_reason"])

    report = invoke(
        "attribute", "report", "--db", db, "--by", "feature,model", "--grain", "month", "-f", "json"
    )
    assert report.exit_code == 0, report.stderr
    text = report.stdout
    assert "2026-03" in text and "gpt-4.1-mini" in text and "search" in text
    monthly = invoke("report", "--db", db, "--month", "2026-03", "-f", "json")  # the monthly report too
    assert monthly.exit_code == 0, monthly.stderr
    headline = monthly.json()["headline"]
    assert (Decimal(headline["total_usd"]), headline["requests"]) == (
        Decimal("0.0092"),
        2,
    )  # what the guard recorded
    # the same money the guard recorded: $0.002 + 250 x $8/M for gpt-4.1, 1000 x $0.4 + 3000 x $1.6 per M for mini
    import duckdb

    con = duckdb.connect(db, read_only=True)
    rows = con.execute(
        "SELECT request_id, model, model_requested, reported_cost_usd, json_extract_string(tags, '$.budget_reserved_usd'),"
        " json_extract_string(tags, '$.budget_decision'), json_extract_string(tags, '$.tenant'), user_id, max_tokens"
        " FROM requests ORDER BY model"
    ).fetchall()
    con.close()
    assert [(r[1], r[2], r[5], r[6], r[7]) for r in rows] == [
        ("gpt-4.1", None, "allow", "acme", "42"),
        ("gpt-4.1-mini", "gpt-4.1", "fallback", "acme", "42"),
    ]
    assert rows[0][3] == Decimal("0.004") and rows[1][3] == Decimal("0.0052")  # actual cost
    assert (
        Decimal(rows[0][4]) == small.reserved_usd and Decimal(rows[1][4]) == downgraded.reserved_usd
    )  # estimate

    # re-ingesting adds nothing; once the open reservation is recorded, it loads
    again = invoke("attribute", "ingest", "--ledger", ledger_spec, "--db", db, "-f", "json")
    assert again.json()["files"][0]["loaded"] == 0
    guard.record(open_one, {"prompt_tokens": 1000, "completion_tokens": 10})
    third = invoke("attribute", "ingest", "--ledger", ledger_spec, "--db", db, "-f", "json")
    assert third.json()["files"][0]["loaded"] == 1
    guard.ledger.close()


def test_ingest_ledger_errors(tmp_path: Path) -> None:
    missing = invoke(
        "attribute", "ingest", "--ledger", str(tmp_path / "nope.sqlite"), "--db", str(tmp_path / "x.duckdb")
    )
    assert missing.exit_code == 2 and "no budget ledger" in missing.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    bad = invoke("attribute", "ingest", "--ledger", str(junk), "--db", str(tmp_path / "x.duckdb"))
    assert (
        bad.exit_code == 2
        and "cannot open as a budget ledger" in bad.stderr
        and "Traceback" not in bad.stderr
    )
