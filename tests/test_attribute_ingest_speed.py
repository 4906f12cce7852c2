"""attribute ingest: the fast-path details keep the same rows (absent columns, optimizer setting restored, line
numbers from the insert order, progress within a file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import invoke

from costctl.logs.ingest import ingest_files
from costctl.logs.store import connect

SAMPLES = Path(__file__).resolve().parents[1] / "sample_logs"


def test_columns_a_file_lacks_get_the_same_typed_defaults(tmp_path: Path) -> None:
    # only the required keys: optional token counts are 0, flags FALSE, the rest NULL
    src = tmp_path / "a.jsonl"
    src.write_text(
        json.dumps(
            {"ts": "2026-10-01T10:00:00Z", "model": "gpt-4o-mini", "input_tokens": 7, "output_tokens": 3}
        )
        + "\n",
        encoding="utf-8",
    )
    con = connect(tmp_path / "a.duckdb", write=True)
    try:
        summary = ingest_files(con, [src])
        assert summary.total("loaded") == 1
        got = con.execute(
            "SELECT cached_input_tokens, cache_write_5m_tokens, reasoning_tokens, is_batch, gateway_cache_hit,"
            " latency_ms, max_tokens, model_requested, finish_reason, trace_id, source_line FROM requests"
        ).fetchall()
        assert got == [(0, 0, 0, False, False, None, None, None, None, None, 1)]
        # the staging query's optimizer setting does not leak into later queries on the connection
        assert con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] == ""
    finally:
        con.close()


def test_optimizer_setting_is_restored_after_a_failed_ingest(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text('{"ts": "2026-10-01T10:00:00Z", "model": "m", "input_tokens": 1, "output_tokens": 1}\n')
    con = connect(tmp_path / "a.duckdb", write=True)
    try:

        def boom(stats: object) -> None:
            raise RuntimeError("stop")

        try:
            ingest_files(con, [src], on_file_done=boom)
        except RuntimeError:
            pass
        else:
            raise AssertionError("expected the callback's error")
        assert con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] == ""
        assert con.execute("SELECT count(*) FROM requests").fetchone()[0] == 0
    finally:
        con.close()


def test_every_offset_form_is_honoured_not_dropped() -> None:
    import datetime as _dt

    import duckdb

    from costctl.logs.ingest import _ts_expr

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    cases = {
        "2026-10-01T10:00:00.123+02": _dt.datetime(2026, 10, 1, 8, 0, 0, 123000),
        "2026-10-01T10:00:00+02:00": _dt.datetime(2026, 10, 1, 8, 0),
        "2026-10-01T10:00:00.5-0800": _dt.datetime(2026, 10, 1, 18, 0, 0, 500000),
        "2026-10-01 10:00:00 Europe/Paris": _dt.datetime(2026, 10, 1, 8, 0),
        "2026-10-01T10:00:00Z": _dt.datetime(2026, 10, 1, 10, 0),
        "2026-10-01T10:00:00": _dt.datetime(2026, 10, 1, 10, 0),
        "2026-10-01": _dt.datetime(2026, 10, 1),
    }
    for text, expected in cases.items():
        got = con.execute(f"SELECT {_ts_expr('x')} FROM (SELECT ?::VARCHAR AS x)", [text]).fetchone()[0]  # noqa: S608 - our own expression, value bound
        assert got == expected, text


def _write_big(path: Path, n: int, bad_lines: dict[int, str], repeat_of: dict[int, int]) -> None:
    """n JSONL records; line k (1-based) holds request r{k}, except the given bad lines and repeats."""
    with path.open("w", encoding="utf-8") as out:
        for k in range(1, n + 1):
            if k in bad_lines:
                out.write(bad_lines[k] + "\n")
                continue
            rid = f"r{repeat_of.get(k, k)}"
            out.write(
                f'{{"ts":"2026-10-01T00:00:00Z","request_id":"{rid}","model":"gpt-4o-mini",'
                f'"input_tokens":{k},"output_tokens":1}}\n'
            )


def test_lines_stay_exact_across_parallel_row_groups(tmp_path: Path) -> None:
    # Large enough for DuckDB to read and insert in parallel batches: source_line comes from the insert order,
    # so every loaded row, reject and duplicate must still point at its own line.
    n = 300_000
    bad = {
        1: "{truncated",
        150_001: '{"ts":"2026-10-01T00:00:00Z","model":"m","input_tokens":-1,"output_tokens":1}',
        n: '{"ts":"yesterday","model":"m","input_tokens":1,"output_tokens":1}',
    }
    repeats = {200_000: 7, 250_000: 199_999}  # later copies of earlier request ids: the first one is kept
    src = tmp_path / "big.jsonl"
    _write_big(src, n, bad, repeats)
    con = connect(tmp_path / "a.duckdb", write=True)
    try:
        summary = ingest_files(con, [src])
        assert (summary.total("read"), summary.total("rejected"), summary.total("duplicate")) == (n, 3, 2)
        assert summary.total("loaded") == n - 5
        assert con.execute("SELECT source_line, reason FROM rejects ORDER BY 1").fetchall() == [
            (1, "not valid JSON (truncated or malformed line) or no known columns"),
            (150_001, "negative input_tokens"),
            (n, "unrecognised timestamp format"),
        ]
        # input_tokens was written as the line number: every stored row sits on its own line
        assert (
            con.execute("SELECT count(*) FROM requests WHERE source_line <> input_tokens").fetchone()[0] == 0
        )
        kept = dict(
            con.execute(
                "SELECT request_id, source_line FROM requests WHERE request_id IN ('r7', 'r199999')"
            ).fetchall()
        )
        assert kept == {"r7": 7, "r199999": 199_999}
        # nothing of the markers survives the transaction
        assert con.execute("SELECT count(*) FROM requests WHERE source_format <> 'jsonl'").fetchone()[0] == 0
        again = ingest_files(con, [src], skip_unchanged=False)  # read again: all duplicates, rejects once
        assert (again.total("loaded"), again.total("duplicate"), again.total("rejected")) == (0, n - 3, 3)
        assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 3
    finally:
        con.close()


def test_progress_is_reported_within_each_file(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    _write_big(src, 50_000, {}, {})
    seen: list[float] = []
    con = connect(tmp_path / "a.duckdb", write=True)
    try:
        ingest_files(con, [src, src], on_progress=seen.append)
    finally:
        con.close()
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen.count(1.0) >= 2 and seen[-1] == 1.0  # each file ends at 100 %
    first_file = seen[: seen.index(1.0) + 1]
    assert first_file == sorted(first_file)  # never goes backwards within a file


def test_vendor_files_report_progress_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import costctl.logs.ingest as ingest_mod
    from costctl.logs.ingest import vendor_reader

    monkeypatch.setattr(ingest_mod, "ROW_BATCH", 50)  # 310 LiteLLM rows -> several batches
    seen: list[float] = []
    con = connect(tmp_path / "a.duckdb", write=True)
    try:
        ingest_files(
            con,
            [SAMPLES / "vendor" / "litellm_spend_logs.jsonl"],
            read_log=vendor_reader(),
            on_progress=seen.append,
        )
    finally:
        con.close()
    inside = [f for f in seen if 0.0 < f < 1.0]
    assert len(inside) >= 4 and inside == sorted(inside)
    assert seen[-1] == 1.0


def test_progress_flag_draws_a_bar_on_stderr_and_keeps_stdout_data(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    _write_big(src, 20_000, {}, {})
    result = invoke(
        "attribute", "ingest", str(src), "--db", str(tmp_path / "a.duckdb"), "--progress", "-f", "json"
    )
    assert result.exit_code == 0, result.stderr
    assert "reading a.jsonl" in result.stderr and "100%" in result.stderr
    assert json.loads(result.stdout)  # stdout is the JSON summary only
    quiet = invoke(
        "attribute", "ingest", str(src), "--db", str(tmp_path / "b.duckdb"), "--no-progress", "-f", "json"
    )
    assert "reading" not in quiet.stderr
