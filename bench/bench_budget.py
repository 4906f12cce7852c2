"""Overhead of the request-budget guard per request (issue 18, "Done when"), SQLite ledger, in-process.

Side by side, on the same SQLite file with the same settings (WAL, synchronous=NORMAL, BEGIN IMMEDIATE):
- baseline: a bare read-and-insert of one row (BEGIN IMMEDIATE; SELECT one row by key; INSERT one row; COMMIT);
- the floor of any reserve-then-settle scheme: that transaction, then a second one updating the row;
- the ledger alone: `reserve` + `settle` of one request against the same three caps with the amounts already
  computed (what the SQLite ledger costs without the guard's pricing, usage conversion and decision);
- `check` + `record` of one request against three caps (user per day, feature per month, global per month):
  with the input already counted (`input_tokens`), and with a short prompt counted by tiktoken.
Target: check + record within 3x of the baseline. Medians of several rounds, wall and CPU time.

Run: `make bench` (or `.venv/bin/python bench/bench_budget.py [requests]`).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
shared = ROOT.parent / "shared" / "tiktoken-cache"
if "TIKTOKEN_CACHE_DIR" not in os.environ and shared.is_dir():
    os.environ["TIKTOKEN_CACHE_DIR"] = str(shared)

from costctl.budget import BudgetGuard, GuardRequest, open_ledger  # noqa: E402
from costctl.budget.ledger import Reservation, epoch_us, new_request_id  # noqa: E402
from costctl.budget.policy import Cap, GuardPolicy  # noqa: E402
from costctl.budget.request import BudgetPolicy  # noqa: E402
from costctl.pricing.catalog import load_catalog  # noqa: E402

TARGET = 3.0
ROUNDS = 5
PROMPT = "Summarise the attached contract in five bullet points, and flag any unusual termination clause."


def per_request(work: Callable[[int], None], n: int) -> tuple[float, float]:
    """Median over rounds of (wall, CPU) seconds per request."""
    walls, cpus = [], []
    for r in range(ROUNDS):
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            work(r * n + i)
        walls.append((time.perf_counter() - start) / n)
        cpus.append((time.process_time() - cpu) / n)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    folder = Path(tempfile.mkdtemp(prefix="costctl-bench-budget-"))
    path = folder / "ledger.sqlite"
    policy = GuardPolicy(
        per_request=BudgetPolicy(max_cost_usd=Decimal("0.05"), fallback_model="gpt-4.1-mini"),
        caps=(
            Cap("user-daily", "user", "day", hard_usd=Decimal(1000)),
            Cap("feature-monthly", "feature", "month", hard_usd=Decimal(100000)),
            Cap("global-monthly", "global", "month", hard_usd=Decimal(1000000)),
        ),
    )
    ledger = open_ledger(path)
    guard = BudgetGuard(policy, ledger, catalog=load_catalog())
    usage = {"prompt_tokens": 25, "completion_tokens": 300}

    # the baseline on the same file, through its own connection with the ledger's settings
    con = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA synchronous = NORMAL")
    con.execute("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY, key TEXT, amount INTEGER)")
    con.execute("CREATE INDEX IF NOT EXISTS bench_key ON bench_rows (key)")

    def bare(i: int) -> None:
        con.execute("BEGIN IMMEDIATE")
        con.execute("SELECT amount FROM bench_rows WHERE key = ? LIMIT 1", [f"u{i % 100}"]).fetchone()
        con.execute("INSERT INTO bench_rows (key, amount) VALUES (?, ?)", [f"u{i % 100}", i])
        con.execute("COMMIT")

    def two_step(i: int) -> None:  # the floor of any reserve-then-settle scheme: two transactions
        bare(i)
        con.execute("BEGIN IMMEDIATE")
        con.execute("UPDATE bench_rows SET amount = amount + 1 WHERE id = last_insert_rowid()")
        con.execute("COMMIT")

    # what the guard hands the ledger for the `counted` requests below, computed once here
    def request(i: int, **extra: Any) -> GuardRequest:
        return GuardRequest(model="gpt-4.1", max_tokens=500, user=f"u{i % 100}", feature="search", **extra)

    probe = guard.check(request(0, input_tokens=25))
    actual = guard.record(probe, usage)
    holds = {k: [hold for _, hold in guard.holds(request(k), probe.at)] for k in range(100)}

    def ledger_only(i: int) -> None:
        now_us = epoch_us(guard.clock())
        reservation = Reservation(
            request_id=new_request_id(now_us),
            ts_us=now_us,
            decision="allow",
            model=probe.model_used,
            model_requested="gpt-4.1",
            input_tokens=25,
            max_tokens=500,
            reserved_usd=probe.reserved_usd,
            expires_us=now_us + policy.reservation_ttl_seconds * 1_000_000,
            holds=holds[i % 100],
            user_id=f"u{i % 100}",
            feature="search",
        )
        ledger.reserve(reservation, now_us=now_us, charge_expired=True)
        ledger.settle(reservation.request_id, actual.usage, actual.actual_usd, now_us=now_us)

    def counted(i: int) -> None:
        d = guard.check(
            GuardRequest(
                model="gpt-4.1", max_tokens=500, input_tokens=25, user=f"u{i % 100}", feature="search"
            )
        )
        guard.record(d, usage)

    def prompted(i: int) -> None:
        d = guard.check(
            GuardRequest(model="gpt-4.1", max_tokens=500, prompt=PROMPT, user=f"u{i % 100}", feature="chat")
        )
        guard.record(d, usage)

    for warm in (bare, two_step, ledger_only, counted, prompted):
        for i in range(20):
            warm(10**6 + i)
    base = per_request(bare, n)
    floor = per_request(two_step, n)
    ledger_alone = per_request(ledger_only, n)
    guard_counted = per_request(counted, n)
    guard_prompted = per_request(prompted, n)
    ledger.close()
    con.close()

    print(f"budget guard, SQLite ledger ({n} requests x {ROUNDS} rounds, medians per request)")
    print(f"{'':46}{'wall':>10}{'CPU':>10}{'x wall':>8}{'x CPU':>8}")
    rows = [
        ("bare SQLite read + insert of one row", base),
        ("bare read + insert, then update it (2 commits)", floor),
        ("ledger reserve + settle alone, 3 caps", ledger_alone),
        ("check + record, input counted by the caller", guard_counted),
        ("check + record, prompt counted (tiktoken)", guard_prompted),
    ]
    for name, (wall, cpu) in rows:
        print(f"{name:46}{wall * 1e6:>8.0f}us{cpu * 1e6:>8.0f}us{wall / base[0]:>8.2f}{cpu / base[1]:>8.2f}")
    ratio = guard_counted[0] / base[0]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(
        f"target: check + record within {TARGET:g}x of the bare read-and-insert: {ratio:.2f}x wall -> {verdict}"
    )


if __name__ == "__main__":
    main()
