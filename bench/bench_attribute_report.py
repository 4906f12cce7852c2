#!/usr/bin/env python3
"""Benchmark: `attribute report` at a real shape, against a hand-written DuckDB script (issue "Speed at real
shapes", target 2: report time independent of group count).

Data (generated here with DuckDB, canonical JSONL): N rows (default 10M) over 90 days, 100k users, 50 features,
20 models from 7 providers; claude-sonnet-4-6 and claude-opus-4-6 lose their >200k tier on 2026-03-13 and
mistral-small changes price on 2026-03-16 (inside the period); ~2% of prompts above 200k tokens (long-context
tiers of Claude, Gemini), ~5% batch rows, cache reads and cache writes.

Timed, each step in its own process (its wall time and its own peak RSS):
- costctl: `costctl attribute ingest FILE --db DB`, then `costctl attribute report --db DB --by feature,model
  --grain day --revenue-per-user 5 -f json` (all default sections: month-over-month, anomalies, unit
  economics with users over the revenue, chargeback);
- baseline: a hand-written DuckDB script that loads the same file into a typed table, builds a rates table,
  joins every row to its rate (model, batch, price period, long-context step) and computes the grouped costs by
  feature x model x day and the per-user-month costs (with the monthly count of users over the revenue);
- the report step alone on a store of the same rows with 1k users and with 1M users.

Printed: each time, the ratio costctl / baseline (target <= 1.5x), report(1M users) / report(1k users)
(target <= 2x) and costctl's peak RSS (target < 2 GiB).

Usage: python bench/bench_attribute_report.py [--rows 10000000] [--users 100000] [--workdir DIR]
A small run (`--rows 200000`) takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

GIB = 1024**3
DAYS = 90
START = "2026-01-20"
FEATURES = 50
REVENUE = "5"
# (model, has a batch price): 20 models, 7 providers; long-context tiers and price changes inside the period
MODELS = [
    ("gpt-4o-mini", True),
    ("gpt-4o", True),
    ("gpt-4.1", True),
    ("gpt-4.1-mini", True),
    ("gpt-5", True),
    ("gpt-5-mini", True),
    ("o4-mini", True),
    ("claude-sonnet-4-6", True),
    ("claude-opus-4-6", True),
    ("claude-haiku-4-5", True),
    ("claude-sonnet-4-5", True),
    ("gemini-2.5-pro", True),
    ("gemini-2.5-flash", True),
    ("gemini-2.0-flash", True),
    ("gemini-3-pro-preview", True),
    ("mistral-small", True),
    ("codestral", True),
    ("deepseek-chat", False),
    ("groq/llama-3.3-70b-versatile", True),
    ("together/meta-llama/Llama-3.3-70B-Instruct-Turbo", False),
]


def generate(path: Path, rows: int, users: int) -> None:
    import duckdb

    names = "[" + ", ".join(f"'{m}'" for m, _ in MODELS) + "]"
    batchable = "[" + ", ".join("true" if b else "false" for _, b in MODELS) + "]"
    providers = (
        "CASE WHEN m LIKE 'gpt%' OR m LIKE 'o4%' THEN 'openai' WHEN m LIKE 'claude%' THEN 'anthropic' "
        "WHEN m LIKE 'gemini%' THEN 'google' WHEN m LIKE 'groq/%' THEN 'groq' WHEN m LIKE 'together/%' "
        "THEN 'together' WHEN m LIKE 'deepseek%' THEN 'deepseek' ELSE 'mistral' END"
    )
    # models whose tables publish a cache-read price (the others would leave cached rows unpriced)
    cacheable = "NOT (m LIKE 'groq/%' OR m LIKE 'together/%' OR m IN ('mistral-small', 'codestral'))"
    con = duckdb.connect()
    # our own constant expressions and integers; the path is bound
    con.execute(
        f"""COPY (
        WITH base AS (
            SELECT i, (i * 2654435761) % 4294967296 AS h, 1 + (i * 7919) % {len(MODELS)} AS mi FROM range({int(rows)}) t(i)
        ), shaped AS (
            SELECT i, h, {names}[mi] AS m, {batchable}[mi] AS can_batch,
                CASE WHEN h % 50 = 0 THEN 200000 + h % 100000 ELSE 500 + h % 20000 END AS inp
            FROM base
        )
        SELECT
            strftime(TIMESTAMP '{START}' + to_seconds((i * 104729) % ({DAYS} * 86400)), '%Y-%m-%dT%H:%M:%SZ') AS ts,
            'req_' || i AS request_id,
            {providers} AS provider,
            m AS model,
            inp AS input_tokens,
            CASE WHEN i % 3 = 0 AND {cacheable} THEN inp // 2 ELSE 0 END AS cached_input_tokens,
            CASE WHEN i % 7 = 0 AND m LIKE 'claude%' THEN inp // 4 ELSE 0 END AS cache_write_5m_tokens,
            50 + h % 1500 AS output_tokens,
            CASE WHEN m LIKE 'o4%' OR m LIKE 'gpt-5%' THEN (h % 1500) // 2 ELSE 0 END AS reasoning_tokens,
            'user_' || ((i * 40503) % {int(users)}) AS user_id,
            'feature_' || (h % {FEATURES}) AS feature,
            'team_' || (h % {FEATURES}) % 8 AS team,
            'prod' AS environment,
            'stop' AS finish_reason,
            'ok' AS status,
            can_batch AND i % 12 = 0 AS is_batch
        FROM shaped) TO ? (FORMAT json)""",  # noqa: S608
        [str(path)],
    )
    con.close()


def run_baseline(src: Path, db: Path) -> dict[str, Any]:
    """The hand-written DuckDB script: load, a rates table, the grouped costs and the per-user-month costs."""
    import duckdb

    from costctl.cost.rates import RateTable
    from costctl.pricing.catalog import load_catalog

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(
        """CREATE TABLE requests AS SELECT * FROM read_json(?, format='newline_delimited', columns={
        'ts': 'TIMESTAMP', 'request_id': 'VARCHAR', 'provider': 'VARCHAR', 'model': 'VARCHAR',
        'input_tokens': 'BIGINT', 'cached_input_tokens': 'BIGINT', 'cache_write_5m_tokens': 'BIGINT',
        'output_tokens': 'BIGINT', 'reasoning_tokens': 'BIGINT', 'user_id': 'VARCHAR', 'feature': 'VARCHAR',
        'team': 'VARCHAR', 'environment': 'VARCHAR', 'finish_reason': 'VARCHAR', 'status': 'VARCHAR',
        'is_batch': 'BOOLEAN'})""",
        [str(src)],
    )
    catalog = load_catalog()
    models = [r[0] for r in con.execute("SELECT DISTINCT model FROM requests").fetchall()]
    table = RateTable.build((m, catalog.find(m)) for m in models)
    con.execute(
        "CREATE TABLE rates (model VARCHAR, batch BOOLEAN, valid_from DATE, valid_to DATE, above BIGINT, "
        "upto BIGINT, r_in DECIMAL(17,15), r_cr DECIMAL(17,15), r_w5 DECIMAL(17,15), r_w1 DECIMAL(17,15), "
        "r_out DECIMAL(17,15))"
    )
    con.executemany(
        "INSERT INTO rates VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (r.raw_model, r.batch, r.valid_from, r.valid_to, r.prompt_above, r.prompt_upto, *r.rates)
            for r in table.rows
        ],
    )
    priced = """
        SELECT r.*, CAST(r.ts AS DATE) AS day,
            CAST(r.input_tokens - r.cached_input_tokens - r.cache_write_5m_tokens AS DECIMAL(19,0)) * p.r_in
            + CAST(r.cached_input_tokens AS DECIMAL(19,0)) * coalesce(p.r_cr, 0)
            + CAST(r.cache_write_5m_tokens AS DECIMAL(19,0)) * coalesce(p.r_w5, 0)  -- rates present where used
            + CAST(r.output_tokens AS DECIMAL(19,0)) * p.r_out AS cost
        FROM requests r JOIN rates p ON p.model = r.model AND p.batch = r.is_batch
            AND CAST(r.ts AS DATE) >= p.valid_from AND CAST(r.ts AS DATE) < p.valid_to
            AND r.input_tokens > p.above AND (p.upto IS NULL OR r.input_tokens <= p.upto)"""
    grouped = con.execute(
        f"SELECT feature, model, day, count(*), sum(input_tokens), sum(output_tokens), sum(cost) "  # noqa: S608
        f"FROM ({priced}) GROUP BY ALL"
    ).fetchall()
    months = con.execute(
        f"""SELECT month, count(*), sum(cost), count(*) FILTER (WHERE cost > {REVENUE}) FROM (
            SELECT user_id, date_trunc('month', day) AS month, sum(cost) AS cost FROM ({priced})
            GROUP BY ALL) GROUP BY 1 ORDER BY 1"""  # noqa: S608
    ).fetchall()
    con.close()
    return {"groups": len(grouped), "cost_usd": str(sum(m[2] for m in months))}


def child(kind: str, src: Path, db: Path) -> None:
    start = time.perf_counter()
    info = {"baseline": run_baseline}[kind](src, db)
    print(json.dumps({"seconds": time.perf_counter() - start, **info}))


def timed(cmd: list[str], stdout: Any = subprocess.DEVNULL) -> dict[str, Any]:
    """Wall time and the process's own peak RSS (wait4), for one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) not in (0,):
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    cpu = usage.ru_utime + usage.ru_stime  # all threads; steadier than wall time on a busy machine
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": usage.ru_maxrss * 1024}


