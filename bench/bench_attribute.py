#!/usr/bin/env python3
"""Benchmark: ingest N canonical JSONL rows and roll them up by feature x model x day, against baselines.

costctl: `ingest_files` (DuckDB-native read, every key read as text and typed in SQL, a reject reason per row,
dedupe, line numbers, one transaction) then `rollup` (engine aggregation + pricing of each group with the one
formula).

The issue's targets compare costctl with a hand-written DuckDB SQL and with pandas "doing the same", so each
has a baseline that does the same job, written the way its users write it:
- "sql-same": one hand-written script: read_json with every key as text, TRY_CAST, a CASE giving each row its
  reject reason, a rejects table with lines (the staging table's rowid), dedupe on request_id with the usual
  `QUALIFY row_number() OVER (PARTITION BY request_id ...) = 1`, one transaction, then GROUP BY;
- "pandas-same": pd.read_json in 500k-row chunks, to_datetime/to_numeric, the same reject checks vectorised,
  dedupe across chunks, the canonical table and rejects written into DuckDB, groupby.
And, printed as references because they do LESS than costctl (the ratios favour them):
- "sql-canonical": INSERT BY NAME from read_json (auto-typed) into the canonical table, then GROUP BY; it
  validates nothing, records no rejects or lines, does not dedupe;
- "sql": CREATE TABLE AS read_json (the file's own columns), then GROUP BY;
- "pandas": read_json chunks + groupby, no table written, no validation.
All are timed the same way: from the start of the child process's work (imports included) to the rolled-up
result, each in its own subprocess so its peak RSS is its own; CPU time (all threads) is printed beside wall
time because it is steadier on a busy machine.

Targets (issue "attribute", Scale): costctl at most 1.3x the hand-written SQL, at least 10x faster than pandas,
peak memory under 2 GiB.

Usage: python bench/bench_attribute.py [--rows 10000000] [--workdir DIR] [--skip-pandas] [--only KIND,...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIB = 1024**3


def generate(path: Path, rows: int) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute(
        f"""COPY (SELECT
          strftime(TIMESTAMP '2026-10-01' + to_seconds((i * 7919) % (31 * 86400)), '%Y-%m-%dT%H:%M:%SZ') AS ts,
          'req_' || i AS request_id,
          CASE WHEN i % 4 = 0 THEN 'anthropic' ELSE 'openai' END AS provider,
          CASE i % 4 WHEN 0 THEN 'claude-sonnet-4-5' WHEN 1 THEN 'gpt-4o-mini' WHEN 2 THEN 'gpt-4.1-mini' ELSE 'o3' END AS model,
          1000 + (i * 31) % 5000 AS input_tokens,
          ((i * 31) % 5000) // 2 AS cached_input_tokens,
          100 + (i * 17) % 900 AS output_tokens,
          CASE WHEN i % 4 = 3 THEN ((i * 17) % 900) // 2 ELSE 0 END AS reasoning_tokens,
          'user_' || (i % 5000) AS user_id,
          'feature_' || (i % 12) AS feature,
          'team_' || (i % 4) AS team,
          'prod' AS environment,
          'v' || (i % 3) AS prompt_version,
          'stop' AS finish_reason,
          'ok' AS status
        FROM range({int(rows)}) t(i)) TO ? (FORMAT json)""",  # noqa: S608 (an int we own)
        [str(path)],
    )
    con.close()


# the hand-written baselines' rollup: feature x model x day, tokens summed
ROLLUP_SQL = """SELECT feature, model, CAST(ts AS DATE) AS day, count(*) AS requests, sum(input_tokens),
sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens) FROM requests GROUP BY ALL"""


def run_costctl(src: Path, db: Path) -> dict[str, object]:
    from costctl.commands.attribute import rollup
    from costctl.logs.ingest import ingest_files
    from costctl.logs.store import connect
    from costctl.pricing.catalog import load_catalog
    from costctl.rollup.duckdb_engine import DuckDbEngine
    from costctl.rollup.spec import RollupSpec

    catalog = load_catalog()
    con = connect(db, write=True)
    summary = ingest_files(con, [src])
    result = rollup(catalog, DuckDbEngine(con), RollupSpec(("feature", "model"), "day"))
    con.close()
    return {
        "loaded": summary.total("loaded"),
        "groups": len(result.rows),
        "cost_usd": str(result.total.cost_usd),
    }


def run_sql(src: Path, db: Path) -> dict[str, object]:
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE requests AS SELECT * FROM read_json(?, format='newline_delimited')", [str(src)])
    rows = con.execute(ROLLUP_SQL).fetchall()
    con.close()
    return {"groups": len(rows)}


def run_sql_canonical(src: Path, db: Path) -> dict[str, object]:
    """Hand-written SQL producing the same canonical table (all columns, typed) without validation or dedupe."""
    import duckdb

    from costctl.logs.store import REQUESTS_DDL

    con = duckdb.connect(str(db))
    con.execute(REQUESTS_DDL)
    con.execute(
        "INSERT INTO requests BY NAME SELECT *, 'jsonl' AS source_format, ? AS source_file "
        "FROM read_json(?, format='newline_delimited')",
        [str(src), str(src)],
    )
    rows = con.execute(ROLLUP_SQL).fetchall()
    con.close()
    return {"groups": len(rows)}


# The checks the issue names for bad input, as a hand-written script would state them (reason per row).
_SAME_TOKENS = ("input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens")
_SAME_TEXT = (
    "request_id",
    "provider",
    "model",
    "user_id",
    "feature",
    "team",
    "environment",
    "prompt_version",
    "finish_reason",
    "status",
)


def run_sql_same(src: Path, db: Path) -> dict[str, object]:
    """Hand-written DuckDB SQL doing the same job as costctl, the way a DuckDB user would write it by hand:
    every key read as text (so a wrong type is rejected, not silently NULL), typed with TRY_CAST, one reject
    reason per row (unparsable line, missing/unknown timestamp, missing model, tokens not whole or negative,
    cached > input, reasoning > output) kept with its line in a rejects table, line numbers from the staging
    table's rowid, dedupe on request_id (first occurrence wins), one transaction, then the GROUP BY."""
    import duckdb

    from costctl.logs.store import OTHER_DDL, REQUESTS_DDL

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(REQUESTS_DDL)
    con.execute(OTHER_DDL[0])
    spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in ("ts", *_SAME_TOKENS, *_SAME_TEXT)) + "}"
    ints = ", ".join(f"TRY_CAST({c} AS BIGINT) AS {c}" for c in _SAME_TOKENS)
    not_whole = " OR ".join(
        f"({c} IS NOT NULL AND TRY_CAST({c} AS BIGINT) IS NULL) OR contains({c}, '.')" for c in _SAME_TOKENS
    )
    con.execute("BEGIN")
    con.execute(
        f"""CREATE TEMP TABLE staged AS SELECT {", ".join(_SAME_TEXT)}, {ints},
        TRY_CAST(ts AS TIMESTAMPTZ) AS ts,
        CASE WHEN ts IS NULL AND model IS NULL AND input_tokens IS NULL THEN 'unparsable line'
             WHEN ts IS NULL THEN 'missing timestamp'
             WHEN TRY_CAST(ts AS TIMESTAMPTZ) IS NULL THEN 'unknown timestamp format'
             WHEN model IS NULL THEN 'missing model'
             WHEN input_tokens IS NULL OR output_tokens IS NULL THEN 'missing tokens'
             WHEN {not_whole} THEN 'tokens not whole numbers'
             WHEN least({", ".join(f"TRY_CAST({c} AS BIGINT)" for c in _SAME_TOKENS)}) < 0 THEN 'negative tokens'
             WHEN TRY_CAST(cached_input_tokens AS BIGINT) > TRY_CAST(input_tokens AS BIGINT) THEN 'cached > input'
             WHEN TRY_CAST(reasoning_tokens AS BIGINT) > TRY_CAST(output_tokens AS BIGINT) THEN 'reasoning > output'
        END AS reason
        FROM read_json(?, format='newline_delimited', columns={spec}, ignore_errors=true)""",  # noqa: S608 (our identifiers)
        [str(src)],
    )
    con.execute(
        "INSERT INTO rejects SELECT ?, rowid + 1, reason, NULL, 1 FROM staged WHERE reason IS NOT NULL",
        [str(src)],
    )
    con.execute(
        """INSERT INTO requests BY NAME SELECT * EXCLUDE (reason, ts), CAST(ts AS TIMESTAMP) AS ts,
        rowid + 1 AS source_line, 'jsonl' AS source_format, ? AS source_file
        FROM staged WHERE reason IS NULL AND request_id NOT IN (SELECT request_id FROM requests)
        QUALIFY row_number() OVER (PARTITION BY request_id ORDER BY rowid) = 1""",
        [str(src)],
    )
    con.execute("COMMIT")
    rows = con.execute(ROLLUP_SQL).fetchall()
    con.close()
    return {"groups": len(rows)}


