"""attribute ingest: formats, reject reasons, dedupe, one transaction, locking, bad input (real DuckDB)."""

from __future__ import annotations

import gzip
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import invoke, run_costctl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costctl.errors import InputError
from costctl.logs.generic import ColumnMapping, build_mapping, read_canonical_rows
from costctl.logs.ingest import ingest_files
from costctl.logs.schema import COLUMN_NAMES
from costctl.logs.store import connect

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"


def row(i: int = 0, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ts": f"2026-10-{1 + i % 28:02d}T10:00:00Z",
        "request_id": f"r{i}",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "input_tokens": 1000 + i,
        "cached_input_tokens": 0,
        "output_tokens": 100,
        "feature": "chat",
        "user_id": f"u{i % 3}",
        "team": "core",
    }
    base.update(kw)
    return {k: v for k, v in base.items() if v is not None}


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def counts(db: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608 (identifiers are ours, values bound)
            for t in ("requests", "rejects", "ingests")
        }
    finally:
        con.close()


def ingest(db: Path, *files: Path, **kw: Any) -> Any:
    con = connect(db, write=True)
    try:
        return ingest_files(con, list(files), **kw)
    finally:
        con.close()


def assert_one_error_line(result: Any, *needles: str) -> None:
    assert result.exit_code == 2, (result.stdout, result.stderr)
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("costctl: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


# ---------------------------------------------------------------- the store


def test_store_tables_follow_the_canonical_schema(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", [row(1)]))
    con = duckdb.connect(str(db), read_only=True)
    cols = [r[0] for r in con.execute("DESCRIBE requests").fetchall()]
    assert tuple(cols) == COLUMN_NAMES
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
    assert {r[0] for r in con.execute("DESCRIBE rejects").fetchall()} >= {
        "source_file",
        "source_line",
        "reason",
        "raw",
    }
    assert {r[0] for r in con.execute("DESCRIBE ingests").fetchall()} >= {
        "files",
        "read",
        "loaded",
        "rejected",
        "duplicate",
        "at",
    }
    con.close()


def test_other_schema_version_is_one_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", [row(1)]))
    con = duckdb.connect(str(db))
    con.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    con.close()
    result = invoke("attribute", "report", "--db", str(db))
    assert_one_error_line(result, "schema version 0")
    result = invoke("attribute", "ingest", str(tmp_path / "a.jsonl"), "--db", str(db))
    assert_one_error_line(result, "schema version 0")


def test_not_a_database_and_missing_database(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("hello, not duckdb")
    assert_one_error_line(invoke("attribute", "report", "--db", str(junk)), "junk.duckdb")
    assert_one_error_line(invoke("attribute", "report", "--db", str(tmp_path / "none.duckdb")), "ingest")


# ---------------------------------------------------------------- loading and reasons


def test_canonical_jsonl_loads_every_column(tmp_path: Path) -> None:
    full = row(
        7,
        model_requested="gpt-4o-mini",
        cache_write_5m_tokens=10,
        cache_write_1h_tokens=5,
        reasoning_tokens=0,
        reported_cost_usd="0.000123",
        environment="prod",
        prompt_version="v2",
        max_tokens=256,
        finish_reason="STOP",
        latency_ms=812.5,
        status="ok",
        gateway_cache_hit=False,
        is_batch=True,
        system_prompt_hash="abc",
        prompt_hash="def",
        trace_id="t1",
        tags={"customer": "acme"},
    )
    db = tmp_path / "a.duckdb"
    summary = ingest(db, write_jsonl(tmp_path / "a.jsonl", [full]))
    assert (summary.total("read"), summary.total("loaded")) == (1, 1)
    con = duckdb.connect(str(db), read_only=True)
    got = dict(zip(COLUMN_NAMES, con.execute("SELECT * FROM requests").fetchone(), strict=False))
    assert got["finish_reason"] == "stop" and got["is_batch"] is True and got["max_tokens"] == 256
    assert str(got["reported_cost_usd"]).startswith("0.000123")
    assert json.loads(got["tags"]) == {"customer": "acme"}
    assert got["source_format"] == "jsonl" and got["source_line"] == 1
    assert got["source_file"] == str((tmp_path / "a.jsonl").resolve())


def test_a_key_that_first_appears_late_in_the_file_is_read(tmp_path: Path) -> None:
    # tagging starts mid-month: the first 3,000 records have no feature, team or latency, the rest do
    rows = [row(i, feature=None, team=None) for i in range(3000)]
    rows += [row(i, feature="search", team="growth", latency_ms=40, max_tokens=64) for i in range(3000, 3010)]
    db = tmp_path / "late.duckdb"
    assert ingest(db, write_jsonl(tmp_path / "late.jsonl", rows)).total("loaded") == 3010
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        "SELECT feature, team, count(*), sum(latency_ms), sum(max_tokens) FROM requests GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert got == [("search", "growth", 10, 400.0, 640), (None, None, 3000, None, None)]


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2026-10-01T12:00:00Z", "2026-10-01 12:00:00"),
        ("2026-10-01T14:00:00+02:00", "2026-10-01 12:00:00"),
        ("2026-10-01 12:00:00.250", "2026-10-01 12:00:00.250000"),
        (1790856000, "2026-10-01 12:00:00"),  # seconds
        (1790856000000, "2026-10-01 12:00:00"),  # milliseconds
        ("1790856000000000000", "2026-10-01 12:00:00"),  # nanoseconds as a string (OTLP)
    ],
)
def test_timestamp_forms_are_normalised_to_utc(tmp_path: Path, ts: Any, expected: str) -> None:
    db = tmp_path / "a.duckdb"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", [row(1, ts=ts)]))
    con = duckdb.connect(str(db), read_only=True)
    assert str(con.execute("SELECT ts FROM requests").fetchone()[0]) == expected


BAD_ROWS = [
    ('{"ts":"2026-10-01T10:00', "not valid JSON"),
    (row(1, input_tokens="lots"), "input_tokens is not a whole number"),
    (row(2, output_tokens=-5), "negative output_tokens"),
    (row(3, cached_input_tokens=5000), "cached and cache-write tokens exceed input_tokens"),
    (row(4, ts="yesterday at noon"), "unrecognised timestamp format"),
    (row(5, ts=None), "missing timestamp"),
    (row(6, model=None), "missing model"),
    (row(7, reasoning_tokens=500), "reasoning_tokens exceed output_tokens"),
    (row(8, is_batch="maybe"), "is_batch is not true/false"),
    (row(9, reported_cost_usd="cheap"), "reported_cost_usd is not a number"),
    (row(10, ts=12), "timestamp out of range"),
    (row(11, input_tokens=None), "missing input_tokens"),
    (row(12, cache_write_5m_tokens=1.5), "cache_write_5m_tokens is not a whole number"),
]


@pytest.mark.parametrize(("bad", "reason"), BAD_ROWS, ids=[r for _, r in BAD_ROWS])
def test_bad_rows_are_rejected_with_their_reason(tmp_path: Path, bad: Any, reason: str) -> None:
    db = tmp_path / "a.duckdb"
    f = write_jsonl(tmp_path / "a.jsonl", [row(100), bad, row(101)])
    summary = ingest(db, f)
    assert (summary.total("read"), summary.total("loaded"), summary.total("rejected")) == (3, 2, 1)
    con = duckdb.connect(str(db), read_only=True)
    rejects = con.execute("SELECT source_line, reason, raw FROM rejects").fetchall()
    assert len(rejects) == 1 and rejects[0][0] == 2 and reason in rejects[0][1]
    assert rejects[0][2]  # the raw snippet is kept


def test_rejects_command_lists_them(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", [row(1), row(2, output_tokens=-1)]))
    result = invoke("attribute", "rejects", "--db", str(db), "-f", "json")
    assert result.exit_code == 0
    data = result.json()
    assert data["by_reason"] == {"negative output_tokens": 1}
    assert data["rejects"][0]["source_line"] == 2


def test_dedupe_on_request_id_and_on_file_line(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    no_id = row(5, request_id=None)
    f = write_jsonl(tmp_path / "a.jsonl", [row(1), row(1), no_id, no_id])
    s1 = ingest(db, f)
    assert (s1.total("read"), s1.total("loaded"), s1.total("duplicate")) == (4, 3, 1)
    s2 = ingest(db, f, skip_unchanged=False)  # read again: every row is a duplicate
    assert (s2.total("read"), s2.total("loaded"), s2.total("duplicate")) == (4, 0, 4)
    # the same request from another file is a duplicate too
    s3 = ingest(db, write_jsonl(tmp_path / "b.jsonl", [row(1)]))
    assert s3.total("duplicate") == 1
    assert counts(db)["requests"] == 3


def test_reingesting_adds_no_rejects_either(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    f = write_jsonl(tmp_path / "a.jsonl", [row(1), row(2, output_tokens=-1)])
    ingest(db, f)
    before = counts(db)
    ingest(db, f)
    after = counts(db)
    assert after["requests"] == before["requests"] and after["rejects"] == before["rejects"]


def test_csv_with_mapping_flags_and_yaml(tmp_path: Path) -> None:
    csv_file = tmp_path / "export.csv"
    csv_file.write_text(
        "when,id,llm,prompt_tokens,completion_tokens,route\n"
        "2026-10-01T00:00:00Z,a1,gpt-4o-mini,100,10,search\n"
        "2026-10-02T00:00:00Z,a2,gpt-4o-mini,-3,10,search\n"
    )
    flags = [
        "ts=when",
        "request_id=id",
        "model=llm",
        "input_tokens=prompt_tokens",
        "output_tokens=completion_tokens",
        "feature=route",
    ]
    db = tmp_path / "a.duckdb"
    summary = ingest(db, csv_file, mapping=build_mapping(flags, None))
    assert (summary.total("loaded"), summary.total("rejected")) == (1, 1)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT feature, input_tokens FROM requests").fetchall() == [("search", 100)]
    assert con.execute("SELECT source_line FROM rejects").fetchall() == [(3,)]  # header is line 1
    con.close()
    yaml_file = tmp_path / "m.yaml"
    yaml_file.write_text(
        "files: 'export*.csv'\ncolumns:\n" + "".join(f"  {f.replace('=', ': ')}\n" for f in flags)
    )
    db2 = tmp_path / "b.duckdb"
    result = invoke(
        "attribute", "ingest", str(csv_file), "--mapping", str(yaml_file), "--db", str(db2), "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    assert result.json()["total"] == {"read": 2, "loaded": 1, "rejected": 1, "duplicate": 0}


def test_mapping_naming_a_missing_column_is_one_error(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [row(1)])
    db = tmp_path / "a.duckdb"
    result = invoke("attribute", "ingest", str(f), "--map", "feature=route", "--db", str(db))
    assert_one_error_line(result, "route")
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("ts,model,input_tokens,output_tokens\n2026-10-01,gpt-4o-mini,1,1\n")
    assert_one_error_line(
        invoke("attribute", "ingest", str(csv_file), "--map", "feature=route", "--db", str(db)), "route"
    )
    assert_one_error_line(
        invoke("attribute", "ingest", str(csv_file), "--map", "colour=x", "--db", str(db)), "colour"
    )
    assert_one_error_line(
        invoke("attribute", "ingest", str(csv_file), "--map", "feature=a'b", "--db", str(db))
    )


def test_parquet_and_gzip(tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", [row(i) for i in range(5)])
    gz = tmp_path / "b.jsonl.gz"
    gz.write_bytes(
        gzip.compress(write_jsonl(tmp_path / "tmp.txt", [row(i) for i in range(10, 13)]).read_bytes())
    )
    pq = tmp_path / "c.parquet"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT TIMESTAMP '2026-10-03 01:02:03' AS ts, 'p' || i AS request_id, 'gpt-4o-mini' AS model, "
        "100 AS input_tokens, 5 AS output_tokens FROM range(4) t(i)) TO ? (FORMAT parquet)",
        [str(pq)],
    )
    con.close()
    db = tmp_path / "a.duckdb"
    summary = ingest(db, src, gz, pq)
    assert [f.loaded for f in summary.files] == [5, 3, 4]
    assert [f.format for f in summary.files] == ["jsonl", "jsonl", "parquet"]


def test_python_row_adapter_path_uses_the_same_validation(tmp_path: Path) -> None:
    """Vendor adapters hand Python rows; they go through the same SQL rules and dedupe."""
    f = write_jsonl(tmp_path / "vendor.log", [row(1), "{broken", row(2, output_tokens=-1), row(1)])

    class FakeRead:
        format = "fake-vendor"

        def __init__(self, path: Path) -> None:
            self.rows = read_canonical_rows(path)
            self.skipped: dict[str, int] = {}

    def read_log(
        path: Path, fmt: str | None = None, *, batch_input: Any = None, rules: Any = None
    ) -> FakeRead:
        return FakeRead(path)

    db = tmp_path / "a.duckdb"
    summary = ingest(db, f, read_log=read_log, fmt="fake-vendor")
    stats = summary.files[0]
    assert stats.format == "fake-vendor"
    assert (stats.read, stats.loaded, stats.rejected, stats.duplicate) == (4, 1, 2, 1)
    assert set(stats.reasons) == {"not valid JSON (truncated or malformed line)", "negative output_tokens"}


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "empty"),
        ("\n\n", "empty"),
        ("just some text\nmore text\n", "no known log format"),
        ('{"hello": 1}\n', "no known log format"),
    ],
)
def test_empty_or_unknown_files_are_one_error_and_nothing_is_written(
    tmp_path: Path, content: str, needle: str
) -> None:
    db = tmp_path / "a.duckdb"
    good = write_jsonl(tmp_path / "good.jsonl", [row(1)])
    ingest(db, good)
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    before = counts(db)
    result = invoke(
        "attribute", "ingest", str(write_jsonl(tmp_path / "g2.jsonl", [row(2)])), str(bad), "--db", str(db)
    )
    assert_one_error_line(result, needle)
    assert counts(db) == before  # the good file in the same ingest was not loaded either


def test_missing_file_is_one_error(tmp_path: Path) -> None:
    assert_one_error_line(
        invoke("attribute", "ingest", str(tmp_path / "nope.jsonl"), "--db", str(tmp_path / "a.duckdb")),
        "not found",
    )


# ---------------------------------------------------------------- one transaction


def test_an_exception_inside_the_transaction_rolls_everything_back(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", [row(1)]))
    before = counts(db)

    def boom(stats: Any) -> None:
        raise KeyboardInterrupt

    f2 = write_jsonl(tmp_path / "b.jsonl", [row(i) for i in range(10, 20)])
    f3 = write_jsonl(tmp_path / "c.jsonl", [row(i) for i in range(20, 30)])
    with pytest.raises(KeyboardInterrupt):
        ingest(db, f2, f3, on_file_done=boom)
    assert counts(db) == before


def test_a_killed_ingest_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    ingest(db, write_jsonl(tmp_path / "a.jsonl", [row(1)]))
    big = tmp_path / "big.jsonl"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT '2026-10-01T00:00:00Z' AS ts, 'k' || i AS request_id, 'gpt-4o-mini' AS model, "
        "100 + i % 7 AS input_tokens, 3 AS output_tokens, 'f' || (i % 5) AS feature FROM range(400000) t(i)) "
        "TO ? (FORMAT json)",
        [str(big)],
    )
    con.close()
    exe = Path(sys.executable).parent / "costctl"
    for sig in (signal.SIGKILL, signal.SIGINT):
        proc = subprocess.Popen(
            [str(exe), "attribute", "ingest", str(big), "--db", str(db)],
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        time.sleep(1.2)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
        n = counts(db)["requests"]
        assert n in (1, 400001), n  # all or nothing, never partial
        assert b"Traceback" not in err
        if sig is signal.SIGINT and n == 1:
            assert proc.returncode == 130, err
        if n == 400001:
            break


def test_a_second_writer_gets_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "a.duckdb"
    f = write_jsonl(tmp_path / "a.jsonl", [row(1)])
    ingest(db, f)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,sys,time; c=duckdb.connect({str(db)!r}); print('ready', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        result = run_costctl("attribute", "ingest", str(f), "--db", str(db))
        assert_one_error_line(result, "being written by another process; retry when it finishes")
    finally:
        holder.kill()
        holder.wait()


# ---------------------------------------------------------------- CLI summary and samples


def test_summary_goes_to_stderr_in_table_format_and_stdout_in_json(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [row(1), row(1), row(2, output_tokens=-1)])
    db = tmp_path / "a.duckdb"
    result = run_costctl("attribute", "ingest", str(f), "--db", str(db))
    assert result.exit_code == 0 and result.stdout == ""
    assert "Loaded" in result.stderr and "negative output_tokens" in result.stderr
    result = invoke("attribute", "ingest", str(f), "--db", str(db), "-f", "json", "--reread")
    data = result.json()
    t = data["total"]
    assert t["read"] == t["loaded"] + t["rejected"] + t["duplicate"] == 3
    assert data["files"][0]["rejects_by_reason"] == {"negative output_tokens": 1}


def test_sample_logs_ingest_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    files = sorted(str(p) for p in SAMPLES.glob("*.jsonl")) + sorted(str(p) for p in SAMPLES.glob("*.csv"))
    result = invoke(
        "attribute",
        "ingest",
        *files,
        "--mapping",
        str(SAMPLES / "search_service.mapping.yaml"),
        "--db",
        str(db),
        "-f",
        "json",
    )
    assert result.exit_code == 0, result.stderr
    t = result.json()["total"]
    assert t["loaded"] > 5000 and t["rejected"] == 0 and t["read"] == t["loaded"]


def test_sample_generator_is_deterministic(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(SAMPLES / "generate.py"), str(tmp_path)], check=True)
    for path in tmp_path.rglob("*.*"):
        assert path.read_bytes() == (SAMPLES / path.relative_to(tmp_path)).read_bytes(), path


# ---------------------------------------------------------------- properties

ROWS = st.lists(
    st.one_of(
        st.builds(
            lambda i, inp, out: row(i, input_tokens=inp, output_tokens=out),
            st.integers(0, 30),
            st.integers(-2, 5000),
            st.integers(-2, 500),
        ),
        st.builds(lambda i: row(i, request_id=None), st.integers(0, 30)),
        st.sampled_from(['{"ts": "2026-10', "[1, 2]", '{"model": 3}']),
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=ROWS)
def test_read_equals_loaded_plus_rejected_plus_duplicate_and_reingest_is_a_noop(
    tmp_path: Path, rows: list[Any]
) -> None:
    work = Path(tmp_path) / f"p{time.monotonic_ns()}"
    work.mkdir()
    f = write_jsonl(work / "p.jsonl", rows)
    db = work / "p.duckdb"
    s1 = ingest(db, f, fmt="jsonl")
    assert s1.total("read") == s1.total("loaded") + s1.total("rejected") + s1.total("duplicate") == len(rows)
    before = counts(db)
    s2 = ingest(db, f, fmt="jsonl")
    assert s2.total("loaded") == 0
    assert s2.total("read") == s2.total("rejected") + s2.total("duplicate")
    after = counts(db)
    assert (after["requests"], after["rejects"]) == (before["requests"], before["rejects"])


def test_mapping_is_scoped_by_its_files_glob(tmp_path: Path) -> None:
    yaml_file = tmp_path / "m.yaml"
    yaml_file.write_text("files: 'only_*.csv'\ncolumns:\n  feature: route\n")
    mapping = build_mapping(None, yaml_file)
    assert mapping.for_file(Path("only_this.csv")).columns == {"feature": "route"}
    assert mapping.for_file(Path("other.jsonl")).columns == {}
    assert not ColumnMapping()
    bad = tmp_path / "bad.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(InputError):
        build_mapping(None, bad)


def test_an_unchanged_file_is_skipped_and_said_so(tmp_path: Path) -> None:
    f = write_jsonl(tmp_path / "a.jsonl", [row(1), row(2)])
    db = tmp_path / "a.duckdb"
    assert run_costctl("attribute", "ingest", str(f), "--db", str(db)).exit_code == 0
    again = run_costctl("attribute", "ingest", str(f), "--db", str(db), "-f", "json")
    assert again.exit_code == 0
    assert "1 file(s) skipped as unchanged" in again.stderr
    data = again.json()
    assert data["unchanged_skipped"] == [str(f)] and data["total"]["read"] == 0
    # new content at the same path (a rotated log) is read: same size is not enough, the hash differs
    write_jsonl(f, [row(3), row(4)])
    third = invoke("attribute", "ingest", str(f), "--db", str(db), "-f", "json").json()
    assert third["unchanged_skipped"] == [] and third["total"]["loaded"] == 2
    # another mapping reads the same bytes differently: not skipped
    other = invoke(
        "attribute", "ingest", str(f), "--db", str(db), "-f", "json", "--map", "team=feature"
    ).json()
    assert other["unchanged_skipped"] == [] and other["total"]["read"] == 2
    assert counts(db)["requests"] == 4
