"""The guard's invariant under concurrency, on SQLite and PostgreSQL.

Many processes send requests at once against the same caps: admitted spend never exceeds a cap (the check and
the add are one atomic step), and a process killed with SIGKILL between `check` and `record` loses no
reservation and counts none twice: every bucket's counters equal what its request rows add up to, before and
after the dead reservations expire.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from budget_support import check_accounting, reset_postgres, run_workers

from costctl.budget import BudgetGuard, open_ledger
from costctl.budget.ledger import to_pusd
from costctl.budget.policy import GuardPolicy

WORST = Decimal("0.002")  # gpt-4.1-mini, 1000 input + 1000 output tokens at $0.40 / $1.60 per Mtok
WORKERS = 8
USERS = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_spec(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite")
    url = str(request.getfixturevalue("pg_url"))
    reset_postgres(url)
    return url


def _args(spec: str, log: Path, *, n: int, die_pct: int, ttl: int, on_expiry: str, global_cap: Decimal,
          user_cap: Decimal) -> list[list[str]]:  # fmt: skip
    return [
        [
            spec,
            f"u{i % USERS}",
            str(n),
            str(die_pct),
            str(i),
            str(ttl),
            on_expiry,
            str(global_cap),
            str(user_cap),
            str(log),
        ]  # fmt: skip
        for i in range(WORKERS)
    ]


def _log(log: Path) -> tuple[list[str], list[str]]:
    lines = log.read_text().split() if log.exists() else []
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    return [i for k, i in pairs if k == "admit"], [i for k, i in pairs if k == "record"]


def test_admitted_spend_never_exceeds_the_cap(ledger_spec: str, tmp_path: Path) -> None:
    # 8 processes x 150 requests = 1200 attempts for room of exactly 500 worst cases; recorded at the worst case
    global_cap = WORST * 500
    log = tmp_path / "worker.log"
    run_workers(_args(ledger_spec, log, n=150, die_pct=0, ttl=600, on_expiry="charge", global_cap=global_cap,
                      user_cap=WORST * 150))  # fmt: skip
    with open_ledger(ledger_spec) as ledger:
        sums = check_accounting(ledger)
        rows = list(ledger.rows())
        buckets = {b.cap: b for b in ledger.buckets() if b.cap == "global-monthly"}
    admitted = [r for r in rows if r["state"] != "rejected"]
    assert len(rows) == WORKERS * 150
    assert len(admitted) == 500  # never one more than fits, and never one fewer (no room lost)
    assert buckets["global-monthly"].spent_pusd == to_pusd(global_cap)
    assert all(r["state"] == "settled" for r in admitted)
    assert sum(v["admitted"] for k, v in sums.items() if k.startswith("user-daily")) == 500
    admits, records = _log(log)
    assert sorted(admits) == sorted(r["request_id"] for r in admitted) and sorted(records) == sorted(admits)


def test_kill_9_between_check_and_record_loses_nothing(ledger_spec: str, tmp_path: Path) -> None:
    log = tmp_path / "worker.log"
    # 3 % of admitted requests die by SIGKILL before record; two more workers are killed from outside
    # wherever they are (mid-transaction included)
    codes = run_workers(
        _args(
            ledger_spec,
            log,
            n=150,
            die_pct=3,
            ttl=30,
            on_expiry="release",
            global_cap=WORST * 400,
            user_cap=WORST * 120,
        ),  # fmt: skip
        kill_after={1: 0.8, 6: 1.2},
    )
    assert codes.count(-9) >= 1
    with open_ledger(ledger_spec) as ledger:
        check_accounting(ledger)  # with the dead reservations still open
        by_id = {r["request_id"]: r for r in ledger.rows()}
        admits, records = _log(log)
        assert admits and set(admits) <= {i for i, r in by_id.items() if r["state"] != "rejected"}
        assert all(by_id[i]["state"] == "settled" for i in records)
        open_ids = [i for i, r in by_id.items() if r["state"] == "reserved"]
        assert open_ids, "some reservation should have been left open by a killed process"
        # once their time has passed, the dead reservations expire exactly once and free their room
        later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=31)
        guard = BudgetGuard(GuardPolicy(on_expiry="release"), ledger, clock=lambda: later)
        assert guard.expire() == len(open_ids)
        assert guard.expire() == 0
        check_accounting(ledger)
        assert all(b.reserved_pusd == 0 for b in ledger.buckets())
        assert {r["state"] for r in ledger.rows() if r["request_id"] in open_ids} == {"expired"}
