"""`costctl report` on a month of 10 million logged requests: building the report should cost at most 1.5x the
rollup queries it runs (issue 7, "Speed").

Generates the store in a temporary directory with DuckDB SQL (10M requests in 2026-10 plus 2M in 2026-09 for
the month-over-month split), then times (a) the rollups alone (`run_rollups`: engine queries + pricing of
the grouped sums, the attribute branch's work) and (b) the whole report (the same rollups, the layout and the
HTML with its charts and CSV links). Prints both, the ratio and the target. Usage: python bench/bench_report.py
[REQUESTS]
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from costctl.commands.report import MonthlyOptions, build_report, run_rollups
from costctl.logs.schema import COLUMN_NAMES
from costctl.logs.store import connect
from costctl.pricing.catalog import load_catalog
from costctl.render.html import render_report_html
from costctl.rollup.duckdb_engine import DuckDbEngine

TARGET_RATIO = 1.5
MODELS = ["gpt-4o-mini", "gpt-4.1-mini", "o3", "claude-haiku-4-5", "gemini-2.5-flash", "unknown-model-x"]
FEATURES = 14
TEAMS = 6
USERS = 2000


def generate(db: Path, requests: int) -> None:
    con = connect(db, write=True)
    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    values = {
        "ts": "TIMESTAMP '{start}' + to_seconds(i * {span} // {n})",
        "request_id": "'r' || i",
        "provider": "'openai'",
        "model": f"{models}[1 + (i % {FEATURES}) % {len(MODELS)}]",
        "input_tokens": "400 + (i * 7919) % 3000",
        "cached_input_tokens": "CASE WHEN i % 3 = 0 THEN 256 ELSE 0 END",
        "cache_write_5m_tokens": "0",
        "cache_write_1h_tokens": "0",
        "output_tokens": "50 + (i * 104729) % 700",
        "reasoning_tokens": "0",
        "user_id": f"'user-' || (i % {USERS})",
        "feature": f"'feature-' || (i % {FEATURES})",
        "team": f"'team-' || (i % {FEATURES}) % {TEAMS}",
        "environment": "'prod'",
        "is_batch": "i % 10 = 0",
        "gateway_cache_hit": "false",
        "status": "'ok'",
        "source_format": "'bench'",
        "source_line": "i",
    }
    cols = ", ".join(values.get(c, "NULL") for c in COLUMN_NAMES)
    for start, span, n in (("2026-10-01", 31 * 86400, requests), ("2026-09-01", 30 * 86400, requests // 5)):
        # our own constant expressions; the row count is a bound parameter
        sql = f"INSERT INTO requests SELECT {cols} FROM range(?) t(i)".format(start=start, span=span, n=n)  # noqa: S608
        con.execute(sql, [n])
    con.close()


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    catalog = load_catalog()
    opts = MonthlyOptions(
        month=dt.date(2026, 10, 1), total_budget_usd=None, generated_at="2026-11-01T00:00:00Z"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        generate(db, requests)
        print(
            f"generated {requests:,} requests in 2026-10 (+{requests // 5:,} in 2026-09) in {time.perf_counter() - t0:.1f}s"
        )
        con = connect(db, write=False)
        engine = DuckDbEngine(con)
        run_rollups(catalog, engine, opts.month)  # warm DuckDB's caches so both timings start alike
        t0 = time.perf_counter()
        run_rollups(catalog, engine, opts.month)
        rollups_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = build_report(catalog, run_rollups(catalog, engine, opts.month), opts)
        html = render_report_html(report)
        report_s = time.perf_counter() - t0
        con.close()
    ratio = report_s / rollups_s
    print(f"rollup queries the report runs: {rollups_s:.2f}s")
    print(f"whole report (rollups + layout + HTML, {len(html.encode()) / 1024:.0f} KB): {report_s:.2f}s")
    verdict = "ok" if ratio <= TARGET_RATIO else "OVER TARGET"
    print(f"ratio {ratio:.2f}x (target <= {TARGET_RATIO}x): {verdict}")


if __name__ == "__main__":
    main()