def run_pandas(src: Path, db: Path) -> dict[str, object]:
    """Reference: pandas reading the file in chunks and grouping, nothing else (no table, no validation)."""
    import pandas as pd

    parts = []
    cols = ["feature", "model", "day"]
    sums = ["input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens"]
    for chunk in pd.read_json(src, lines=True, chunksize=500_000, dtype=False):
        chunk["day"] = pd.to_datetime(chunk["ts"], utc=True).dt.date
        chunk["requests"] = 1
        parts.append(chunk.groupby(cols)[[*sums, "requests"]].sum())
    out = pd.concat(parts).groupby(level=[0, 1, 2]).sum()
    return {"groups": len(out)}


def run_pandas_same(src: Path, db: Path) -> dict[str, object]:
    """pandas doing the same job, vectorised and streaming (500k-row chunks): type the columns, one reject reason
    per row (the same checks as run_sql_same), dedupe on request_id across chunks (first occurrence wins), write
    the canonical table and the rejects into DuckDB in one transaction, group by feature x model x day.
    (pd.read_json cannot skip a truncated line: it would fail the whole chunk, so pandas is spared that check.)"""
    import duckdb
    import numpy as np
    import pandas as pd

    from costctl.logs.store import OTHER_DDL, REQUESTS_DDL

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(REQUESTS_DDL)
    con.execute(OTHER_DDL[0])
    con.execute("BEGIN")
    seen: set[str] = set()
    parts = []
    line = 0
    for chunk in pd.read_json(src, lines=True, chunksize=500_000, dtype=False):
        chunk.index = pd.RangeIndex(line + 1, line + 1 + len(chunk))
        line += len(chunk)
        ts = pd.to_datetime(chunk["ts"], utc=True, errors="coerce", format="ISO8601")
        nums = {c: pd.to_numeric(chunk[c], errors="coerce") for c in _SAME_TOKENS}
        conditions = [
            chunk["ts"].isna(),
            ts.isna(),
            chunk["model"].isna(),
            nums["input_tokens"].isna() | nums["output_tokens"].isna(),
            np.logical_or.reduce([(v.notna() & (v != v.round())).to_numpy() for v in nums.values()]),
            np.logical_or.reduce([(v < 0).to_numpy() for v in nums.values()]),
            nums["cached_input_tokens"] > nums["input_tokens"],
            nums["reasoning_tokens"] > nums["output_tokens"],
        ]
        labels = [
            "missing timestamp",
            "unknown timestamp format",
            "missing model",
            "missing tokens",
            "tokens not whole numbers",
            "negative tokens",
            "cached > input",
            "reasoning > output",
        ]
        reason = pd.Series(np.select(conditions, labels, default=""), index=chunk.index)
        bad = reason != ""
        rejects = pd.DataFrame(
            {"source_file": str(src), "source_line": chunk.index[bad], "reason": reason[bad]}
        )
        good = chunk[~bad].copy()
        for c in _SAME_TOKENS:
            good[c] = nums[c][~bad].astype("int64")
        good["ts"] = ts[~bad].dt.tz_localize(None)
        ids = good["request_id"]
        # set lookups, O(chunk): Series.isin(set) would rebuild a hash table of every id seen so far per chunk
        earlier = np.fromiter((i in seen for i in ids), dtype=bool, count=len(ids))
        good = good[~ids.duplicated().to_numpy() & ~earlier]
        seen.update(good["request_id"].tolist())
        good["source_line"] = good.index
        good["source_format"] = "jsonl"
        good["source_file"] = str(src)
        con.register("good", good)
        con.execute("INSERT INTO requests BY NAME SELECT * FROM good")
        con.unregister("good")
        con.register("bad", rejects)
        con.execute("INSERT INTO rejects BY NAME SELECT * FROM bad")
        con.unregister("bad")
        good["day"] = good["ts"].dt.date
        good["requests"] = 1
        parts.append(good.groupby(["feature", "model", "day"])[[*_SAME_TOKENS, "requests"]].sum())
    con.execute("COMMIT")
    out = pd.concat(parts).groupby(level=[0, 1, 2]).sum()
    con.close()
    return {"groups": len(out)}


