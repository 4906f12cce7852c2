"""Bench: the same rollup (feature x model x day) on DuckDB and on Spark, over 10 million canonical rows.

Generates the rows into a DuckDB store (tests/spark_data.py, the same generator the tests use), exports them
with `attribute export --to parquet` (partitioned by month), then times:
- DuckDB: the rollup on the store;
- Spark: session start, and the rollup over the Parquet lake (`--spark-master`, default local[2]).
Both results are compared to the Decimal. Skips Spark (and says why) without pyspark or Java.

    .venv/bin/python bench/bench_spark.py              # 10 million rows
    .venv/bin/python bench/bench_spark.py --rows 200000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the shared data generator

from spark_data import generate_store  # noqa: E402

from costctl.commands.attribute import export_parquet, rollup  # noqa: E402
from costctl.errors import CostctlError  # noqa: E402
from costctl.pricing.catalog import load_catalog  # noqa: E402
from costctl.rollup.duckdb_engine import DuckDbEngine  # noqa: E402
from costctl.rollup.spec import RollupSpec  # noqa: E402

SPEC = RollupSpec(("feature", "model"), "day")


def timed(label: str, func):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = func()
    seconds = time.perf_counter() - start
    print(f"  {label:<38} {seconds:8.1f} s", flush=True)
    return value, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--spark-master", default=None, help="default local[2]")
    args = parser.parse_args()
    catalog = load_catalog()
    print(f"rollup feature x model x day over {args.rows:,} rows")
    with tempfile.TemporaryDirectory(prefix="costctl-bench-spark-") as tmp:
        db, lake = Path(tmp) / "store.duckdb", Path(tmp) / "lake"
        con, _ = timed("generate (DuckDB store)", lambda: generate_store(db, args.rows))
        timed("attribute export --to parquet", lambda: export_parquet(con, lake))
        duck, duck_s = timed("DuckDB rollup", lambda: rollup(catalog, DuckDbEngine(con), SPEC))
        con.close()
        try:
            from costctl.rollup.spark import SparkEngine, start_session

            handle, _ = timed("Spark session start", lambda: start_session(args.spark_master))
        except CostctlError as exc:
            print(f"  Spark skipped: {exc.line()}")
            return 0
        try:
            engine = SparkEngine.from_source(handle.session, str(lake))
            spark, spark_s = timed("Spark rollup (Parquet lake)", lambda: rollup(catalog, engine, SPEC))
        finally:
            handle.stop()
    same = spark.rows == duck.rows and spark.total.cost_usd == duck.total.cost_usd
    print(f"  total cost ${duck.total.cost_usd} on both engines: {'identical' if same else 'DIFFERENT'}")
    print(
        f"  Spark/DuckDB time ratio {spark_s / duck_s:.1f}x on one machine "
        "(target: identical results; Spark is for data that does not fit one machine, not for speed here)"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
