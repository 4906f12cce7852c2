"""Fixture data for the report tests: a small attribute database written through the real store.

No tests here; the report tests import `build_db`. Amounts are deterministic (no randomness), so a report of
this database is byte-for-byte stable.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

XSS_FEATURE = "<script>alert(1)</script>"
XSS_TEAM = "<img src=x onerror=alert(1)>"
FORMULA_FEATURE = '=HYPERLINK("http://evil.example","x")'

FEATURES = [
    ("chat", "gpt-4o-mini", "support", 900, 300),
    ("search", "gpt-5.4", "search", 2500, 400),
    ("summaries", "o3", "support", 4000, 600),
    (XSS_FEATURE, "gpt-4o-mini", XSS_TEAM, 700, 200),
    (FORMULA_FEATURE, "gpt-4o-mini", "growth", 500, 100),
    ("experiments", "mystery-model-9", "growth", 1000, 100),  # unknown model: unpriced, never $0
]


def rows_for(day: dt.date, scale: int) -> list[dict[str, Any]]:
    out = []
    for f_index, (feature, model, team, inp, outp) in enumerate(FEATURES):
        n = scale + (day.day * (f_index + 1)) % 5
        if feature == "search" and day == dt.date(2026, 10, 20):
            n *= 6  # a spike for the anomaly section
        for i in range(n):
            out.append(
                {
                    "ts": dt.datetime.combine(day, dt.time(hour=(i * 7) % 24, minute=i % 60)),
                    "request_id": f"{day.isoformat()}-{f_index}-{i}",
                    "provider": "openai",
                    "model": model,
                    "input_tokens": inp + 10 * i,
                    "cached_input_tokens": 0,
                    "cache_write_5m_tokens": 0,
                    "cache_write_1h_tokens": 0,
                    "output_tokens": outp + i,
                    "reasoning_tokens": 0,
                    "user_id": f"user-{(i * 3 + f_index) % 23}",
                    "feature": feature,
                    "team": team,
                    "environment": "prod",
                    "is_batch": False,
                    "gateway_cache_hit": False,
                    "status": "ok",
                    "finish_reason": "stop",
                    "source_format": "test",
                    "source_file": "fixture",
                    "source_line": i + 1,
                }
            )
    return out


def default_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    day = dt.date(2026, 9, 1)
    while day <= dt.date(2026, 10, 31):
        rows.extend(rows_for(day, 2 if day.month == 9 else 3))
        day += dt.timedelta(days=1)
    return rows


def build_db(path: Path, rows: list[dict[str, Any]] | None = None) -> Path:
    from costctl.logs.schema import CANONICAL_COLUMNS, COLUMN_NAMES
    from costctl.logs.store import connect

    con = connect(path, write=True)
    try:
        data = default_rows() if rows is None else rows
        import pandas as pd

        frame = pd.DataFrame([[r.get(c) for c in COLUMN_NAMES] for r in data], columns=list(COLUMN_NAMES))
        con.register("fixture_rows", frame)
        casts = ", ".join(f"CAST({n} AS {t})" for n, t, _ in CANONICAL_COLUMNS)
        con.execute(f"INSERT INTO requests SELECT {casts} FROM fixture_rows")  # noqa: S608 - our own names
    finally:
        con.close()
    return path