def costctl(*args: str) -> list[str]:
    exe = Path(sys.executable).parent / "costctl"
    return [str(exe) if exe.exists() else sys.executable, *([] if exe.exists() else ["-m", "costctl"]), *args]


def fresh(db: Path) -> Path:
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    return db


def report_args(db: Path) -> list[str]:
    by = ["--by", "feature,model", "--grain", "day", "--revenue-per-user", REVENUE, "-f", "json"]
    return costctl("attribute", "report", "--db", str(db), *by)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_REPORT_ROWS", 10_000_000)))
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", default=None)
    parser.add_argument("--src", type=Path)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.src, args.db)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="costctl-bench-report-"))
    workdir.mkdir(parents=True, exist_ok=True)
    files = {}
    for users in (args.users, 1_000, 1_000_000):
        src = workdir / f"requests_{args.rows}_{users}.jsonl"
        if not src.exists():
            t = time.perf_counter()
            generate(src, args.rows, users)
            print(
                f"generated {args.rows:,} rows, {users:,} users ({src.stat().st_size / GIB:.2f} GiB) "
                f"in {time.perf_counter() - t:.1f}s",
                file=sys.stderr,
            )
        files[users] = src

    print(
        f"attribute report bench: {args.rows:,} rows, {args.users:,} users, {FEATURES} features, "
        f"{len(MODELS)} models, {DAYS} days ({os.cpu_count()} CPUs)",
        flush=True,
    )

    def show(label: str, r: dict[str, Any]) -> dict[str, Any]:
        print(
            f"  {label:32s}{r['seconds']:8.2f}s   cpu {r['cpu_seconds']:8.2f}s   "
            f"peak RSS {r['peak_bytes'] / GIB:5.2f} GiB",
            flush=True,
        )
        return r

    src = files[args.users]
    db = fresh(workdir / "costctl.duckdb")
    ingest = show(
        "costctl attribute ingest",
        timed(costctl("attribute", "ingest", str(src), "--db", str(db), "-f", "json")),
    )
    out = workdir / "report.json"
    with out.open("w") as fh:
        report = show("costctl attribute report", timed(report_args(db), stdout=fh))
    data = json.loads(out.read_text())
    base_db = fresh(workdir / "baseline.duckdb")
    base_out = workdir / "baseline.json"
    with base_out.open("w") as fh:
        cmd = [sys.executable, __file__, "--child", "baseline", "--src", str(src), "--db", str(base_db)]
        base = show("hand-written DuckDB script", timed(cmd, stdout=fh))
    base_info = json.loads(base_out.read_text().strip().splitlines()[-1])
    scale = {}
    for users in (1_000, 1_000_000):
        store = fresh(workdir / f"users_{users}.duckdb")
        timed(costctl("attribute", "ingest", str(files[users]), "--db", str(store), "-f", "json"))
        scale[users] = show(f"report on the {users:,}-user store", timed(report_args(store)))

    peak = max(r["peak_bytes"] for r in (ingest, report, *scale.values())) / GIB
    for key, what in (("seconds", "wall"), ("cpu_seconds", "cpu ")):
        ours = ingest[key] + report[key]
        ratio = ours / base[key]
        growth = scale[1_000_000][key] / scale[1_000][key]
        print(
            f"  {what}: costctl ingest + report / script = {ratio:.2f}x ({ours:.2f}s vs {base[key]:.2f}s), "
            f"target <= 1.5x {'OK' if ratio <= 1.5 else 'MISSED'};  report 1M / 1k users = {growth:.2f}x "
            f"({scale[1_000_000][key]:.2f}s vs {scale[1_000][key]:.2f}s), target <= 2x "
            f"{'OK' if growth <= 2 else 'MISSED'}"
        )
    print(f"  costctl peak RSS = {peak:.2f} GiB (target < 2 GiB)  {'OK' if peak < 2 else 'MISSED'}")
    print(
        f"  report total {data['total']['cost_usd']} USD over {len(data['rows'])} rows "
        f"(script: {base_info['cost_usd']} USD over {base_info['groups']} groups: "
        f"{'the same' if Decimal(base_info['cost_usd']) == Decimal(data['total']['cost_usd']) else 'DIFFERENT'})"
    )


if __name__ == "__main__":
    main()
