"""attribute ingest: the fast-path details keep the same rows (absent columns, optimizer setting restored)."""

from __future__ import annotations

import json
from pathlib import Path

from costctl.logs.ingest import ingest_files
from costctl.logs.store import connect


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