def child(kind: str, src: Path, db: Path) -> None:
    import resource

    start = time.perf_counter()
    runners = {
        "costctl": run_costctl,
        "sql": run_sql,
        "sql-canonical": run_sql_canonical,
        "pandas": run_pandas,
        "sql-same": run_sql_same,
        "pandas-same": run_pandas_same,
    }
    info = runners[kind](src, db)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = usage.ru_maxrss * 1024  # Linux: KiB
    cpu = usage.ru_utime + usage.ru_stime  # all threads; steadier than wall time on a busy machine
    print(json.dumps({"seconds": elapsed, "cpu_seconds": cpu, "peak_bytes": peak, **info}))


def measure(kind: str, src: Path, workdir: Path) -> dict[str, object]:
    db = workdir / f"{kind}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--src", str(src), "--db", str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=int(os.environ.get("BENCH_ATTRIBUTE_ROWS", 10_000_000)))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--only", default=None, help="comma-separated kinds to run (default: all)")
    parser.add_argument("--child", default=None)
    parser.add_argument("--src", type=Path)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.src, args.db)
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="costctl-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    src = workdir / f"requests_{args.rows}.jsonl"
    if not src.exists():
        t = time.perf_counter()
        generate(src, args.rows)
        print(
            f"generated {args.rows:,} rows ({src.stat().st_size / GIB:.2f} GiB) in {time.perf_counter() - t:.1f}s",
            file=sys.stderr,
        )
    kinds = ["costctl", "sql-same", "sql-canonical", "sql", "pandas-same", "pandas"]
    if args.skip_pandas:
        kinds = [k for k in kinds if not k.startswith("pandas")]
    if args.only:
        kinds = [k for k in kinds if k in args.only.split(",")]
    results = {kind: measure(kind, src, workdir) for kind in kinds}
    print(
        f"attribute bench: {args.rows:,} JSONL rows, ingest + rollup by feature x model x day "
        f"({os.cpu_count()} CPUs)"
    )
    for kind, r in results.items():
        print(
            f"  {kind:14s} {float(r['seconds']):8.2f}s   cpu {float(r['cpu_seconds']):8.2f}s"  # type: ignore[arg-type]
            f"   peak RSS {int(r['peak_bytes']) / GIB:5.2f} GiB"  # type: ignore[arg-type]
        )
    if "costctl" not in results:
        return
    ours = results["costctl"]

    def ratio(kind: str, key: str) -> float:
        return float(ours[key]) / float(results[kind][key])  # type: ignore[arg-type]

    if "sql-same" in results:
        r = ratio("sql-same", "seconds")
        print(
            f"  costctl / hand-written SQL doing the same  = {r:.2f}x  (cpu {ratio('sql-same', 'cpu_seconds'):.2f}x)"
            f"  target <= 1.30x  {'OK' if r <= 1.3 else 'MISSED'}"
        )
    if "pandas-same" in results:
        r = 1 / ratio("pandas-same", "seconds")
        print(
            f"  pandas doing the same / costctl            = {r:.1f}x  (cpu {1 / ratio('pandas-same', 'cpu_seconds'):.1f}x)"
            f"   target >= 10x    {'OK' if r >= 10 else 'MISSED'}"
        )
    for kind, what in (
        ("sql-canonical", "costctl / SQL into the canonical table, no checks "),
        ("sql", "costctl / CREATE TABLE AS read_json, no checks    "),
    ):
        if kind in results:
            print(
                f"  {what} = {ratio(kind, 'seconds'):.2f}x  (cpu {ratio(kind, 'cpu_seconds'):.2f}x)  reference"
            )
    if "pandas" in results:
        print(
            f"  pandas read + groupby only / costctl               = {1 / ratio('pandas', 'seconds'):.1f}x  "
            f"(cpu {1 / ratio('pandas', 'cpu_seconds'):.1f}x)  reference"
        )
    peak = int(ours["peak_bytes"]) / GIB  # type: ignore[arg-type]
    print(f"  costctl peak RSS = {peak:.2f} GiB (target < 2 GiB)  {'OK' if peak < 2 else 'MISSED'}")
    print(f"  costctl total cost {ours['cost_usd']} over {ours['groups']} groups")


if __name__ == "__main__":
    main()
